"""What Home Assistant remembers about one Plex server's past, across restarts.

Plex says some things once, by webhook: that it backed up its database,
that it found it corrupt. `ServerMemory` keeps them in a store of its own
per config entry, so they outlive a reload or a restart whichever entities
are enabled. The data is versioned: later versions add to it (keys a minor
version adds are read with their defaults) and migrate it.

The memory is the truth about the database's health. The repair issue is
how the owner sees a corrupt database and confirms its repair, so the
memory keeps the issue in step with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DATABASE_REPAIR_URL, DOMAIN, LOGGER

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 1
# Changes come a few a day at most; the delay joins those of one moment
# (a backup that also closes a corruption report) into one write.
SAVE_DELAY = 10

ISSUE_DATABASE_CORRUPTED = "database_corrupted"
# The issue's data names its entry, for the fix flow.
ISSUE_ENTRY_ID = "entry_id"

_LAST_BACKUP = "last_database_backup"
_CORRUPTED_SINCE = "database_corrupted_since"


class MemoryUnreadableError(Exception):
    """What the store holds is not what this version of the integration wrote."""


class ServerMemory:
    """When the server's database was last backed up, and since when it is corrupt.

    Loaded once when the entry sets up (`async_load`); every change is
    written a few seconds later, and at once when the entry unloads
    (`async_flush`), so a reload reads what the last run knew. Home
    Assistant's stop writes what is still waiting.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Remember nothing yet; `async_load` reads what is stored."""
        self._hass = hass
        self._entry = entry
        self._store = _MemoryStore(hass, entry.entry_id)
        self._issue_id = f"{ISSUE_DATABASE_CORRUPTED}_{entry.entry_id}"
        self._last_backup: datetime | None = None
        self._corrupted_since: datetime | None = None
        self._unsaved = False

    @property
    def last_database_backup(self) -> datetime | None:
        """When Plex last said that it backed up its database."""
        return self._last_backup

    @property
    def database_corrupted(self) -> bool:
        """Whether Plex reported the database corrupt and that is not resolved."""
        return self._corrupted_since is not None

    async def async_load(self) -> None:
        """Read what is stored; what cannot be read is logged once and forgotten.

        With nothing stored (the first run of this version, or data that
        could not be read), an open repair issue of a corrupt database is
        what was known: the memory takes it over. Otherwise the issue is
        made to match the memory, also when the issue was lost.
        """
        # A file not in the store's shape (no version, not an object) fails
        # inside the store with a KeyError or TypeError.
        try:
            stored = await self._store.async_load()
            if stored is not None:
                self._last_backup, self._corrupted_since = _read(stored)
        except (HomeAssistantError, MemoryUnreadableError, KeyError, TypeError) as err:
            LOGGER.warning(
                "%s: what Home Assistant remembered of the server cannot be read "
                "(%s); it starts again with nothing",
                self._entry.title,
                err,
            )
            stored = None
        if stored is None and (
            issue := ir.async_get(self._hass).async_get_issue(DOMAIN, self._issue_id)
        ):
            self._corrupted_since = issue.created
            self._async_save_soon()
        self._async_show_database_health()

    @callback
    def async_take_last_backup(self, when: datetime) -> None:
        """A last backup known from before this memory (a sensor's restored state).

        Taken only while the memory knows of none: what it knows is newer.
        """
        if self._last_backup is None:
            self._last_backup = when
            self._async_save_soon()

    @callback
    def async_database_backed_up(self, when: datetime) -> None:
        """Plex backed up the database, which also means it is no longer corrupt."""
        self._last_backup = when
        self._corrupted_since = None
        self._async_save_soon()
        self._async_show_database_health()

    @callback
    def async_database_corrupted(self, when: datetime) -> None:
        """Plex found the database corrupt; a second report keeps the first one's time."""
        if self._corrupted_since is None:
            self._corrupted_since = when
            self._async_save_soon()
        self._async_show_database_health()

    @callback
    def async_database_repaired(self) -> None:
        """The owner confirmed that the database is repaired."""
        self._corrupted_since = None
        self._async_save_soon()
        self._async_show_database_health()

    async def async_flush(self) -> None:
        """Write what is still waiting, now: the entry unloads."""
        if self._unsaved:
            await self._store.async_save(self._saved_now())

    async def async_remove(self) -> None:
        """The entry is deleted: its stored memory and repair issue go with it."""
        await self._store.async_remove()
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)

    def as_dict(self) -> dict[str, Any]:
        """What is remembered, as it is stored."""
        return {
            _LAST_BACKUP: _isoformat(self._last_backup),
            _CORRUPTED_SINCE: _isoformat(self._corrupted_since),
        }

    @callback
    def _async_save_soon(self) -> None:
        self._unsaved = True
        self._store.async_delay_save(self._saved_now, SAVE_DELAY)

    def _saved_now(self) -> dict[str, Any]:
        """The data to write; whoever asks for it writes it."""
        self._unsaved = False
        return self.as_dict()

    @callback
    def _async_show_database_health(self) -> None:
        if self._corrupted_since is None:
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
            return
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id,
            data={ISSUE_ENTRY_ID: self._entry.entry_id},
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR,
            learn_more_url=DATABASE_REPAIR_URL,
            translation_key=ISSUE_DATABASE_CORRUPTED,
            translation_placeholders={
                "server": self._entry.title,
                "url": DATABASE_REPAIR_URL,
            },
        )


class _MemoryStore(Store[dict[str, Any]]):
    """One server's memory on disk, in `.storage/butler.<entry id>`."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
        )

    @override
    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Bring data another version of the integration wrote to this version's shape.

        Minor versions only add keys, read with their defaults, so data of
        another minor version reads as it is. A new major version adds the
        step from the one before it here. (A newer major version than this
        one never gets here: the store refuses it, and the memory starts
        again with nothing.)
        """
        return old_data


def _read(stored: Any) -> tuple[datetime | None, datetime | None]:
    """The last backup and the corruption's start, from what the store holds."""
    if not isinstance(stored, dict):
        raise MemoryUnreadableError(f"a {type(stored).__name__}, not a mapping")
    return _moment(stored, _LAST_BACKUP), _moment(stored, _CORRUPTED_SINCE)


def _moment(stored: dict[str, Any], key: str) -> datetime | None:
    if (value := stored.get(key)) is None:
        return None
    if (
        isinstance(value, str)
        and (moment := dt_util.parse_datetime(value)) is not None
        and moment.tzinfo is not None
    ):
        return moment
    raise MemoryUnreadableError(f"{key} is not a time")


def _isoformat(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
