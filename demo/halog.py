"""Read a Home Assistant log and find what Butler for Plex must never leave in it.

The browser suite checks the log of each Home Assistant it started: a
release that deprecates something the integration uses says so in the log
months before it breaks, so a deprecation warning about us fails the suite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import re

# Home Assistant's log format. 2026.11 added the UTC offset to the time
# (`2026-11-05 10:00:52.247+00:00 WARNING (MainThread) [name] message`);
# 2026.10 writes the time without it.
_RECORD = re.compile(
    r"^(?P<when>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?)"
    r" (?P<level>[A-Z]+) \((?P<thread>[^)]*)\) \[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)
# What Python's warnings module prints to stderr when nothing routes it
# into logging: `path:line: SomeWarning: message`.
_PYTHON_WARNING = re.compile(r"^\S+:\d+: \w*Warning: ")

_SEVERE = frozenset({"WARNING", "ERROR", "CRITICAL", "FATAL"})
_ABOUT_US = re.compile(r"\bbutler\b", re.IGNORECASE)
_OURS = "custom_components.butler"
_DEPRECATION = re.compile(
    r"deprecat|Detected that custom integration|Detected code that|"
    r"will stop working|stops working|no longer supported",
    re.IGNORECASE,
)
# Home Assistant says this of every custom integration at every start.
_EVERY_START = re.compile(
    r"^We found a custom integration butler which has not been tested"
)


@dataclass(frozen=True)
class LogRecord:
    """One log record: its first line and any lines that continue it (tracebacks)."""

    when: str
    level: str
    logger: str
    text: str

    @property
    def about_us(self) -> bool:
        """Whether the record comes from or names the integration."""
        return (
            self.logger == _OURS
            or self.logger.startswith(f"{_OURS}.")
            or _ABOUT_US.search(self.text) is not None
        )


def parse_log(text: str) -> list[LogRecord]:
    """Split a log into records; a line that starts none continues the last one."""
    heads: list[tuple[str, str, str]] = []
    texts: list[list[str]] = []
    for line in text.splitlines():
        if head := _RECORD.match(line):
            heads.append((head["when"], head["level"], head["logger"]))
            texts.append([head["message"]])
        elif _PYTHON_WARNING.match(line):
            # The name logging.captureWarnings would give it.
            heads.append(("", "WARNING", "py.warnings"))
            texts.append([line])
        elif texts:
            texts[-1].append(line)
        elif line.strip():
            # Before the first record: what the process printed while starting.
            heads.append(("", "", ""))
            texts.append([line])
    return [
        LogRecord(when, level, logger, "\n".join(lines))
        for (when, level, logger), lines in zip(heads, texts, strict=True)
    ]


def log_problems(text: str, secrets: Iterable[str] = ()) -> list[str]:
    """What in a Home Assistant log must not be there, one entry per record.

    Any warning or error from or about the integration (a deprecation named
    as such), and any secret (a Plex token) wherever it appears. The
    secrets themselves are never repeated in what this returns.
    """
    hidden = [secret for secret in secrets if secret]
    problems: list[str] = []
    for record in parse_log(text):
        shown = record.text
        for secret in hidden:
            shown = shown.replace(secret, "<token>")
        where = f"{record.when} {record.level} [{record.logger}]".strip()
        if shown != record.text:
            problems.append(f"a token in the log: {where} {shown}")
        if (
            record.level in _SEVERE
            and record.about_us
            and not _EVERY_START.match(record.text)
        ):
            kind = (
                "deprecation"
                if _DEPRECATION.search(record.text)
                else "warning or error"
            )
            problems.append(f"{kind} about butler: {where} {shown}")
    return problems
