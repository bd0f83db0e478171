"""Asynchronous client for a Plex Media Server's butler and its neighbours.

The token only ever travels in the ``X-Plex-Token`` header: query parameters
end up in access logs and in exception messages that quote the URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import copy
import json
import logging
import re
from typing import Any, Final
from urllib.parse import quote
from xml.etree import ElementTree

import aiohttp
from yarl import URL

from .exceptions import (
    PlexAuthenticationError,
    PlexConnectionClosedError,
    PlexConnectionError,
    PlexResponseError,
    PlexSettingRefusedError,
    PlexTaskNotFoundError,
)
from .http import DEFAULT_TIMEOUT, PlexHttp, PlexIdentity, transport_errors
from .models import (
    Activity,
    ActivityNotification,
    ButlerTask,
    ServerIdentity,
    ServerInfo,
    Setting,
    StartResult,
    StopResult,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 32400
# Plex containers are two or three levels deep; deeper XML is not theirs.
_MAX_DEPTH: Final = 8
NOTIFICATIONS_PATH: Final = "/:/websockets/notifications"
# A ping every half minute: a socket that stops answering (a server that
# froze, a NAT that forgot the connection) is closed within 45 s.
HEARTBEAT: Final = 30.0
# Notifications are a few hundred bytes; a frame this large is not one.
MAX_FRAME_BYTES: Final = 256 * 1024

MEDIA_CONTAINER_ROOT: Final = "MediaContainer"
BUTLER_TASKS_ROOT: Final = "ButlerTasks"
# Login pages and proxies' error pages: not data, and often not well-formed XML.
_HTML_START: Final = re.compile(r"<(!doctype\s+html|html)[\s>]", re.IGNORECASE)


class PlexClient:
    """Talk to one Plex Media Server."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        token: str,
        identity: PlexIdentity,
        port: int = DEFAULT_PORT,
        ssl: bool = False,
        verify_ssl: bool = True,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Prepare a client; raises ValueError when host and port make no URL."""
        self.base_url = URL.build(
            scheme="https" if ssl else "http", host=host, port=port
        )
        self._http = PlexHttp(
            session,
            self.base_url,
            identity,
            timeout=request_timeout,
            verify_ssl=verify_ssl,
        )
        self._token = token
        self._last_reads: dict[str, tuple[str, Any]] = {}

    def __repr__(self) -> str:
        """Describe the client without its token."""
        return f"{type(self).__name__}({self.base_url})"

    async def async_get_identity(self) -> ServerIdentity:
        """Read the server's identity; needs no token, so it proves a Plex server answers."""
        return await self._async_read(
            "/identity", _required(ServerIdentity.from_container), authenticated=False
        )

    async def async_get_server_info(self) -> ServerInfo:
        """Read the server's name and version."""
        return await self._async_read("/", _required(ServerInfo.from_container))

    async def async_get_tasks(self) -> list[ButlerTask]:
        """List the butler's tasks, in the server's order."""
        return await self._async_read("/butler", parse_tasks, root=BUTLER_TASKS_ROOT)

    async def async_get_activities(self) -> list[Activity]:
        """List what the server is busy with right now."""
        return await self._async_read("/activities", parse_activities)

    async def async_get_settings(self) -> dict[str, Setting]:
        """Read the server's preferences, by id."""
        return await self._async_read("/:/prefs", parse_settings)

    async def async_set_setting(self, setting_id: str, value: bool | int | str) -> None:
        """Change one server preference.

        Plex answers 403 for a setting it does not have as well as for a
        token it refuses, so a 403 is followed by one small read with the
        same token: if that works, the server refused the setting
        (`PlexSettingRefusedError`); if not, the token
        (`PlexAuthenticationError`).
        """
        text = str(value).lower() if isinstance(value, bool) else str(value)
        status, _ = await self._async_request(
            "PUT", "/:/prefs", params={setting_id: text}, forbidden_is_answer=True
        )
        if status == 403:
            checked, _ = await self._async_request("GET", "/")
            if checked != 200:
                raise PlexResponseError(f"GET / answered {checked}")
            raise PlexSettingRefusedError(setting_id)
        if status >= 300:
            raise PlexResponseError(f"PUT /:/prefs for {setting_id} answered {status}")

    async def async_start_all(self) -> None:
        """Start every enabled task that is due, by the butler's own rules."""
        await self._async_command("POST", "/butler")

    async def async_stop_all(self) -> None:
        """Stop every running task and clear the butler's queue."""
        await self._async_command("DELETE", "/butler")

    async def async_start_task(self, name: str) -> StartResult:
        """Start one task now, telling "started" from "already running"."""
        status, _ = await self._async_request("POST", _task_path(name))
        if status == 202:
            return StartResult.ALREADY_RUNNING
        if status == 404:
            raise PlexTaskNotFoundError(name)
        if status >= 300:
            raise PlexResponseError(f"POST /butler/{name} answered {status}")
        return StartResult.STARTED

    async def async_stop_task(self, name: str) -> StopResult:
        """Stop one task; the server answers 404 both for unknown and for idle tasks."""
        status, _ = await self._async_request("DELETE", _task_path(name))
        if status == 404:
            return StopResult.NOT_RUNNING
        if status >= 300:
            raise PlexResponseError(f"DELETE /butler/{name} answered {status}")
        return StopResult.STOPPED

    async def async_listen(
        self,
        on_notification: Callable[[ActivityNotification], None],
        *,
        on_connected: Callable[[], None] | None = None,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        """Follow the server's notification socket until it closes.

        Calls `on_connected` once the socket is open, then `on_notification`
        for every activity notification; other notification types and frames
        that are not notifications are skipped. Never returns normally: a
        refused socket is a `PlexConnectionError` (or `PlexAuthenticationError`),
        one that closes, breaks, sends an oversized frame or stops answering
        pings is a `PlexConnectionClosedError`.
        """
        url = self.base_url.with_path(NOTIFICATIONS_PATH, encoded=True)
        http = self._http
        what = f"websocket {NOTIFICATIONS_PATH}"
        with transport_errors(what, http.timeout):
            try:
                async with asyncio.timeout(http.timeout):
                    websocket = await http.session.ws_connect(
                        url,
                        headers=http.headers(self._token),
                        ssl=http.verify_ssl,
                        heartbeat=heartbeat,
                        max_msg_size=MAX_FRAME_BYTES,
                        autoclose=True,
                    )
            except aiohttp.WSServerHandshakeError as err:
                if err.status in (401, 403):
                    raise PlexAuthenticationError(
                        f"{what} refused the token ({err.status})"
                    ) from None
                raise PlexConnectionError(f"{what} refused ({err.status})") from None
        try:
            if on_connected is not None:
                on_connected()
            async for message in websocket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    for notification in parse_notifications(message.data):
                        on_notification(notification)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    raise PlexConnectionClosedError(
                        f"{what} broke: {type(message.data).__name__}: {message.data}"
                    )
        except aiohttp.ClientError as err:
            raise PlexConnectionClosedError(
                f"{what} broke: {type(err).__name__}: {err}"
            ) from None
        finally:
            await websocket.close()
        raise PlexConnectionClosedError(
            f"{what} closed ({websocket.close_code}{_reason(websocket)})"
        )

    async def _async_command(self, method: str, path: str) -> None:
        status, _ = await self._async_request(method, path)
        if status >= 300:
            raise PlexResponseError(f"{method} {path} answered {status}")

    async def _async_read[T](
        self,
        path: str,
        parse: Callable[[dict[str, Any]], T],
        *,
        root: str = MEDIA_CONTAINER_ROOT,
        authenticated: bool = True,
    ) -> T:
        """GET a container and parse it.

        An idle server answers a poll with the same bytes as last time; those
        are not decoded again, which is most of a refresh's CPU. Results are
        immutable models in a fresh list or dict, so sharing them is safe.
        """
        status, body = await self._async_request(
            "GET", path, authenticated=authenticated
        )
        if status != 200:
            raise PlexResponseError(f"GET {path} answered {status}")
        if (last := self._last_reads.get(path)) is not None and last[0] == body:
            same: T = last[1]
            return copy.copy(same)
        try:
            result = parse(decode_container(body, root))
        except PlexResponseError as err:
            raise PlexResponseError(f"GET {path}: {err}") from None
        self._last_reads[path] = (body, result)
        return copy.copy(result)

    async def _async_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        authenticated: bool = True,
        forbidden_is_answer: bool = False,
    ) -> tuple[int, str]:
        """Send one request and decode its body (see `PlexHttp.async_request`)."""
        status, raw = await self._http.async_request(
            method,
            path,
            params=params,
            token=self._token if authenticated else None,
            forbidden_is_answer=forbidden_is_answer,
        )
        body = raw.decode("utf-8", errors="replace")
        # A proxy's login or error page often comes with 200: for a command
        # that would read as success although the server never saw it. (An
        # answer to a GET is refused as HTML when it is decoded.)
        if method != "GET" and 200 <= status < 300 and _HTML_START.match(body.lstrip()):
            raise PlexResponseError(f"{method} {path} answered an HTML page")
        return status, body


