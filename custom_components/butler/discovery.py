"""Find Plex servers on the network with GDM, as Plex's own apps do.

Home Assistant runs a custom integration only once one of its servers is set
up, so the first server comes from signing in or from zeroconf; GDM then
finds the others, and finds a server again after it moved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from ipaddress import IPv4Address, ip_address
from typing import Any

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_INTEGRATION_DISCOVERY,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .connection import ConnectionProbes, reaches_server
from .const import (
    CONF_MACHINE_IDENTIFIER,
    DOMAIN,
    GDM_INTERVAL,
    GDM_MISSING_INTERVAL,
    LOGGER,
)
from .coordinator import ButlerConfigEntry
from .plex import GDM_ADDRESS, GdmServer, async_gdm_search

DATA_GDM: HassKey[GdmDiscovery] = HassKey(f"{DOMAIN}_gdm")
# The minute's timer may run a little late or early: a search 14.5
# minutes old is 15 minutes old, not 16 at the next minute.
_SCAN_AGE = GDM_INTERVAL - GDM_MISSING_INTERVAL / 2


# An entry in these states wants its server found: it is set up, being set
# up, or Home Assistant keeps retrying it because the server did not answer.
_SEARCHING_STATES = (
    ConfigEntryState.LOADED,
    ConfigEntryState.SETUP_IN_PROGRESS,
    ConfigEntryState.SETUP_RETRY,
)


def _entries_that_search(
    hass: HomeAssistant, leaving: ConfigEntry | None = None
) -> list[ButlerConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state in _SEARCHING_STATES
        and (leaving is None or entry.entry_id != leaving.entry_id)
    ]


@callback
def async_stop_gdm_unless_needed(hass: HomeAssistant, leaving: ConfigEntry) -> None:
    """Stop searching when no other server is set up or waiting to be."""
    if not _entries_that_search(hass, leaving) and (
        discovery := hass.data.get(DATA_GDM)
    ):
        discovery.async_stop()


@callback
def async_start_gdm(hass: HomeAssistant) -> GdmDiscovery:
    """Start searching, once for the whole installation; later calls get the same search."""
    if (discovery := hass.data.get(DATA_GDM)) is None:
        discovery = hass.data[DATA_GDM] = GdmDiscovery(hass)
        discovery.async_start()
    return discovery


class GdmDiscovery:
    """Searches at start, then looks once a minute whether to search again.

    It searches when a set-up server does not answer (it may have moved),
    and otherwise every 15 minutes (for new servers): at most one search a
    minute, however many servers are away, for as long as one is.

    The minute is a timer of its own, not a coordinator listener: a
    coordinator tells its listeners when a refresh succeeds or its success
    changes, not when a refresh fails after one that failed, so listeners
    would search once per outage, and a server that answered at its new
    address only after that search would not be followed for 15 minutes.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Prepare; nothing is sent until `async_start`."""
        self._hass = hass
        self._unsubs: list[CALLBACK_TYPE] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_search = datetime.min.replace(tzinfo=UTC)
        self._failing = False

    @callback
    def async_start(self) -> None:
        """Search once Home Assistant has started, then look every minute."""
        self._unsubs = [
            async_at_started(self._hass, self._async_started),
            async_track_time_interval(
                self._hass,
                self._async_minute,
                GDM_MISSING_INTERVAL,
                cancel_on_shutdown=True,
            ),
        ]

    @callback
    def async_stop(self) -> None:
        """Nothing needs searching any more: stop."""
        self._hass.data.pop(DATA_GDM, None)
        for unsub in self._unsubs:
            unsub()
        for task in self._tasks:
            task.cancel()

    async def _async_started(self, hass: HomeAssistant) -> None:
        self.async_search()

    @callback
    def _async_minute(self, now: datetime) -> None:
        """Search if a server is away, or if the last search is 15 minutes old."""
        entries = _entries_that_search(self._hass)
        if not entries:
            # The last server was disabled while Home Assistant retried it:
            # nothing unloads it, so nothing else stops the search.
            self.async_stop()
            return
        if now - self._last_search >= _SCAN_AGE or not all(
            reaches_server(entry) for entry in entries
        ):
            self.async_search()

    @callback
    def async_search(self) -> None:
        """Send one search; it listens for answers for a few seconds."""
        self._last_search = dt_util.utcnow()
        task = self._hass.async_create_background_task(
            self._async_search(), "butler GDM search"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _async_search(self) -> None:
        try:
            # Named here, not left to the default, so the demo's development
            # integration can point this module's GDM_ADDRESS at its responder.
            await async_gdm_search(self._async_found, target=GDM_ADDRESS)
        except OSError as err:
            if not self._failing:
                LOGGER.info("Cannot search the network for Plex servers: %s", err)
            self._failing = True
        else:
            self._failing = False

    @callback
    def _async_found(self, server: GdmServer) -> None:
        """Hand a server to Home Assistant unless it is set up and answering."""
        entry: ButlerConfigEntry | None = (
            self._hass.config_entries.async_entry_for_domain_unique_id(
                DOMAIN, server.machine_identifier
            )
        )
        if entry is not None and (
            entry.source == SOURCE_IGNORE or reaches_server(entry)
        ):
            return
        LOGGER.debug("GDM found %s at %s:%s", server.name, server.host, server.port)
        discovery_flow.async_create_flow(
            self._hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                CONF_MACHINE_IDENTIFIER: server.machine_identifier,
                CONF_NAME: server.name,
                CONF_HOST: server.host,
                CONF_PORT: server.port,
            },
            discovery_key=discovery_flow.DiscoveryKey(
                domain=DOMAIN, key=server.machine_identifier, version=1
            ),
        )


def discovered_address(host: str, port: int) -> dict[str, Any]:
    """A discovered server's address: found on the LAN, so plain HTTP."""
    return {CONF_HOST: host, CONF_PORT: port, CONF_SSL: False, CONF_VERIFY_SSL: True}


