"""The event entity: its description, the last event kept across restarts, no end lost.

Firing each event type is tested live in tests/test_push.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.butler.const import SCAN_INTERVAL
from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator

from .conftest import SecondServer, settle

EVENTS = "event.plex_server_butler_events"
RUNNING = "binary_sensor.plex_server_butler_running"


async def _poll(hass: HomeAssistant) -> None:
    async_fire_time_changed(
        hass, dt_util.utcnow() + SCAN_INTERVAL + timedelta(seconds=1)
    )
    await settle(hass)


@pytest.mark.parametrize("platforms", [[Platform.EVENT]])
async def test_event_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_when_the_butler_last_finished_survives_a_restart(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    finished = "2026-11-29T03:12:45.000+00:00"
    mock_restore_cache_with_extra_data(
        hass,
        (
            (
                State(EVENTS, finished),
                {
                    "last_event_type": "butler_finished",
                    "last_event_attributes": {"task": "BackupDatabase"},
                },
            ),
        ),
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(EVENTS)
    assert state.state == finished
    assert state.attributes["event_type"] == "butler_finished"
    assert state.attributes["task"] == "BackupDatabase"


async def test_a_run_that_ends_while_activities_fail_still_finishes_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    fired: list[str] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None and state.state not in (
            STATE_UNKNOWN,
            STATE_UNAVAILABLE,
        ):
            fired.append(state.attributes["event_type"])

    async_track_state_change_event(hass, EVENTS, _record)
    simulator.start_task("BackupDatabase")
    await _poll(hass)
    assert fired == ["butler_started"]
    # The run ends while the server cannot say so: its activities fail to
    # read at that poll, and only they.
    simulator.faults.only_paths = frozenset({"/activities"})
    simulator.faults.html = True
    simulator.finish_all()
    await _poll(hass)
    assert hass.states.get(RUNNING).state == STATE_UNAVAILABLE
    simulator.faults.html = False
    await _poll(hass)
    assert hass.states.get(RUNNING).state == STATE_OFF
    assert fired == ["butler_started", "butler_finished"]


async def test_a_servers_events_reach_only_its_own_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry, attic: SecondServer
) -> None:
    # Longer than the poll the clock is moved on to.
    attic.simulator.task_duration = 600
    attic.simulator.start_task("BackupDatabase")
    await _poll(hass)
    started = hass.states.get("event.attic_butler_events")
    assert started.attributes["event_type"] == "butler_started"
    assert hass.states.get(EVENTS).state == STATE_UNKNOWN
