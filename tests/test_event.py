"""The event entity: its description, and the last event kept across restarts.

Firing each event type is tested live in tests/test_push.py.
"""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er

EVENTS = "event.plex_server_butler_events"


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
