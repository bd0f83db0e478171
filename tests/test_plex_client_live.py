"""The Plex client against the simulator, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.butler.plex import (
    ActivityEvent,
    ActivityNotification,
    PlexAuthenticationError,
    PlexClient,
    PlexConnectionClosedError,
    PlexConnectionError,
    PlexIdentity,
    PlexResponseError,
    PlexSettingRefusedError,
    PlexTaskNotFoundError,
    StartResult,
    StopResult,
)
from custom_components.butler.plex.client import MAX_FRAME_BYTES
from plexsim import PlexSimulator

TOKEN = "live-token"


@pytest.fixture(params=["json", "xml"])
async def sim(
    socket_enabled: None, request: pytest.FixtureRequest
) -> AsyncIterator[PlexSimulator]:
    """A server that answers JSON when asked, or one that only speaks XML."""
    simulator = PlexSimulator(
        token=TOKEN, json_support=request.param == "json", task_duration=600
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def _client(
    session: aiohttp.ClientSession,
    sim: PlexSimulator,
    token: str = TOKEN,
    timeout: float = 5,
) -> PlexClient:
    return PlexClient(
        session,
        "127.0.0.1",
        port=sim.port,
        token=token,
        identity=PlexIdentity("live-test", "Butler for Plex", "0.1.0"),
        request_timeout=timeout,
    )


async def test_reads_everything(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    client = _client(session, sim)
    identity = await client.async_get_identity()
    info = await client.async_get_server_info()
    assert (
        identity.machine_identifier == info.machine_identifier == sim.machine_identifier
    )
    assert info.friendly_name == "Plex Server"
    tasks = await client.async_get_tasks()
    assert [t.name for t in tasks] == list(sim.tasks)
    backup = next(t for t in tasks if t.name == "BackupDatabase")
    assert (backup.title, backup.interval_days, backup.enabled) == (
        "Backup Database",
        3,
        True,
    )
    assert await client.async_get_activities() == []
    settings = await client.async_get_settings()
    assert settings["ButlerTaskBackupDatabase"].is_on
    assert settings["ButlerStartHour"].value == "2"


async def test_commands(session: aiohttp.ClientSession, sim: PlexSimulator) -> None:
    client = _client(session, sim)
    assert await client.async_start_task("BackupDatabase") is StartResult.STARTED
    assert (
        await client.async_start_task("BackupDatabase") is StartResult.ALREADY_RUNNING
    )
    (activity,) = await client.async_get_activities()
    assert activity.is_butler
    assert await client.async_stop_task("BackupDatabase") is StopResult.STOPPED
    assert await client.async_stop_task("BackupDatabase") is StopResult.NOT_RUNNING
    with pytest.raises(PlexTaskNotFoundError):
        await client.async_start_task("MakeCoffee")
    await client.async_start_all()
    assert sim.running
    await client.async_stop_all()
    assert not sim.running
    await client.async_set_setting("ButlerTaskOptimizeDatabase", False)
    assert not next(
        t for t in await client.async_get_tasks() if t.name == "OptimizeDatabase"
    ).enabled


async def test_commands_answer_empty_html(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    """Plex calls its empty command answers and its error pages text/html."""
    headers = {"X-Plex-Token": TOKEN}
    async with session.post(
        f"http://127.0.0.1:{sim.port}/butler", headers=headers
    ) as response:
        assert (response.status, response.content_type) == (200, "text/html")
        assert await response.read() == b""
    async with session.post(
        f"http://127.0.0.1:{sim.port}/butler/MakeCoffee", headers=headers
    ) as response:
        assert (response.status, response.content_type) == (404, "text/html")
        assert "<h1>404 Not Found</h1>" in await response.text()
    # The client reads the empty HTML as success, and the error page as failure.
    await _client(session, sim).async_stop_all()
    with pytest.raises(PlexResponseError, match="answered 400"):
        await _client(session, sim).async_set_setting(
            "ButlerTaskOptimizeDatabase", "perhaps"
        )


async def test_a_setting_the_server_lacks(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    """Plex answers 403 for it, as for a refused token; one small read tells which."""
    client = _client(session, sim)
    with pytest.raises(PlexSettingRefusedError) as err:
        await client.async_set_setting("NoSuchSetting", True)
    assert err.value.setting == "NoSuchSetting"
    assert [(r.method, r.path) for r in sim.requests] == [
        ("PUT", "/:/prefs"),
        ("GET", "/"),
    ]
    # When the server refuses the read as well, it is the token.
    sim.faults.forbidden = True
    with pytest.raises(PlexAuthenticationError):
        await client.async_set_setting("ButlerStartHour", 3)
    assert len(sim.requests) == 4


async def test_odd_task_names_are_one_path_segment(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    sim.add_task("Tidy Posters & Art?")
    client = _client(session, sim)
    assert await client.async_start_task("Tidy Posters & Art?") is StartResult.STARTED
    assert "Tidy Posters & Art?" in sim.running


async def test_token_only_in_the_header(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    client = _client(session, sim)
    await client.async_get_identity()
    await client.async_get_tasks()
    await client.async_set_setting("ButlerStartHour", 3)
    identity, tasks, prefs = sim.requests
    assert "X-Plex-Token" not in identity.headers
    for request in (tasks, prefs):
        assert request.headers["X-Plex-Token"] == TOKEN
        assert "X-Plex-Token" not in request.query
        assert request.headers["X-Plex-Client-Identifier"] == "live-test"
        assert request.headers["X-Plex-Product"] == "Butler for Plex"
    assert prefs.query == {"ButlerStartHour": "3"}


async def test_wrong_token(session: aiohttp.ClientSession, sim: PlexSimulator) -> None:
    client = _client(session, sim, token="wrong")
    await client.async_get_identity()  # needs no token
    with pytest.raises(PlexAuthenticationError) as err:
        await client.async_get_tasks()
    assert "wrong" not in str(err.value)


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("server_error", PlexConnectionError, "answered 500"),
        ("html", PlexResponseError, "HTML page"),
        ("malformed", PlexResponseError, "malformed"),
    ],
)
async def test_faults(
    session: aiohttp.ClientSession,
    sim: PlexSimulator,
    fault: str,
    error: type[Exception],
    message: str,
) -> None:
    setattr(sim.faults, fault, True)
    with pytest.raises(error, match=message) as err:
        await _client(session, sim).async_get_tasks()
    assert TOKEN not in str(err.value)


async def test_down_and_slow(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    sim.faults.slow = True
    with pytest.raises(PlexConnectionError, match="timed out"):
        await _client(session, sim, timeout=0.05).async_get_identity()
    sim.faults.slow = False
    await sim.go_down()
    with pytest.raises(PlexConnectionError, match="failed"):
        await _client(session, sim).async_get_identity()


async def _listen(
    client: PlexClient,
) -> tuple[asyncio.Task[None], asyncio.Queue[ActivityNotification]]:
    """Follow the socket in a task, once it is open; returns it and what arrives."""
    received: asyncio.Queue[ActivityNotification] = asyncio.Queue()
    connected = asyncio.Event()
    task = asyncio.create_task(
        client.async_listen(received.put_nowait, on_connected=connected.set)
    )
    async with asyncio.timeout(2):
        await connected.wait()
    return task, received


async def test_notifications_arrive_typed(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    client = _client(session, sim)
    task, received = await _listen(client)
    await sim.wait_for_sockets(1)
    sim.start_task("BackupDatabase")
    sim.finish_all()
    # The server also sends a timeline notification, which is skipped;
    # garbage in between is skipped too.
    sim.send_raw("garbage")
    sim.stop_all()
    sim.start_task("OptimizeDatabase")
    async with asyncio.timeout(2):
        arrived = [await received.get() for _ in range(3)]
    assert [n.event for n in arrived] == [
        ActivityEvent.STARTED,
        ActivityEvent.ENDED,
        ActivityEvent.STARTED,
    ]
    started = arrived[0]
    assert started.activity is not None
    assert started.activity.is_butler
    assert started.activity.subtitle == "Backup Database"
    assert started.uuid == started.activity.uuid
    await sim.drop_sockets()
    with pytest.raises(PlexConnectionClosedError, match="closed"):
        await task


async def test_socket_refused_or_token_refused(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    sim.faults.refuse_socket = True
    with pytest.raises(PlexConnectionError, match="refused \\(404\\)"):
        await _client(session, sim).async_listen(lambda _: None)
    sim.faults.refuse_socket = False
    with pytest.raises(PlexAuthenticationError) as err:
        await _client(session, sim, token="wrong").async_listen(lambda _: None)
    assert "wrong" not in str(err.value)


async def test_socket_down_or_slow(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    sim.faults.slow = True
    with pytest.raises(PlexConnectionError, match="timed out"):
        await _client(session, sim, timeout=0.2).async_listen(lambda _: None)
    sim.faults.slow = False
    await sim.go_down()
    with pytest.raises(PlexConnectionError, match="ClientConnectorError"):
        await _client(session, sim).async_listen(lambda _: None)


async def test_oversized_frame_breaks_the_socket(
    session: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    task, _ = await _listen(_client(session, sim))
    await sim.wait_for_sockets(1)
    sim.send_raw("x" * (MAX_FRAME_BYTES + 1))
    with pytest.raises(PlexConnectionClosedError, match="broke"):
        async with asyncio.timeout(2):
            await task
