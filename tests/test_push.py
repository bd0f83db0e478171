"""Live updates over the server's notification socket, through Home Assistant.

The server here offers the socket. These tests run on the real clock: they
wait for states and requests with a timeout, never by sleeping, and move
Home Assistant's timers on with `async_fire_time_changed` where a poll, a
reconnect or a heartbeat is due.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import gc
from itertools import pairwise
import json
import logging
from statistics import median
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.butler.const import (
    ACTIVITIES_COOLDOWN,
    DOMAIN,
    RECONNECT_MAX,
    RESYNC_INTERVAL,
    SCAN_INTERVAL,
    SETTINGS_INTERVAL,
)
from custom_components.butler.plex.client import MAX_FRAME_BYTES
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import translation
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator

from .conftest import (
    LoopLag,
    activity_reads,
    butler_records,
    settle,
    wait_for_coordinator,
    wait_for_state,
)

RUNNING = "binary_sensor.plex_server_butler_running"
ACTIVITY = "sensor.plex_server_butler_activity"
PROGRESS = "sensor.plex_server_butler_progress"
EVENTS = "event.plex_server_butler_events"
BACKUP = "button.plex_server_back_up_database"
LISTENER = "butler notifications"
ACTIVITY_UPDATED = json.dumps(
    {
        "NotificationContainer": {
            "type": "activity",
            "ActivityNotification": [{"event": "updated"}],
        }
    }
)


@pytest.fixture
def push() -> bool:
    return True


class _LogWaiter(logging.Handler):
    """Wakes a test when the integration logs a line containing some text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


async def _wait_for_log(text: str) -> None:
    """Wait (a second at most) for the integration to log `text`."""
    waiter = _LogWaiter(text)
    logger = logging.getLogger("custom_components.butler")
    logger.addHandler(waiter)
    try:
        async with asyncio.timeout(1):
            await waiter.seen.wait()
    finally:
        logger.removeHandler(waiter)


def _reads(simulator: PlexSimulator, path: str) -> int:
    return sum(1 for r in simulator.requests if (r.method, r.path) == ("GET", path))


async def _fire(hass: HomeAssistant, after: timedelta) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + after + timedelta(seconds=1))
    await settle(hass)


