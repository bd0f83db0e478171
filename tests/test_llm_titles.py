"""LLM tools have titles, which MCP clients show people, in Home Assistant's language."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import translation

from .test_voice import _tools

ENGLISH = {
    "butler__start_task": "Start a Plex task",
    "butler__start_all": "Start Plex maintenance",
    "butler__stop_all": "Stop Plex maintenance",
    "butler__status": "Get Plex maintenance status",
}


def _titles(tools: list) -> dict[str, str | None]:
    return {tool.name: tool.title for tool in tools if tool.name.startswith("butler__")}


async def test_every_tool_has_a_title(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert _titles((await _tools(hass)).tools) == ENGLISH


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("de", "Plex-Aufgabe starten"),
        ("fr", "Lancer une tâche Plex"),
        ("nl", "Plex-taak starten"),
        ("es", "Iniciar una tarea de Plex"),
        # No texts in Italian: English, as entity names are.
        ("it", "Start a Plex task"),
    ],
)
async def test_titles_are_in_home_assistants_language(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    language: str,
    title: str,
) -> None:
    # Home Assistant starts in that language and sets the integration up.
    hass.config.language = language
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    # MCP clients ask in no language ("*"); a conversation may ask in another.
    for asked in ("*", "en", None):
        titles = _titles((await _tools(hass, asked)).tools)
        assert titles["butler__start_task"] == title
        assert titles.keys() == ENGLISH.keys()
        if language != "it":
            assert not set(titles.values()) & set(ENGLISH.values())


async def test_after_a_change_of_language_the_titles_follow(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await hass.config.async_update(language="de")
    await hass.async_block_till_done()
    # Until Home Assistant holds the new language's texts, English; never a key.
    assert set(_titles((await _tools(hass)).tools).values()) <= {
        *ENGLISH.values(),
        "Plex-Aufgabe starten",
        "Plex-Wartung starten",
        "Plex-Wartung stoppen",
        "Status der Plex-Wartung abfragen",
    }
    await translation.async_get_translations(hass, "de", "common", {DOMAIN})
    assert _titles((await _tools(hass)).tools)["butler__stop_all"] == (
        "Plex-Wartung stoppen"
    )
