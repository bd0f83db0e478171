"""Benchmarks of the live butler, through Home Assistant against the simulator.

Not part of the test suite (the file name keeps pytest from collecting it);
`scripts/bench traffic` and `scripts/bench latency` run it and print figures.

Traffic: an idle hour per server, with the integration's intervals scaled
down (60 times with push, a minute of real time; 15 times without, since
Home Assistant schedules polls on whole seconds and a 30 s interval must
stay above 2 s), counted at the simulator: every HTTP
request with its request line, headers and body both ways, and every
websocket frame Home Assistant sends (heartbeat pings) or asks for (pongs).
Notifications the server pushes on its own are reported apart.

Latency: from the simulator starting or ending a task to the butler-running
sensor changing in Home Assistant, on the loop's clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import timedelta
from statistics import median
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler import const
from custom_components.butler.plex import HEARTBEAT
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from plexsim import PlexSimulator
from plexsim.simulator import Traffic

RUNNING = "binary_sensor.plex_server_butler_running"
# How much faster than real time the idle hour runs, with and without push.
HOUR_SCALE = {"push": 60, "push refused": 15}
CHANGES = 12


@contextmanager
def _scaled(factor: float) -> Iterator[None]:
    """Every interval of the integration divided by `factor`."""
    intervals = {
        "SCAN_INTERVAL": const.SCAN_INTERVAL,
        "RESYNC_INTERVAL": const.RESYNC_INTERVAL,
        "SETTINGS_INTERVAL": const.SETTINGS_INTERVAL,
        "RECONNECT_MIN": const.RECONNECT_MIN,
        "RECONNECT_MAX": const.RECONNECT_MAX,
    }
    with ExitStack() as stack:
        for module in ("coordinator", "schedule", "websocket"):
            for name, value in intervals.items():
                target = f"custom_components.butler.{module}.{name}"
                stack.enter_context(patch(target, value / factor, create=True))
        stack.enter_context(
            patch("custom_components.butler.websocket.HEARTBEAT", HEARTBEAT / factor)
        )
        yield


def _since(before: Traffic, after: Traffic) -> Traffic:
    start = asdict(before)
    return Traffic(**{k: v - start[k] for k, v in asdict(after).items()})


@pytest.fixture
def push() -> bool:
    return True


@pytest.mark.parametrize("socket", ["push", "push refused"])
async def test_idle_hour_traffic(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    socket: str,
) -> None:
    simulator.faults.refuse_socket = socket == "push refused"
    scale = HOUR_SCALE[socket]
    with _scaled(scale):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        before = Traffic(**asdict(simulator.traffic))
        # An hour, scaled down: real time passes, nothing is slept on but
        # the hour itself.
        await asyncio.sleep(3600 / scale)
        spent = _since(before, simulator.traffic)
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    sent_or_asked = (
        spent.bytes_received
        + spent.bytes_sent
        + spent.socket_bytes_received
        + spent.socket_bytes_sent
    )
    print(
        f"\nidle traffic per server, {socket}: {spent.requests / 60:.2f} HTTP requests "
        f"and {sent_or_asked / 60 / 1000:.2f} KB per minute, averaged over an hour "
        f"({spent.requests} requests, {sent_or_asked / 1000:.1f} KB, "
        f"{spent.pings} heartbeats; pushed by the server on its own: "
        f"{spent.notifications} notifications, {spent.notification_bytes} bytes)"
    )


async def _latencies(hass: HomeAssistant, simulator: PlexSimulator) -> list[float]:
    """Start and end tasks on the server; how long until Home Assistant shows each."""
    loop = asyncio.get_running_loop()
    changed: asyncio.Queue[float] = asyncio.Queue()

    @callback
    def _seen(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if old and new and old.state != new.state:
            changed.put_nowait(loop.time())

    unsubscribe = async_track_state_change_event(hass, RUNNING, _seen)
    delays = []
    for n in range(CHANGES):
        # Changes land anywhere in a polling interval, as in real life.
        await asyncio.sleep(0.37 * (n % 4))
        happened = loop.time()
        if n % 2 == 0:
            simulator.start_task("BackupDatabase")
        else:
            simulator.finish_all()
        async with asyncio.timeout(120):
            delays.append(await changed.get() - happened)
    unsubscribe()
    return delays


async def test_latency_with_push(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.wait_for_sockets(1)
    delays = await _latencies(hass, simulator)
    print(
        f"\nstate change in Home Assistant after the server's, push: "
        f"median {median(delays) * 1000:.0f} ms, worst {max(delays) * 1000:.0f} ms "
        f"over {len(delays)} starts and ends"
    )


async def test_latency_with_polling(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlexSimulator
) -> None:
    # The 30 s interval scaled down 10 times; the figures are scaled back.
    scale = 10
    simulator.faults.refuse_socket = True
    with _scaled(scale):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        delays = [d * scale for d in await _latencies(hass, simulator)]
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    interval = const.SCAN_INTERVAL / timedelta(seconds=1)
    print(
        f"\nstate change in Home Assistant after the server's, polling every "
        f"{interval:.0f} s: median {median(delays):.1f} s, worst {max(delays):.1f} s "
        f"over {len(delays)} starts and ends"
    )


@pytest.mark.parametrize("notifications", ["a run pushing progress", "an idle server"])
async def test_recovery_with_the_socket_up(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    notifications: str,
) -> None:
    """Truncated answers for 15 s while the socket stays open, then good ones again.

    Real time throughout, real intervals: how long after the server answers
    properly Home Assistant shows it available. While a run pushes its
    progress (every second) the next notification shows it; an idle server
    is found back by the normal 30 s poll.
    """
    loop = asyncio.get_running_loop()
    await simulator.wait_for_sockets(1)
    await hass.async_block_till_done()
    states: asyncio.Queue[tuple[float, str]] = asyncio.Queue()

    @callback
    def _seen(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            states.put_nowait((loop.time(), new.state))

    unsubscribe = async_track_state_change_event(hass, RUNNING, _seen)
    simulator.faults.only_paths = frozenset({"/", "/butler", "/activities", "/:/prefs"})
    simulator.faults.truncated = True
    simulator.start_task("BackupDatabase")
    if notifications == "an idle server":
        # The run's start is the last notification; nothing else is pushed.
        simulator.progress_interval = 3600
    while (await states.get())[1] != "unavailable":
        pass
    await asyncio.sleep(15)
    assert len(simulator.sockets) == 1
    simulator.faults.truncated = False
    fixed = loop.time()
    async with asyncio.timeout(60):
        while (seen := await states.get())[1] == "unavailable":
            pass
    unsubscribe()
    print(
        f"\nrecovery with the socket up, {notifications}: available "
        f"{seen[0] - fixed:.1f} s after the server answered properly again "
        f"(15 s of truncated answers before)"
    )