async def test_state_follows_the_server_within_a_second(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    coordinator = init_integration.runtime_data
    assert coordinator.push_connected
    assert coordinator.update_interval == RESYNC_INTERVAL
    loop = asyncio.get_running_loop()
    delays = []
    for task in ("BackupDatabase", "OptimizeDatabase", "CleanOldBundles"):
        # Started from elsewhere: the server's own schedule, or Plex Web.
        changed = loop.time()
        simulator.start_task(task)
        delays.append(await wait_for_state(hass, RUNNING, STATE_ON.__eq__) - changed)
        changed = loop.time()
        simulator.finish_all()
        delays.append(await wait_for_state(hass, RUNNING, STATE_OFF.__eq__) - changed)
    assert max(delays) <= 1.0
    assert median(delays) <= 0.2


async def test_activity_and_progress_while_running(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    assert hass.states.get(ACTIVITY).state == "unknown"
    assert hass.states.get(PROGRESS).state == "unknown"
    await hass.services.async_call(
        "button", "press", {"entity_id": BACKUP}, blocking=True
    )
    state = hass.states.get(ACTIVITY)
    assert state.state == "Backup Database"
    assert state.attributes["task"] == "BackupDatabase"
    assert state.attributes["title"] == "Butler tasks"
    assert hass.states.get(PROGRESS).state == "0"
    # The server reports progress; the sensor follows its notifications.
    simulator.task_duration = 10
    simulator.send_raw(
        json.dumps(
            {
                "NotificationContainer": {
                    "type": "activity",
                    "ActivityNotification": [{"event": "updated", "uuid": "x"}],
                }
            }
        )
    )
    simulator.finish_task("BackupDatabase")
    await wait_for_state(hass, PROGRESS, "unknown".__eq__)
    assert hass.states.get(ACTIVITY).state == "unknown"


async def test_a_burst_of_notifications_costs_one_read(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    coordinator = init_integration.runtime_data
    await settle(hass)
    before = _reads(simulator, "/activities")
    updated = asyncio.Event()
    unsubscribe = coordinator.async_add_listener(updated.set)
    frame = json.dumps(
        {
            "NotificationContainer": {
                "type": "activity",
                "size": 50,
                "ActivityNotification": [
                    {"event": "updated", "uuid": "u", "Activity": {"progress": n}}
                    for n in range(50)
                ],
            }
        }
    )
    simulator.send_raw(frame)
    async with asyncio.timeout(1):
        await updated.wait()
    await settle(hass)
    unsubscribe()
    assert _reads(simulator, "/activities") - before == 1


async def test_a_storm_is_read_at_most_every_100_ms_and_its_end_is_read(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    await settle(hass)
    coordinator = init_integration.runtime_data
    cooldown = ACTIVITIES_COOLDOWN.total_seconds()
    with activity_reads(coordinator) as reads:
        # The socket's first read, at connection, may still hold the next back.
        simulator.send_raw(
            json.dumps(
                {
                    "NotificationContainer": {
                        "type": "activity",
                        "ActivityNotification": [{"event": "updated"}],
                    }
                }
            )
        )
        await wait_for_coordinator(coordinator, lambda: bool(reads))
        await settle(hass)
        quiet_from = reads[-1] + cooldown
        # 2,000 notifications a second, as a library scan on a busy server sends.
        with LoopLag() as lag:
            first, last, sent = await simulator.storm(rate=2000, seconds=0.6)
        await wait_for_state(hass, RUNNING, STATE_OFF.__eq__)
        await settle(hass)
    assert sent > 500
    gaps = [later - earlier for earlier, later in pairwise(reads)]
    assert min(gaps) >= cooldown
    storm = [at for at in reads if at >= first]
    assert len(storm) <= (last - first) / cooldown + 2
    # The first read of the storm is not held back longer than the floor
    # demands (on a busy machine, the loop itself may be late); the last
    # comes after the storm's last notification, so the run's end is seen.
    assert storm[0] - max(first, quiet_from) < cooldown / 2 + lag.worst
    assert storm[-1] >= last
    assert hass.states.get(PROGRESS).state == "unknown"


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2, 3]",
        '{"NotificationContainer": "nope"}',
        '{"NotificationContainer": {"type": "timeline", "TimelineEntry": [{}]}}',
        '{"NotificationContainer": {"type": "activity", "ActivityNotification": "x"}}',
        "[" * 100_000,
    ],
    ids=["text", "array", "container", "other_type", "bad_items", "deep"],
)
async def test_garbage_frames_are_skipped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    frame: str,
) -> None:
    await simulator.wait_for_sockets(1)
    simulator.send_raw(frame)
    simulator.start_task("BackupDatabase")
    await wait_for_state(hass, RUNNING, STATE_ON.__eq__)
    assert init_integration.runtime_data.push_connected
    assert len(simulator.sockets) == 1


