"""When each part of a server's butler state is read: the three rates in one place.

- Activities (is the butler running, and on what): when the server's
  notification socket says they changed, at most once per
  `ACTIVITIES_COOLDOWN`, with one trailing read so a burst's end is read.
- Tasks (and activities with them): every poll; `SCAN_INTERVAL`, or
  `RESYNC_INTERVAL` while the socket is up and the server answers. An
  activities read on a notification is no poll: the next poll keeps its
  time, or a server busy with a run would never have its task list resynced.
- Settings: every `SETTINGS_INTERVAL`, at the next poll after a write or a
  failed read, and whenever the task list changes.

One coordinator reads all three: every entity depends on the task list, and
one lock per server keeps a dead server at one timeout. Separate
coordinators per rate (as lamarzocco has) would each need that lock and
the task list; this object only keeps the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .const import ACTIVITIES_COOLDOWN, RESYNC_INTERVAL, SCAN_INTERVAL


@dataclass(slots=True)
class RefreshSchedule:
    """What the next reads of one server should include, and when."""

    settings_due: bool = True
    """Whether the next poll reads the settings."""
    task_names: tuple[str, ...] = ()
    """The task list the settings were last read for."""
    activities_wanted: bool = False
    """A notification came since the last activities read began."""
    next_activities_read: float = 0.0
    """Loop time before which activities are not read again."""

    @staticmethod
    def poll_interval(push_connected: bool, answering: bool) -> timedelta:
        """Resync slowly only while the socket is up and the server answers.

        A server whose HTTP answers fail can keep its socket open (while a
        backup holds the database, behind a hiccuping proxy): it is polled
        at the normal interval until a refresh works again, so it shows
        available within one interval of answering properly.
        """
        return RESYNC_INTERVAL if push_connected and answering else SCAN_INTERVAL

    def wants_settings(self, task_names: tuple[str, ...]) -> bool:
        """Whether this poll reads the settings too."""
        return self.settings_due or task_names != self.task_names

    def settings_read(self, task_names: tuple[str, ...], ok: bool) -> None:
        """The settings were read for this task list; a failed read is tried at the next poll."""
        self.settings_due = not ok
        self.task_names = task_names

    def activities_pause(self, now: float) -> float:
        """How long to wait before the next activities read; zero or less is none."""
        return self.next_activities_read - now

    def activities_reading(self, now: float) -> None:
        """An activities read starts: later notifications ask for another, after the cooldown."""
        self.activities_wanted = False
        self.next_activities_read = now + ACTIVITIES_COOLDOWN.total_seconds()
