"""Plex's webhooks: the server says when its database was backed up or found corrupt.

A Plex Pass owner adds the entry's webhook URL in Plex Web; the server then
posts a multipart form whose `payload` field is JSON naming the event and
the server. Only what Plex sends is read: a POST, multipart (or JSON) of at
most 1 MiB, a payload that parses, for this entry's server. Anything else
gets the same quiet 200 as a good post, changes nothing, and is logged at
debug level without the payload (it names the Plex account).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import BodyPartReader, StreamReader, hdrs, web

from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util.json import json_loads

from .const import (
    DOMAIN,
    LOGGER,
    PLEX_DATABASE_BACKED_UP,
    PLEX_DATABASE_CORRUPTED,
    WEBHOOK_MAX_BYTES,
)
from .coordinator import ButlerConfigEntry
from .database import async_database_backed_up, async_database_corrupted

_EVENTS = {
    PLEX_DATABASE_BACKED_UP: async_database_backed_up,
    PLEX_DATABASE_CORRUPTED: async_database_corrupted,
}


class _Ignored(Exception):
    """A post that is not Plex's, or not for this server; says why, for the debug log."""


def with_webhook_id(data: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's data with a webhook id: the one it has, or a new one.

    Made once, by the config flow or by the migration of an older entry,
    and kept: its owner pastes the URL into Plex Web. Entries set up before
    the migration made theirs at setup and keep it.
    """
    if CONF_WEBHOOK_ID in data:
        return dict(data)
    return {**data, CONF_WEBHOOK_ID: webhook.async_generate_id()}


@callback
def async_register_webhook(hass: HomeAssistant, entry: ButlerConfigEntry) -> None:
    """Listen to the server's webhook until the entry unloads.

    Not local only: a Plex server elsewhere (a rented server, a friend's
    house) reaches Home Assistant through its external URL. The id is the
    secret; the server's identifier in the payload must match too.
    """
    webhook_id = entry.data[CONF_WEBHOOK_ID]

    async def _async_handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        try:
            event = _event_for(entry, await _async_read_payload(request))
        except _Ignored as reason:
            LOGGER.debug("%s: webhook post ignored: %s", entry.title, reason)
            return web.Response()
        if (handle := _EVENTS.get(event)) is None:
            LOGGER.debug("%s: webhook event %r not used", entry.title, event[:64])
        else:
            handle(hass, entry)
        return web.Response()

    webhook.async_register(
        hass,
        DOMAIN,
        f"Butler for Plex: {entry.title}",
        webhook_id,
        _async_handle,
        allowed_methods=[hdrs.METH_POST],
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))


def webhook_urls(hass: HomeAssistant, entry: ButlerConfigEntry) -> dict[str, str]:
    """Where Plex can post: `local_url` on the home network, `external_url` from elsewhere.

    Either is missing when Home Assistant has none (Settings → System →
    Network).
    """
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    urls: dict[str, str] = {}
    for key, external in (("local_url", False), ("external_url", True)):
        try:
            urls[key] = webhook.async_generate_url(
                hass,
                webhook_id,
                allow_internal=not external,
                allow_external=external,
                prefer_external=external,
            )
        except NoURLAvailableError:
            continue
    return urls


async def _async_read_payload(request: web.Request) -> Any:
    """The `payload` JSON of a multipart post, or a JSON body; read no more than the limit."""
    if (
        request.content_length is not None
        and request.content_length > WEBHOOK_MAX_BYTES
    ):
        raise _Ignored(f"{request.content_length} bytes, more than Plex sends")
    if request.content_type == "multipart/form-data":
        text = await _async_multipart_payload(request)
    elif request.content_type == "application/json":
        text = await _async_read_capped(request.content)
    else:
        raise _Ignored(f"a {request.content_type} body, not Plex's multipart form")
    try:
        return json_loads(text)
    except ValueError as err:
        raise _Ignored("a payload that is not JSON") from err


async def _async_multipart_payload(request: web.Request) -> bytes:
    """The `payload` field's bytes; the other fields (a thumbnail) are counted and dropped."""
    budget = WEBHOOK_MAX_BYTES
    payload: bytes | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise _Ignored("a nested multipart body")
            data = bytearray()
            while chunk := await part.read_chunk():
                budget -= len(chunk)
                if budget < 0:
                    raise _Ignored("a body larger than Plex sends")
                if part.name == "payload" and payload is None:
                    data.extend(chunk)
            if part.name == "payload" and payload is None:
                payload = part.decode(bytes(data))
    except (ValueError, RuntimeError, AssertionError) as err:
        raise _Ignored(f"a malformed multipart body ({type(err).__name__})") from err
    if payload is None:
        raise _Ignored("no payload field")
    return payload


async def _async_read_capped(stream: StreamReader) -> bytes:
    """The whole body, unless it grows past the limit (a chunked body has no length)."""
    data = bytearray()
    while chunk := await stream.read(64 * 1024):
        data.extend(chunk)
        if len(data) > WEBHOOK_MAX_BYTES:
            raise _Ignored("a body larger than Plex sends")
    return bytes(data)


def _event_for(entry: ButlerConfigEntry, payload: Any) -> str:
    """The payload's event, when it is about this entry's server."""
    if not isinstance(payload, dict):
        raise _Ignored("a payload that is not a JSON object")
    server = payload.get("Server")
    if not isinstance(server, dict) or server.get("uuid") != entry.unique_id:
        raise _Ignored("a payload about another server, or none")
    event = payload.get("event")
    if not isinstance(event, str):
        raise _Ignored("a payload without an event")
    return event
