"""Buttons: run a task now, start all, stop all."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from plexsim import PlexSimulator

RUNNING = "binary_sensor.plex_server_butler_running"
BACKUP = "button.plex_server_back_up_database"


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize("platforms", [[Platform.BUTTON]])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_buttons(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_press_runs_the_task(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert hass.states.get(RUNNING).state == STATE_OFF
    await _press(hass, BACKUP)
    await hass.async_block_till_done()
    assert "BackupDatabase" in simulator.running
    assert hass.states.get(RUNNING).state == STATE_ON
    # Pressing again while it runs is not an error.
    await _press(hass, BACKUP)
    simulator.finish_all()
    await _press(hass, "button.plex_server_stop_all_tasks")
    assert hass.states.get(RUNNING).state == STATE_OFF


async def test_start_all(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await _press(hass, "button.plex_server_start_all_tasks")
    assert [r for r in simulator.requests if (r.method, r.path) == ("POST", "/butler")]


async def test_press_task_the_server_dropped(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.remove_task("BackupDatabase")
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass, BACKUP)
    assert err.value.translation_key == "task_not_found"
    assert err.value.translation_placeholders == {
        "server": "Plex Server",
        "task": "BackupDatabase",
    }
    await hass.async_block_till_done()
    assert hass.states.get(BACKUP) is None


async def test_a_calm_device_page(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    enabled = {
        e.entity_id
        for e in entries
        if e.disabled_by is None and not e.entity_id.startswith("select.")
    }
    # The schedule's settings are configuration entities: all there, apart
    # from the controls on the device page.
    assert {e.entity_id for e in entries if e.entity_id.startswith("select.")} == {
        "select.plex_server_maintenance_window_start",
        "select.plex_server_maintenance_window_end",
        "select.plex_server_video_preview_thumbnails",
        "select.plex_server_chapter_thumbnails",
        "select.plex_server_loudness_analysis",
        "select.plex_server_intro_markers",
        "select.plex_server_credits_markers",
        "select.plex_server_ad_markers",
        "select.plex_server_voice_activity_detection",
        "select.plex_server_music_analysis",
    }
    assert enabled == {
        "binary_sensor.plex_server_butler_running",
        "binary_sensor.plex_server_database",
        "binary_sensor.plex_server_database_backup",
        "button.plex_server_back_up_database",
        "button.plex_server_optimize_database",
        "button.plex_server_refresh_libraries",
        "button.plex_server_start_all_tasks",
        "button.plex_server_stop_all_tasks",
        "event.plex_server_butler_events",
        "sensor.plex_server_butler_activity",
        "sensor.plex_server_butler_progress",
        "sensor.plex_server_last_database_backup",
        "sensor.plex_server_back_up_database_last_run",
        "sensor.plex_server_optimize_database_last_run",
        "sensor.plex_server_refresh_libraries_last_run",
        "switch.plex_server_back_up_database_schedule",
        "switch.plex_server_optimize_database_schedule",
        "switch.plex_server_refresh_libraries_schedule",
    }
    # Nothing destructive is one tap away: installing server updates waits
    # until someone enables it.
    updates = entity_registry.async_get("button.plex_server_install_server_updates")
    assert updates.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert len(entries) > 2 * len(enabled)
