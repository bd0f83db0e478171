"""How this installation reaches a Plex server: its identity, the client, and whether it answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import instance_id
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.loader import async_get_integration

from .const import DOMAIN
from .plex import DEFAULT_TIMEOUT, PlexClient, PlexIdentity


async def async_client_identity(hass: HomeAssistant) -> PlexIdentity:
    """The stable client identifier Plex asks well-behaved clients to send.

    It is the Home Assistant installation's id, so a server's and plex.tv's
    device lists show one entry for it; product name and version are the
    manifest's.
    """
    integration = await async_get_integration(hass, DOMAIN)
    return PlexIdentity(
        client_identifier=await instance_id.async_get(hass),
        product=integration.name,
        product_version=str(integration.version),
        device_name=hass.config.location_name,
    )


async def async_create_client(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    request_timeout: float | None = None,
) -> PlexClient:
    """Build a client from config entry data; ValueError when the host is not usable.

    Without `request_timeout`, the client's default (looked up at call time).
    """
    return PlexClient(
        async_get_clientsession(hass),
        data[CONF_HOST],
        port=data[CONF_PORT],
        ssl=data[CONF_SSL],
        verify_ssl=data[CONF_VERIFY_SSL],
        token=data[CONF_TOKEN],
        identity=await async_client_identity(hass),
        request_timeout=DEFAULT_TIMEOUT if request_timeout is None else request_timeout,
    )


def reaches_server[C: DataUpdateCoordinator[Any]](entry: ConfigEntry[C]) -> bool:
    """Whether the entry talks to its server right now: then it has not moved.

    A server with two addresses (wired and wireless, a container's bridge)
    answers discovery from either; an entry that works is left alone.
    """
    return (
        entry.state is ConfigEntryState.LOADED
        and entry.runtime_data.last_update_success
    )
