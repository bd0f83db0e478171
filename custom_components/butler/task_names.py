"""How people name a butler task: by its code name, its title, or a translated name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import re

from .plex import SCHEDULE_SETTING_PREFIX, ButlerTask

# Articles and the like in the five languages: "Analizar la sonoridad" said
# as "analizar sonoridad", "clean the old bundles" as "clean old bundles".
_LITTLE_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "du",
        "de",
        "d",
        "het",
        "een",
        "el",
        "los",
        "las",
        "del",
        "lo",
        "al",
    ]
)


def name_key(text: str) -> str:
    """A name as matched: letters and digits of any script, case folded; may be empty."""
    return "".join(char for char in text.casefold() if char.isalnum())


def loose_key(text: str) -> str:
    """A name as matched when its exact form fits nothing: without articles."""
    words = re.findall(r"\w+", text.casefold())
    return "".join(word for word in words if word not in _LITTLE_WORDS)


def task_names(
    tasks: Mapping[str, ButlerTask],
    aliases: Mapping[str, str] | None = None,
    key: Callable[[str], str] = name_key,
) -> dict[str, list[str]]:
    """Every way to name each task, as `key`s, with the tasks each fits.

    A task is named by its code name, with or without the "ButlerTask"
    prefix, by the server's title, and by any `aliases` (name to code
    name, such as its translated names). Tasks come in the server's order.
    """
    spoken: dict[str, list[str]] = {}
    for code, task in tasks.items():
        names = {
            code,
            code.removeprefix(SCHEDULE_SETTING_PREFIX),
            task.display_name,
        }
        names.update(alias for alias, of in (aliases or {}).items() if of == code)
        for said in {key(name) for name in names} - {""}:
            spoken.setdefault(said, []).append(code)
    return spoken


def find_tasks(
    tasks: Mapping[str, ButlerTask],
    asked: str,
    aliases: Mapping[str, str] | None = None,
) -> list[str]:
    """The tasks a name fits: the server's exact name wins, else every name that fits.

    More than one means the name is ambiguous; a name with no letters or
    digits fits nothing.
    """
    if asked in tasks:
        return [asked]
    return task_names(tasks, aliases).get(name_key(asked)) or task_names(
        tasks, aliases, loose_key
    ).get(loose_key(asked) or name_key(asked), [])
