"""The server's database as Plex reports it by webhook: backed up, or found corrupt.

Whether the database has a problem lives in one place, the repair issue:
Home Assistant keeps it across restarts, the owner closes it by confirming
the repair, and the next backup Plex reports closes it too. The *Database*
problem sensor shows whether it is open.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import (
    DATABASE_REPAIR_URL,
    DOMAIN,
    EVENT_DATABASE_BACKED_UP,
    EVENT_DATABASE_CORRUPTED,
    LOGGER,
)
from .coordinator import ButlerConfigEntry

ISSUE_DATABASE_CORRUPTED = "database_corrupted"


def corruption_issue_id(entry: ButlerConfigEntry) -> str:
    """The repair issue of one server's corrupt database."""
    return f"{ISSUE_DATABASE_CORRUPTED}_{entry.entry_id}"


def database_corrupted(hass: HomeAssistant, entry: ButlerConfigEntry) -> bool:
    """Whether Plex reported the database corrupt and nobody has closed that since."""
    return (
        ir.async_get(hass).async_get_issue(DOMAIN, corruption_issue_id(entry))
        is not None
    )


@callback
def async_database_backed_up(hass: HomeAssistant, entry: ButlerConfigEntry) -> None:
    """Plex backed up the database: note when, and close a corruption report.

    A backup Plex reports as done is taken as the sign that the database
    was repaired, as is the owner confirming it in Repairs.
    """
    coordinator = entry.runtime_data
    coordinator.last_database_backup = dt_util.utcnow()
    ir.async_delete_issue(hass, DOMAIN, corruption_issue_id(entry))
    coordinator.async_emit_event(EVENT_DATABASE_BACKED_UP, {})
    coordinator.async_update_listeners()


@callback
def async_database_corrupted(hass: HomeAssistant, entry: ButlerConfigEntry) -> None:
    """Plex found the database corrupt: raise the repair issue, fire the event."""
    LOGGER.warning(
        "%s reports that its database is corrupt; see Settings → Repairs", entry.title
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        corruption_issue_id(entry),
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.ERROR,
        learn_more_url=DATABASE_REPAIR_URL,
        translation_key=ISSUE_DATABASE_CORRUPTED,
        translation_placeholders={"server": entry.title, "url": DATABASE_REPAIR_URL},
    )
    entry.runtime_data.async_emit_event(EVENT_DATABASE_CORRUPTED, {})
    entry.runtime_data.async_update_listeners()


@callback
def async_forget_database(hass: HomeAssistant, entry: ButlerConfigEntry) -> None:
    """The server's entry is deleted: its repair issue goes with it."""
    ir.async_delete_issue(hass, DOMAIN, corruption_issue_id(entry))
