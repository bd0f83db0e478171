"""Sensors: what the butler works on and how far it is, from the activities."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from plexsim import PlexSimulator

from .conftest import set_fault

ACTIVITY = "sensor.plex_server_butler_activity"
PROGRESS = "sensor.plex_server_butler_progress"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platforms", [[Platform.SENSOR]])
async def test_sensors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_activity_in_the_servers_words(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    coordinator = init_integration.runtime_data
    simulator.start_task("OptimizeDatabase")
    await coordinator.async_refresh()
    state = hass.states.get(ACTIVITY)
    # The simulated server names the task in the subtitle; the sensor shows it
    # and tells which task that is.
    assert state.state == "OptimizeDatabase"
    assert state.attributes["task"] == "OptimizeDatabase"
    assert state.attributes["task_name"] == "Optimize database"
    assert hass.states.get(PROGRESS).state == "0"


async def test_task_started_here_is_named_when_the_activity_does_not_say(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.tasks["OptimizeDatabase"].title = "Something the server says"
    await hass.services.async_call(
        "butler", "start_task", {"task": "OptimizeDatabase"}, blocking=True
    )
    simulator.tasks["OptimizeDatabase"].title = None
    state = hass.states.get(ACTIVITY)
    assert state.attributes["task"] == "OptimizeDatabase"


async def test_unknown_while_idle_and_unavailable_without_activities(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert hass.states.get(ACTIVITY).state == STATE_UNKNOWN
    assert hass.states.get(PROGRESS).state == STATE_UNKNOWN
    simulator.faults.only_paths = frozenset({"/activities"})
    set_fault(simulator, "server_error")
    await init_integration.runtime_data.async_refresh()
    assert hass.states.get(ACTIVITY).state == STATE_UNAVAILABLE
    assert hass.states.get(PROGRESS).state == STATE_UNAVAILABLE
