"""The butler-running sensor follows the server's activities."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.butler.const import SCAN_INTERVAL
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from plexsim import PlexSimulator

from .conftest import settle

RUNNING = "binary_sensor.plex_server_butler_running"


@pytest.mark.parametrize("platforms", [[Platform.BINARY_SENSOR]])
async def test_binary_sensor(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_running_follows_the_server(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert hass.states.get(RUNNING).state == STATE_OFF
    # Started from elsewhere (the server's own schedule, or the Plex web app).
    simulator.start_task("OptimizeDatabase")
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await settle(hass)
    assert hass.states.get(RUNNING).state == STATE_ON

    simulator.finish_all()
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await settle(hass)
    assert hass.states.get(RUNNING).state == STATE_OFF
