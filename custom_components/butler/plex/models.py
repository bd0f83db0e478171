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
# Text from the server ends up in entity states (255 characters at most),
# in attributes the recorder keeps (16 KB at most for all of an entity's),
# in spoken answers and in LLM tool results. Plex's longest real text, a
# task's description, is about 100 characters. At 255, any one text fits a
# state, and an event's five texts stay far under 16 KB even at 4 bytes and
# a JSON escape a character; cutting here, where the server's answer is
# read, keeps every consumer safe without each cutting on its own.
MAX_TEXT = 255
_CUT = "…"


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


def as_text(value: Any) -> str | None:
    """Read an optional text meant for people, cut to `MAX_TEXT` characters."""
    text = as_str(value)
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - len(_CUT)].rstrip() + _CUT


def as_name(value: Any) -> str | None:
    """Read the server's name for something, which is sent back to it as it is.

    A name cannot be cut without naming something else, and one longer than
    any state is no Plex name: it reads as missing.
    """
    text = as_str(value)
    return text if text is None or len(text) <= MAX_TEXT else None


def readable_task_name(name: str) -> str:
    """Turn a task's code name into words: "ButlerTaskGenerateIntroMarkers" → "Generate intro markers"."""
    bare = name.removeprefix(SCHEDULE_SETTING_PREFIX) or name
    words = _CAMEL_BOUNDARY.sub(" ", bare).split()
    if not words:
        return name
    first, *rest = words
    readable = " ".join([first, *(w if w.isupper() else w.lower() for w in rest)])
    # Words between the capitals can make a long name longer still.
    return as_text(readable) or name


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
            version=as_text(data.get("version")),
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
            friendly_name=as_text(data.get("friendlyName")) or "Plex Media Server",
            version=as_text(data.get("version")),
            platform=as_text(data.get("platform")),
            platform_version=as_text(data.get("platformVersion")),
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
        name = as_name(data.get("name"))
        if name is None:
            return None
        return cls(
            name=name,
            enabled=as_bool(data.get("enabled")),
            interval_days=as_int(
                data.get("interval"), minimum=0, maximum=MAX_INTERVAL_DAYS
            ),
            schedule_randomized=as_bool(data.get("scheduleRandomized")),
            title=as_text(data.get("title")),
            description=as_text(data.get("description")),
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
        """Whether this is the butler's run (one activity for the whole run).

        A 1.43 server calls it `butler`; which type other versions use is not
        known, so `butler.<something>` counts too.
        """
        return self.type is not None and (
            self.type == "butler" or self.type.startswith("butler.")
        )

    @classmethod
    def from_item(cls, data: dict[str, Any]) -> Activity:
        """Build from one Activity entry."""
        return cls(
            uuid=as_str(data.get("uuid")),
            type=as_str(data.get("type")),
            title=as_text(data.get("title")),
            subtitle=as_text(data.get("subtitle")),
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
        setting_id = as_name(data.get("id"))
        if setting_id is None:
            return None
        value = data.get("value")
        default = data.get("default")
        return cls(
            id=setting_id,
            type=as_str(data.get("type")),
            value=_setting_text(value),
            default=_setting_text(default),
            label=as_text(data.get("label")),
            options=parse_enum_values(data.get("enumValues")),
        )


# A server's longest option list is the 24 hours of the day.
_MAX_OPTIONS = 100


def parse_enum_values(value: Any) -> tuple[tuple[str, str], ...]:
    """Read `enumValues` ("0:Never|1:As a scheduled task|…") as (value, words) pairs.

    Only a `value:words` part with both halves is an option: a select offers
    and writes nothing else, so a bare word, an empty half, a repeated value
    or a list longer than any server's never reaches the server as a value.
    """
    if not isinstance(value, str):
        return ()
    options: dict[str, str] = {}
    for part in value.split("|", _MAX_OPTIONS)[:_MAX_OPTIONS]:
        key, _, label = part.partition(":")
        key = key.strip()
        words = as_text(label)
        if key and words and len(key) <= MAX_TEXT and key not in options:
            options[key] = words
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
