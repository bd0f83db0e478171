"""The butler's runs as Home Assistant saw them: which task, from when to when, how each ended.

Plex keeps no history a client can read: `GET /butler` has no last-run
field. What the integration sees is the butler's activity (one per run,
whose words may name the task it works on) and the commands it sends
itself. `RunLog` turns those sightings into runs, one per task: a run
whose activity moves on to another task ends there and the next begins.

A sighting that changes nothing worth keeping (the same run, further on)
reports no change, so the memory writes nothing for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum, auto
from typing import Any

# Bounds of the history: enough to answer "did it run last night" and
# "how long does it usually take" for months, and a store of a few
# hundred KB at most with Plex's 23 tasks.
MAX_RUNS_PER_TASK = 50
MAX_AGE = timedelta(days=90)


class RunChange(Enum):
    """What a sighting changed of what is kept."""

    NONE = auto()
    """The same run, further on; or still nothing running."""
    BEGUN = auto()
    """A run began (or learnt its task); nothing ended."""
    ENDED = auto()
    """A run ended (and perhaps the next began)."""


class RunOutcome(StrEnum):
    """How a run ended."""

    FINISHED = "finished"
    STOPPED = "stopped"
    """Home Assistant asked the server to stop it."""
    INTERRUPTED = "interrupted"
    """The server went away or restarted while it ran."""


@dataclass(frozen=True, slots=True)
class Run:
    """One run of one task; `task` is None where nothing named it."""

    task: str | None
    start: datetime
    end: datetime
    outcome: RunOutcome

    @property
    def duration(self) -> timedelta:
        """How long it ran."""
        return self.end - self.start

    def as_dict(self) -> dict[str, Any]:
        """The run as stored and as the action returns it (duration in seconds)."""
        return {
            "task": self.task,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "duration": round(self.duration.total_seconds()),
            "outcome": self.outcome.value,
        }


@dataclass(slots=True)
class OpenRun:
    """The run under way, as far as it was seen."""

    task: str | None
    start: datetime
    uuid: str | None
    last_seen: datetime
    stopping: bool = False
    """Home Assistant asked the server to stop it."""

    def as_dict(self) -> dict[str, Any]:
        """The run under way, as stored (without `stopping`: a restart forgets the request)."""
        return {
            "task": self.task,
            "start": self.start.isoformat(),
            "uuid": self.uuid,
            "last_seen": self.last_seen.isoformat(),
        }


class RunLog:
    """Runs by task, oldest first, bounded; and the one under way."""

    def __init__(self, runs: list[Run], current: OpenRun | None) -> None:
        """Take what was stored; a run that was under way is doubted until the server is read."""
        self.runs = runs
        self.current = current
        # Whether the current run may have ended unseen: Home Assistant
        # restarted, or the server could not be read, since it was last seen.
        self._doubtful = current is not None

    def last(self, task: str, *, finished: bool = False) -> Run | None:
        """The task's last run (its last finished one, with `finished`)."""
        return next(
            (
                run
                for run in reversed(self.runs)
                if run.task == task
                and (not finished or run.outcome is RunOutcome.FINISHED)
            ),
            None,
        )

    def latest(self) -> list[Run]:
        """Each task's last run, the newest first."""
        last: dict[str | None, Run] = {run.task: run for run in self.runs}
        return sorted(last.values(), key=lambda run: run.end, reverse=True)

    def ran(self, task: str, start: datetime, end: datetime) -> bool:
        """Whether `task` was under way at some time from `start` to `end`, the run going on included."""
        current = self.current
        return bool(self.between(start, end, task)) or (
            current is not None and current.task == task and current.start <= end
        )

    def between(
        self, start: datetime, end: datetime, task: str | None = None
    ) -> list[Run]:
        """The runs (of `task`, or all) that were under way at some time from `start` to `end`."""
        return [
            run
            for run in self.runs
            if (task is None or run.task == task)
            and run.start <= end
            and run.end >= start
        ]

    def started(self, task: str, now: datetime) -> RunChange:
        """Home Assistant started `task`: a run begins now unless one is under way."""
        if self.current is not None:
            return RunChange.NONE
        self.current = OpenRun(task, now, None, now)
        return RunChange.BEGUN

    def stop_asked(self, task: str | None) -> None:
        """Home Assistant asked to stop `task` (None: everything)."""
        if self.current is not None and task in (None, self.current.task):
            self.current.stopping = True

    def contact_lost(self) -> None:
        """The server could not be read: a run under way may end unseen."""
        self._doubtful = self.current is not None

    def seen(
        self, running: bool, uuid: str | None, task: str | None, now: datetime
    ) -> RunChange:
        """What the server's activities show now, and what that changed of what is kept.

        A run that is gone after the server could not be read (or after a
        restart) was interrupted, and ended when it was last seen.
        """
        doubtful, self._doubtful = self._doubtful, False
        current = self.current
        change = RunChange.NONE
        if current is not None:
            other_run = None not in (uuid, current.uuid) and uuid != current.uuid
            if not running or other_run:
                if doubtful:
                    self._close(current, current.last_seen, RunOutcome.INTERRUPTED)
                else:
                    # Another run's activity: this one ended unseen, after
                    # it was last seen.
                    self._close(
                        current,
                        current.last_seen if other_run else now,
                        _ending(current),
                    )
                change = RunChange.ENDED
            elif task is not None and current.task not in (None, task):
                self._close(current, now, _ending(current))
                self.current = OpenRun(task, now, uuid, now)
                change = RunChange.ENDED
            else:
                if (current.uuid, current.task) != (
                    current.uuid or uuid,
                    current.task or task,
                ):
                    change = RunChange.BEGUN
                current.uuid = current.uuid or uuid
                current.task = current.task or task
                current.last_seen = now
        if running and self.current is None:
            self.current = OpenRun(task, now, uuid, now)
            if change is RunChange.NONE:
                change = RunChange.BEGUN
        return change

    def _close(self, current: OpenRun, end: datetime, outcome: RunOutcome) -> None:
        self.current = None
        self.runs.append(Run(current.task, current.start, end, outcome))
        self.runs = bounded(self.runs, end)


def _ending(run: OpenRun) -> RunOutcome:
    return RunOutcome.STOPPED if run.stopping else RunOutcome.FINISHED


def bounded(runs: list[Run], now: datetime) -> list[Run]:
    """The runs of the last `MAX_AGE`, at most `MAX_RUNS_PER_TASK` per task, oldest first."""
    kept: defaultdict[str | None, int] = defaultdict(int)
    newest_first: list[Run] = []
    for run in reversed(runs):
        if run.end < now - MAX_AGE or kept[run.task] >= MAX_RUNS_PER_TASK:
            continue
        kept[run.task] += 1
        newest_first.append(run)
    return newest_first[::-1]
