"""The server's memory: what Plex said by webhook outlives reloads and restarts.

Home Assistant's storage is the test plugin's (`hass_storage`): what the
memory writes lands there, and a setup after an unload reads it back, as a
restart would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.butler.const import DATABASE_REPAIR_URL, DOMAIN
from custom_components.butler.memory import SAVE_DELAY
from homeassistant.components.webhook import async_generate_path
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID, STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir, llm
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator
from plexsim.webhooks import DATABASE_BACKED_UP, DATABASE_CORRUPTED, WebhookSender

from .conftest import bring_up, butler_records, confirm_repair, settle, take_down
from .test_voice import _say, _tools

LAST_BACKUP = "sensor.plex_server_last_database_backup"
DATABASE = "binary_sensor.plex_server_database"
BACKED_UP_AT = "2026-11-30T03:12:45+00:00"
CORRUPT_AT = "2026-11-28T22:00:00+00:00"

type Report = Callable[[str], Awaitable[None]]


def _key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


def _database(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """What the stored memory says of the database (runs are tests/test_runs.py's)."""
    data = hass_storage[_key(entry)]["data"]
    return {
        key: data[key] for key in ("last_database_backup", "database_corrupted_since")
    }


def _database_issues(hass: HomeAssistant) -> list[str]:
    """The open issues about a corrupt database (an old backup has its own)."""
    return [
        issue_id
        for (_, issue_id) in ir.async_get(hass).issues
        if issue_id.startswith("database_corrupted")
    ]


def _issue_id(entry: MockConfigEntry) -> str:
    return f"database_corrupted_{entry.entry_id}"


def _issue_from_before(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry:
    """The corrupt-database issue as the version before the memory raised it."""
    return ir.async_get(hass).async_get_or_create(
        DOMAIN,
        _issue_id(entry),
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.ERROR,
        learn_more_url=DATABASE_REPAIR_URL,
        translation_key="database_corrupted",
        translation_placeholders={"server": "Plex Server", "url": DATABASE_REPAIR_URL},
    )


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up again: only what was stored is known afterwards."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _time_passes(hass: HomeAssistant, seconds: float) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done()


@pytest.fixture
def report(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> Report:
    """Post one of Plex's events about the entry's server to its webhook."""

    async def _report(event: str) -> None:
        client = await hass_client_no_auth()
        payload = WebhookSender("Plex Server", simulator.machine_identifier).payload(
            event
        )
        path = async_generate_path(mock_config_entry.data[CONF_WEBHOOK_ID])
        response = await client.post(path, json=payload)
        assert response.status == 200
        await hass.async_block_till_done()

    return _report


@pytest.mark.usefixtures("assist")
async def test_the_last_backup_outlives_a_restart_with_its_sensor_disabled(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
    hass_storage: dict[str, Any],
    report: Report,
    freezer: FrozenDateTimeFactory,
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(BACKED_UP_AT)
    mock_config_entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{simulator.machine_identifier}_last_database_backup",
        config_entry=mock_config_entry,
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(LAST_BACKUP) is None
    await report(DATABASE_BACKED_UP)

    await _restart(hass, mock_config_entry)
    assert _database(hass_storage, mock_config_entry) == {
        "last_database_backup": BACKED_UP_AT,
        "database_corrupted_since": None,
    }
    assert hass.states.get(LAST_BACKUP) is None
    answer = await _say(hass, "when was the Plex database last backed up")
    assert answer == "Plex Server last backed up its database on 2026-11-30 at 03:12."
    api = await _tools(hass)
    status = llm.ToolInput(tool_name="butler__status", tool_args={})
    result = (await api.async_call_tool(status)).data
    assert result["message"].endswith(
        "Plex Server last backed up its database on 2026-11-30 at 03:12."
    )


async def test_one_write_per_webhook_none_per_notification(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    hass_storage: dict[str, Any],
    report: Report,
    writes: list[str],
) -> None:
    await _set_up(hass, mock_config_entry)
    key = _key(mock_config_entry)
    coordinator = mock_config_entry.runtime_data
    await report(DATABASE_BACKED_UP)
    # Written a little later, not at once.
    assert hass.states.get(LAST_BACKUP).state != STATE_UNKNOWN
    assert key not in hass_storage
    await _time_passes(hass, SAVE_DELAY)
    assert writes.count(key) == 1
    backed_up_at = coordinator.memory.last_database_backup
    assert backed_up_at is not None
    assert hass_storage[key]["data"]["last_database_backup"] == backed_up_at.isoformat()
    # The server's notifications, its runs and the polls write nothing.
    simulator.start_task("BackupDatabase")
    for _ in range(5):
        coordinator.async_activities_changed()
        await _time_passes(hass, 1)
        await settle(hass)
    for _ in range(3):
        await _time_passes(hass, 60)
        await settle(hass)
    assert coordinator.data.running
    assert writes.count(key) == 1
    # Two reports of one corruption change the memory once.
    await report(DATABASE_CORRUPTED)
    await report(DATABASE_CORRUPTED)
    await _time_passes(hass, SAVE_DELAY)
    assert writes.count(key) == 2
    assert hass_storage[key]["data"]["database_corrupted_since"] is not None


async def test_home_assistant_stopping_writes_what_waits(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    report: Report,
) -> None:
    await _set_up(hass, mock_config_entry)
    await report(DATABASE_CORRUPTED)
    assert _key(mock_config_entry) not in hass_storage
    await hass.async_stop(force=True)
    stored = hass_storage[_key(mock_config_entry)]["data"]
    assert stored["database_corrupted_since"] is not None


async def test_removing_the_entry_removes_its_memory(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    report: Report,
) -> None:
    await _set_up(hass, mock_config_entry)
    await report(DATABASE_BACKED_UP)
    await _time_passes(hass, SAVE_DELAY)
    assert _key(mock_config_entry) in hass_storage
    # A change still waiting to be written is not written after the removal.
    await report(DATABASE_CORRUPTED)
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await _time_passes(hass, SAVE_DELAY)
    assert _key(mock_config_entry) not in hass_storage
    assert not ir.async_get(hass).issues


@pytest.mark.parametrize(
    ("stored", "version"),
    [
        pytest.param({"last_database_backup": "last Tuesday"}, 1, id="not a time"),
        pytest.param(
            {"last_database_backup": "2026-11-30T03:12:45"}, 1, id="no time zone"
        ),
        pytest.param({"database_corrupted_since": 17}, 1, id="a number"),
        pytest.param(["a", "list"], 1, id="a list"),
        pytest.param({"last_database_backup": BACKED_UP_AT}, 2, id="a newer version"),
    ],
)
async def test_unreadable_memory_starts_empty_with_one_warning(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    remember: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
    stored: Any,
    version: int,
) -> None:
    remember(stored, version=version)
    await _set_up(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(LAST_BACKUP).state == STATE_UNKNOWN
    assert hass.states.get(DATABASE).state == STATE_OFF
    (warning,) = [
        record
        for record in butler_records(caplog)
        if "remembered" in record.getMessage()
    ]
    assert warning.getMessage().startswith("Plex Server: ")


async def test_a_newer_minor_version_reads_as_it_is(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    remember: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A later version added a key; going back to this one keeps what it knows.
    remember(
        {"last_database_backup": BACKED_UP_AT, "runs": [{"task": "BackupDatabase"}]},
        minor_version=2,
    )
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(LAST_BACKUP).state == BACKED_UP_AT
    assert not butler_records(caplog, logging.ERROR)


@pytest.mark.usefixtures("assist")
async def test_an_upgrade_keeps_the_restored_last_backup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
) -> None:
    _restored_sensor(hass, BACKED_UP_AT)
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(LAST_BACKUP).state == BACKED_UP_AT
    # The memory has it now: disabling the sensor loses nothing.
    entity_registry.async_update_entity(
        LAST_BACKUP, disabled_by=er.RegistryEntryDisabler.USER
    )
    await _restart(hass, mock_config_entry)
    stored = hass_storage[_key(mock_config_entry)]["data"]
    assert stored["last_database_backup"] == BACKED_UP_AT
    await hass.config.async_set_time_zone("UTC")
    assert "on 2026-11-30 at 03:12" in await _say(
        hass, "when was the Plex database last backed up"
    )


async def test_the_memory_wins_over_an_older_restored_state(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    remember: Callable[..., None],
) -> None:
    _restored_sensor(hass, "2026-11-01T03:00:00+00:00")
    remember({"last_database_backup": BACKED_UP_AT})
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(LAST_BACKUP).state == BACKED_UP_AT


def _restored_sensor(hass: HomeAssistant, when: str) -> None:
    """The Last database backup sensor's state from before the upgrade."""
    mock_restore_cache_with_extra_data(
        hass,
        (
            (
                State(LAST_BACKUP, when),
                {
                    "native_value": {
                        "__type": "<class 'datetime.datetime'>",
                        "isoformat": when,
                    },
                    "native_unit_of_measurement": None,
                },
            ),
        ),
    )


async def test_an_upgrade_keeps_an_open_corruption_issue(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    report: Report,
) -> None:
    mock_config_entry.add_to_hass(hass)
    created = _issue_from_before(hass, mock_config_entry)
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(DATABASE).state == STATE_ON
    await _restart(hass, mock_config_entry)
    stored = hass_storage[_key(mock_config_entry)]["data"]
    assert stored["database_corrupted_since"] == created.created.isoformat()
    assert hass.states.get(DATABASE).state == STATE_ON
    # The next backup clears both.
    await report(DATABASE_BACKED_UP)
    assert hass.states.get(DATABASE).state == STATE_OFF
    assert not ir.async_get(hass).issues


async def test_a_lost_issue_comes_back_from_the_memory(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    remember: Callable[..., None],
) -> None:
    remember({"database_corrupted_since": CORRUPT_AT})
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(DATABASE).state == STATE_ON
    issue = ir.async_get(hass).async_get_issue(DOMAIN, _issue_id(mock_config_entry))
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "server": "Plex Server",
        "url": DATABASE_REPAIR_URL,
    }


async def test_an_issue_the_memory_does_not_know_is_closed(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    remember: Callable[..., None],
) -> None:
    remember({"last_database_backup": BACKED_UP_AT})
    mock_config_entry.add_to_hass(hass)
    _issue_from_before(hass, mock_config_entry)
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(DATABASE).state == STATE_OFF
    assert not _database_issues(hass)


async def test_confirming_the_repair_clears_the_memory(
    hass: HomeAssistant,
    repairs: None,
    mock_config_entry: MockConfigEntry,
    remember: Callable[..., None],
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    remember({"database_corrupted_since": CORRUPT_AT})
    await _set_up(hass, mock_config_entry)
    assert hass.states.get(DATABASE).state == STATE_ON
    await confirm_repair(hass, hass_client, _issue_id(mock_config_entry))
    assert hass.states.get(DATABASE).state == STATE_OFF
    await _restart(hass, mock_config_entry)
    assert _database(hass_storage, mock_config_entry) == {
        "last_database_backup": None,
        "database_corrupted_since": None,
    }
    assert hass.states.get(DATABASE).state == STATE_OFF
    assert not ir.async_get(hass).issues


async def test_confirming_the_repair_while_the_server_is_away(
    hass: HomeAssistant,
    repairs: None,
    mock_config_entry: MockConfigEntry,
    remember: Callable[..., None],
    simulator: PlexSimulator,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    remember(
        {"last_database_backup": BACKED_UP_AT, "database_corrupted_since": CORRUPT_AT}
    )
    await take_down(simulator)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    # The issue is raised from the memory although the server is away.
    await confirm_repair(hass, hass_client, _issue_id(mock_config_entry))
    assert _database(hass_storage, mock_config_entry) == {
        "last_database_backup": BACKED_UP_AT,
        "database_corrupted_since": None,
    }
    await bring_up(simulator)
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(DATABASE).state == STATE_OFF
    assert hass.states.get(LAST_BACKUP).state == BACKED_UP_AT
    assert not _database_issues(hass)
