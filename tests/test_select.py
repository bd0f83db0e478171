"""Selects: the maintenance window and the behaviour settings, from the server's options."""

from __future__ import annotations

from datetime import timedelta
import time

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.butler.const import (
    DOMAIN,
    KNOWN_BEHAVIOURS,
    MAX_BEHAVIOURS,
    SCAN_INTERVAL,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator
from plexsim.catalog import SimSetting

from .conftest import butler_records, register_named, set_fault, settle

START = "select.plex_server_maintenance_window_start"
END = "select.plex_server_maintenance_window_end"
PREVIEWS = "select.plex_server_video_preview_thumbnails"
BACKUP_SCHEDULE = "switch.plex_server_back_up_database_schedule"


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: option},
        blocking=True,
    )


@pytest.mark.parametrize("platforms", [[Platform.SELECT]])
async def test_selects(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_the_maintenance_window(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    start = hass.states.get(START)
    assert start.state == "02:00"
    assert start.attributes[ATTR_OPTIONS] == [f"{h:02d}:00" for h in range(24)]
    assert hass.states.get(END).state == "05:00"
    await _select(hass, START, "23:00")
    assert simulator.settings["ButlerStartHour"] == "23"
    # Read back at once: what Home Assistant shows is what the server has.
    assert hass.states.get(START).state == "23:00"


async def test_behaviour_options_translated_or_in_the_servers_words(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    previews = hass.states.get(PREVIEWS)
    assert previews.attributes[ATTR_OPTIONS] == ["never", "scheduled", "asap"]
    assert previews.state == "scheduled"
    await _select(hass, PREVIEWS, "never")
    assert simulator.settings["GenerateBIFBehavior"] == "0"
    assert hass.states.get(PREVIEWS).state == "never"

    # A newer server words an option the integration does not know, and
    # adds a behaviour setting: both shown in the server's words.
    simulator.add_setting(
        SimSetting(
            "GenerateBIFBehavior",
            "int",
            "3",
            "1",
            "Generate video preview thumbnails",
            enum_values="0:never|1:as a scheduled task|2:as soon as possible|3:only for new media",
        )
    )
    simulator.add_setting(
        SimSetting(
            "GenerateSlideshowBehavior",
            "int",
            "0",
            "0",
            "Generate slideshows",
            enum_values="0:never|2:as soon as possible",
        )
    )
    await init_integration.runtime_data.async_write_setting("LogVerbose", True)
    previews = hass.states.get(PREVIEWS)
    assert previews.attributes[ATTR_OPTIONS][-1] == "only for new media"
    assert previews.state == "only for new media"
    slideshows = hass.states.get("select.plex_server_generate_slideshows")
    assert slideshows.attributes[ATTR_OPTIONS] == ["never", "asap"]


async def test_a_setting_the_server_lacks_gets_no_entity(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    simulator.remove_setting("GenerateVADBehavior")
    simulator.remove_setting("ButlerEndHour")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert (
        entity_registry.async_get("select.plex_server_voice_activity_detection") is None
    )
    assert entity_registry.async_get(END) is None
    assert hass.states.get(START).state == "02:00"


async def test_unavailable_while_settings_cannot_be_read(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.faults.only_paths = frozenset({"/:/prefs"})
    set_fault(simulator, "server_error")
    with pytest.raises(Exception, match="Plex Server"):
        await _select(hass, START, "03:00")
    await init_integration.runtime_data.async_refresh()
    assert hass.states.get(START).state == STATE_UNAVAILABLE


async def _poll(hass: HomeAssistant) -> None:
    async_fire_time_changed(
        hass, dt_util.utcnow() + SCAN_INTERVAL + timedelta(seconds=1)
    )
    await settle(hass)


async def _set_up_while_settings_fail(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.faults.only_paths = frozenset({"/:/prefs"})
    set_fault(simulator, "server_error")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_window_selects_come_once_the_settings_can_be_read(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await _set_up_while_settings_fail(hass, mock_config_entry, simulator)
    for entity_id in (START, END, PREVIEWS):
        assert hass.states.get(entity_id) is None
    set_fault(simulator, "server_error", on=False)
    # A failed settings read is tried again at the next poll.
    await _poll(hass)
    assert hass.states.get(START).state == "02:00"
    assert hass.states.get(END).state == "05:00"
    assert hass.states.get(PREVIEWS).state == "scheduled"
    await _select(hass, START, "23:00")
    assert simulator.settings["ButlerStartHour"] == "23"


async def test_settings_failing_at_setup_take_no_entity_away(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """What the settings decide stays in the registry, named as the user named it."""
    mock_config_entry.add_to_hass(hass)
    for entity_id, key in (
        (START, "window_start"),
        (PREVIEWS, "behaviour_GenerateBIFBehavior"),
        (BACKUP_SCHEDULE, "schedule_BackupDatabase"),
    ):
        register_named(entity_registry, mock_config_entry, entity_id, key, "My own")
    await _set_up_while_settings_fail(hass, mock_config_entry, simulator)
    for entity_id in (START, PREVIEWS, BACKUP_SCHEDULE):
        assert entity_registry.async_get(entity_id).name == "My own"
    set_fault(simulator, "server_error", on=False)
    await _poll(hass)
    assert hass.states.get(START).state == "02:00"
    assert hass.states.get(PREVIEWS).state == "scheduled"
    assert hass.states.get(BACKUP_SCHEDULE).state == "on"
    for entity_id in (START, PREVIEWS, BACKUP_SCHEDULE):
        assert entity_registry.async_get(entity_id).name == "My own"


async def test_only_options_the_server_pairs_with_words(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    simulator.add_setting(
        SimSetting(
            "GenerateBIFBehavior",
            "int",
            "0",
            "0",
            "Generate video preview thumbnails",
            enum_values="0:Never|garbage|:|2:",
        )
    )
    simulator.add_setting(
        SimSetting(
            "GarbageBehavior",
            "int",
            "0",
            "0",
            "Garbage",
            enum_values="garbage|||:::|",
        )
    )
    await init_integration.runtime_data.async_write_setting("LogVerbose", True)
    previews = hass.states.get(PREVIEWS)
    assert previews.attributes[ATTR_OPTIONS] == ["never"]
    assert previews.state == "never"
    writes = len(simulator.requests)
    with pytest.raises(ServiceValidationError):
        await _select(hass, PREVIEWS, "garbage")
    assert len(simulator.requests) == writes
    assert simulator.settings["GenerateBIFBehavior"] == "0"
    # Options that make no sense at all: no select.
    assert not [
        entry
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if "GarbageBehavior" in entry.unique_id
    ]


async def test_a_flood_of_behaviour_settings_is_capped(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for number in range(10_000):
        simulator.add_setting(
            SimSetting(
                f"Flood{number}Behavior",
                "int",
                "0",
                "0",
                f"Flood {number}",
                enum_values="0:never|2:as soon as possible",
            )
        )
    mock_config_entry.add_to_hass(hass)
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    # With a select each it took 8 s on a 2-core machine.
    assert time.perf_counter() - started < 4
    selects = [
        entry.unique_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
        if entry.domain == SELECT_DOMAIN and "Behavior" in entry.unique_id
    ]
    assert len(selects) == MAX_BEHAVIOURS
    # The server's real behaviour settings are kept, whatever comes with them.
    assert {
        f"{simulator.machine_identifier}_behaviour_{key}" for key in KNOWN_BEHAVIOURS
    } <= set(selects)
    assert hass.states.get(PREVIEWS).state == "scheduled"
    await mock_config_entry.runtime_data.async_write_setting("LogVerbose", True)
    warnings = [r for r in butler_records(caplog) if "behaviour settings" in r.message]
    assert len(warnings) == 1
    assert "10008 behaviour settings" in warnings[0].message


async def test_a_setting_the_server_will_not_change(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
) -> None:
    """Plex answers 403 for a setting it lacks: that is no refused token."""
    simulator.remove_setting("GenerateBIFBehavior")
    with pytest.raises(HomeAssistantError) as err:
        await _select(hass, PREVIEWS, "never")
    assert err.value.translation_key == "setting_refused"
    assert err.value.translation_placeholders == {
        "server": "Plex Server",
        "setting": "GenerateBIFBehavior",
    }
    assert str(err.value).startswith(
        'Plex Server would not change the setting "GenerateBIFBehavior".'
    )
    # Nothing else changes: no reauthentication, nothing unavailable.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert init_integration.runtime_data.last_update_success
    assert hass.states.get(START).state == "02:00"
    assert hass.states.get(PREVIEWS).state == "scheduled"


async def test_a_write_refused_with_the_token_asks_to_reauthenticate(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
) -> None:
    set_fault(simulator, "forbidden")
    with pytest.raises(HomeAssistantError) as err:
        await _select(hass, PREVIEWS, "never")
    assert err.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
