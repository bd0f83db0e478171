"""Find Plex servers on the network with GDM, as Plex's own apps do.

Home Assistant runs a custom integration only once one of its servers is set
up, so the first server comes from signing in or from zeroconf; GDM then
finds the others, and finds a server again after it moved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from ipaddress import IPv4Address, ip_address
import os
import time
from typing import Any

from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_INTEGRATION_DISCOVERY
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
from homeassistant.util.hass_dict import HassKey

from .connection import ConnectionProbes, reaches_server
from .const import (
    CONF_MACHINE_IDENTIFIER,
    DEV_GDM_ENV,
    DOMAIN,
    GDM_INTERVAL,
    GDM_RETRY_COOLDOWN,
    LOGGER,
)
from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .plex import GDM_ADDRESS, GdmServer, async_gdm_search

DATA_GDM: HassKey[GdmDiscovery] = HassKey(f"{DOMAIN}_gdm")


@callback
def async_stop_gdm_unless_needed(
    hass: HomeAssistant, unloading: ButlerConfigEntry
) -> None:
    """Stop searching when the last loaded server is being unloaded."""
    others = [
        entry
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if entry.entry_id != unloading.entry_id
    ]
    if not others and (discovery := hass.data.get(DATA_GDM)) is not None:
        discovery.async_stop()


@callback
def async_start_gdm(hass: HomeAssistant) -> GdmDiscovery:
    """Start searching, once for the whole installation; later calls get the same search."""
    if (discovery := hass.data.get(DATA_GDM)) is None:
        discovery = hass.data[DATA_GDM] = GdmDiscovery(hass)
        discovery.async_start()
    return discovery


def _target() -> tuple[str, int]:
    """Where searches go: Plex's multicast group, or a developer's responder."""
    stand_in = os.environ.get(DEV_GDM_ENV, "").strip()
    host, _, port = stand_in.rpartition(":")
    if host and port.isdigit():
        return host, int(port)
    return GDM_ADDRESS


class GdmDiscovery:
    """Searches at start, every 15 minutes, and when a server stops answering."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Prepare; nothing is sent until `async_start`."""
        self._hass = hass
        self._unsubs: list[CALLBACK_TYPE] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_missing_search = float("-inf")
        self._failing = False

    @callback
    def async_start(self) -> None:
        """Search once Home Assistant has started, then on a timer."""
        self._unsubs = [
            async_at_started(self._hass, self._async_started),
            async_track_time_interval(
                self._hass, self._async_timer, GDM_INTERVAL, cancel_on_shutdown=True
            ),
        ]

    @callback
    def async_stop(self) -> None:
        """The last server was unloaded: stop searching."""
        self._hass.data.pop(DATA_GDM, None)
        for unsub in self._unsubs:
            unsub()
        for task in self._tasks:
            task.cancel()

    async def _async_started(self, hass: HomeAssistant) -> None:
        self.async_search()

    @callback
    def _async_timer(self, now: datetime) -> None:
        self.async_search()

    @callback
    def async_search_if_unreachable(self, coordinator: ButlerCoordinator) -> None:
        """Search at once when a server stops answering: it may have moved.

        Coordinators call this on every update; at most one such search a
        minute goes out, whatever the number of servers that are down.
        """
        if coordinator.last_update_success:
            return
        now = time.monotonic()
        if now - self._last_missing_search < GDM_RETRY_COOLDOWN.total_seconds():
            return
        self._last_missing_search = now
        self.async_search()

    @callback
    def async_search(self) -> None:
        """Send one search; it listens for answers for a few seconds."""
        task = self._hass.async_create_background_task(
            self._async_search(), "butler GDM search"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _async_search(self) -> None:
        try:
            await async_gdm_search(self._async_found, target=_target())
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
