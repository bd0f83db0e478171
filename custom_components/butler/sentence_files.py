"""The sentence files: what people can say, one file per language.

They are written the way `home-assistant-intents` writes its own (intents
with blocks of templates, expansion rules, wildcard lists, fixed slots), so
hassil parses them and a contributor who knows those files knows these.
Home Assistant's sentence triggers take plain templates only, with no rules
and every list a wildcard, so the rules are inlined here, once, at setup.
Every template must require the word "Plex": hassil skips a template whose
required words are missing from what was said before trying to match it,
which keeps these sentences at about a microsecond per template for
everybody else's commands, and keeps them from capturing anyone's command.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
import re
from typing import Any

from hassil import parse_sentence
from hassil.errors import HassilError
from hassil.expression import Alternative, Expression, Group, TextChunk
from hassil.parser import ParseError

from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.yaml import load_yaml_dict

SENTENCES_DIR = Path(__file__).parent / "sentences"
# The lists sentences may name: wildcards, matched by the handlers at run time.
LISTS = frozenset({"task", "server"})
REQUIRED_WORD = "plex"
_RULE = re.compile(r"<([^<>]+)>")


class SentenceFileError(ValueError):
    """A sentence file that cannot be used, with the file and the reason."""


@dataclass(frozen=True, slots=True)
class Phrasing:
    """Templates that all mean one operation, with the slots they fix."""

    language: str
    operation: str
    templates: tuple[str, ...]
    slots: tuple[tuple[str, str], ...] = ()


def load_sentences(
    operations: Mapping[str, Collection[str]], languages: Collection[str]
) -> list[Phrasing]:
    """The sentences of the languages asked for (blocking: reads files).

    `operations` names what can be asked for, each with the slots its
    answer needs: a template gives each of them, said or fixed. A language
    without a file has no sentences.
    """
    needs = frozenset((name, frozenset(slots)) for name, slots in operations.items())
    return [
        phrasing
        for language in sorted(languages)
        if (path := SENTENCES_DIR / f"{language}.yaml").is_file()
        for phrasing in _load_file(path, needs)
    ]


# The files ship with the integration and do not change while Home Assistant
# runs; validating one parses every template (about a tenth of a second a
# language), so a language that comes back, or a reload of the integration,
# reuses what was read.
@cache
def _load_file(
    path: Path, needs: frozenset[tuple[str, frozenset[str]]]
) -> tuple[Phrasing, ...]:
    return tuple(load_sentence_file(path, dict(needs)))


def load_sentence_file(
    path: Path, operations: Mapping[str, Collection[str]]
) -> list[Phrasing]:
    """One language's sentences, validated and with their rules inlined."""
    try:
        data = load_yaml_dict(path)
        if data.get("language") != path.stem:
            raise SentenceFileError(f"'language' must be {path.stem}")
        rules: dict[str, str] = {
            str(name): str(text)
            for name, text in (data.get("expansion_rules") or {}).items()
        }
        return [
            _phrasing(data["language"], name, block, rules, operations)
            for name, intent in data["intents"].items()
            for block in intent["data"]
        ]
    except SentenceFileError as err:
        raise SentenceFileError(f"{path.name}: {err}") from None
    except (
        OSError,
        HomeAssistantError,
        KeyError,
        TypeError,
        AttributeError,
        HassilError,
        ParseError,
    ) as err:
        raise SentenceFileError(f"{path.name}: {err!r}") from err


def _phrasing(
    language: str,
    operation: str,
    block: dict[str, Any],
    rules: dict[str, str],
    operations: Mapping[str, Collection[str]],
) -> Phrasing:
    if operation not in operations:
        raise SentenceFileError(f"no operation is called {operation}")
    slots = tuple(
        sorted((str(k), str(v)) for k, v in (block.get("slots") or {}).items())
    )
    templates = tuple(_inline(str(text), rules) for text in block["sentences"])
    for template in templates:
        names = set(re.findall(r"\{([^{}:]+)", template))
        if not names <= LISTS:
            raise SentenceFileError(f"{template!r} names a list other than {LISTS}")
        if missing := set(operations[operation]) - names - {k for k, _ in slots}:
            raise SentenceFileError(f"{template!r} ({operation}) lacks {missing}")
        if not _requires_plex(template):
            raise SentenceFileError(f"{template!r} can be said without 'Plex'")
    return Phrasing(language, operation, templates, slots)


def _inline(template: str, rules: dict[str, str], depth: int = 0) -> str:
    """The template with every `<rule>` replaced by its text, in parentheses."""
    if depth > 10:
        raise SentenceFileError(f"rules refer to themselves in {template!r}")

    def _rule(match: re.Match[str]) -> str:
        if (text := rules.get(match.group(1))) is None:
            raise SentenceFileError(f"no expansion rule <{match.group(1)}>")
        return f"({_inline(text, rules, depth + 1)})"

    return _RULE.sub(_rule, template)


def _requires_plex(template: str) -> bool:
    """Whether hassil's prefilter skips the template for what lacks "Plex", however it picks.

    hassil's prefilter decides which templates are tried at all: the
    fragments every way to say the template must contain. Where a branch
    of an alternative has several equally short clauses, which one it
    keeps depends on set order (Python's hash seed), so the test takes the
    worst pick: "Plex" must stay required whatever hassil keeps.
    """
    return any(
        clause and all(REQUIRED_WORD in fragment for fragment in clause)
        for clause in _clauses(parse_sentence(template).expression)
    )


def _clauses(expression: Expression) -> set[frozenset[str]]:
    """The required clauses of hassil's prefilter (conjunctive normal form), with the worst tie-break."""
    if isinstance(expression, TextChunk):
        # hassil drops pieces with punctuation; fewer pieces is never better.
        return {
            frozenset((piece.casefold(),))
            for piece in expression.text.split()
            if piece.isalnum()
        }
    if isinstance(expression, Alternative):
        branches = [_clauses(item) for item in expression.items]
        if expression.is_optional or not branches or not all(branches):
            return set()
        merged: set[str] = set()
        for branch in branches:
            shortest = min(len(clause) for clause in branch)
            merged |= max(
                (clause for clause in branch if len(clause) == shortest),
                key=lambda clause: not all(REQUIRED_WORD in f for f in clause),
            )
        return {frozenset(merged)}
    if isinstance(expression, Group):
        return {clause for item in expression.items for clause in _clauses(item)}
    return set()
