"""Setting up, unloading, losing the server, losing the token, following its tasks."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.butler.const import DOMAIN, SCAN_INTERVAL
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_HOST, STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, entity_registry as er
from homeassistant.loader import async_get_integration
from plexsim import PlexSimulator

from .conftest import (
    TOKEN,
    bring_up,
    butler_records,
    register_named,
    set_fault,
    settle,
    take_down,
)

RUNNING = "binary_sensor.plex_server_butler_running"
BACKUP = "button.plex_server_back_up_database"
BACKUP_SCHEDULE = "switch.plex_server_back_up_database_schedule"


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await settle(hass)


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(RUNNING).state == STATE_OFF
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(RUNNING).state == STATE_UNAVAILABLE


async def test_refused_token_at_setup_asks_for_reauth(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.token = "rotated"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == mock_config_entry.entry_id


async def test_refused_token_while_running_asks_for_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator.token = "rotated"
    await _tick(hass, freezer)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_slow_server_times_out(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
) -> None:
    # Real time, not the frozen clock: the client's timeout runs on the loop's clock.
    with patch("custom_components.butler.connection.DEFAULT_TIMEOUT", 0.05):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    coordinator = mock_config_entry.runtime_data
    simulator.faults.slow = True
    await coordinator.async_refresh()
    assert hass.states.get(RUNNING).state == STATE_UNAVAILABLE
    assert coordinator.last_exception.translation_key == "cannot_connect"
    # The technical reason stays on the cause, for the debug log.
    assert "timed out" in str(coordinator.last_exception.__cause__)
    simulator.faults.slow = False
    await coordinator.async_refresh()
    assert hass.states.get(RUNNING).state == STATE_OFF


async def test_tasks_come_and_go_without_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator.add_task("GenerateBlurHashes", interval=1, enabled=True)
    simulator.add_task("ButlerTaskTidyPosters", interval=2, enabled=False)
    await _tick(hass, freezer)
    # New tasks come as entities; like every rarely used task, disabled.
    placeholders = entity_registry.async_get(
        "button.plex_server_generate_image_placeholders"
    )
    assert placeholders is not None
    assert placeholders.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    # A task nobody has named yet is named from the server's code name.
    assert entity_registry.async_get("button.plex_server_tidy_posters") is not None

    simulator.remove_task("BackupDatabase")
    await _tick(hass, freezer)
    assert hass.states.get(BACKUP) is None
    assert entity_registry.async_get(BACKUP) is None
    assert hass.states.get("switch.plex_server_back_up_database_schedule") is None
    assert init_integration.state is ConfigEntryState.LOADED


async def test_tasks_dropped_while_stopped_are_cleared_at_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    mock_config_entry.add_to_hass(hass)
    machine = simulator.machine_identifier
    stale = [
        entity_registry.async_get_or_create(
            domain, DOMAIN, f"{machine}_{key}", config_entry=mock_config_entry
        ).entity_id
        for domain, key in (
            ("button", "task_RetiredTask"),
            ("switch", "schedule_RetiredTask"),
            # The server still has this task, but no setting to schedule it.
            ("switch", "schedule_ButlerTaskGenerateIntroMarkers"),
        )
    ]
    kept = entity_registry.async_get_or_create(
        "button",
        DOMAIN,
        f"{machine}_task_BackupDatabase",
        config_entry=mock_config_entry,
    ).entity_id
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    for entity_id in stale:
        assert entity_registry.async_get(entity_id) is None
    assert entity_registry.async_get(kept) is not None
    assert hass.states.get(kept) is not None
    # Entities of the server itself are not task entities and stay.
    assert entity_registry.async_get_entity_id("button", DOMAIN, f"{machine}_start_all")


async def test_token_never_logged(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    for fault in ("server_error", "html", "malformed"):
        set_fault(simulator, fault)
        await _tick(hass, freezer)
        set_fault(simulator, fault, on=False)
    await take_down(simulator)
    await _tick(hass, freezer)
    await bring_up(simulator)
    simulator.token = "rotated"
    await _tick(hass, freezer)

    # The token travels in a header, never in a URL (which access logs keep).
    integration = await async_get_integration(hass, DOMAIN)
    assert simulator.requests[-1].headers["X-Plex-Version"] == str(integration.version)
    for request in simulator.requests:
        assert TOKEN not in request.path
        assert TOKEN not in str(request.query)
    assert any(DOMAIN in record.name for record in caplog.records)
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


async def test_unusable_stored_host_is_a_clear_setup_error(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, entry_data: dict[str, Any]
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Plex Server",
        unique_id="moved",
        data={**entry_data, CONF_HOST: "http://not a host/"},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "invalid_host"
    assert "Reconfigure" in (entry.reason or "")


@pytest.mark.parametrize(
    ("path", "depends", "what"),
    [
        ("/:/prefs", "switch.plex_server_back_up_database_schedule", "settings"),
        ("/activities", RUNNING, "activities"),
    ],
)
@pytest.mark.parametrize("fault", ["server_error", "malformed", "html"])
async def test_a_failing_side_read_keeps_the_tasks_usable(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    path: str,
    depends: str,
    what: str,
    fault: str,
) -> None:
    simulator.faults.only_paths = frozenset({path})
    set_fault(simulator, fault)
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert init_integration.runtime_data.last_update_success
    assert hass.states.get(depends).state == STATE_UNAVAILABLE
    # Every task can still be run.
    assert hass.states.get(BACKUP).state != STATE_UNAVAILABLE
    await hass.services.async_call(
        "button", "press", {"entity_id": BACKUP}, blocking=True
    )
    assert "BackupDatabase" in simulator.running
    warnings = butler_records(caplog)
    assert len(warnings) == 1
    assert f"cannot read the server's {what}" in warnings[0].getMessage()
    assert warnings[0].exc_info is None

    set_fault(simulator, fault, on=False)
    await _tick(hass, freezer)
    assert hass.states.get(depends).state != STATE_UNAVAILABLE
    assert (
        len([r for r in caplog.records if "can be read again" in r.getMessage()]) == 1
    )


async def test_settings_failing_at_setup_add_switches_later(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator.faults.only_paths = frozenset({"/:/prefs"})
    set_fault(simulator, "server_error")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(BACKUP) is not None
    assert hass.states.get("switch.plex_server_back_up_database_schedule") is None
    set_fault(simulator, "server_error", on=False)
    await _tick(hass, freezer)
    assert hass.states.get("switch.plex_server_back_up_database_schedule").state == "on"


async def test_refused_token_on_a_side_read_asks_for_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator.faults.only_paths = frozenset({"/activities"})
    set_fault(simulator, "forbidden")
    await _tick(hass, freezer)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_an_empty_task_list_is_a_failed_read_not_every_task_gone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
    area_registry: ar.AreaRegistry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    area = area_registry.async_create("Server cupboard")
    for entity_id in (BACKUP, BACKUP_SCHEDULE):
        entity_registry.async_update_entity(
            entity_id, name="Nightly backup", area_id=area.id
        )

    def _kept_as_named() -> None:
        for entity_id in (BACKUP, BACKUP_SCHEDULE):
            entry = entity_registry.async_get(entity_id)
            assert entry is not None
            assert (entry.name, entry.area_id) == ("Nightly backup", area.id)

    tasks = dict(simulator.tasks)
    simulator.tasks.clear()
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    coordinator = init_integration.runtime_data
    assert coordinator.last_exception.translation_key == "no_tasks"
    assert str(coordinator.last_exception).startswith(
        "Plex Server listed no butler tasks at all"
    )
    for entity_id in (BACKUP, BACKUP_SCHEDULE, RUNNING):
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    _kept_as_named()
    (warning,) = butler_records(caplog)
    assert warning.exc_info is None

    simulator.tasks.update(tasks)
    await _tick(hass, freezer)
    for entity_id in (BACKUP, BACKUP_SCHEDULE, RUNNING):
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE
    _kept_as_named()
    # Only a list without the task removes its entities.
    simulator.remove_task("BackupDatabase")
    await _tick(hass, freezer)
    assert entity_registry.async_get(BACKUP) is None
    assert entity_registry.async_get(BACKUP_SCHEDULE) is None


async def test_an_empty_task_list_at_setup_is_tried_again(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    mock_config_entry.add_to_hass(hass)
    register_named(
        entity_registry, mock_config_entry, BACKUP, "task_BackupDatabase", "Nightly"
    )
    tasks = dict(simulator.tasks)
    simulator.tasks.clear()
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.error_reason_translation_key == "no_tasks"

    simulator.tasks.update(tasks)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert hass.states.get(BACKUP).state != STATE_UNAVAILABLE
    assert entity_registry.async_get(BACKUP).name == "Nightly"