async def async_moved_entry_data(
    hass: HomeAssistant,
    probes: ConnectionProbes,
    machine_id: str,
    host: str,
    port: int,
    *,
    answered: bool,
) -> dict[str, Any]:
    """What changes in the server's entry when it was found at a new address.

    Nothing for a server not set up, ignored, or still answering where it
    is. `answered`: host:port already answered `/identity` as this server
    (zeroconf asks it); a GDM answer is checked first, as it may be stale.
    """
    entry: ButlerConfigEntry | None = (
        hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, machine_id)
    )
    if entry is None or entry.source == SOURCE_IGNORE or reaches_server(entry):
        return {}
    moved = _moved(entry.data, host, port)
    if moved and (
        answered
        or await probes.async_first_answering(
            hass, [{**discovered_address(host, port), CONF_TOKEN: ""}], machine_id
        )
    ):
        return moved
    return {}


def _moved(entry_data: Mapping[str, Any], host: str, port: int) -> dict[str, Any]:
    """The entry's new address when its server answered from `host`.

    An address stored as an IP follows the server. A plex.direct name gets
    the new IP in its first label, which keeps its certificate valid. Any
    other name stays: it is the network's job to resolve it.
    """
    current = str(entry_data.get(CONF_HOST, ""))
    try:
        new_ip = ip_address(host)
    except ValueError:
        return {}
    if current.endswith(".plex.direct"):
        if not isinstance(new_ip, IPv4Address):
            return {}
        _, _, rest = current.partition(".")
        moved = {CONF_HOST: f"{str(new_ip).replace('.', '-')}.{rest}", CONF_PORT: port}
    else:
        try:
            ip_address(current)
        except ValueError:
            return {}
        moved = {CONF_HOST: host, CONF_PORT: port}
    return (
        moved
        if any(entry_data.get(key) != value for key, value in moved.items())
        else {}
    )
