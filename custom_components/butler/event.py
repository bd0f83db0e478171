"""Event entity: the butler started, finished, a task was started; the database backed up or corrupt."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    EVENT_BUTLER_FINISHED,
    EVENT_BUTLER_STARTED,
    EVENT_DATABASE_BACKED_UP,
    EVENT_DATABASE_CORRUPTED,
    EVENT_TASK_STARTED,
)
from .coordinator import ButlerConfigEntry
from .entity import ButlerEntity

# The coordinator does all the fetching.
PARALLEL_UPDATES = 0

BUTLER_EVENTS = EventEntityDescription(
    key="butler",
    translation_key="butler",
    # The database's events come from Plex's webhooks (Plex Pass): without
    # them these two never fire.
    event_types=[
        EVENT_BUTLER_STARTED,
        EVENT_BUTLER_FINISHED,
        EVENT_TASK_STARTED,
        EVENT_DATABASE_BACKED_UP,
        EVENT_DATABASE_CORRUPTED,
    ],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the butler's event entity."""
    async_add_entities([ButlerEventEntity(entry.runtime_data, BUTLER_EVENTS)])


class ButlerEventEntity(ButlerEntity, EventEntity):
    """Fires on the butler's runs, tasks started here, and Plex's database webhooks.

    Its state is the time of the last event, which Home Assistant keeps
    across restarts: it answers "when did the butler last finish?".
    """

    async def async_added_to_hass(self) -> None:
        """Listen to the server's butler events while the entity exists."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, self.coordinator.event_signal, self._async_handle_event
            )
        )

    @callback
    def _async_handle_event(self, event_type: str, attributes: dict[str, Any]) -> None:
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
