"""The butler's runs, remembered: seen, ended, kept across restarts, bounded, asked for.

The server polls here (its socket is refused) unless a test says otherwise,
so the clock drives what Home Assistant sees: `_later` moves the frozen
clock and fires the timers due, a poll among them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.butler.const import DOMAIN, SCAN_INTERVAL
from custom_components.butler.memory import SAVE_DELAY
from custom_components.butler.runs import MAX_RUNS_PER_TASK
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir, llm
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator

from .conftest import bring_up, confirm_repair, fix_repair, settle, take_down
from .test_voice import _say, _tools

BACKUP = "BackupDatabase"
BACKUP_BUTTON = "button.plex_server_back_up_database"
BACKUP_LAST_RUN = "sensor.plex_server_back_up_database_last_run"
OPTIMIZE_LAST_RUN = "sensor.plex_server_optimize_database_last_run"
LAST_BACKUP = "sensor.plex_server_last_database_backup"
OVERDUE = "binary_sensor.plex_server_database_backup"
START = "2026-12-01T02:00:00+00:00"


@pytest.fixture(autouse=True)
async def utc(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Every test starts at START, in UTC, with the clock frozen."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(START)


def _key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"backup_overdue_{entry.entry_id}"
    )


async def _later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Let `delta` pass: the timers due fire (a poll, the hourly check, a write)."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await settle(hass)


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await _later(hass, freezer, SCAN_INTERVAL + timedelta(seconds=1))


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        "button", "press", {"entity_id": entity_id}, blocking=True
    )


async def _get_runs(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "get_runs", data, blocking=True, return_response=True
    )
    assert response is not None
    runs: list[dict[str, Any]] = response["runs"]  # type: ignore[assignment]
    return runs


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)


def _at(moment: str) -> datetime:
    parsed = dt_util.parse_datetime(moment)
    assert parsed is not None
    return parsed


async def test_a_backup_pressed_in_home_assistant_is_remembered_without_a_webhook(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    assert hass.states.get(BACKUP_LAST_RUN).state == STATE_UNKNOWN
    assert hass.states.get(LAST_BACKUP).state == STATE_UNKNOWN
    await _press(hass, BACKUP_BUTTON)
    freezer.tick(timedelta(minutes=4))
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    ended = "2026-12-01T02:04:31+00:00"
    state = hass.states.get(BACKUP_LAST_RUN)
    assert state.state == ended
    assert state.attributes["start"] == START
    assert state.attributes["duration"] == 271
    assert state.attributes["outcome"] == "finished"
    assert hass.states.get(LAST_BACKUP).state == ended
    assert await _get_runs(hass) == [
        {
            "task": BACKUP,
            "start": START,
            "end": ended,
            "duration": 271,
            "outcome": "finished",
        }
    ]
    # What a voice handler asks the memory: the last run, and whether it ran.
    runs = init_integration.runtime_data.memory.runs
    last = runs.last(BACKUP)
    assert last is not None
    assert last.duration == timedelta(seconds=271)
    assert runs.ran(BACKUP, _at(START) - timedelta(hours=8), _at(START))
    assert not runs.ran(
        BACKUP, _at(ended) + timedelta(seconds=1), _at(ended) + timedelta(hours=1)
    )
    assert not runs.ran("OptimizeDatabase", _at(START), _at(ended))
    # Kept across a restart.
    await _restart(hass, init_integration)
    assert hass_storage[_key(init_integration)]["data"]["runs"][0]["end"] == ended
    assert hass.states.get(BACKUP_LAST_RUN).state == ended
    assert hass.states.get(LAST_BACKUP).state == ended


async def test_a_run_the_server_starts_is_told_by_its_words(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator.start_task("OptimizeDatabase")
    await _poll(hass, freezer)
    simulator.finish_task("OptimizeDatabase")
    await _poll(hass, freezer)
    runs = await _get_runs(hass, task="OptimizeDatabase")
    assert [(run["task"], run["duration"], run["outcome"]) for run in runs] == [
        ("OptimizeDatabase", 31, "finished")
    ]
    assert hass.states.get(OPTIMIZE_LAST_RUN).attributes["outcome"] == "finished"
    # Not a backup.
    assert hass.states.get(LAST_BACKUP).state == STATE_UNKNOWN
    assert await _get_runs(hass, task=BACKUP_BUTTON) == []


async def test_a_run_that_moves_on_to_another_task_is_one_run_per_task(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator.start_task(BACKUP)
    simulator.start_task("OptimizeDatabase")
    await _poll(hass, freezer)
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    simulator.finish_task("OptimizeDatabase")
    await _poll(hass, freezer)
    runs = await _get_runs(hass)
    assert [(run["task"], run["duration"]) for run in runs] == [
        ("OptimizeDatabase", 31),
        (BACKUP, 31),
    ]
    assert runs[0]["start"] == runs[1]["end"]
    # Under way, a run counts as running now.
    simulator.start_task(BACKUP)
    await _poll(hass, freezer)
    memory = init_integration.runtime_data.memory
    assert memory.runs.ran(BACKUP, dt_util.utcnow(), dt_util.utcnow())


async def test_stopped_from_home_assistant_is_no_backup(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _press(hass, BACKUP_BUTTON)
    freezer.tick(timedelta(seconds=20))
    await hass.services.async_call(DOMAIN, "stop_task", {"task": BACKUP}, blocking=True)
    await _press(hass, "button.plex_server_optimize_database")
    await _press(hass, "button.plex_server_stop_all_tasks")
    runs = await _get_runs(hass)
    assert [(run["task"], run["duration"], run["outcome"]) for run in runs] == [
        ("OptimizeDatabase", 0, "stopped"),
        (BACKUP, 20, "stopped"),
    ]
    assert hass.states.get(BACKUP_LAST_RUN).attributes["outcome"] == "stopped"
    assert hass.states.get(LAST_BACKUP).state == STATE_UNKNOWN


async def _backup_interrupted(
    hass: HomeAssistant, simulator: PlexSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A backup runs, the server goes away and comes back having forgotten it."""
    await _press(hass, BACKUP_BUTTON)
    await _poll(hass, freezer)
    await take_down(simulator)
    await _poll(hass, freezer)
    simulator.stop_all()
    await bring_up(simulator)
    await _poll(hass, freezer)


