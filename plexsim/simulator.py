"""A Plex Media Server stand-in for the butler API, served by aiohttp.

It answers as a real 1.43 server does: XML unless the client asks for JSON,
the HTML 401 without a valid token, commands and errors as `text/html` (as
the Plex API's OpenAPI description says, 403 for a setting it does not
have), start-all by the butler's rules, tasks
that run for a while and show as one butler activity. Tests switch on faults
(down, hanging, 500s, 403s, HTML with 200, malformed or truncated bodies),
for every path or only some, and change the task list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import json
import random
from typing import Any
import uuid
from xml.sax.saxutils import quoteattr

from aiohttp import WSMsgType, web

from .catalog import SimSetting, SimTask, default_settings, default_tasks
from .webhooks import DATABASE_BACKED_UP, DATABASE_CORRUPTED, WebhookSender

NOTIFICATIONS_PATH = "/:/websockets/notifications"
# What only the simulator answers: the demo and the tests steer it here.
CONTROL_PATH = "/_sim"
STORM_PATH = f"{CONTROL_PATH}/storm"

UNAUTHORIZED_HTML = (
    "<html><head><title>Unauthorized</title></head>"
    "<body><h1>401 Unauthorized</h1></body></html>"
)
_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
}
ERROR_PAGE_HTML = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

type Attributes = Mapping[str, str | int | bool | None]


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the simulator saw it, for tests to inspect."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    @classmethod
    def of(cls, request: web.Request) -> RecordedRequest:
        """Record an incoming request."""
        return cls(
            request.method, request.path, dict(request.query), dict(request.headers)
        )


@dataclass
class Faults:
    """Misbehaviour a test can switch on and off at run time."""

    server_error: bool = False
    forbidden: bool = False
    html: bool = False
    malformed: bool = False
    truncated: bool = False
    refuse_socket: bool = False
    """The notification socket answers 404, as on servers without it."""
    silent_socket: bool = False
    """Open sockets stop answering pings, as a frozen server would."""
    only_paths: frozenset[str] | None = None
    """Paths the faults apply to; None for every path."""
    _slow: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def __post_init__(self) -> None:
        """Start fast: the event is set while requests may go through."""
        self._slow.set()

    @property
    def slow(self) -> bool:
        """Whether requests hang until the fault is switched off."""
        return not self._slow.is_set()

    @slow.setter
    def slow(self, on: bool) -> None:
        if on:
            self._slow.clear()
        else:
            self._slow.set()

    async def wait_unless_slow(self) -> None:
        """Hang while slow; waits on an event, so no clock is involved."""
        await self._slow.wait()

    def applies_to(self, path: str) -> bool:
        """Whether the faults switched on concern a request for this path."""
        return self.only_paths is None or path in self.only_paths


@dataclass
class Traffic:
    """What clients sent and were sent, for the benchmark.

    HTTP is counted by request line, headers and body each way; the socket
    by frame (2 to 14 bytes of framing plus the payload).
    """

    requests: int = 0
    bytes_received: int = 0
    bytes_sent: int = 0
    pings: int = 0
    socket_bytes_received: int = 0
    socket_bytes_sent: int = 0
    notifications: int = 0
    notification_bytes: int = 0


class PlexSimulator:
    """A simulated Plex Media Server with a butler."""

    def __init__(
        self,
        *,
        token: str,
        shared_token: str | None = None,
        friendly_name: str = "Plex Server",
        machine_identifier: str = "3f4c2b0e9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e",
        version: str = "1.43.2.10162-2e8e5f84a",
        task_duration: float = 8.0,
        window: tuple[int, int] = (2, 5),
        now: Callable[[], datetime] = datetime.now,
        tasks: list[SimTask] | None = None,
        json_support: bool = True,
        webhooks: Sequence[str] = (),
    ) -> None:
        """Describe the server; nothing listens until `start`.

        With json_support off it answers XML whatever the client accepts,
        as older servers do. Its events go to the `webhooks` URLs, as Plex
        Web's list of webhooks has them.
        """
        self.token = token
        self.json_support = json_support
        self.shared_token = shared_token
        self.friendly_name = friendly_name
        self.machine_identifier = machine_identifier
        self.version = version
        self.task_duration = task_duration
        self.now = now
        self.tasks: dict[str, SimTask] = {
            task.name: task
            for task in (tasks if tasks is not None else default_tasks())
        }
        self._settings: dict[str, SimSetting] = {
            s.id: s for s in default_settings(window, friendly_name)
        }
        for name, task in self.tasks.items():
            if (setting := self._settings.get(f"ButlerTask{name}")) is not None:
                setting.value = "1" if task.enabled else "0"
        self.running: dict[str, asyncio.TimerHandle] = {}
        self.queued: dict[str, asyncio.TimerHandle] = {}
        self.requests: list[RecordedRequest] = []
        self.faults = Faults()
        self.traffic = Traffic()
        self.webhooks = WebhookSender(friendly_name, machine_identifier, list(webhooks))
        self.progress_interval = 1.0
        # How the butler's run shows in the activities: a 1.43 server's
        # words, which tests change to what other versions might send.
        self.activity_type = "butler"
        self.activity_title = "Butler tasks"
        self.sockets: set[web.WebSocketResponse] = set()
        self._sockets_changed = asyncio.Condition()
        self._requested = asyncio.Condition()
        self._started_at: dict[str, float] = {}
        self._ticker: asyncio.Task[None] | None = None
        self.port = 0
        self.host = "127.0.0.1"
        self._run_id = str(uuid.uuid4())
        self._run_total = 0
        self._run_done = 0
        self._runner: web.AppRunner | None = None
        self._app = self._make_app()

    # --- lifecycle -----------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host and port (0 picks a free one); returns the port."""
        self.host = host
        runner = web.AppRunner(
            self._app, handle_signals=False, access_log=None, shutdown_timeout=0.1
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        """Stop listening and forget running tasks."""
        self.faults.slow = False
        for handle in [*self.running.values(), *self.queued.values()]:
            handle.cancel()
        self.running.clear()
        self.queued.clear()
        self._stop_ticker()
        self.webhooks.cancel()
        await self.go_down()

    async def go_down(self) -> None:
        """Close the listening socket: clients get "connection refused"."""
        await self.drop_sockets()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def listening(self) -> bool:
        """Whether the server runs: it answers HTTP, and GDM searches."""
        return self._runner is not None

    async def go_up(self) -> None:
        """Listen again on the same port."""
        if self._runner is None:
            self._app = self._make_app()
            await self.start(self.host, self.port)

    # --- the butler ------------------------------------------------------------

    @property
    def settings(self) -> dict[str, str]:
        """Setting values by id, as text."""
        return {s.id: s.value for s in self._settings.values()}

    def add_task(
        self,
        name: str,
        *,
        interval: int = 1,
        enabled: bool = True,
        randomized: bool = False,
        title: str | None = None,
    ) -> None:
        """Make the server list one more task (as after an upgrade)."""
        self.tasks[name] = SimTask(name, interval, enabled, randomized, title)

    def add_setting(self, setting: SimSetting) -> None:
        """Make the server list one more setting (as after an upgrade)."""
        self._settings[setting.id] = setting

    def remove_setting(self, setting_id: str) -> None:
        """Make the server forget a setting."""
        self._settings.pop(setting_id, None)

    def remove_task(self, name: str) -> None:
        """Make the server forget a task."""
        self.tasks.pop(name, None)
        self.finish_task(name)

    def start_task(self, name: str) -> bool:
        """Start a task now; False when it already runs. KeyError when unknown."""
        task = self.tasks[name]
        if name in self.running:
            return False
        run_begins = not self.running
        if run_begins:
            self._run_id = str(uuid.uuid4())
            self._run_total = self._run_done = 0
        self._run_total += 1
        if (queued := self.queued.pop(name, None)) is not None:
            queued.cancel()
        loop = asyncio.get_running_loop()
        self.running[name] = loop.call_later(self.task_duration, self.finish_task, name)
        self._started_at[name] = loop.time()
        task.last_run = self.now().date()
        self._notify_activity("started" if run_begins else "updated")
        if run_begins:
            # Servers push much besides activities; clients must skip it.
            self._notify({"type": "timeline", "size": 1, "TimelineEntry": [{}]})
            self._ticker = loop.create_task(self._tick_progress())
        return True

    def finish_task(self, name: str) -> None:
        """End a running task as if its work were done.

        A finished backup of the database is announced to the webhooks, as
        Plex does; a task that was stopped, or that the server dropped,
        announces nothing.
        """
        if (handle := self.running.pop(name, None)) is not None:
            handle.cancel()
            self._started_at.pop(name, None)
            self._run_done += 1
            self._after_change()
            if name == "BackupDatabase" and name in self.tasks:
                self.webhooks.send_soon(DATABASE_BACKED_UP)

    def finish_all(self) -> None:
        """End every running task."""
        for name in list(self.running):
            self.finish_task(name)

    def start_all(self) -> None:
        """Start what is due, by the four rules of `POST /butler`."""
        now = self.now()
        inside = self._inside_window(now.hour)
        loop = asyncio.get_running_loop()
        for task in list(self.tasks.values()):
            if not task.enabled or not self._due_today(task, now):
                continue
            if task.randomized and inside:
                if task.name not in self.queued and task.name not in self.running:
                    delay = random.uniform(0, self._seconds_left_in_window(now))
                    self.queued[task.name] = loop.call_later(
                        delay, self._start_queued, task.name
                    )
            else:
                self.start_task(task.name)

    def stop_all(self) -> None:
        """Stop everything and clear the queue."""
        for handle in self.queued.values():
            handle.cancel()
        self.queued.clear()
        for handle in self.running.values():
            handle.cancel()
        was_running = bool(self.running)
        self.running.clear()
        self._started_at.clear()
        if was_running:
            self._after_change()

    def stop_task(self, name: str) -> bool:
        """Stop one running task; False when it is not running."""
        if (handle := self.running.pop(name, None)) is None:
            return False
        handle.cancel()
        self._started_at.pop(name, None)
        self._after_change()
        return True

    # --- notifications -----------------------------------------------------

    @property
    def progress(self) -> int:
        """How far the butler's run is, from the tasks done and the time spent."""
        loop = asyncio.get_running_loop()
        running = sum(
            min((loop.time() - started) / max(self.task_duration, 0.001), 1.0)
            for started in self._started_at.values()
        )
        return int(100 * (self._run_done + running) / max(self._run_total, 1))

    def _activity(self) -> dict[str, Any]:
        current = self.tasks.get(next(iter(self.running)))
        return {
            "uuid": self._run_id,
            "type": self.activity_type,
            "cancellable": False,
            "userID": 1,
            "title": self.activity_title,
            "subtitle": (current.title or current.name) if current else None,
            "progress": self.progress,
        }

    def _after_change(self) -> None:
        if self.running:
            self._notify_activity("updated")
        else:
            self._stop_ticker()
            self._notify_activity("ended")

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def _tick_progress(self) -> None:
        while self.running:
            await asyncio.sleep(self.progress_interval)
            if self.running:
                self._notify_activity("updated")

    def _notify_activity(self, event: str) -> None:
        activity = (
            self._activity()
            if self.running
            else {"uuid": self._run_id, "type": "butler", "title": "Butler tasks"}
        )
        self._notify(
            {
                "type": "activity",
                "size": 1,
                "ActivityNotification": [
                    {"event": event, "uuid": self._run_id, "Activity": activity}
                ],
            }
        )

    def _notify(self, container: dict[str, Any]) -> None:
        self.send_raw(json.dumps({"NotificationContainer": container}))

    async def storm(self, rate: float, seconds: float) -> tuple[float, float, int]:
        """A busy server's notifications: a run whose progress is pushed `rate` times a second.

        A library scan on a large server sends progress this fast. The run
        starts (BackupDatabase) and its "updated" notifications go out for
        `seconds`; then it ends, which is the storm's last notification.
        Returns the monotonic times (shared by every process on the
        machine) of its first and last notification, and how many were sent.
        """
        loop = asyncio.get_running_loop()
        self.start_task("BackupDatabase")
        first = loop.time()
        sent = 0
        tick = 0.01
        while (elapsed := loop.time() - first) < seconds:
            for _ in range(int(elapsed * rate) - sent):
                self._notify_activity("updated")
                sent += 1
            await asyncio.sleep(tick)  # a server paces its own notifications
        self.finish_all()
        return first, loop.time(), sent + 2

    def send_raw(self, text: str) -> None:
        """Send one frame to every open notification socket, as it is."""
        for websocket in list(self.sockets):
            if websocket.closed:
                continue
            self.traffic.notifications += 1
            self.traffic.notification_bytes += len(text.encode()) + 4
            task = asyncio.get_running_loop().create_task(websocket.send_str(text))
            task.add_done_callback(_ignore_closed)

    async def drop_sockets(self) -> None:
        """Close every open notification socket, as a restarting server would."""
        for websocket in list(self.sockets):
            await websocket.close()
        self.sockets.clear()

    def _start_queued(self, name: str) -> None:
        self.queued.pop(name, None)
        if name in self.tasks:
            self.start_task(name)

    def _window(self) -> tuple[int, int]:
        return (
            int(self._settings["ButlerStartHour"].value),
            int(self._settings["ButlerEndHour"].value),
        )

    def _inside_window(self, hour: int) -> bool:
        start, end = self._window()
        if start <= end:
            return start <= hour < end
        return hour >= start or hour < end

    def _seconds_left_in_window(self, now: datetime) -> float:
        _, end = self._window()
        hours = (end - now.hour) % 24 or 24
        return max(hours * 3600 - now.minute * 60 - now.second, 1.0)

    @staticmethod
    def _due_today(task: SimTask, now: datetime) -> bool:
        if task.last_run is None:
            return True
        return (now.date() - task.last_run).days >= task.interval

    # --- HTTP ------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/identity", self._identity)
        app.router.add_get("/", self._root)
        app.router.add_get("/butler", self._list_tasks)
        app.router.add_post("/butler", self._start_all)
        app.router.add_delete("/butler", self._stop_all)
        app.router.add_post("/butler/{task}", self._start_one)
        app.router.add_delete("/butler/{task}", self._stop_one)
        app.router.add_get("/activities", self._activities)
        app.router.add_get("/:/prefs", self._get_prefs)
        app.router.add_put("/:/prefs", self._put_prefs)
        app.router.add_get(NOTIFICATIONS_PATH, self._notifications)
        app.router.add_post(f"{CONTROL_PATH}/webhooks", self._add_webhook)
        app.router.add_post(
            f"{CONTROL_PATH}/database/corrupted", self._report_corruption
        )
        app.router.add_post(f"{CONTROL_PATH}/butler/finish", self._finish_all)
        app.router.add_post(STORM_PATH, self._storm)
        return app

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        self.requests.append(RecordedRequest.of(request))
        async with self._requested:
            self._requested.notify_all()
        self.traffic.requests += 1
        self.traffic.bytes_received += (
            len(f"{request.method} {request.path_qs} HTTP/1.1\r\n\r\n")
            + sum(len(k) + len(v) + 4 for k, v in request.headers.items())
            + (request.content_length or 0)
        )
        faults = self.faults
        if faults.applies_to(request.path):
            await faults.wait_unless_slow()
            if faults.server_error:
                return error_page(500)
            if faults.forbidden:
                return web.Response(
                    status=403, text=UNAUTHORIZED_HTML, content_type="text/html"
                )
            if faults.html:
                return web.Response(text=ERROR_PAGE_HTML, content_type="text/html")
        if request.path != "/identity":
            token = request.headers.get("X-Plex-Token") or request.query.get(
                "X-Plex-Token"
            )
            allowed = {self.token}
            if request.path == "/" and self.shared_token:
                allowed.add(self.shared_token)
            if token not in allowed:
                return web.Response(
                    status=401, text=UNAUTHORIZED_HTML, content_type="text/html"
                )
        response = await handler(request)
        if faults.truncated and faults.applies_to(request.path):
            return await _truncate(request, response)
        if isinstance(response, web.Response):
            body = response.body if isinstance(response.body, bytes) else b""
            self.traffic.bytes_sent += (
                len(body)
                + len(
                    "HTTP/1.1 200 OK\r\n\r\nContent-Length: 0000\r\nDate: Mon, 30 Nov 2026 00:00:00 GMT\r\nServer: Python/3.14 aiohttp/3\r\n"
                )
                + sum(len(k) + len(v) + 4 for k, v in response.headers.items())
            )
        return response

    def _document(
        self,
        request: web.Request,
        root: str,
        attributes: Attributes,
        children: tuple[str, list[Attributes]] | None = None,
    ) -> web.Response:
        """Render one container as XML, or as JSON when the client asks for it."""
        wants_json = self.json_support and "application/json" in request.headers.get(
            "Accept", ""
        )
        if wants_json:
            body: dict[str, Any] = {
                k: v for k, v in attributes.items() if v is not None
            }
            if children is not None:
                tag, items = children
                body[tag] = [
                    {k: v for k, v in i.items() if v is not None} for i in items
                ]
            text = json.dumps({root: body})
            if self.faults.malformed and self.faults.applies_to(request.path):
                text = text[: len(text) // 2]
            return web.Response(text=text, content_type="application/json")
        text = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}{_xml_attributes(attributes)}'
        if children is None:
            text += " />\n"
        else:
            tag, items = children
            inner = "".join(f"<{tag}{_xml_attributes(item)} />\n" for item in items)
            text += f">\n{inner}</{root}>\n"
        if self.faults.malformed and self.faults.applies_to(request.path):
            text = text[: len(text) // 2]
        return web.Response(text=text, content_type="text/xml", charset="utf-8")

    async def _identity(self, request: web.Request) -> web.Response:
        return self._document(
            request,
            "MediaContainer",
            {
                "size": 0,
                "claimed": True,
                "machineIdentifier": self.machine_identifier,
                "version": self.version,
            },
        )

    async def _root(self, request: web.Request) -> web.Response:
        return self._document(
            request,
            "MediaContainer",
            {
                "size": 0,
                "allowCameraUpload": False,
                "friendlyName": self.friendly_name,
                "machineIdentifier": self.machine_identifier,
                "myPlex": True,
                "platform": "Linux",
                "platformVersion": "6.1.0",
                "transcoderActiveVideoSessions": 0,
                "updatedAt": 1763990000,
                "version": self.version,
            },
        )

    async def _list_tasks(self, request: web.Request) -> web.Response:
        items: list[Attributes] = [
            {
                "name": task.name,
                "interval": task.interval,
                "scheduleRandomized": task.randomized,
                "enabled": task.enabled,
                "title": task.title,
                "description": task.description,
            }
            for task in self.tasks.values()
        ]
        return self._document(request, "ButlerTasks", {}, ("ButlerTask", items))

    async def _start_all(self, request: web.Request) -> web.Response:
        self.start_all()
        return done()

    async def _stop_all(self, request: web.Request) -> web.Response:
        self.stop_all()
        return done()

    async def _start_one(self, request: web.Request) -> web.Response:
        name = request.match_info["task"]
        if name not in self.tasks:
            return error_page(404)
        return done(200 if self.start_task(name) else 202)

    async def _stop_one(self, request: web.Request) -> web.Response:
        if not self.stop_task(request.match_info["task"]):
            return error_page(404)
        return done()

    async def _activities(self, request: web.Request) -> web.Response:
        items: list[Attributes] = [self._activity()] if self.running else []
        return self._document(
            request, "MediaContainer", {"size": len(items)}, ("Activity", items)
        )

    async def _notifications(self, request: web.Request) -> web.StreamResponse:
        if self.faults.refuse_socket:
            return error_page(404)
        websocket = web.WebSocketResponse(autoping=False)
        await websocket.prepare(request)
        self.sockets.add(websocket)
        await self._note_sockets()
        try:
            async for message in websocket:
                self.traffic.socket_bytes_received += len(message.data or b"") + 6
                if message.type is WSMsgType.PING:
                    self.traffic.pings += 1
                    if not self.faults.silent_socket:
                        self.traffic.socket_bytes_sent += len(message.data or b"") + 2
                        await websocket.pong(message.data)
        finally:
            self.sockets.discard(websocket)
            await self._note_sockets()
        return websocket

    async def _storm(self, request: web.Request) -> web.Response:
        """Control, not Plex: `POST /_sim/storm?rate=2000&seconds=5`, answered when it is over."""
        try:
            rate = float(request.query.get("rate", "2000"))
            seconds = float(request.query.get("seconds", "5"))
        except ValueError:
            return web.Response(status=400, text="rate and seconds are numbers")
        first, last, sent = await self.storm(rate, seconds)
        return web.json_response({"first": first, "last": last, "sent": sent})

    async def _note_sockets(self) -> None:
        async with self._sockets_changed:
            self._sockets_changed.notify_all()

    async def wait_for_request(self, path: str) -> None:
        """Wait until the server has been asked for `path` (it may still be answering)."""
        async with self._requested:
            await self._requested.wait_for(
                lambda: any(r.path == path for r in self.requests)
            )

    async def wait_for_sockets(self, count: int) -> None:
        """Wait until exactly `count` notification sockets are open."""
        async with self._sockets_changed:
            await self._sockets_changed.wait_for(lambda: len(self.sockets) == count)

    async def _get_prefs(self, request: web.Request) -> web.Response:
        items: list[Attributes] = [
            {
                "id": s.id,
                "label": s.label,
                "summary": s.summary,
                "type": s.type,
                "default": _typed(s.type, s.default),
                "value": _typed(s.type, s.value),
                "hidden": s.hidden,
                "advanced": s.advanced,
                "group": s.group,
                "enumValues": s.enum_values,
            }
            for s in self._settings.values()
        ]
        return self._document(
            request, "MediaContainer", {"size": len(items)}, ("Setting", items)
        )

    async def _put_prefs(self, request: web.Request) -> web.Response:
        changes = {k: v for k, v in request.query.items() if k != "X-Plex-Token"}
        if not changes:
            return error_page(400)
        if any(k not in self._settings for k in changes):
            # As the Plex API's OpenAPI description says: 403, like a
            # refused token.
            return error_page(403)
        for key, value in changes.items():
            setting = self._settings[key]
            if setting.type == "bool":
                lowered = value.strip().lower()
                if lowered not in _TRUE | _FALSE:
                    return error_page(400)
                setting.value = "1" if lowered in _TRUE else "0"
                task = self.tasks.get(key.removeprefix("ButlerTask"))
                if task is not None:
                    task.enabled = setting.value == "1"
            else:
                setting.value = value
        return done()

    # --- control (not Plex's API) --------------------------------------------

    async def _add_webhook(self, request: web.Request) -> web.Response:
        """Add a webhook URL, as the owner does in Plex Web: `{"url": "http://…"}`."""
        try:
            url = (await request.json())["url"]
        except ValueError, KeyError, TypeError:
            return web.Response(status=400, text='Send {"url": "http://..."}')
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return web.Response(status=400, text="The url must be http(s)://...")
        self.webhooks.add(url)
        return web.json_response({"webhooks": len(self.webhooks.urls)})

    async def _report_corruption(self, request: web.Request) -> web.Response:
        """Post `admin.database.corrupted`, as a server that found its database damaged."""
        before = len(self.webhooks.deliveries)
        await self.webhooks.send(DATABASE_CORRUPTED)
        answers = [d.status for d in self.webhooks.deliveries[before:]]
        return web.json_response({"delivered": answers})

    async def _finish_all(self, request: web.Request) -> web.Response:
        """Finish every running task now, as if its work were done."""
        self.finish_all()
        await self.webhooks.wait()
        return web.Response()


def done(status: int = 200) -> web.Response:
    """A command's answer: empty, and called HTML, as Plex's are."""
    return web.Response(status=status, content_type="text/html")


def error_page(status: int) -> web.Response:
    """An error as Plex answers it: a small HTML page, whatever was asked for."""
    title = f"{status} {_REASONS[status]}"
    return web.Response(
        status=status,
        text=f"<html><head><title>{_REASONS[status]}</title></head>"
        f"<body><h1>{title}</h1></body></html>",
        content_type="text/html",
    )


async def _truncate(
    request: web.Request, response: web.StreamResponse
) -> web.StreamResponse:
    """Promise the whole body, send half of it, and hang up."""
    body = response.body if isinstance(response, web.Response) else None
    data = body if isinstance(body, bytes) else b""
    cut = web.StreamResponse(status=response.status, headers=response.headers)
    cut.content_length = len(data) + 64
    await cut.prepare(request)
    await cut.write(data[: len(data) // 2])
    if request.transport is not None:
        request.transport.close()
    return cut


def _ignore_closed(task: asyncio.Task[None]) -> None:
    """A socket that closed while a frame was on its way is no error."""
    with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
        task.result()


def _typed(kind: str, value: str) -> str | int | bool:
    """Setting values carry their type in JSON, as Plex sends them."""
    if kind == "bool":
        return value == "1"
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _xml_attributes(attributes: Attributes) -> str:
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        parts.append(f" {key}={quoteattr(text)}")
    return "".join(parts)
