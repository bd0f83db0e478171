"""Benchmark: a notification storm against Home Assistant, on the real clock.

Not part of the test suite (the file name keeps pytest from collecting it);
`scripts/bench storm` runs it and prints one line.

The simulator runs as its own process, as a real server would, so the
event loop measured is Home Assistant's alone. It starts a run and pushes
its progress 2,000 times a second for 5 seconds (a library scan on a busy
server sends this fast), then ends the run. Measured in Home Assistant:
how many times it read `/activities` and how close two reads came, the
event loop's worst delay during the storm, and how long after the storm's
last notification the butler-running sensor showed the run's end. Both
processes read the same monotonic clock. The server's memory may write
the run once (it began and ended), never per notification: the writes of
its store from the storm's start to the entry's unload are counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import ExitStack
from itertools import pairwise
import os
import secrets
import socket
import sys
from typing import Any
from unittest.mock import patch

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
    STATE_OFF,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.storage import Store
from plexsim.simulator import STORM_PATH

from .conftest import LoopLag, activity_reads, wait_for_coordinator

RUNNING = "binary_sensor.plex_server_butler_running"
RATE = 2000
SECONDS = 5.0


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[tuple[int, str]]:
    """The simulator in a process of its own: its port and token."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    token = secrets.token_urlsafe(16)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "plexsim",
        "--port",
        str(port),
        "--task-duration",
        "600",
        env={**os.environ, "PLEXSIM_TOKEN": token},
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/identity"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        yield port, token
    finally:
        process.terminate()
        await process.wait()


async def test_notification_storm(hass: HomeAssistant, server: tuple[int, str]) -> None:
    port, token = server
    stack = ExitStack()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Plex Server",
        data={
            CONF_HOST: "127.0.0.1",
            CONF_PORT: port,
            CONF_SSL: False,
            CONF_VERIFY_SSL: True,
            CONF_TOKEN: token,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data
    # The socket's first read, once it is open, updates the coordinator.
    await wait_for_coordinator(coordinator, lambda: coordinator.push_connected, 10)
    loop = asyncio.get_running_loop()
    reads = stack.enter_context(activity_reads(coordinator))
    ended = loop.create_future()

    @callback
    def _seen(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == STATE_OFF and not ended.done():
            ended.set_result(loop.time())

    unsubscribe = async_track_state_change_event(hass, RUNNING, _seen)
    writes: list[str] = []
    write = Store._async_write_data

    async def _counted(store: Store[Any], data: dict[str, Any]) -> None:
        writes.append(store.key)
        await write(store, data)

    stack.enter_context(patch.object(Store, "_async_write_data", _counted))
    async with aiohttp.ClientSession() as session:
        with LoopLag() as lag:
            async with session.post(
                f"http://127.0.0.1:{port}{STORM_PATH}",
                params={"rate": str(RATE), "seconds": str(SECONDS)},
                headers={"X-Plex-Token": token},
            ) as response:
                storm = await response.json()
        async with asyncio.timeout(10):
            shown = await ended
    unsubscribe()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stack.close()
    memory_writes = writes.count(f"{DOMAIN}.{entry.entry_id}")
    assert memory_writes <= 1
    first, last, sent = storm["first"], storm["last"], storm["sent"]
    during = [at for at in reads if at >= first]
    closest = min(b - a for a, b in pairwise(during))
    print(
        f"\nnotification storm, {sent} notifications in {last - first:.1f} s "
        f"({sent / (last - first):.0f} a second): {len(during)} reads of /activities "
        f"(closest two {closest * 1000:.0f} ms apart), event loop's worst delay "
        f"{lag.worst * 1000:.0f} ms, the run's end shown {(shown - last) * 1000:.0f} ms "
        f"after the last notification, {memory_writes} write of the server's memory"
    )
