"""The simulator behaves as the Plex API doc says, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
import json
import socket
import subprocess
import sys
from typing import Any
from xml.etree import ElementTree

import aiohttp
from aiohttp import web
import pytest

from plexsim import PlexSimulator, SimTask
from plexsim.simulator import UNAUTHORIZED_HTML

TOKEN = "sim-token"
AUTH = {"X-Plex-Token": TOKEN}
JSON = {**AUTH, "Accept": "application/json"}


class Clock:
    """A settable clock for the maintenance-window rules."""

    def __init__(self, when: datetime) -> None:
        self.when = when

    def __call__(self) -> datetime:
        return self.when


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 12, 0))


@pytest.fixture
async def sim(socket_enabled: None, clock: Clock) -> AsyncIterator[PlexSimulator]:
    simulator = PlexSimulator(
        token=TOKEN, shared_token="shared", now=clock, task_duration=600
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def http(sim: PlexSimulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(f"http://127.0.0.1:{sim.port}") as session:
        yield session


async def _xml(http: aiohttp.ClientSession, path: str) -> ElementTree.Element:
    async with http.get(path, headers=AUTH) as response:
        assert response.status == 200
        assert response.content_type == "text/xml"
        return ElementTree.fromstring(await response.text())


async def _json(http: aiohttp.ClientSession, path: str) -> Any:
    async with http.get(path, headers=JSON) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        return json.loads(await response.text())


async def test_identity_needs_no_token(
    http: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    async with http.get("/identity") as response:
        root = ElementTree.fromstring(await response.text())
    assert root.tag == "MediaContainer"
    assert root.attrib["machineIdentifier"] == sim.machine_identifier
    assert root.attrib["claimed"] == "1"


async def test_root_in_both_formats(http: aiohttp.ClientSession) -> None:
    assert (await _xml(http, "/")).attrib["friendlyName"] == "Plex Server"
    assert (await _json(http, "/"))["MediaContainer"]["friendlyName"] == "Plex Server"


async def test_task_list_is_the_real_one(http: aiohttp.ClientSession) -> None:
    root = await _xml(http, "/butler")
    assert root.tag == "ButlerTasks"
    tasks = {t.attrib["name"]: t.attrib for t in root}
    assert len(tasks) == 23
    assert tasks["BackupDatabase"]["title"] == "Backup Database"
    assert "title" not in tasks["OptimizeDatabase"]
    assert tasks["DeepMediaAnalysis"]["enabled"] == "0"
    assert tasks["DeepMediaAnalysis"]["scheduleRandomized"] == "1"

    body = await _json(http, "/butler")
    items = body["ButlerTasks"]["ButlerTask"]
    assert items[1] == {
        "name": "BackupDatabase",
        "interval": 3,
        "scheduleRandomized": False,
        "enabled": True,
        "title": "Backup Database",
        "description": "Create a backup copy of the server's database in the configured backup directory",
    }


@pytest.mark.parametrize("path", ["/", "/butler", "/activities", "/:/prefs"])
async def test_token_required(http: aiohttp.ClientSession, path: str) -> None:
    async with http.get(path, headers={"X-Plex-Token": "wrong"}) as response:
        assert response.status == 401
        assert response.content_type == "text/html"
        assert await response.text() == UNAUTHORIZED_HTML
    async with http.get(path, params={"X-Plex-Token": TOKEN}) as response:
        assert response.status == 200


async def test_shared_token_reads_root_only(http: aiohttp.ClientSession) -> None:
    async with http.get("/", headers={"X-Plex-Token": "shared"}) as response:
        assert response.status == 200
    async with http.get("/butler", headers={"X-Plex-Token": "shared"}) as response:
        assert response.status == 401


async def test_task_runs_then_finishes(
    http: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    async with http.post("/butler/BackupDatabase", headers=AUTH) as response:
        assert response.status == 200
    async with http.post("/butler/BackupDatabase", headers=AUTH) as response:
        assert response.status == 202
    async with http.post("/butler/NoSuchTask", headers=AUTH) as response:
        assert response.status == 404

    (activity,) = (await _json(http, "/activities"))["MediaContainer"]["Activity"]
    assert activity["type"] == "butler"
    assert activity["title"] == "Butler tasks"
    assert activity["subtitle"] == "Backup Database"
    assert (await _xml(http, "/activities")).attrib["size"] == "1"

    sim.finish_task("BackupDatabase")
    assert (await _xml(http, "/activities")).attrib["size"] == "0"


async def test_task_finishes_by_itself(socket_enabled: None) -> None:
    sim = PlexSimulator(token=TOKEN, task_duration=0)
    await sim.start()
    try:
        assert sim.start_task("OptimizeDatabase")
        # A zero duration finishes on the loop's next turn, with no clock involved.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert not sim.running
    finally:
        await sim.stop()


async def test_stop_one_and_all(
    http: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    async with http.delete("/butler/OptimizeDatabase", headers=AUTH) as response:
        assert response.status == 404
    sim.start_task("OptimizeDatabase")
    sim.start_task("CleanOldBundles")
    async with http.delete("/butler/OptimizeDatabase", headers=AUTH) as response:
        assert response.status == 200
    assert set(sim.running) == {"CleanOldBundles"}
    async with http.delete("/butler", headers=AUTH) as response:
        assert response.status == 200
    assert not sim.running
    assert not sim.queued


async def test_start_all_outside_the_window(
    http: aiohttp.ClientSession, sim: PlexSimulator, clock: Clock
) -> None:
    clock.when = datetime(2026, 11, 24, 12, 0)
    sim.tasks["OptimizeDatabase"].last_run = date(2026, 11, 22)  # every 7 days: not due
    async with http.post("/butler", headers=AUTH) as response:
        assert response.status == 200
    enabled_due = {
        t.name for t in sim.tasks.values() if t.enabled and t.name != "OptimizeDatabase"
    }
    # Outside the window, randomised tasks start now too.
    assert set(sim.running) == enabled_due
    assert "DeepMediaAnalysis" not in sim.running  # disabled
    assert not sim.queued


async def test_start_all_inside_the_window_queues_randomised_tasks(
    http: aiohttp.ClientSession, sim: PlexSimulator, clock: Clock
) -> None:
    clock.when = datetime(2026, 11, 24, 3, 0)
    async with http.post("/butler", headers=AUTH) as response:
        assert response.status == 200
    assert "GenerateChapterThumbs" in sim.queued
    assert "GenerateChapterThumbs" not in sim.running
    assert "BackupDatabase" in sim.running
    sim.stop_all()


async def test_window_across_midnight(socket_enabled: None) -> None:
    clock = Clock(datetime(2026, 11, 24, 23, 30))
    sim = PlexSimulator(token=TOKEN, window=(22, 4), now=clock)
    assert sim._inside_window(23)
    assert sim._inside_window(1)
    assert not sim._inside_window(12)
    assert sim._seconds_left_in_window(clock()) == 4.5 * 3600


async def test_prefs_and_schedule_settings(
    http: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    settings = {s.attrib["id"]: s.attrib for s in await _xml(http, "/:/prefs")}
    assert settings["ButlerTaskBackupDatabase"]["value"] == "1"
    assert settings["ButlerTaskDeepMediaAnalysis"]["value"] == "0"
    assert settings["ButlerStartHour"]["value"] == "2"
    assert "ButlerTaskButlerTaskGenerateIntroMarkers" not in settings
    body = await _json(http, "/:/prefs")
    typed = {s["id"]: s["value"] for s in body["MediaContainer"]["Setting"]}
    assert typed["ButlerTaskBackupDatabase"] is True
    assert typed["ButlerEndHour"] == 5

    async with http.put(
        "/:/prefs", params={"ButlerTaskBackupDatabase": "false"}, headers=AUTH
    ) as r:
        assert r.status == 200
    assert sim.tasks["BackupDatabase"].enabled is False
    assert sim.settings["ButlerTaskBackupDatabase"] == "0"
    async with http.put("/:/prefs", params={"ButlerStartHour": "1"}, headers=AUTH) as r:
        assert r.status == 200
    assert sim.settings["ButlerStartHour"] == "1"
    # A setting the server lacks is 403, as the Plex API's OpenAPI
    # description says; every error is a small HTML page.
    for bad, status in (
        ({"Nope": "1"}, 403),
        ({"ButlerTaskBackupDatabase": "perhaps"}, 400),
        ({}, 400),
    ):
        async with http.put("/:/prefs", params=bad, headers=AUTH) as r:
            assert (r.status, r.content_type) == (status, "text/html")
            assert f"<h1>{status} " in await r.text()


async def test_request_log(http: aiohttp.ClientSession, sim: PlexSimulator) -> None:
    await _json(http, "/butler")
    last = sim.requests[-1]
    assert (last.method, last.path, last.headers["X-Plex-Token"]) == (
        "GET",
        "/butler",
        TOKEN,
    )


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_faults(
    http: aiohttp.ClientSession, sim: PlexSimulator, fmt: str
) -> None:
    headers = JSON if fmt == "json" else AUTH
    sim.faults.server_error = True
    async with http.get("/butler", headers=headers) as response:
        assert response.status == 500
    sim.faults.server_error = False

    sim.faults.html = True
    async with http.get("/identity", headers=headers) as response:
        assert response.status == 200
        assert (await response.text()).startswith("<!DOCTYPE html>")
    sim.faults.html = False

    sim.faults.malformed = True
    async with http.get("/butler", headers=headers) as response:
        text = await response.text()
    with pytest.raises((ElementTree.ParseError, ValueError)):
        json.loads(text) if fmt == "json" else ElementTree.fromstring(text)
    sim.faults.malformed = False


async def test_slow_then_released(
    http: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    sim.faults.slow = True
    request = asyncio.ensure_future(http.get("/identity"))
    await asyncio.sleep(0)
    assert not request.done()
    sim.faults.slow = False
    async with await request as response:
        assert response.status == 200


async def test_down_and_up_on_the_same_port(
    http: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    port = sim.port
    await sim.go_down()
    with pytest.raises(aiohttp.ClientConnectionError):
        await http.get("/identity")
    await sim.go_up()
    assert sim.port == port
    async with http.get("/identity") as response:
        assert response.status == 200


async def test_task_list_changes(
    http: aiohttp.ClientSession, sim: PlexSimulator
) -> None:
    sim.add_task("GenerateBlurHashes", interval=1)
    sim.start_task("RefreshLibraries")
    sim.remove_task("RefreshLibraries")
    names = [t.attrib["name"] for t in await _xml(http, "/butler")]
    assert "GenerateBlurHashes" in names
    assert "RefreshLibraries" not in names
    assert "RefreshLibraries" not in sim.running


def test_custom_task_list() -> None:
    sim = PlexSimulator(token=TOKEN, tasks=[SimTask("Only", 2)])
    assert list(sim.tasks) == ["Only"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _plexsim(port: int, token: str, *more: str) -> list[str]:
    """The simulator's command line."""
    return [
        sys.executable,
        "-m",
        "plexsim",
        "--port",
        str(port),
        "--token",
        token,
        *more,
    ]


