"""What Home Assistant remembers about one Plex server's past, across restarts.

Plex says some things once, by webhook: that it backed up its database,
that it found it corrupt. Its butler's runs are seen once too, as they
happen, and Plex keeps no history of them. `ServerMemory` keeps all of it
in a store of its own per config entry, so it outlives a reload or a
restart whichever entities are enabled. The data is versioned: later
versions add to it (keys a minor version adds are read with their
defaults) and migrate it.

The memory is the truth about the database's health and its backups. The
repair issues are how the owner sees a corrupt database or an overdue
backup and acts on it, so the memory keeps the issues in step with it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import BACKUP_TASK, DATABASE_REPAIR_URL, DOMAIN, LOGGER
from .runs import MAX_AGE, OpenRun, Run, RunChange, RunLog, RunOutcome, bounded

STORAGE_VERSION = 1
# 1.2 adds the runs and since when the server is watched.
STORAGE_MINOR_VERSION = 2
# Changes come a few a day at most (a run's start and end, a webhook); the
# delay joins those of one moment (a backup run's end and Plex's webhook
# about it) into one write.
SAVE_DELAY = 10
# What may wait: a new memory's first day of watching, a run that began
# (needed only if Home Assistant restarts before it ends). It is written with
# the next change, after this, or when Home Assistant stops, whichever comes
# first; so a run costs one write, after it ends.
LATER_SAVE_DELAY = 3600

ISSUE_DATABASE_CORRUPTED = "database_corrupted"
# The issue's data names its entry, for the fix flow.
ISSUE_ENTRY_ID = "entry_id"

_LAST_BACKUP = "last_database_backup"
_CORRUPTED_SINCE = "database_corrupted_since"
_WATCHING_SINCE = "watching_since"
_RUNS = "runs"
_CURRENT_RUN = "current_run"


class BackupOverdue(StrEnum):
    """Why the last backup is too old; the value is the repair issue's translation key."""

    SCHEDULED = "backup_overdue"
    """The backup task is in the schedule, yet no backup came."""
    UNSCHEDULED = "backup_overdue_unscheduled"
    """The backup task is off the schedule."""