def _task_path(name: str) -> str:
    """Task names come from the server, so they are quoted into one path segment."""
    return f"/butler/{quote(name, safe='')}"


def _required[T](
    build: Callable[[dict[str, Any]], T | None],
) -> Callable[[dict[str, Any]], T]:
    """A parser that refuses a container without a machine identifier."""

    def parse(container: dict[str, Any]) -> T:
        if (result := build(container)) is None:
            raise PlexResponseError("no machineIdentifier")
        return result

    return parse


def parse_tasks(container: Mapping[str, Any]) -> list[ButlerTask]:
    """The butler's tasks from a decoded `ButlerTasks` container, in its order."""
    tasks = (ButlerTask.from_item(item) for item in _items(container, "ButlerTask"))
    return [task for task in tasks if task is not None]


def parse_activities(container: Mapping[str, Any]) -> list[Activity]:
    """The activities from a decoded `/activities` container."""
    return [Activity.from_item(item) for item in _items(container, "Activity")]


def parse_settings(container: Mapping[str, Any]) -> dict[str, Setting]:
    """The settings by id from a decoded `/:/prefs` container."""
    settings = (Setting.from_item(item) for item in _items(container, "Setting"))
    return {setting.id: setting for setting in settings if setting is not None}


def parse_notifications(text: str) -> list[ActivityNotification]:
    """The activity notifications in one websocket frame; anything else is skipped."""
    try:
        document = json.loads(text)
    except ValueError, RecursionError:
        _LOGGER.debug("Skipped a notification frame that is not JSON")
        return []
    container = (
        document.get("NotificationContainer") if isinstance(document, dict) else None
    )
    if not isinstance(container, dict) or container.get("type") != "activity":
        return []
    return [
        ActivityNotification.from_item(item)
        for item in _items(container, "ActivityNotification")
    ]


