"""Texts in the user's language: a translation key and placeholders in, words out.

Everything the integration says outside Home Assistant's own places for
texts (entity names, exceptions, issues) goes through here: the voice and
LLM tool answers, the sign-in window's page, task names said aloud. Their
texts live in the `common` section of `strings.json`, the one free-form
section hassfest allows an integration.
"""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import translation

from .const import DOMAIN

LANGUAGES = ("en", "de", "fr", "nl", "es")


async def async_words(
    hass: HomeAssistant,
    language: str,
    key: str,
    placeholders: Mapping[str, str] | None = None,
) -> str:
    """The text at `key` in `language`, its placeholders filled in.

    `key` is the text's path in `strings.json`, such as
    `common.voice_started` or `entity.button.backup_database.name`. A
    regional language ("de-CH") is said in its base language, one the
    integration does not speak in English, and a text that is missing by its
    key.
    """
    language = language.partition("-")[0]
    if language not in LANGUAGES:
        language = "en"
    category = key.partition(".")[0]
    strings = await translation.async_get_translations(
        hass, language, category, {DOMAIN}
    )
    text = _text(strings, key) or key
    return text.format(**placeholders) if placeholders else text


@callback
def async_cached_words(hass: HomeAssistant, key: str) -> str:
    """The text at `key` in Home Assistant's language, for code that cannot wait.

    Home Assistant loads an integration's texts, in its language and in
    English, when it sets the integration up, so they are at hand in a
    callback. After the language changes it may not hold the new one's yet:
    English until it does. In a language the integration has no texts for,
    English, as for entity names.
    """
    category = key.partition(".")[0]
    ours = translation.async_get_cached_translations(
        hass, hass.config.language, category, DOMAIN
    )
    english = translation.async_get_cached_translations(hass, "en", category, DOMAIN)
    return _text(ours, key) or _text(english, key) or key


def _text(strings: Mapping[str, str], key: str) -> str | None:
    """The text at `key` among Home Assistant's strings, if it is there."""
    return strings.get(f"component.{DOMAIN}.{key}")
