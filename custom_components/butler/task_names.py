"""How people name a butler task: by its code name, its title, or a translated name."""

from __future__ import annotations

from collections.abc import Mapping

from .plex import SCHEDULE_SETTING_PREFIX, ButlerTask


def name_key(text: str) -> str:
    """A name as matched: letters and digits of any script, case folded; may be empty."""
    return "".join(char for char in text.casefold() if char.isalnum())


def task_names(
    tasks: Mapping[str, ButlerTask], aliases: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Every way to name each task, as `name_key`s, with the tasks each fits.

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
        for key in {name_key(name) for name in names} - {""}:
            spoken.setdefault(key, []).append(code)
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
    return task_names(tasks, aliases).get(name_key(asked), [])
