"""Every language has every text, with the same placeholders, and Home Assistant finds them."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from custom_components.butler.words import async_words
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


# The top-level sections hassfest's schema (`gen_strings_schema` in Home
# Assistant's script/hassfest/translations.py) allows; it rejects any other
# although Home Assistant would load it. That is why the voice answers and
# the sign-in page live in `common`, the one free-form section.
HASSFEST_SECTIONS = {
    "title",
    "config",
    "config_subentries",
    "options",
    "preview_features",
    "selector",
    "device_automation",
    "system_health",
    "config_panel",
    "application_credentials",
    "issues",
    "entity_component",
    "device",
    "entity",
    "exceptions",
    "services",
    "conditions",
    "triggers",
    "conversation",
    "common",
}


@pytest.mark.parametrize("language", [*LANGUAGES, "strings"])
def test_hassfest_would_accept_the_sections(language: str) -> None:
    path = (
        TRANSLATIONS.parent / "strings.json"
        if language == "strings"
        else TRANSLATIONS / f"{language}.json"
    )
    strings = json.loads(path.read_text())
    assert strings.keys() <= HASSFEST_SECTIONS
    # `common` maps slugs straight to texts, with nothing nested.
    for key, text in strings["common"].items():
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", key), key
        assert isinstance(text, str), key
        assert text == text.strip(), key
        assert "<" not in text, key
    # Exceptions are only what is raised; answers and pages are not there.
    assert not any(
        key.startswith(("voice_", "sign_in_")) for key in strings["exceptions"]
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_home_assistant_loads_the_answers_and_pages(
    hass: HomeAssistant, language: str
) -> None:
    common = await translation.async_get_translations(
        hass, language, "common", {DOMAIN}
    )
    english = _leaves(json.loads((TRANSLATIONS / "en.json").read_text()))
    for key in ("voice_started", "voice_which_server", "sign_in_window_done"):
        resolved = common[f"component.{DOMAIN}.common.{key}"]
        assert resolved
        if language != "en":
            assert resolved != english[f"common.{key}"], key


async def test_words_in_a_regional_or_an_unknown_language(hass: HomeAssistant) -> None:
    german = json.loads((TRANSLATIONS / "de.json").read_text())["common"]
    english = json.loads((TRANSLATIONS / "en.json").read_text())["common"]
    idle = {"server": "Dachboden"}
    assert await async_words(hass, "de-CH", "common.voice_idle", idle) == german[
        "voice_idle"
    ].format(**idle)
    assert await async_words(hass, "pt-BR", "common.voice_idle", idle) == english[
        "voice_idle"
    ].format(**idle)
    assert await async_words(hass, "de", "common.no_such_text") == "common.no_such_text"