async def test_a_server_that_restarts_mid_run_interrupts_it(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _backup_interrupted(hass, simulator, freezer)
    runs = await _get_runs(hass)
    assert [(run["task"], run["duration"], run["outcome"]) for run in runs] == [
        (BACKUP, 31, "interrupted")
    ]
    assert hass.states.get(LAST_BACKUP).state == STATE_UNKNOWN


async def test_a_server_away_for_a_while_keeps_its_run(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _press(hass, BACKUP_BUTTON)
    await take_down(simulator)
    await _poll(hass, freezer)
    await bring_up(simulator)
    await _poll(hass, freezer)
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    runs = await _get_runs(hass)
    assert [(run["duration"], run["outcome"]) for run in runs] == [(93, "finished")]


@pytest.mark.parametrize(
    ("still_running", "outcome", "duration"),
    [(True, "finished", 600), (False, "interrupted", 0)],
    ids=["picked up again", "gone"],
)
async def test_a_run_under_way_at_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    still_running: bool,
    outcome: str,
    duration: int,
) -> None:
    await _press(hass, BACKUP_BUTTON)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[_key(init_integration)]["data"]["current_run"]["task"] == BACKUP
    if not still_running:
        simulator.stop_all()
    freezer.tick(timedelta(minutes=10))
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await settle(hass)
    simulator.finish_all()
    await _poll(hass, freezer)
    runs = await _get_runs(hass)
    assert [(run["start"], run["outcome"]) for run in runs] == [(START, outcome)]
    # Picked up, it ends when it is seen ending; gone, when it was last seen.
    assert runs[0]["duration"] >= duration


async def test_a_run_costs_one_write_not_one_per_notification(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    writes: list[str],
    hass_storage: dict[str, Any],
) -> None:
    key = _key(init_integration)
    coordinator = init_integration.runtime_data
    simulator.start_task(BACKUP)
    for _ in range(20):
        coordinator.async_activities_changed()
        await _later(hass, freezer, timedelta(seconds=1))
    assert coordinator.memory.runs.current is not None
    assert writes.count(key) == 0
    simulator.finish_task(BACKUP)
    coordinator.async_activities_changed()
    await _later(hass, freezer, timedelta(seconds=1))
    # The run, and the first day watched that waited, in one write.
    await _later(hass, freezer, timedelta(seconds=SAVE_DELAY))
    assert writes.count(key) == 1
    stored = hass_storage[key]["data"]
    assert stored["watching_since"] == START
    assert [run["duration"] for run in stored["runs"]] == [20]


async def test_the_history_is_bounded(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    remember: Callable[..., None],
    hass_storage: dict[str, Any],
) -> None:
    now = _at(START)

    def run(task: str, days_ago: float) -> dict[str, Any]:
        start = now - timedelta(days=days_ago)
        return {
            "task": task,
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=1)).isoformat(),
            "outcome": "finished",
        }

    remember(
        {
            "last_database_backup": None,
            "database_corrupted_since": None,
            "watching_since": (now - timedelta(days=200)).isoformat(),
            "runs": [
                run("OptimizeDatabase", 120),
                *(run(BACKUP, day / 10 + 1) for day in range(60, 0, -1)),
                {"task": BACKUP, "start": "yesterday"},
                "not a run",
            ],
        },
        minor_version=2,
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    await _press(hass, BACKUP_BUTTON)
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    await _later(hass, freezer, timedelta(seconds=SAVE_DELAY))
    stored = hass_storage[_key(mock_config_entry)]["data"]["runs"]
    assert len(stored) == MAX_RUNS_PER_TASK
    assert {run["task"] for run in stored} == {BACKUP}
    assert stored[-1]["start"] == START
    assert len(await _get_runs(hass, days=90)) == MAX_RUNS_PER_TASK


async def test_an_upgrade_keeps_the_last_backup_and_starts_watching(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    remember: Callable[..., None],
    hass_storage: dict[str, Any],
) -> None:
    remember(
        {
            "last_database_backup": "2026-11-30T03:12:45+00:00",
            "database_corrupted_since": None,
        }
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    assert hass.states.get(LAST_BACKUP).state == "2026-11-30T03:12:45+00:00"
    assert hass.states.get(OVERDUE).state == STATE_OFF
    simulator.start_task("OptimizeDatabase")
    await _poll(hass, freezer)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    stored = hass_storage[_key(mock_config_entry)]
    assert stored["minor_version"] == 2
    assert stored["data"]["last_database_backup"] == "2026-11-30T03:12:45+00:00"
    assert stored["data"]["watching_since"] == START
    assert stored["data"]["runs"] == []
    assert stored["data"]["current_run"]["task"] == "OptimizeDatabase"


async def test_an_overdue_backup_turns_the_sensor_on_and_raises_an_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The backup task runs every 3 days: with a day's grace, 4 days pass
    # without one before it is overdue, counted from the first day watched.
    await _later(hass, freezer, timedelta(days=4))
    assert hass.states.get(OVERDUE).state == STATE_OFF
    assert _issue(hass, init_integration) is None
    await _later(hass, freezer, timedelta(hours=1))
    assert hass.states.get(OVERDUE).state == STATE_ON
    issue = _issue(hass, init_integration)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "backup_overdue"
    assert issue.translation_placeholders == {"server": "Plex Server"}
    # Off the schedule, it says so.
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.plex_server_back_up_database_schedule"},
        blocking=True,
    )
    assert _issue(hass, init_integration).translation_key == (
        "backup_overdue_unscheduled"
    )
    # A backup clears both.
    await _press(hass, BACKUP_BUTTON)
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    assert hass.states.get(OVERDUE).state == STATE_OFF
    assert _issue(hass, init_integration) is None


@pytest.fixture
def overdue(remember: Callable[..., None]) -> None:
    """A server watched for 5 days without a backup: overdue as Home Assistant starts."""
    remember(
        {
            "last_database_backup": None,
            "database_corrupted_since": None,
            "watching_since": (_at(START) - timedelta(days=5)).isoformat(),
        },
        minor_version=2,
    )


async def test_the_repair_runs_a_backup_now(
    hass: HomeAssistant,
    repairs: None,
    overdue: None,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    assert _issue(hass, init_integration) is not None
    form = await confirm_repair(
        hass, hass_client, f"backup_overdue_{init_integration.entry_id}"
    )
    assert form["description_placeholders"] == {"server": "Plex Server"}
    assert BACKUP in simulator.running
    # Closed while the backup runs; still overdue, the sensor stays on.
    assert _issue(hass, init_integration) is None
    await _later(hass, freezer, timedelta(hours=1))
    assert _issue(hass, init_integration) is None
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    assert hass.states.get(OVERDUE).state == STATE_OFF


async def test_a_repair_that_cannot_start_the_backup_says_so(
    hass: HomeAssistant,
    repairs: None,
    overdue: None,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    await take_down(simulator)
    _, result = await fix_repair(
        hass, hass_client, f"backup_overdue_{init_integration.entry_id}"
    )
    assert result["type"] == "abort"
    assert result["reason"] == "cannot_start"
    assert _issue(hass, init_integration) is not None


async def test_the_status_tool_tells_the_last_runs(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _press(hass, BACKUP_BUTTON)
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    api = await _tools(hass)
    status = llm.ToolInput(tool_name="butler__status", tool_args={})
    result = (await api.async_call_tool(status)).data
    assert [(run["task"], run["outcome"]) for run in result["last_runs"]] == [
        (BACKUP, "finished")
    ]


async def test_voice_tells_what_the_butler_did(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert await async_setup_component(hass, "conversation", {})
    await settle(hass)
    assert await _say(hass, "when did Plex last optimize the database") == (
        "Home Assistant has not seen Plex Server run Optimize database yet. "
        "It knows only the runs it saw: Plex keeps no record of them."
    )
    assert await _say(hass, "did the Plex backup run last night") == (
        "No. Home Assistant has not seen Plex Server run Back up database yet."
    )
    await _press(hass, BACKUP_BUTTON)
    await _later(hass, freezer, timedelta(seconds=90))
    assert await _say(hass, "how long did the last Plex backup take") == (
        "Plex Server is running Back up database right now: "
        "it started at 02:00, 2 minutes ago."
    )
    freezer.tick(timedelta(minutes=4))
    simulator.finish_task(BACKUP)
    await _poll(hass, freezer)
    assert await _say(hass, "how long did the last Plex backup take") == (
        "The last Back up database on Plex Server took 6 minutes; "
        "it started on 2026-12-01 at 02:00."
    )
    assert await _say(hass, "did the Plex backup run last night") == (
        "Yes, Plex Server ran Back up database last night at 02:00; it took 6 minutes."
    )
    # The next afternoon, last night is the night before the 2nd.
    freezer.move_to("2026-12-02T13:00:00+00:00")
    assert await _say(hass, "was the Plex database backed up last night") == (
        "No, Plex Server did not run Back up database last night. "
        "It last ran on 2026-12-01 at 02:00."
    )
    await _press(hass, "button.plex_server_optimize_database")
    freezer.tick(timedelta(seconds=1))
    await _press(hass, "button.plex_server_stop_all_tasks")
    assert await _say(hass, "when was the Plex database last optimized") == (
        "Plex Server last ran Optimize database on 2026-12-02 at 13:00; "
        "it was stopped after one second."
    )
    # How long a stopped run lasted is said with how it ended.
    assert await _say(
        hass, "how long did the last Plex database optimization take"
    ) == (
        "Plex Server last ran Optimize database on 2026-12-02 at 13:00; "
        "it was stopped after one second."
    )
    # A task by its name, and in another language.
    assert await _say(hass, "when did the Plex task Analyze loudness last run") == (
        "Home Assistant has not seen Plex Server run Analyze loudness yet. "
        "It knows only the runs it saw: Plex keeps no record of them."
    )
    assert await _say(hass, "when did the Plex task Make coffee last run") == (
        "There is no Plex task called Make coffee. Did you mean "
        "Install server updates, Back up database, Clean supplemental log files?"
    )


async def test_voice_tells_a_run_cut_short_and_a_long_one(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert await async_setup_component(hass, "conversation", {})
    await _backup_interrupted(hass, simulator, freezer)
    assert await _say(hass, "did the Plex backup run last night") == (
        "Plex Server started Back up database last night at 02:00, "
        "but it was interrupted after 31 seconds."
    )
    simulator.task_duration = 7200
    await _press(hass, "button.plex_server_refresh_libraries")
    for _ in range(130):
        await _poll(hass, freezer)
    simulator.finish_task("RefreshLibraries")
    await _poll(hass, freezer)
    assert await _say(hass, "how long did the last Plex library scan take") == (
        "The last Refresh libraries on Plex Server took one hour and 8 minutes; "
        "it started on 2026-12-01 at 02:01."
    )
