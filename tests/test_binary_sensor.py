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


@pytest.mark.parametrize("kind", ["butler", "butler.backup.database"])
async def test_a_butler_run_by_any_butler_type(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    kind: str,
) -> None:
    """Which type a Plex version gives the run is not known: `butler.*` counts."""
    simulator.activity_type = kind
    simulator.start_task("OptimizeDatabase")
    await init_integration.runtime_data.async_refresh()
    assert hass.states.get(RUNNING).state == STATE_ON


async def test_other_activities_are_not_the_butler(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.activity_type = "library.refresh.items"
    simulator.start_task("RefreshLibraries")
    await init_integration.runtime_data.async_refresh()
    assert hass.states.get(RUNNING).state == STATE_OFF
