"""The server's database as Plex reports it by webhook, and as its owner repairs it.

The server's memory (`memory.py`) keeps when the database was last backed
up and whether it is corrupt, and shows a corrupt database as a repair
issue. Plex's webhooks change it, and so does the owner confirming the
repair in Repairs; the next backup Plex reports also counts as repaired.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import EVENT_DATABASE_BACKED_UP, EVENT_DATABASE_CORRUPTED, LOGGER
from .coordinator import ButlerConfigEntry
from .memory import ServerMemory


@callback
def async_database_backed_up(hass: HomeAssistant, entry: ButlerConfigEntry) -> None:
    """Plex backed up the database: note when, and close a corruption report."""
    coordinator = entry.runtime_data
    coordinator.memory.async_database_backed_up(dt_util.utcnow())
    coordinator.async_emit_event(EVENT_DATABASE_BACKED_UP, {})
    coordinator.async_update_listeners()


@callback
def async_database_corrupted(hass: HomeAssistant, entry: ButlerConfigEntry) -> None:
    """Plex found the database corrupt: remember it (a repair issue shows it), fire the event."""
    LOGGER.warning(
        "%s reports that its database is corrupt; see Settings → Repairs", entry.title
    )
    coordinator = entry.runtime_data
    coordinator.memory.async_database_corrupted(dt_util.utcnow())
    coordinator.async_emit_event(EVENT_DATABASE_CORRUPTED, {})
    coordinator.async_update_listeners()


async def async_database_repaired(
    hass: HomeAssistant, entry: ButlerConfigEntry
) -> None:
    """The owner confirmed in Repairs that the database is repaired."""
    if entry.state is ConfigEntryState.LOADED:
        coordinator = entry.runtime_data
        coordinator.memory.async_database_repaired()
        coordinator.async_update_listeners()
        return
    # The entry is not set up (its server is away, or it is disabled): its
    # memory is read and written here, or the next setup would raise the
    # issue again.
    memory = ServerMemory(hass, entry)
    await memory.async_load()
    memory.async_database_repaired()
    await memory.async_flush()