ISSUE_BACKUP_OVERDUE = BackupOverdue.SCHEDULED.value


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
        self._backup_issue_id = f"{ISSUE_BACKUP_OVERDUE}_{entry.entry_id}"
        self._last_backup: datetime | None = None
        self._corrupted_since: datetime | None = None
        self._watching_since = dt_util.utcnow()
        self._overdue: BackupOverdue | None = None
        self.runs = RunLog([], None)
        self._unsaved = False

    @property
    def last_database_backup(self) -> datetime | None:
        """The last backup known: Plex's webhook, or the end of a finished backup run seen."""
        run = self.runs.last(BACKUP_TASK, finished=True)
        known = [moment for moment in (self._last_backup, run and run.end) if moment]
        return max(known, default=None)

    @property
    def watching_since(self) -> datetime:
        """Since when Home Assistant watches the server (this memory's first day)."""
        return self._watching_since

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
                self._read(stored)
        except (HomeAssistantError, MemoryUnreadableError, KeyError, TypeError) as err:
            LOGGER.warning(
                "%s: what Home Assistant remembered of the server cannot be read "
                "(%s); it starts again with nothing",
                self._entry.title,
                err,
            )
            stored = None
        if stored is None:
            self._async_save_soon(LATER_SAVE_DELAY)
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

    @callback
    def async_run_seen(self, running: bool, uuid: str | None, task: str | None) -> None:
        """What the server's activities show now: a run begins, goes on or ends.

        A run going on (every progress notification) writes nothing.
        """
        self._async_save_for(self.runs.seen(running, uuid, task, dt_util.utcnow()))

    @callback
    def async_task_started(self, task: str) -> None:
        """Home Assistant started `task`: its run begins now, seen or not."""
        self._async_save_for(self.runs.started(task, dt_util.utcnow()))

    @callback
    def _async_save_for(self, change: RunChange) -> None:
        if change is RunChange.ENDED:
            self._async_save_soon()
        elif change is RunChange.BEGUN and not self._unsaved:
            # A write already waiting takes the run along, and must not wait longer.
            self._async_save_soon(LATER_SAVE_DELAY)

    @callback
    def async_stop_asked(self, task: str | None = None) -> None:
        """Home Assistant stopped `task` (None: everything): the run ends stopped."""
        self.runs.stop_asked(task)

    @callback
    def async_contact_lost(self) -> None:
        """The server could not be read: a run under way may end unseen."""
        self.runs.contact_lost()

    @callback
    def async_show_backup_overdue(
        self, overdue: BackupOverdue | None, *, again: bool = False
    ) -> None:
        """Keep the overdue-backup issue in step; `again` raises it anew if it was dismissed or fixed."""
        if overdue == self._overdue and not again:
            return
        self._overdue = overdue
        if overdue is None:
            ir.async_delete_issue(self._hass, DOMAIN, self._backup_issue_id)
            return
        self._async_raise(
            self._backup_issue_id,
            overdue.value,
            severity=ir.IssueSeverity.WARNING,
        )

    async def async_flush(self) -> None:
        """Write what is still waiting, now: the entry unloads.

        A run under way is written too, with when it was last seen: if it
        is gone at the next start, that is when it was interrupted.
        """
        if self._unsaved or self.runs.current is not None:
            await self._store.async_save(self._saved_now())

    async def async_remove(self) -> None:
        """The entry is deleted: its stored memory and repair issues go with it."""
        await self._store.async_remove()
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
        ir.async_delete_issue(self._hass, DOMAIN, self._backup_issue_id)

    def as_dict(self) -> dict[str, Any]:
        """What is remembered, as it is stored."""
        current = self.runs.current
        return {
            _LAST_BACKUP: _isoformat(self._last_backup),
            _CORRUPTED_SINCE: _isoformat(self._corrupted_since),
            _WATCHING_SINCE: self._watching_since.isoformat(),
            _RUNS: [run.as_dict() for run in self.runs.runs],
            _CURRENT_RUN: None if current is None else current.as_dict(),
        }

    def _read(self, stored: Any) -> None:
        """Take what the store holds; keys a minor version added read with their defaults."""
        if not isinstance(stored, dict):
            raise MemoryUnreadableError(f"a {type(stored).__name__}, not a mapping")
        self._last_backup = _moment(stored, _LAST_BACKUP)
        self._corrupted_since = _moment(stored, _CORRUPTED_SINCE)
        self._watching_since = _moment(stored, _WATCHING_SINCE) or self._watching_since
        runs = stored.get(_RUNS)
        read = [
            run
            for item in (runs if isinstance(runs, list) else [])
            if (run := _run(item)) is not None
        ]
        self.runs = RunLog(
            bounded(read, dt_util.utcnow()), _open_run(stored.get(_CURRENT_RUN))
        )

    @callback
    def _async_save_soon(self, delay: float = SAVE_DELAY) -> None:
        self._unsaved = True
        self._store.async_delay_save(self._saved_now, delay)

    def _saved_now(self) -> dict[str, Any]:
        """The data to write; whoever asks for it writes it."""
        self._unsaved = False
        return self.as_dict()

    @callback
    def _async_show_database_health(self) -> None:
        if self._corrupted_since is None:
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
            return
        self._async_raise(
            self._issue_id,
            ISSUE_DATABASE_CORRUPTED,
            severity=ir.IssueSeverity.ERROR,
            is_persistent=True,
            learn_more_url=DATABASE_REPAIR_URL,
            url=DATABASE_REPAIR_URL,
        )

    @callback
    def _async_raise(
        self,
        issue_id: str,
        translation_key: str,
        *,
        severity: ir.IssueSeverity,
        is_persistent: bool = False,
        learn_more_url: str | None = None,
        **placeholders: str,
    ) -> None:
        """Raise one of the server's fixable issues; its data names the entry, for the fix flow."""
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            data={ISSUE_ENTRY_ID: self._entry.entry_id},
            is_fixable=True,
            is_persistent=is_persistent,
            severity=severity,
            learn_more_url=learn_more_url,
            translation_key=translation_key,
            translation_placeholders={"server": self._entry.title, **placeholders},
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
        another minor version reads as it is; 1.1 had no day the watching
        began, which is today. A new major version adds the step from the
        one before it here. (A newer major version than this one never gets
        here: the store refuses it, and the memory starts again with nothing.)
        """
        if old_minor_version < 2 and isinstance(old_data, dict):
            return {_WATCHING_SINCE: dt_util.utcnow().isoformat(), **old_data}
        return old_data


def _moment(stored: dict[str, Any], key: str) -> datetime | None:
    if (value := stored.get(key)) is None:
        return None
    if (moment := _time(value)) is not None:
        return moment
    raise MemoryUnreadableError(f"{key} is not a time")


def _time(value: Any) -> datetime | None:
    """A stored time; None when it is not one (with its time zone)."""
    if (
        isinstance(value, str)
        and (moment := dt_util.parse_datetime(value)) is not None
        and moment.tzinfo is not None
    ):
        return moment
    return None


def _task(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _run(item: Any) -> Run | None:
    """One stored run; a run that cannot be read is left out, not the whole memory."""
    if not isinstance(item, dict):
        return None
    start, end = _time(item.get("start")), _time(item.get("end"))
    outcome = item.get("outcome")
    if start is None or end is None or outcome not in set(RunOutcome):
        return None
    return Run(_task(item.get("task")), start, end, RunOutcome(outcome))


def _open_run(item: Any) -> OpenRun | None:
    """The stored run under way; one from longer ago than the history keeps is none."""
    if not isinstance(item, dict):
        return None
    start, seen = _time(item.get("start")), _time(item.get("last_seen"))
    if start is None or seen is None or seen < dt_util.utcnow() - MAX_AGE:
        return None
    uuid = item.get("uuid")
    return OpenRun(_task(item.get("task")), start, _task(uuid), seen)


def _isoformat(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
