"""Keeps one Plex server's butler state fresh, and runs commands on it one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from .const import (
    BACKUP_CHECK_INTERVAL,
    BACKUP_GRACE,
    BACKUP_TASK,
    BEHAVIOUR_SUFFIX,
    DOMAIN,
    EVENT_BUTLER_FINISHED,
    EVENT_BUTLER_STARTED,
    EVENT_TASK_STARTED,
    KNOWN_BEHAVIOURS,
    LOGGER,
    MAX_BEHAVIOURS,
    SCAN_INTERVAL,
    SETTINGS_INTERVAL,
    WINDOW_END,
    WINDOW_START,
)
from .memory import BackupOverdue, ServerMemory
from .plex import (
    Activity,
    ButlerTask,
    PlexAuthenticationError,
    PlexClient,
    PlexConnectionError,
    PlexError,
    PlexSettingRefusedError,
    PlexTaskNotFoundError,
    ServerInfo,
    Setting,
    StartResult,
    StopResult,
)
from .schedule import RefreshSchedule

type ButlerConfigEntry = ConfigEntry[ButlerCoordinator]


@dataclass(frozen=True, slots=True)
class ButlerData:
    """What the server's butler looks like right now."""

    tasks: dict[str, ButlerTask]
    """Tasks by code name, in the server's order."""
    schedulable_tasks: frozenset[str]
    """Names of the tasks whose place in the schedule a server setting controls.

    From the last settings the server gave; `settings_current` says whether
    the last try to read them worked.
    """
    settings_current: bool
    """Whether the server's settings could be read the last time they were asked for."""
    activity: Activity | None
    """The butler's run, while there is one."""
    activities_current: bool
    """Whether the server's activities could be read in this refresh."""
    current_task: ButlerTask | None = None
    """The task the run works on, where it can be told (see `_current_task`)."""
    maintenance_settings: Mapping[str, Setting] = field(default_factory=dict)
    """The maintenance window and the behaviour settings, from the last settings read."""

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
        self._schedulable: frozenset[str] = frozenset()
        self._maintenance_settings: dict[str, Setting] = {}
        self._failing_reads: set[str] = set()
        self._behaviours_capped = False
        self._settings_ok = False
        self._schedule = RefreshSchedule()
        # Tasks Home Assistant started during the current run, for telling
        # which task runs when the server's activity does not say.
        self._started: dict[str, ButlerTask] = {}
        # The butler's events, for the event entity: a type and its attributes.
        self.event_signal: SignalType[str, dict[str, Any]] = SignalType(
            f"{DOMAIN}_{entry.entry_id}_event"
        )
        self._activity_reader: asyncio.Task[None] | None = None
        # The data of the last refresh whose activities could be read: runs
        # are told started or finished against it, so a failed read in
        # between loses no event.
        self._last_read: ButlerData | None = None
        self.push_connected = False
        self.memory = ServerMemory(hass, entry)

    @override
    async def _async_setup(self) -> None:
        """Recall the server's past; read its name and version once, for its device.

        The memory is read first, so that a lost repair issue comes back
        even while the server is away.
        """
        await self.memory.async_load()
        self.config_entry.async_on_unload(self.memory.async_flush)
        async with self._lock, self._update_errors():
            self.server = await self.client.async_get_server_info()
        self.config_entry.async_on_unload(
            async_track_time_interval(
                self.hass, self._async_settings_due, SETTINGS_INTERVAL
            )
        )
        self.config_entry.async_on_unload(
            async_track_time_interval(
                self.hass, self._async_backup_check_due, BACKUP_CHECK_INTERVAL
            )
        )

    @callback
    def _async_settings_due(self, _: datetime) -> None:
        """Have the next refresh read the settings again."""
        self._schedule.settings_due = True

    @callback
    def _async_backup_check_due(self, _: datetime) -> None:
        """Time alone makes a backup overdue: judge it, and raise a dismissed issue again."""
        self._async_judge_backup(again=True)
        self.async_update_listeners()

    @property
    def backup_overdue(self) -> BackupOverdue | None:
        """Whether the last backup is older than the backup task's interval and a day's grace.

        With no backup ever seen, the time since the server is watched
        counts. A server that lists no backup task, or no interval for it,
        cannot be judged: never overdue.
        """
        if self.data is None or (task := self.data.tasks.get(BACKUP_TASK)) is None:
            return None
        if task.interval_days is None:
            return None
        since = self.memory.last_database_backup or self.memory.watching_since
        if (
            dt_util.utcnow() - since
            <= timedelta(days=task.interval_days) + BACKUP_GRACE
        ):
            return None
        return BackupOverdue.SCHEDULED if task.enabled else BackupOverdue.UNSCHEDULED

    @callback
    def _async_judge_backup(self, *, again: bool = False) -> None:
        # While a backup runs, the issue waits for how it ends.
        current = self.memory.runs.current
        if again and current is not None and current.task == BACKUP_TASK:
            again = False
        self.memory.async_show_backup_overdue(self.backup_overdue, again=again)

    @override
    @callback
    def async_update_listeners(self) -> None:
        """Judge the backup with every change (a refresh, a push, a webhook), then show it."""
        self._async_judge_backup()
        super().async_update_listeners()

    @override
    async def _async_update_data(self) -> ButlerData:
        """Read the server, and set the rate of the next poll from how that went.

        Home Assistant schedules the next poll with `update_interval` once
        this returns or raises, so the rate follows the server's health here.
        """
        try:
            data = await self._async_read_server()
        except Exception:
            self._follow_schedule(answering=False)
            self.memory.async_contact_lost()
            raise
        self._follow_schedule(answering=True)
        return data

    async def _async_read_server(self) -> ButlerData:
        """Fetch tasks and activities, and the settings when they are due.

        The task list is what the buttons need; when only activities or
        settings fail, the tasks stay usable and what depends on the failing
        read is marked as not current.
        """
        async with self._lock, self._update_errors():
            tasks = await self.client.async_get_tasks()
            if not tasks:
                # Every Plex server has its built-in tasks: an empty list is a
                # broken answer, not every task gone, and must not take every
                # task's entities (with their names and areas) away.
                raise UpdateFailed(**self._translation("no_tasks"))
            activities = await self._async_read_aside(
                "activities", self.client.async_get_activities
            )
            names = tuple(task.name for task in tasks)
            settings = None
            if self._schedule.wants_settings(names):
                settings = await self._async_read_aside(
                    "settings", self.client.async_get_settings
                )
                self._settings_ok = settings is not None
                self._schedule.settings_read(names, self._settings_ok)
        if settings is not None:
            self._maintenance_settings, left_out = _maintenance_settings(settings)
            if left_out and not self._behaviours_capped:
                self._behaviours_capped = True
                LOGGER.warning(
                    "%s: the server lists %s behaviour settings; only %s get a select",
                    self.config_entry.title,
                    MAX_BEHAVIOURS + left_out,
                    MAX_BEHAVIOURS,
                )
            self._schedulable = frozenset(
                task.name
                for task in tasks
                if (setting := settings.get(task.schedule_setting)) is not None
                and setting.type in (None, "bool")
            )
        return self._butler_data(
            ButlerData(
                tasks={task.name: task for task in tasks},
                schedulable_tasks=self._schedulable,
                settings_current=self._settings_ok,
                maintenance_settings=self._maintenance_settings,
                activity=None,
                activities_current=activities is not None,
            ),
            activities,
        )

    def _butler_data(
        self, data: ButlerData, activities: list[Activity] | None
    ) -> ButlerData:
        """Put the activities into the data, and tell listeners what changed."""
        if activities is None:
            # Unknown activities: keep what was known, for the next comparison.
            previous = self.data
            return replace(
                data,
                activity=previous.activity if previous else None,
                current_task=previous.current_task if previous else None,
            )
        activity = next((a for a in activities if a.is_butler), None)
        new = replace(
            data,
            activity=activity,
            current_task=self._current_task(data.tasks, activity),
        )
        self.memory.async_run_seen(
            activity is not None,
            activity.uuid if activity else None,
            new.current_task.name if new.current_task else None,
        )
        self._announce_changes(new)
        return new

    def _current_task(
        self, tasks: Mapping[str, ButlerTask], activity: Activity | None
    ) -> ButlerTask | None:
        """Which task the run works on: the one the activity names, or the only one started here.

        Plex shows a butler run as one activity; whether its subtitle names
        the task differs between versions, so both ways are tried.
        """
        if activity is None:
            return None
        words = {activity.subtitle, activity.title} - {None}
        for task in tasks.values():
            if words & {task.name, task.title, task.display_name}:
                return task
        started = [tasks[name] for name in self._started if name in tasks]
        return started[0] if len(started) == 1 else None

    def _announce_changes(self, new: ButlerData) -> None:
        """Fire what changed since the last activities that could be read, once."""
        old, self._last_read = self._last_read, new
        if old is None:
            return
        if not old.running and new.running:
            self.async_emit_event(EVENT_BUTLER_STARTED, _run_attributes(new))
        elif old.running and not new.running:
            self.async_emit_event(EVENT_BUTLER_FINISHED, _run_attributes(old))
            self._started.clear()

    @callback
    def async_emit_event(self, event_type: str, attributes: dict[str, Any]) -> None:
        """Fire one of the butler's events (started, finished, a task started, a webhook's)."""
        async_dispatcher_send(self.hass, self.event_signal, event_type, attributes)

    @callback
    def async_set_push(self, connected: bool) -> None:
        """Poll slowly while the server pushes its activities, normally when not."""
        self.push_connected = connected
        self._follow_schedule(answering=self.last_update_success)

    def _follow_schedule(self, *, answering: bool) -> None:
        """Set the interval the next poll is scheduled with, from push and health.

        It changes no poll already scheduled: the refresh a dropped socket
        or a failure brings schedules the next one with it.
        """
        self.update_interval = self._schedule.poll_interval(
            self.push_connected, answering
        )

    @callback
    def async_activities_changed(self) -> None:
        """The server says an activity changed: read them again, soon and once.

        Notifications are hints, whatever type a Plex version gives the
        butler's run. The first of a quiet spell is read at once; a burst
        costs one read per ACTIVITIES_COOLDOWN at most, and one more after
        it, so the final state is always read. (Home Assistant's Debouncer
        drops a call that arrives while a read outlasts its cooldown: with
        a slow server, the end of a burst would be lost.)
        """
        if not self.last_update_success and isinstance(
            self.last_exception, ConfigEntryAuthFailed
        ):
            # A refused token stays refused until reauthentication reloads
            # the entry; notifications are no reason to ask again.
            return
        self._schedule.activities_wanted = True
        if self._activity_reader is None or self._activity_reader.done():
            self._activity_reader = self.config_entry.async_create_task(
                self.hass,
                self._async_read_activities(),
                "butler activities",
                eager_start=False,
            )

    @override
    async def async_shutdown(self) -> None:
        """Stop reading activities when the entry unloads."""
        if self._activity_reader is not None:
            self._activity_reader.cancel()
        await super().async_shutdown()

    async def _async_read_activities(self) -> None:
        loop, schedule = self.hass.loop, self._schedule
        while schedule.activities_wanted and self.data is not None:
            if (pause := schedule.activities_pause(loop.time())) > 0:
                await asyncio.sleep(pause)
            schedule.activities_reading(loop.time())
            if (activities := await self._async_pushed_activities()) is None:
                # A full refresh finds out whether a failing server is back
                # (its socket says it is there), or shows what is wrong:
                # unavailable, or reauthentication.
                await self.async_refresh()
                continue
            data = replace(self.data, activities_current=True)
            self._async_publish_pushed(self._butler_data(data, activities))

    @callback
    def _async_publish_pushed(self, data: ButlerData) -> None:
        """Show activities read on a notification; the next poll keeps its time.

        Unlike `async_set_updated_data`, this leaves the poll timer and a
        requested refresh alone: the read was no poll. It happens only while
        refreshes succeed (checked under the lock, with nothing awaited
        since), so `last_update_success` is already true.
        """
        self.data = data
        LOGGER.debug("%s: activities read on a notification", self.config_entry.title)
        self.async_update_listeners()

    async def _async_pushed_activities(self) -> list[Activity] | None:
        """The activities; None while the server fails its refreshes, or when this read fails.

        Asked under the lock: a command may find the server failing while
        this read waits for it, and then only a full refresh may say it is back.
        """
        async with self._lock:
            if not self.last_update_success:
                return None
            try:
                return await self.client.async_get_activities()
            except PlexError as err:
                LOGGER.debug(
                    "%s: reading activities failed: %s", self.config_entry.title, err
                )
                return None

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

    async def async_start_task(self, name: str) -> StartResult:
        """Start one task now; tell event listeners when it did start."""

        def started(result: StartResult) -> None:
            if result is StartResult.STARTED and (task := self.data.tasks.get(name)):
                self._started[name] = task
                self.memory.async_task_started(name)
                self.async_emit_event(EVENT_TASK_STARTED, _task_attributes(task))

        return await self._async_command(
            lambda client: client.async_start_task(name), then=started
        )

    async def async_stop_task(self, name: str) -> StopResult:
        """Stop one task; "not running" is an answer, not an error."""

        def stopped(result: StopResult) -> None:
            if result is StopResult.STOPPED:
                self.memory.async_stop_asked(name)

        return await self._async_command(
            lambda client: client.async_stop_task(name), then=stopped
        )

    async def async_start_all(self) -> None:
        """Have the butler work through its scheduled tasks now."""
        await self._async_command(lambda client: client.async_start_all())

    async def async_stop_all(self) -> None:
        """Stop the butler's run."""
        await self._async_command(
            lambda client: client.async_stop_all(),
            then=lambda _: self.memory.async_stop_asked(),
        )

    async def async_write_setting(self, setting: str, value: bool | int | str) -> None:
        """Change one server setting; the settings are read again right after."""
        self._schedule.settings_due = True
        await self._async_command(
            lambda client: client.async_set_setting(setting, value)
        )

    async def _async_command[T](
        self,
        command: Callable[[PlexClient], Awaitable[T]],
        *,
        then: Callable[[T], None] | None = None,
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
                self.memory.async_contact_lost()
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
            except PlexSettingRefusedError as err:
                # The server is fine and the token too: only this write failed.
                raise self._translated("setting_refused", setting=err.setting) from err
            except PlexError as err:
                LOGGER.debug("%s: command failed: %s", self.config_entry.title, err)
                raise self._translated("unexpected_response") from err
            else:
                if then is not None:
                    then(result)
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


def _maintenance_settings(
    settings: Mapping[str, Setting],
) -> tuple[dict[str, Setting], int]:
    """The settings selects show, and how many behaviour settings were left out.

    The maintenance window, and the behaviour settings with options up to
    `MAX_BEHAVIOURS`, the known ones first so that a flood of others cannot
    push them out.
    """
    behaviours = sorted(
        (
            setting
            for setting_id, setting in settings.items()
            if setting_id.endswith(BEHAVIOUR_SUFFIX) and setting.options
        ),
        key=lambda setting: setting.id not in KNOWN_BEHAVIOURS,
    )
    picked = {
        setting_id: setting
        for setting_id, setting in settings.items()
        if setting_id in (WINDOW_START, WINDOW_END)
    }
    picked.update((setting.id, setting) for setting in behaviours[:MAX_BEHAVIOURS])
    return picked, max(len(behaviours) - MAX_BEHAVIOURS, 0)


def _task_attributes(task: ButlerTask) -> dict[str, Any]:
    return {
        "task": task.name,
        "task_name": task.display_name,
        "description": task.description,
    }


def _run_attributes(data: ButlerData) -> dict[str, Any]:
    activity = data.activity
    attributes: dict[str, Any] = {
        "title": activity.title if activity else None,
        "subtitle": activity.subtitle if activity else None,
    }
    if data.current_task is not None:
        attributes.update(_task_attributes(data.current_task))
    return attributes
