"""How this installation reaches a Plex server: its identity, the client, and whether it answers.

Also what the config flow asks of an address: whether a Plex server answers
there, which one, and whether a token may drive its butler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from ipaddress import ip_address
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import instance_id
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.loader import async_get_integration

from .const import CONNECTION_PROBE_TIMEOUT, DOMAIN, LOGGER
from .plex import (
    DEFAULT_TIMEOUT,
    PlexAuthenticationError,
    PlexClient,
    PlexConnectionError,
    PlexError,
    PlexIdentity,
    ServerInfo,
)


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


class CheckError(Exception):
    """Why an address or a token cannot be used, as the flow's translation key."""

    def __init__(self, key: str) -> None:
        """Carry the key of the error (or abort reason) to show."""
        super().__init__(key)
        self.key = key


async def async_check_server(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[str, ServerInfo]:
    """Prove the address is a Plex server and the token may drive its butler.

    Returns the server's machine identifier and description. Each step has
    its own error, so people can tell a typo in the host from a wrong or a
    non-owner token.
    """
    try:
        client = await async_create_client(hass, data)
    except ValueError as err:
        raise CheckError("invalid_host") from err
    # The identity needs no token: an answer proves a Plex server listens.
    with _check_errors(response="not_plex"):
        identity = await client.async_get_identity()
    # Any valid token may read the server's description...
    with _check_errors(auth="invalid_auth"):
        server = await client.async_get_server_info()
    # ...but only the owner's may see the butler.
    with _check_errors(auth="not_admin"):
        await client.async_get_tasks()
    return identity.machine_identifier, server


async def async_identify(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """The machine identifier of what answers at the address, which needs no token.

    For a server that announced itself: it is reachable and a Plex server,
    or neither.
    """
    try:
        client = await async_create_client(hass, data)
        identity = await client.async_get_identity()
    except PlexConnectionError as err:
        raise CheckError("cannot_connect") from err
    except (PlexError, ValueError) as err:
        raise CheckError("not_plex") from err
    return identity.machine_identifier


@contextmanager
def _check_errors(
    *, auth: str = "invalid_auth", response: str = "unexpected_response"
) -> Iterator[None]:
    try:
        yield
    except PlexAuthenticationError as err:
        raise CheckError(auth) from err
    except PlexConnectionError as err:
        raise CheckError("cannot_connect") from err
    except PlexError as err:
        LOGGER.debug("Unexpected answer while checking the server: %s", err)
        raise CheckError(response) from err
    except Exception as err:
        # A bug or a library's surprise must show a message, not a broken form.
        LOGGER.exception("Unexpected error while checking the server")
        raise CheckError("unknown") from err


class ConnectionProbes:
    """Asks several addresses at once which server answers there, for one flow.

    A probe of an IP address stops as soon as its answer cannot matter any
    more, and when the flow ends: a closed dialog leaves no request behind.
    A probe of a host name runs out its short timeout instead: cancelled
    during its name lookup, aiohttp's shielded lookup reports a later
    failure as an error on Python 3.14 (CPython gh-156321).
    """

    def __init__(self) -> None:
        """Nothing is asked until `async_first_answering`."""
        self._stoppable: set[asyncio.Task[bool]] = set()

    async def async_first_answering(
        self,
        hass: HomeAssistant,
        candidates: list[dict[str, Any]],
        machine_identifier: str,
    ) -> dict[str, Any] | None:
        """The first candidate, in order, whose `/identity` names this server.

        All are asked at once, so unreachable ones cost one short timeout in
        all, not one each, and a better one that answers is not kept waiting
        by a worse one; a connection that another server answers (an address
        now used by someone else) does not count.
        """
        probes = [
            self._async_start(hass, data, machine_identifier) for data in candidates
        ]
        try:
            for data, probe in zip(candidates, probes, strict=True):
                await asyncio.wait([probe])
                if not probe.cancelled() and probe.result():
                    return data
            return None
        finally:
            # The worse candidates behind the one chosen, or all of them
            # when the flow went away meanwhile; each one stopped is waited
            # for, so none outlives the answer.
            if stopped := [probe for probe in probes if probe in self._stoppable]:
                for probe in stopped:
                    probe.cancel()
                await asyncio.wait(stopped)

    @callback
    def async_cancel(self) -> None:
        """The flow ended: stop every probe that can be stopped."""
        for probe in self._stoppable:
            probe.cancel()

    def _async_start(
        self, hass: HomeAssistant, data: dict[str, Any], machine_identifier: str
    ) -> asyncio.Task[bool]:
        probe = hass.async_create_background_task(
            _async_probe(hass, data, machine_identifier),
            f"butler probe {data[CONF_HOST]}:{data[CONF_PORT]}",
        )
        try:
            ip_address(data[CONF_HOST])
        except ValueError:
            return probe
        self._stoppable.add(probe)
        probe.add_done_callback(self._stoppable.discard)
        return probe


async def _async_probe(
    hass: HomeAssistant, data: dict[str, Any], machine_identifier: str
) -> bool:
    """Whether this server answers at the address, within a short timeout."""
    try:
        client = await async_create_client(
            hass, data, request_timeout=CONNECTION_PROBE_TIMEOUT
        )
        identity = await client.async_get_identity()
    except PlexError, ValueError:
        return False
    if identity.machine_identifier != machine_identifier:
        LOGGER.debug(
            "%s:%s answers as another Plex server", data[CONF_HOST], data[CONF_PORT]
        )
        return False
    return True
