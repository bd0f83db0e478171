"""Keeps one Plex server's butler state fresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import DOMAIN, LOGGER, SCAN_INTERVAL
from .helpers import plex_error_translation
from .plex import (
    Activity,
    ButlerTask,
    PlexAuthenticationError,
    PlexClient,
    PlexError,
    ServerInfo,
)

type ButlerConfigEntry = ConfigEntry[ButlerCoordinator]


@dataclass(frozen=True, slots=True)
class ButlerData:
    """What the server's butler looks like right now."""

    tasks: dict[str, ButlerTask]
    """Tasks by code name, in the server's order."""
    scheduled_by_setting: frozenset[str]
    """Names of the tasks whose place in the schedule a server setting controls."""
    activity: Activity | None
    """The butler's run, while there is one."""

    @property
    def running(self) -> bool:
        """Whether the butler is working through tasks."""
        return self.activity is not None


class ButlerCoordinator(DataUpdateCoordinator[ButlerData]):
    """Polls the butler's tasks, whether it runs, and which tasks can be scheduled."""

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

    @override
    async def _async_setup(self) -> None:
        """Read the server's name and version once, for its device."""
        async with _plex_update_errors():
            self.server = await self.client.async_get_server_info()

    @override
    async def _async_update_data(self) -> ButlerData:
        """Fetch tasks, activities and settings."""
        async with _plex_update_errors():
            tasks = await self.client.async_get_tasks()
            activities = await self.client.async_get_activities()
            settings = await self.client.async_get_settings()
        return ButlerData(
            tasks={task.name: task for task in tasks},
            scheduled_by_setting=frozenset(
                task.name
                for task in tasks
                if (setting := settings.get(task.schedule_setting)) is not None
                and setting.type in (None, "bool")
            ),
            activity=next((a for a in activities if a.is_butler), None),
        )


@asynccontextmanager
async def _plex_update_errors() -> AsyncIterator[None]:
    """Turn client errors into the coordinator's: reauth, or unavailable."""
    try:
        yield
    except PlexAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except PlexError as err:
        key, placeholders = plex_error_translation(err)
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        ) from err
