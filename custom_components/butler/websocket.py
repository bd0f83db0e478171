"""Follows the server's notification socket, so the butler's state is live."""

from __future__ import annotations

import asyncio
import logging

from homeassistant.core import callback

from .const import LOGGER, RECONNECT_MAX, RECONNECT_MIN, SCAN_INTERVAL
from .coordinator import ButlerCoordinator
from .plex import (
    HEARTBEAT,
    ActivityNotification,
    PlexAuthenticationError,
    PlexConnectionClosedError,
    PlexError,
)


class ButlerPushListener:
    """Keeps the notification socket open for as long as the entry is loaded.

    A notification only tells the coordinator to read the activities again,
    so a socket that never comes up, or falls over, costs nothing beyond
    going back to polling every 30 seconds, which the coordinator does on
    its own. A socket that closes may mean the server went away: one refresh
    right then shows it, instead of the next poll. Whatever else ends the
    listening (a bug in the client or in a callback) is handled the same
    way, so push never stops for the entry's lifetime; only cancelling
    (the entry unloading) ends it.
    """

    def __init__(self, coordinator: ButlerCoordinator) -> None:
        """Prepare the listener; nothing connects before `async_run`."""
        self._coordinator = coordinator
        self._retry = RECONNECT_MIN
        self._failing = False
        self._connected_before = False

    async def async_run(self) -> None:
        """Connect, listen, and reconnect with back-off, until cancelled."""
        while True:
            try:
                await self._coordinator.client.async_listen(
                    self._on_notification,
                    on_connected=self._on_connected,
                    heartbeat=HEARTBEAT,
                )
            except Exception as err:
                # Not only a PlexError: a bug must not end push for good.
                self._on_lost(err)
            await asyncio.sleep(self._retry.total_seconds())
            self._retry = min(self._retry * 2, RECONNECT_MAX)

    @callback
    def _on_connected(self) -> None:
        coordinator = self._coordinator
        coordinator.async_set_push(True)
        self._retry = RECONNECT_MIN
        if self._failing:
            self._failing = False
            LOGGER.info("%s: live updates are back", coordinator.config_entry.title)
        if not self._connected_before:
            # Setup has just read everything; only a run that started
            # meanwhile can be missing.
            self._connected_before = True
            coordinator.async_activities_changed()
            return
        # Back after the socket failed: whatever changed meanwhile (and
        # whether the server answers again) is read now, in full.
        coordinator.config_entry.async_create_background_task(
            coordinator.hass, coordinator.async_refresh(), "butler resync"
        )

    @callback
    def _on_notification(self, notification: ActivityNotification) -> None:
        LOGGER.debug(
            "%s: activity %s", self._coordinator.config_entry.title, notification.event
        )
        self._coordinator.async_activities_changed()

    @callback
    def _on_lost(self, err: Exception) -> None:
        coordinator = self._coordinator
        LOGGER.debug("%s: notification socket: %s", coordinator.config_entry.title, err)
        if not coordinator.push_connected:
            self._log_once(err)
            return
        coordinator.async_set_push(False)
        # A server that stops or restarts closes the socket first: one
        # refresh now shows it unavailable, not at the next poll.
        coordinator.config_entry.async_create_background_task(
            coordinator.hass, self._async_check_server(err), "butler socket closed"
        )

    async def _async_check_server(self, err: Exception) -> None:
        await self._coordinator.async_refresh()
        self._log_once(err)

    def _log_once(self, err: Exception) -> None:
        """Say once that updates are polled now, unless the server itself is down.

        An unreachable server is logged once, as such, by the coordinator.
        An error that is not the server's is a bug: it is logged with its
        traceback whatever the server's state, once until the socket is back.
        """
        coordinator = self._coordinator
        plex_error = isinstance(err, PlexError)
        if self._failing or (plex_error and not coordinator.last_update_success):
            return
        self._failing = True
        LOGGER.log(
            logging.WARNING if plex_error else logging.ERROR,
            "%s: no live updates from the server (%s); polling every %d s and reconnecting",
            coordinator.config_entry.title,
            _why_lost(err),
            SCAN_INTERVAL.total_seconds(),
            exc_info=None if plex_error else err,
        )


def _why_lost(err: Exception) -> str:
    match err:
        case PlexConnectionClosedError():
            return "the connection closed"
        case PlexAuthenticationError():
            return "the token was refused"
        case PlexError():
            return "the connection was refused"
    return "an unexpected error"
