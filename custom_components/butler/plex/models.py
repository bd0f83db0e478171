"""Typed views of what a Plex Media Server reports.

Payloads arrive as XML or JSON and differ between server versions, so every
value is coerced defensively and unknown attributes are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math
import re
from typing import Any

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
SCHEDULE_SETTING_PREFIX = "ButlerTask"
# Plex's longest task interval is weeks; a century is not an interval.
MAX_INTERVAL_DAYS = 36_500


def as_bool(value: Any, default: bool = False) -> bool:
    """Read a boolean the way Plex writes them: "0"/"1", true/false or 0/1."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return default


def as_int(
    value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """Read a whole number written as a number or a string, or None.

    Infinity, NaN and numbers outside the bounds read as unknown: a
    server's odd value must never stop the rest of its answer being read.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    if (minimum is not None and value < minimum) or (
        maximum is not None and value > maximum
    ):
        return None
    return value


def as_str(value: Any) -> str | None:
    """Read an optional text attribute; empty text counts as missing."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def readable_task_name(name: str) -> str:
    """Turn a task's code name into words: "ButlerTaskGenerateIntroMarkers" → "Generate intro markers"."""
    bare = name.removeprefix(SCHEDULE_SETTING_PREFIX) or name
    words = _CAMEL_BOUNDARY.sub(" ", bare).split()
    if not words:
        return name
    first, *rest = words
    return " ".join([first, *(w if w.isupper() else w.lower() for w in rest)])


class StartResult(StrEnum):
    """What the server did when asked to start one task."""

    STARTED = "started"
    ALREADY_RUNNING = "already_running"


class StopResult(StrEnum):
    """What the server did when asked to stop one task."""

    STOPPED = "stopped"
    NOT_RUNNING = "not_running"


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """The unauthenticated `/identity` answer."""

    machine_identifier: str
    version: str | None
    claimed: bool

    @classmethod
    def from_container(cls, data: dict[str, Any]) -> ServerIdentity | None:
        """Build from a MediaContainer; None when it has no machine identifier."""
        machine_identifier = as_str(data.get("machineIdentifier"))
        if machine_identifier is None:
            return None
        return cls(
            machine_identifier=machine_identifier,
            version=as_str(data.get("version")),
            claimed=as_bool(data.get("claimed")),
        )


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """The server's own description (`GET /`)."""

    machine_identifier: str
    friendly_name: str
    version: str | None
    platform: str | None
    platform_version: str | None

    @classmethod
    def from_container(cls, data: dict[str, Any]) -> ServerInfo | None:
        """Build from a MediaContainer; None when it has no machine identifier."""
        machine_identifier = as_str(data.get("machineIdentifier"))
        if machine_identifier is None:
            return None
        return cls(
            machine_identifier=machine_identifier,
            friendly_name=as_str(data.get("friendlyName")) or "Plex Media Server",
            version=as_str(data.get("version")),
            platform=as_str(data.get("platform")),
            platform_version=as_str(data.get("platformVersion")),
        )


@dataclass(frozen=True, slots=True)
class ButlerTask:
    """One scheduled maintenance task of the butler."""

    name: str
    enabled: bool
    interval_days: int | None
    schedule_randomized: bool
    title: str | None
    description: str | None

    @property
    def display_name(self) -> str:
        """The server's title when it gives one, else words made from the name."""
        return self.title or readable_task_name(self.name)

    @property
    def schedule_setting(self) -> str:
        """The server setting that puts this task in the schedule, if the server has it."""
        return f"{SCHEDULE_SETTING_PREFIX}{self.name}"

    @classmethod
    def from_item(cls, data: dict[str, Any]) -> ButlerTask | None:
        """Build from one ButlerTask entry; None when it has no usable name."""
        name = as_str(data.get("name"))
        if name is None:
            return None
        return cls(
            name=name,
            enabled=as_bool(data.get("enabled")),
            interval_days=as_int(
                data.get("interval"), minimum=0, maximum=MAX_INTERVAL_DAYS
            ),
            schedule_randomized=as_bool(data.get("scheduleRandomized")),
            title=as_str(data.get("title")),
            description=as_str(data.get("description")),
        )


@dataclass(frozen=True, slots=True)
class Activity:
    """Something the server is busy with (`GET /activities`)."""

    uuid: str | None
    type: str | None
    title: str | None
    subtitle: str | None
    progress: int | None
    cancellable: bool

    @property
    def is_butler(self) -> bool:
        """Whether this is the butler's run (one activity for the whole run)."""
        return self.type == "butler"

    @classmethod
    def from_item(cls, data: dict[str, Any]) -> Activity:
        """Build from one Activity entry."""
        return cls(
            uuid=as_str(data.get("uuid")),
            type=as_str(data.get("type")),
            title=as_str(data.get("title")),
            subtitle=as_str(data.get("subtitle")),
            # -1 is the server's "cannot tell"; like anything else outside 0 to 100
            # it reads as unknown.
            progress=as_int(data.get("progress"), minimum=0, maximum=100),
            cancellable=as_bool(data.get("cancellable")),
        )


@dataclass(frozen=True, slots=True)
class Setting:
    """One server preference (`GET /:/prefs`)."""

    id: str
    type: str | None
    value: str | None
    default: str | None
    label: str | None
    options: tuple[tuple[str, str], ...] = ()
    """The values the server offers and its words for each (`enumValues`)."""

    @property
    def is_on(self) -> bool:
        """The value read as a boolean (for `bool` settings)."""
        return as_bool(self.value)

    @classmethod
    def from_item(cls, data: dict[str, Any]) -> Setting | None:
        """Build from one Setting entry; None when it has no id."""
        setting_id = as_str(data.get("id"))
        if setting_id is None:
            return None
        value = data.get("value")
        default = data.get("default")
        return cls(
            id=setting_id,
            type=as_str(data.get("type")),
            value=_setting_text(value),
            default=_setting_text(default),
            label=as_str(data.get("label")),
            options=parse_enum_values(data.get("enumValues")),
        )


# A server's longest option list is the 24 hours of the day.
_MAX_OPTIONS = 100


def parse_enum_values(value: Any) -> tuple[tuple[str, str], ...]:
    """Read `enumValues` ("0:Never|1:As a scheduled task|…") as (value, words) pairs.

    A part without a colon is its own label; empty values, repeated values
    and absurdly long lists are dropped.
    """
    if not isinstance(value, str):
        return ()
    options: dict[str, str] = {}
    for part in value.split("|")[:_MAX_OPTIONS]:
        key, sep, label = part.partition(":")
        key = key.strip()
        if key and key not in options:
            options[key] = (label if sep else key).strip() or key
    return tuple(options.items())


def _setting_text(value: Any) -> str | None:
    """Settings are compared as text, so JSON booleans become "1"/"0" as in XML."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


class ActivityEvent(StrEnum):
    """What happened to an activity, as a notification says."""

    STARTED = "started"
    UPDATED = "updated"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class ActivityNotification:
    """The server says an activity started, moved on or ended.

    Which activity type a butler run uses differs between Plex versions, so
    a notification is a hint to read `/activities`, not the state itself.
    """

    event: ActivityEvent | None
    uuid: str | None
    activity: Activity | None

    @classmethod
    def from_item(cls, data: dict[str, Any]) -> ActivityNotification:
        """Build from one ActivityNotification entry."""
        event = as_str(data.get("event"))
        activity = data.get("Activity")
        return cls(
            event=ActivityEvent(event)
            if event is not None and event in ActivityEvent
            else None,
            uuid=as_str(data.get("uuid")),
            activity=Activity.from_item(activity)
            if isinstance(activity, dict)
            else None,
        )
