"""Keeps one Plex server's butler state fresh, and runs commands on it one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import instance_id
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.loader import async_get_integration

from .const import DOMAIN, LOGGER, SCAN_INTERVAL
from .plex import (
    DEFAULT_TIMEOUT,
    Activity,
    ButlerTask,
    PlexAuthenticationError,
    PlexClient,
    PlexConnectionError,
    PlexError,
    PlexTaskNotFoundError,
    ServerInfo,
)

type ButlerConfigEntry = ConfigEntry[ButlerCoordinator]


async def async_create_client(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> PlexClient:
    """Build a client from config entry data; ValueError when the host is not usable.

    The Home Assistant installation's id is the stable client identifier
    Plex asks well-behaved clients to send; product name and version are the
    manifest's.
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
        request_timeout=DEFAULT_TIMEOUT,
        product=integration.name,
        product_version=str(integration.version),
        device_name=hass.config.location_name,
    )


@dataclass(frozen=True, slots=True)
class ButlerData:
    """What the server's butler looks like right now."""

    tasks: dict[str, ButlerTask]
    """Tasks by code name, in the server's order."""
    scheduled_by_setting: frozenset[str]
    """Names of the tasks whose place in the schedule a server setting controls.

    The last answer the server gave; `settings_current` says whether it is
    this refresh's.
    """
    settings_current: bool
    """Whether the server's settings could be read in this refresh."""
    activity: Activity | None
    """The butler's run, while there is one."""
    activities_current: bool
    """Whether the server's activities could be read in this refresh."""

    @property
    def running(self) -> bool:
        """Whether the butler is working through tasks."""
        return self.activity is not None


class ButlerCoordinator(DataUpdateCoordinator[ButlerData]):
    """Polls the butler's tasks, whether it runs, and which tasks can be scheduled.

    One lock per server serialises polls and commands, so a dead server
    costs one timeout, not one per queued command: a command that was
    waiting while the server failed fails at once, without asking it again.
    """

    config_entry: ButlerConfigEntry
    server: ServerInfo

    def __init__(
        self, hass: HomeAssistant, entry: ButlerConfigEntry, client: PlexClient
    ) -> None:
        """Set up the coordinator for one server."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=SCAN_INTERVAL,
        )
        self.client = client
        self._lock = asyncio.Lock()
        # Counts connection failures; a command remembers the count it saw
        # when it was asked for, so it can tell the server failed meanwhile.
        self._outages = 0
        self._scheduled: frozenset[str] = frozenset()
        self._failing_reads: set[str] = set()

    @override
    async def _async_setup(self) -> None:
        """Read the server's name and version once, for its device."""
        async with self._lock, self._update_errors():
            self.server = await self.client.async_get_server_info()

    @override
    async def _async_update_data(self) -> ButlerData:
        """Fetch tasks, then activities and settings.

        The task list is what the buttons need; when only activities or
        settings fail, the tasks stay usable and what depends on the failing
        read is marked as not current.
        """
        async with self._lock, self._update_errors():
            tasks = await self.client.async_get_tasks()
            activities = await self._async_read_aside(
                "activities", self.client.async_get_activities
            )
            settings = await self._async_read_aside(
                "settings", self.client.async_get_settings
            )
        if settings is not None:
            self._scheduled = frozenset(
                task.name
                for task in tasks
                if (setting := settings.get(task.schedule_setting)) is not None
                and setting.type in (None, "bool")
            )
        return ButlerData(
            tasks={task.name: task for task in tasks},
            scheduled_by_setting=self._scheduled,
            settings_current=settings is not None,
            activity=next((a for a in activities or () if a.is_butler), None),
            activities_current=activities is not None,
        )

    async def _async_read_aside[T](
        self, what: str, read: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Read what only some entities need; None when it fails, logged once."""
        try:
            value = await read()
        except PlexAuthenticationError:
            raise
        except PlexError as err:
            if what not in self._failing_reads:
                self._failing_reads.add(what)
                LOGGER.warning(
                    "%s: cannot read the server's %s (%s); the butler's tasks stay usable",
                    self.config_entry.title,
                    what,
                    err,
                )
            return None
        if what in self._failing_reads:
            self._failing_reads.discard(what)
            LOGGER.info(
                "%s: the server's %s can be read again", self.config_entry.title, what
            )
        return value

    async def async_command[T](
        self, command: Callable[[PlexClient], Awaitable[T]]
    ) -> T:
        """Run one command on the server, then show the server's new state.

        Errors come out as translated `HomeAssistantError`s naming the
        server; the technical detail goes to the debug log. A refused token
        starts reauthentication. A connection failure marks the server
        unavailable at once and asks for a refresh. A task the server
        dropped is no outage: the refresh makes its entities go away.
        """
        outages_seen = self._outages
        task_gone: PlexTaskNotFoundError | None = None
        async with self._lock:
            if self._outages != outages_seen:
                # The server failed while this command waited: do not make
                # people wait a second timeout to learn the same thing.
                raise self._translated("cannot_connect")
            try:
                result = await command(self.client)
            except PlexConnectionError as err:
                self._outages += 1
                self.async_set_update_error(
                    UpdateFailed(**self._translation("cannot_connect"))
                )
                LOGGER.debug("%s: command failed: %s", self.config_entry.title, err)
                self.config_entry.async_create_background_task(
                    self.hass, self.async_request_refresh(), "butler refresh"
                )
                raise self._translated("cannot_connect") from err
            except PlexAuthenticationError as err:
                self.config_entry.async_start_reauth(self.hass)
                raise self._translated("invalid_auth") from err
            except PlexTaskNotFoundError as err:
                task_gone = err
            except PlexError as err:
                LOGGER.debug("%s: command failed: %s", self.config_entry.title, err)
                raise self._translated("unexpected_response") from err
        # Commands are not debounced: people press one button after another
        # and each should show its effect.
        await self.async_refresh()
        if task_gone is not None:
            raise self._translated("task_not_found", task=task_gone.task) from task_gone
        return result

    def _translation(self, key: str, **placeholders: str) -> dict[str, Any]:
        return {
            "translation_domain": DOMAIN,
            "translation_key": key,
            "translation_placeholders": {
                "server": self.config_entry.title,
                **placeholders,
            },
        }

    def _translated(self, key: str, **placeholders: str) -> HomeAssistantError:
        return HomeAssistantError(**self._translation(key, **placeholders))

    @asynccontextmanager
    async def _update_errors(self) -> AsyncIterator[None]:
        """Turn client errors into the coordinator's: reauth, or unavailable."""
        try:
            yield
        except PlexAuthenticationError as err:
            raise ConfigEntryAuthFailed(**self._translation("invalid_auth")) from err
        except PlexConnectionError as err:
            self._outages += 1
            LOGGER.debug("%s: update failed: %s", self.config_entry.title, err)
            raise UpdateFailed(**self._translation("cannot_connect")) from err
        except PlexError as err:
            LOGGER.debug("%s: update failed: %s", self.config_entry.title, err)
            raise UpdateFailed(**self._translation("unexpected_response")) from err
