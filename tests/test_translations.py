"""Every language has every text, with the same placeholders, and Home Assistant finds them."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import translation

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations"
LANGUAGES = ["de", "en", "es", "fr", "nl"]


def _leaves(node: Any, path: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        found: dict[str, str] = {}
        for key, value in node.items():
            found |= _leaves(value, f"{path}.{key}" if path else key)
        return found
    return {path: node}


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"{(\w+)}", text))


def test_the_languages_are_all_there() -> None:
    assert sorted(p.stem for p in TRANSLATIONS.glob("*.json")) == LANGUAGES


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_with_the_same_placeholders(language: str) -> None:
    english = _leaves(json.loads((TRANSLATIONS / "en.json").read_text()))
    other = _leaves(json.loads((TRANSLATIONS / f"{language}.json").read_text()))
    assert other.keys() == english.keys()
    for key, text in english.items():
        assert _placeholders(other[key]) == _placeholders(text), key
        assert other[key].strip(), key


@pytest.mark.parametrize("language", LANGUAGES)
async def test_home_assistant_resolves_names_errors_and_events(
    hass: HomeAssistant, init_integration: MockConfigEntry, language: str
) -> None:
    entity = await translation.async_get_translations(
        hass, language, "entity", {DOMAIN}
    )
    exceptions = await translation.async_get_translations(
        hass, language, "exceptions", {DOMAIN}
    )
    prefix = f"component.{DOMAIN}"
    english = json.loads((TRANSLATIONS / "en.json").read_text())
    for key in (
        "entity.button.backup_database.name",
        "entity.binary_sensor.running.name",
        "entity.select.window_start.name",
        "entity.event.butler.state_attributes.event_type.state.butler_finished",
    ):
        resolved = entity[f"{prefix}.{key}"]
        assert resolved
        if language != "en":
            assert resolved != _leaves(english)[key], key
    error = exceptions[f"{prefix}.exceptions.cannot_connect.message"]
    assert "{server}" in error