def _reason(websocket: aiohttp.ClientWebSocketResponse) -> str:
    exception = websocket.exception()
    return f", {type(exception).__name__}" if exception is not None else ""


def _items(container: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """The child entries of a container; JSON may give one object instead of a list."""
    value = container.get(key)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def decode_container(body: str, root: str) -> dict[str, Any]:
    """Decode a JSON or XML payload whose top level must be ``root``.

    The format is sniffed from the body, not the Content-Type, because the
    server answers XML to clients whose Accept header it ignores and error
    pages come as HTML with any status. Whatever the body holds, the result
    is data or a `PlexResponseError`.
    """
    text = body.lstrip()
    if text.startswith("{"):
        return _decode_json(text, root)
    if _HTML_START.match(text):
        raise PlexResponseError("an HTML page where data was expected")
    if text.startswith("<"):
        return _decode_xml(text, root)
    raise PlexResponseError("the answer is neither XML nor JSON")


def _decode_json(text: str, root: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except RecursionError:
        raise PlexResponseError("JSON nested too deeply") from None
    except ValueError as err:
        # Also numbers too long for an int: json raises ValueError for them.
        raise PlexResponseError(f"malformed JSON ({err})") from None
    container = document.get(root) if isinstance(document, dict) else None
    if not isinstance(container, dict):
        raise PlexResponseError(f"JSON has no {root} object")
    return container


def _decode_xml(text: str, root: str) -> dict[str, Any]:
    try:
        # Python's expat refuses entity expansion bombs and ElementTree
        # never fetches external entities, so the server's XML is safe.
        element = ElementTree.fromstring(text)  # noqa: S314
    except (ElementTree.ParseError, ValueError, LookupError, RecursionError) as err:
        # ValueError and LookupError: an XML declaration naming an encoding
        # that text already decoded cannot have, or one Python does not know.
        raise PlexResponseError(f"malformed XML ({err})") from None
    if element.tag != root:
        raise PlexResponseError(f"expected <{root}>, got <{element.tag}>")
    return _element_to_dict(element)


def _element_to_dict(element: ElementTree.Element, depth: int = 0) -> dict[str, Any]:
    """Shape XML like the server's JSON: attributes, and children listed by tag.

    Elements deeper than any Plex container are dropped, so a hostile
    nesting cannot exhaust the stack.
    """
    result: dict[str, Any] = dict(element.attrib)
    if depth >= _MAX_DEPTH:
        return result
    for child in element:
        children = result.setdefault(child.tag, [])
        if isinstance(children, list):
            children.append(_element_to_dict(child, depth + 1))
    return result
