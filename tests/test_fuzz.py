"""The decoder and the models under random and hostile payloads (see tests/fuzz.py)."""

from __future__ import annotations

import pytest

from custom_components.butler.plex import PlexResponseError
from custom_components.butler.plex.client import decode_container

from .fuzz import EXPANSION_XML, HOSTILE_XML, read_like_the_client, run


def test_random_payloads_end_as_data_or_plex_errors() -> None:
    # scripts/fuzz runs the same property 10,000 times and more.
    assert run(300) >= 300


@pytest.mark.parametrize("body", HOSTILE_XML, ids=range(len(HOSTILE_XML)))
def test_hostile_xml_fetches_nothing(body: str) -> None:
    # Sockets are blocked in tests: a fetch would fail this with another error.
    read_like_the_client(body)


@pytest.mark.parametrize("body", EXPANSION_XML, ids=["billion_laughs", "quadratic"])
def test_entity_expansion_is_refused(body: str) -> None:
    with pytest.raises(PlexResponseError):
        decode_container(body, "MediaContainer")
