"""Shared pieces: building the client, and running commands against the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Concatenate

from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import instance_id
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.loader import async_get_integration

from .const import DOMAIN, REQUEST_TIMEOUT
from .plex import (
    PlexAuthenticationError,
    PlexClient,
    PlexConnectionError,
    PlexError,
    PlexTaskNotFoundError,
)

if TYPE_CHECKING:
    from .coordinator import ButlerCoordinator
    from .entity import ButlerEntity

PRODUCT = "Butler for Plex"


async def async_create_client(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> PlexClient:
    """Build a client from config entry data; ValueError when the host is not usable.

    The Home Assistant installation's id is the stable client identifier
    Plex asks well-behaved clients to send; the version is the manifest's.
    """
    integration = await async_get_integration(hass, DOMAIN)
    return PlexClient(
        async_get_clientsession(hass),
        data[CONF_HOST],
        port=data[CONF_PORT],
        ssl=data[CONF_SSL],
        verify_ssl=data[CONF_VERIFY_SSL],
        token=data[CONF_TOKEN],
        client_identifier=await instance_id.async_get(hass),
        request_timeout=REQUEST_TIMEOUT,
        product=PRODUCT,
        product_version=str(integration.version),
        device_name=hass.config.location_name,
    )


def plex_error_translation(err: PlexError) -> tuple[str, dict[str, str]]:
    """The translation key and placeholders that explain a Plex error to people."""
    if isinstance(err, PlexAuthenticationError):
        return "invalid_auth", {}
    if isinstance(err, PlexTaskNotFoundError):
        return "task_not_found", {"task": err.task}
    if isinstance(err, PlexConnectionError):
        return "cannot_connect", {"error": str(err)}
    return "unexpected_response", {"error": str(err)}


@asynccontextmanager
async def async_plex_command(coordinator: ButlerCoordinator) -> AsyncIterator[None]:
    """Run a command: translate its errors, then show the server's new state.

    The refresh is not debounced: people press one button after another
    and each should show its effect. A refused token starts
    reauthentication. A missing task is refreshed too, so its entities go
    away instead of failing again.
    """
    try:
        yield
    except PlexError as err:
        if isinstance(err, PlexAuthenticationError):
            coordinator.config_entry.async_start_reauth(coordinator.hass)
        elif isinstance(err, PlexTaskNotFoundError):
            await coordinator.async_refresh()
        key, placeholders = plex_error_translation(err)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        ) from err
    await coordinator.async_refresh()


def butler_command[EntityT: ButlerEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, Any]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Wrap an entity action in `async_plex_command`."""

    async def handler(self: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        async with async_plex_command(self.coordinator):
            await func(self, *args, **kwargs)

    return handler