def test_command_line(socket_enabled: None) -> None:
    port = _free_port()
    process = subprocess.Popen(
        _plexsim(
            port,
            "cli-token",
            "--window",
            "1-3",
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == f"Plex simulator listening on http://127.0.0.1:{port}"
        assert "cli-token" not in line
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET /identity HTTP/1.0\r\nHost: x\r\n\r\n")
            answer = b"".join(iter(lambda: conn.recv(4096), b""))
        assert b"machineIdentifier" in answer
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


async def test_prefs_weigh_what_a_real_servers_do(http: aiohttp.ClientSession) -> None:
    async with http.get("/:/prefs", headers=JSON) as response:
        body = await response.read()
    settings = json.loads(body)["MediaContainer"]["Setting"]
    assert 60_000 <= len(body) <= 90_000
    assert 130 <= len(settings) <= 210
    by_id = {s["id"]: s for s in settings}
    assert by_id["ButlerStartHour"]["enumValues"].startswith("0:Midnight|1:1 am")
    assert by_id["GenerateBIFBehavior"]["enumValues"] == (
        "0:never|1:as a scheduled task|2:as soon as possible"
    )


async def test_notification_socket(sim: PlexSimulator) -> None:
    sim.progress_interval = 0.05
    async with (
        aiohttp.ClientSession(f"http://127.0.0.1:{sim.port}") as http,
        http.ws_connect("/:/websockets/notifications", headers=AUTH) as websocket,
    ):
        await sim.wait_for_sockets(1)
        sim.task_duration = 0.5
        sim.start_task("BackupDatabase")
        containers = []
        async with asyncio.timeout(2):
            async for message in websocket:
                container = json.loads(message.data)["NotificationContainer"]
                containers.append(container)
                if container["type"] == "activity" and (
                    container["ActivityNotification"][0]["event"] == "ended"
                ):
                    break
        activity = [c for c in containers if c["type"] == "activity"]
        events = [c["ActivityNotification"][0]["event"] for c in activity]
        assert events[0] == "started"
        assert events[-1] == "ended"
        assert "updated" in events
        progress = [
            c["ActivityNotification"][0]["Activity"]["progress"]
            for c in activity
            if c["ActivityNotification"][0]["event"] != "ended"
        ]
        assert progress == sorted(progress)
        assert any(c["type"] == "timeline" for c in containers)
        await websocket.ping()
    assert sim.traffic.notifications >= 3
    assert sim.traffic.requests >= 1


async def test_notification_socket_faults(sim: PlexSimulator) -> None:
    async with aiohttp.ClientSession(f"http://127.0.0.1:{sim.port}") as http:
        async with http.get("/:/websockets/notifications") as response:
            assert response.status == 401
        sim.faults.refuse_socket = True
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect("/:/websockets/notifications", headers=AUTH)
        assert err.value.status == 404
        sim.faults.refuse_socket = False
        async with http.ws_connect(
            "/:/websockets/notifications", headers=AUTH
        ) as websocket:
            await sim.wait_for_sockets(1)
            await sim.drop_sockets()
            message = await websocket.receive()
            assert message.type is aiohttp.WSMsgType.CLOSE


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[tuple[str, list[Any]]]:
    """A webhook receiver on 127.0.0.1 that keeps every multipart form it gets."""
    received: list[Any] = []

    async def _hook(request: web.Request) -> web.Response:
        received.append(await request.post())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", _hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received
    await runner.cleanup()


async def test_webhooks_after_a_backup_and_on_request(
    http: aiohttp.ClientSession,
    sim: PlexSimulator,
    receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    for bad in ({"url": "ftp://x"}, {"nothing": 1}):
        async with http.post("/_sim/webhooks", json=bad, headers=AUTH) as refused:
            assert refused.status == 400
    async with http.post("/_sim/webhooks", json={"url": url}) as unauthorized:
        assert unauthorized.status == 401
    async with http.post("/_sim/webhooks", json={"url": url}, headers=AUTH) as added:
        assert await added.json() == {"webhooks": 1}
    # Only a backup that finished is announced, and only a backup.
    sim.start_task("OptimizeDatabase")
    sim.finish_task("OptimizeDatabase")
    sim.start_task("BackupDatabase")
    sim.stop_task("BackupDatabase")
    await sim.webhooks.wait()
    assert not received
    sim.start_task("BackupDatabase")
    sim.finish_task("BackupDatabase")
    await sim.webhooks.wait()
    async with http.post("/_sim/database/corrupted", headers=AUTH) as corrupted:
        assert await corrupted.json() == {"delivered": [200]}
    events = [json.loads(form["payload"]) for form in received]
    assert [event["event"] for event in events] == [
        "admin.database.backup",
        "admin.database.corrupted",
    ]
    assert events[0]["Server"] == {
        "title": sim.friendly_name,
        "uuid": sim.machine_identifier,
    }
    assert set(events[0]["Account"]) == {"id", "thumb", "title"}
    assert events[0]["owner"] is True


async def test_a_webhook_that_is_gone_is_recorded_and_does_not_stop_the_server(
    sim: PlexSimulator,
) -> None:
    sim.webhooks.add(f"http://127.0.0.1:{_free_port()}/nobody")
    sim.start_task("BackupDatabase")
    sim.finish_task("BackupDatabase")
    await sim.webhooks.wait()
    assert [d.status for d in sim.webhooks.deliveries] == [None]


async def test_webhook_from_the_command_line(
    receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        *_plexsim(port, TOKEN, "--webhook", url),
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        await process.stdout.readline()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{port}/_sim/database/corrupted", headers=AUTH
            ) as answer,
        ):
            assert await answer.json() == {"delivered": [200]}
        assert json.loads(received[0]["payload"])["event"] == "admin.database.corrupted"
    finally:
        process.terminate()
        assert await process.wait() == 0
