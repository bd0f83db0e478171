"""Property-based fuzzing of the Plex client's decoder and models.

Whatever a server sends, reading it ends as data or as the client's own
`PlexResponseError`: never another exception, never a hang. The same
property runs a bounded number of times in `tests/test_fuzz.py` and as many
times as asked with `scripts/fuzz` (``python -m tests.fuzz --examples N``),
which prints how many payloads it tried.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import sys
import time
from typing import Any
from xml.etree import ElementTree

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.butler.plex import PlexResponseError
from custom_components.butler.plex.client import (
    BUTLER_TASKS_ROOT,
    MEDIA_CONTAINER_ROOT,
    decode_container,
    parse_activities,
    parse_settings,
    parse_tasks,
)
from custom_components.butler.plex.models import ServerIdentity, ServerInfo

# The values servers are known to send, and the ones that broke parsers.
ODD_NUMBERS = [
    "Infinity",
    "-Infinity",
    "NaN",
    "nan",
    "1e999",
    "-1e999",
    "-1",
    "1e308",
    "9" * 400,
    "0x10",
    "1_000",
    " 7 ",
    "",
]
ATTRIBUTES = [
    "name",
    "interval",
    "enabled",
    "scheduleRandomized",
    "title",
    "description",
    "uuid",
    "type",
    "progress",
    "cancellable",
    "subtitle",
    "id",
    "value",
    "default",
    "label",
    "machineIdentifier",
    "friendlyName",
    "version",
    "claimed",
]
TAGS = [
    MEDIA_CONTAINER_ROOT,
    BUTLER_TASKS_ROOT,
    "ButlerTask",
    "Activity",
    "Setting",
    "Context",
]
_XML_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True)

attribute_values = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["butler", "0", "1", "true", "false"]),
)


def _valid_xml_text(text: str) -> str:
    """XML 1.0 has no way to write most control characters."""
    return "".join(
        c
        for c in text
        if c in "\t\n\r" or ("\x20" <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
    )


@st.composite
def xml_elements(draw: st.DrawFn, depth: int = 0) -> ElementTree.Element:
    """A random element tree shaped like (and unlike) Plex containers."""
    element = ElementTree.Element(draw(st.one_of(st.sampled_from(TAGS), _XML_NAME)))
    for key in draw(
        st.lists(st.one_of(st.sampled_from(ATTRIBUTES), _XML_NAME), max_size=6)
    ):
        element.set(key, _valid_xml_text(draw(attribute_values)))
    if depth < 3:
        for child in draw(st.lists(xml_elements(depth + 1), max_size=4)):
            element.append(child)
    return element


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.one_of(st.sampled_from(ATTRIBUTES + TAGS), st.text(max_size=10)),
            inner,
            max_size=6,
        ),
    ),
    max_leaves=30,
)


@st.composite
def plex_json(draw: st.DrawFn) -> str:
    """A JSON document with a Plex root and items of random shape."""
    root = draw(st.sampled_from([MEDIA_CONTAINER_ROOT, BUTLER_TASKS_ROOT]))
    items = draw(
        st.lists(
            st.dictionaries(st.sampled_from(ATTRIBUTES), json_values, max_size=8),
            max_size=5,
        )
    )
    child = draw(st.sampled_from(["ButlerTask", "Activity", "Setting"]))
    container: dict[str, Any] = {child: items if draw(st.booleans()) else items[:1]}
    container.update(
        draw(st.dictionaries(st.sampled_from(ATTRIBUTES), json_values, max_size=4))
    )
    # json.dumps writes NaN and Infinity as bare words, as a careless server would.
    text = json.dumps({root: container})
    if (number := draw(st.sampled_from(["", "1e999", "-1e999", "NaN"]))) and items:
        text = text.replace('"interval": ', f'"interval": {number}, "x": ', 1)
    return text


@st.composite
def deep_nesting(draw: st.DrawFn) -> str:
    """Nesting deeper than any stack: XML elements or JSON arrays and objects."""
    kind = draw(st.sampled_from(["xml", "json_array", "json_object"]))
    if kind == "xml":
        depth = draw(st.integers(min_value=500, max_value=5000))
        return "<MediaContainer>" + "<a>" * depth + "</a>" * depth + "</MediaContainer>"
    depth = draw(st.integers(min_value=1000, max_value=100_000))
    if kind == "json_array":
        return '{"MediaContainer": ' + "[" * depth + "]" * depth + "}"
    return '{"MediaContainer": ' + '{"a":' * depth + "1" + "}" * depth + "}"


# Entity expansion: the parser must refuse these outright.
EXPANSION_XML = [
    # Billion laughs: exponential entity expansion.
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']><MediaContainer title="&lol9;"/>',
    # Quadratic blowup: one large entity used many times.
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "'
    + "x" * 50_000
    + '">]><MediaContainer title="'
    + "&a;" * 2_000
    + '"/>',
]
# Entities and DTDs from elsewhere: never fetched, so read as data or refused.
HOSTILE_XML = [
    *EXPANSION_XML,
    # External entities: a file and a URL.
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<MediaContainer title='&x;'/>",
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
    "<MediaContainer>&x;</MediaContainer>",
    # Parameter entities and an external DTD.
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'
    "<MediaContainer/>",
    '<?xml version="1.0"?><!DOCTYPE m SYSTEM "http://127.0.0.1:9/m.dtd"><MediaContainer/>',
    # Declared encodings a decoded text cannot have.
    '<?xml version="1.0" encoding="UTF-16"?><MediaContainer/>',
    '<?xml version="1.0" encoding="no-such-codec"?><MediaContainer/>',
]

payloads = st.one_of(
    st.text(),
    st.binary().map(lambda raw: raw.decode("utf-8", errors="replace")),
    xml_elements().map(lambda e: ElementTree.tostring(e, encoding="unicode")),
    plex_json(),
    json_values.map(json.dumps),
    deep_nesting(),
    st.sampled_from(HOSTILE_XML),
    st.text(min_size=1).map(lambda t: "<" + t),
    st.text(min_size=1).map(lambda t: "{" + t),
)

_PARSERS: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
    (BUTLER_TASKS_ROOT, parse_tasks),
    (MEDIA_CONTAINER_ROOT, parse_activities),
    (MEDIA_CONTAINER_ROOT, parse_settings),
    (MEDIA_CONTAINER_ROOT, ServerIdentity.from_container),
    (MEDIA_CONTAINER_ROOT, ServerInfo.from_container),
]


def read_like_the_client(body: str) -> None:
    """Decode a body for every endpoint and build its models, checking what comes out."""
    for root, parse in _PARSERS:
        try:
            container = decode_container(body, root)
        except PlexResponseError:
            continue
        result = parse(container)
        for task in result if isinstance(result, list) else ():
            for number in (
                getattr(task, "interval_days", None),
                getattr(task, "progress", None),
            ):
                assert number is None or isinstance(number, int)
            if (progress := getattr(task, "progress", None)) is not None:
                assert 0 <= progress <= 100


def run(examples: int) -> int:
    """Try `examples` payloads; returns how many were read."""
    count = 0

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(payloads)
    def property_holds(body: str) -> None:
        nonlocal count
        count += 1
        read_like_the_client(body)

    property_holds()
    return count


def main() -> None:
    """Run the property many times and print the count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=10_000)
    args = parser.parse_args()
    start = time.monotonic()
    count = run(args.examples)
    print(
        f"fuzz: {count} payloads read, all as data or PlexResponseError "
        f"({time.monotonic() - start:.0f} s)"
    )
    if count < args.examples:
        sys.exit(f"fuzz: only {count} of {args.examples} payloads were tried")


if __name__ == "__main__":
    main()