async def test_a_huge_frame_closes_the_socket_and_it_reconnects(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await simulator.wait_for_sockets(1)
    coordinator = init_integration.runtime_data
    await wait_for_coordinator(coordinator, lambda: coordinator.push_connected)
    logged = asyncio.ensure_future(_wait_for_log("no live updates"))
    simulator.send_raw("x" * (MAX_FRAME_BYTES + 1))
    await logged
    await settle(hass)
    assert not coordinator.push_connected
    assert coordinator.update_interval == SCAN_INTERVAL
    # The server is fine: the entities stay available, and the log says why
    # updates are slower now, once.
    assert hass.states.get(RUNNING).state == STATE_OFF
    assert len(butler_records(caplog)) == 1
    back = asyncio.ensure_future(_wait_for_log("live updates are back"))
    await _fire(hass, RECONNECT_MAX)
    await back
    assert coordinator.push_connected


async def test_refused_socket_polls_at_the_normal_interval_logged_once(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.faults.refuse_socket = True
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    coordinator = mock_config_entry.runtime_data
    for _ in range(3):
        await _fire(hass, RECONNECT_MAX)
    attempts = _reads(simulator, "/:/websockets/notifications")
    assert attempts >= 3
    assert not coordinator.push_connected
    assert coordinator.update_interval == SCAN_INTERVAL
    warnings = butler_records(caplog)
    assert len(warnings) == 1
    assert "no live updates" in warnings[0].getMessage()
    # Polling still follows the server.
    simulator.start_task("BackupDatabase")
    await _fire(hass, SCAN_INTERVAL)
    assert hass.states.get(RUNNING).state == STATE_ON


async def test_a_socket_refusing_the_token_says_so(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.faults.only_paths = frozenset({"/:/websockets/notifications"})
    simulator.faults.forbidden = True
    logged = asyncio.ensure_future(_wait_for_log("no live updates"))
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await logged
    await settle(hass)
    (warning,) = butler_records(caplog)
    assert "the token was refused" in warning.getMessage()
    assert warning.exc_info is None
    # The server takes the token for everything else: no reauthentication.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert hass.states.get(RUNNING).state == STATE_OFF


async def test_dropped_socket_reconnects_without_duplicate_listeners(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    coordinator = init_integration.runtime_data
    await wait_for_coordinator(coordinator, lambda: coordinator.push_connected)
    for _ in range(2):
        await simulator.drop_sockets()
        await wait_for_coordinator(coordinator, lambda: not coordinator.push_connected)
        # The refresh the closed socket asked for runs in the background.
        await settle(hass)
        await _fire(hass, RECONNECT_MAX)
        await wait_for_coordinator(coordinator, lambda: coordinator.push_connected)
        await settle(hass)
    assert len(simulator.sockets) == 1
    listeners = [t for t in hass._background_tasks if t.get_name() == LISTENER]
    assert len(listeners) == 1
    before = _reads(simulator, "/activities")
    simulator.start_task("BackupDatabase")
    await wait_for_state(hass, RUNNING, STATE_ON.__eq__)
    await settle(hass)
    assert _reads(simulator, "/activities") - before == 1


def _listeners(hass: HomeAssistant) -> list[asyncio.Task[object]]:
    return [t for t in hass._background_tasks if t.get_name() == LISTENER]


# aiohttp re-arms the heartbeat of a socket the client closes itself when
# the server's close reply comes in; the timer outlives the socket.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_a_bug_while_connected_ends_the_socket_not_push(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Anything the listening raises ends like a dropped socket: polled, then reconnected."""
    coordinator = init_integration.runtime_data
    await wait_for_coordinator(coordinator, lambda: coordinator.push_connected)
    await settle(hass)
    assert coordinator.update_interval == RESYNC_INTERVAL
    logged = asyncio.ensure_future(_wait_for_log("no live updates"))
    with patch(
        "custom_components.butler.plex.client.parse_notifications",
        side_effect=RuntimeError("a bug"),
    ):
        simulator.send_raw(ACTIVITY_UPDATED)
        await logged
    await settle(hass)
    assert not coordinator.push_connected
    assert coordinator.update_interval == SCAN_INTERVAL
    (record,) = butler_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)

    # While the socket cannot come back, a run is seen at the normal poll.
    simulator.faults.refuse_socket = True
    simulator.start_task("BackupDatabase")
    await _fire(hass, SCAN_INTERVAL)
    assert hass.states.get(RUNNING).state == STATE_ON

    simulator.faults.refuse_socket = False
    back = asyncio.ensure_future(_wait_for_log("live updates are back"))
    await _fire(hass, RECONNECT_MAX)
    await back
    assert coordinator.push_connected
    simulator.finish_all()
    await wait_for_state(hass, RUNNING, STATE_OFF.__eq__)
    await settle(hass)
    assert coordinator.update_interval == RESYNC_INTERVAL
    assert len(_listeners(hass)) == 1
    # One line for the whole spell, the refused retries included.
    assert len(butler_records(caplog)) == 1
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_a_bug_at_every_try_is_logged_once_and_tried_again(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch(
        "custom_components.butler.plex.client.PlexClient.async_listen",
        side_effect=RuntimeError("a bug"),
    ) as listen:
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await settle(hass)
        for _ in range(3):
            await _fire(hass, RECONNECT_MAX)
        assert listen.call_count == 4
    coordinator = mock_config_entry.runtime_data
    assert not coordinator.push_connected
    assert coordinator.update_interval == SCAN_INTERVAL
    assert hass.states.get(RUNNING).state == STATE_OFF
    (record,) = butler_records(caplog)
    assert record.exc_info is not None
    assert len(_listeners(hass)) == 1
    # Unloading still ends it.
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert not [t for t in hass._background_tasks if DOMAIN in t.get_name()]
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_a_read_on_a_notification_leaves_the_next_poll_in_place(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A server busy with a run still has its task list resynced every five minutes."""

    async def _tick(delta: timedelta) -> None:
        freezer.tick(delta)
        async_fire_time_changed(hass)
        await settle(hass)

    # Minutes pass on the frozen clock: no heartbeat may fall due meanwhile.
    with patch("custom_components.butler.websocket.HEARTBEAT", 3600):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        coordinator = mock_config_entry.runtime_data
        await wait_for_coordinator(coordinator, lambda: coordinator.push_connected)
    await settle(hass)
    # The poll set at setup; the next comes five minutes after it.
    await _tick(SCAN_INTERVAL)
    polls = _reads(simulator, "/butler")
    await _tick(RESYNC_INTERVAL - timedelta(minutes=1))
    assert _reads(simulator, "/butler") == polls
    simulator.start_task("BackupDatabase")
    await wait_for_state(hass, RUNNING, STATE_ON.__eq__)
    await settle(hass)
    assert _reads(simulator, "/butler") == polls
    await _tick(timedelta(minutes=1, seconds=1))
    assert _reads(simulator, "/butler") == polls + 1


async def test_server_gone_is_unavailable_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await simulator.wait_for_sockets(1)
    await settle(hass)
    await simulator.go_down()
    # No poll is due: the closed socket and one request show it.
    await wait_for_state(hass, RUNNING, STATE_UNAVAILABLE.__eq__)
    await settle(hass)
    # One line for the outage, none for the socket.
    assert len(butler_records(caplog)) == 1
    await simulator.go_up()
    await _fire(hass, RECONNECT_MAX)
    await simulator.wait_for_sockets(1)
    await wait_for_state(hass, RUNNING, STATE_OFF.__eq__)


async def test_silent_socket_is_closed_by_the_heartbeat(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlexSimulator
) -> None:
    # A short heartbeat, on the real clock: the ping goes out, no pong comes
    # back, and the client gives up on the socket.
    with patch("custom_components.butler.websocket.HEARTBEAT", 0.2):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        coordinator = mock_config_entry.runtime_data
        await wait_for_coordinator(coordinator, lambda: coordinator.push_connected)
        simulator.faults.silent_socket = True
        await wait_for_coordinator(coordinator, lambda: not coordinator.push_connected)
    assert simulator.traffic.pings >= 1
    assert coordinator.update_interval == SCAN_INTERVAL
    assert hass.states.get(RUNNING).state == STATE_OFF


async def test_unload_closes_the_socket_and_leaves_no_task(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    async with asyncio.timeout(1):
        await simulator.wait_for_sockets(0)
    assert not [t for t in hass._background_tasks if DOMAIN in t.get_name()]


async def test_events_fire_once_each(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    fired: list[tuple[str, dict[str, object]]] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None and state.state not in (
            "unknown",
            STATE_UNAVAILABLE,
        ):
            attributes = dict(state.attributes)
            fired.append((attributes.pop("event_type"), attributes))

    async_track_state_change_event(hass, EVENTS, _record)
    await hass.services.async_call(
        "button", "press", {"entity_id": BACKUP}, blocking=True
    )
    simulator.finish_all()
    await wait_for_state(hass, RUNNING, STATE_OFF.__eq__)
    await settle(hass)
    assert [event_type for event_type, _ in fired] == [
        "task_started",
        "butler_started",
        "butler_finished",
    ]
    task_started, butler_started, butler_finished = (a for _, a in fired)
    assert task_started["task"] == "BackupDatabase"
    assert task_started["task_name"] == "Backup Database"
    assert task_started["description"].startswith("Create a backup copy")
    assert butler_started["task"] == "BackupDatabase"
    assert butler_finished["subtitle"] == "Backup Database"
    # The last event is the entity's state, kept across restarts.
    assert hass.states.get(EVENTS).attributes["event_type"] == "butler_finished"


async def test_event_types_are_translated(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    strings = await translation.async_get_translations(hass, "en", "entity", {DOMAIN})
    prefix = f"component.{DOMAIN}.entity.event.butler.state_attributes.event_type.state"
    assert strings[f"{prefix}.butler_started"] == "Butler started"
    assert strings[f"{prefix}.butler_finished"] == "Butler finished"
    assert strings[f"{prefix}.task_started"] == "Task started"
    assert strings[f"{prefix}.database_backed_up"] == "Database backed up"
    assert strings[f"{prefix}.database_corrupted"] == "Database corrupted"
    state = hass.states.get(EVENTS)
    assert state.attributes["event_types"] == [
        "butler_started",
        "butler_finished",
        "task_started",
        "database_backed_up",
        "database_corrupted",
    ]


async def test_settings_are_not_read_on_a_plain_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await simulator.wait_for_sockets(1)
    await settle(hass)
    coordinator = init_integration.runtime_data
    reads = _reads(simulator, "/:/prefs")
    assert reads == 1
    for _ in range(3):
        await coordinator.async_refresh()
    await hass.services.async_call(
        "button", "press", {"entity_id": BACKUP}, blocking=True
    )
    assert _reads(simulator, "/:/prefs") == reads
    # After Home Assistant writes a setting, they are read again.
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.plex_server_back_up_database_schedule"},
        blocking=True,
    )
    assert _reads(simulator, "/:/prefs") == reads + 1
    # When the task list changes.
    simulator.add_task("GenerateBlurHashes")
    await coordinator.async_refresh()
    assert _reads(simulator, "/:/prefs") == reads + 2
    # And when they are due, at the next resync.
    await _fire(hass, SETTINGS_INTERVAL)
    await _fire(hass, RESYNC_INTERVAL)
    assert _reads(simulator, "/:/prefs") == reads + 3


async def test_an_automation_hears_the_butler_finish(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Plex maintenance done",
                "triggers": [
                    {
                        "trigger": "event.received",
                        "target": {"entity_id": EVENTS},
                        "options": {"event_type": ["butler_finished"]},
                    }
                ],
                "actions": [{"event": "plex_done"}],
            }
        },
    )
    heard = async_capture_events(hass, "plex_done")
    for _ in range(2):
        simulator.start_task("BackupDatabase")
        await wait_for_state(hass, RUNNING, STATE_ON.__eq__)
        simulator.finish_all()
        await wait_for_state(hass, RUNNING, STATE_OFF.__eq__)
        await settle(hass)
    # Each finish, even the same event type twice in a row.
    assert len(heard) == 2
