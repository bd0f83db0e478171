"""Find Plex servers on the network with GDM, as Plex's own apps do.

Home Assistant runs a custom integration only once one of its servers is set
up, so the first server comes from signing in or from zeroconf; GDM then
finds the others, and finds a server again after it moved.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
import time

from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.util.hass_dict import HassKey

from .connection import reaches_server
from .const import (
    CONF_MACHINE_IDENTIFIER,
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
