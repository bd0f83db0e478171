"""Voice corpora: how people ask, in every language, through Home Assistant's conversation API.

Like home-assistant-intents' `tests/<lang>/*.yaml`, the corpora pair
sentences with what they must do; unlike templates, they are written from
how people talk. Each understood sentence must do exactly its operation on
the simulator; each ordinary request must never be taken by this
integration, with or without a Plex media player in the house.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
import yaml

from custom_components.butler import voice
from custom_components.butler.const import DOMAIN
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import translation
from plexsim import PlexSimulator

CORPORA = Path(__file__).parent / "voice_corpus"
LANGUAGES = sorted(path.stem for path in CORPORA.glob("*.yaml"))
# What each operation sends the server; questions send nothing and are
# known by their answer (here, with the butler idle).
COMMANDS: dict[str, tuple[str, str] | None] = {
    "backup": ("POST", "/butler/BackupDatabase"),
    "start_all": ("POST", "/butler"),
    "stop_all": ("DELETE", "/butler"),
    "is_running": None,
    "what_doing": None,
    # Nothing reached Home Assistant's webhook yet: the answer says so.
    "last_backup": None,
}
ANSWERS = {
    "is_running": "voice_idle",
    "what_doing": "voice_idle",
    "last_backup": "voice_no_backup",
}
# Questions about the butler's past, each about one task: known by the
# handler that answers and the task it answers about, since with no run
# seen two of them answer alike.
MEMORY = ("last_run", "run_duration", "ran_last_night")
OPERATIONS = {*COMMANDS, "run_task", *MEMORY}

pytestmark = pytest.mark.usefixtures("assist_in_every_language")


def _corpus(language: str) -> dict[str, Any]:
    corpus: dict[str, Any] = yaml.safe_load(
        (CORPORA / f"{language}.yaml").read_text(encoding="utf-8")
    )
    return corpus


def test_every_language_has_a_corpus_of_the_same_breadth() -> None:
    sentence_files = Path("custom_components/butler/sentences")
    assert sorted(path.stem for path in sentence_files.glob("*.yaml")) == LANGUAGES
    for language in LANGUAGES:
        corpus = _corpus(language)
        assert set(corpus["understood"]) == OPERATIONS, language
        for operation, sentences in corpus["understood"].items():
            assert len(sentences) >= 10, (language, operation)
        assert len(corpus["not_taken"]) >= 40, language


async def _say(hass: HomeAssistant, text: str, language: str) -> str:
    result = await conversation.async_converse(
        hass, text, None, Context(), language=language
    )
    speech: str = result.response.speech["plain"]["speech"]
    return speech


@pytest.mark.parametrize("language", LANGUAGES)
async def test_understood_and_done(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    strings = await translation.async_get_translations(
        hass, language, "common", {DOMAIN}
    )
    answered: list[tuple[str, str | None]] = []

    def _spy(operation: str) -> voice.Handler:
        handler = voice.HANDLERS[operation]

        async def _async_handle(hass: HomeAssistant, slots: dict[str, str]) -> Any:
            answer = await handler(hass, slots)
            answered.append((operation, answer[1].get("task")))
            return answer

        return _async_handle

    for operation in MEMORY:
        monkeypatch.setitem(voice.HANDLERS, operation, _spy(operation))
    wrong = []
    for operation, sentences in _corpus(language)["understood"].items():
        pairs = (
            sentences.items()
            if isinstance(sentences, dict)
            else [(sentence, None) for sentence in sentences]
        )
        for sentence, task in pairs:
            before = len(simulator.requests)
            answered.clear()
            answer = await _say(hass, sentence, language)
            if operation in MEMORY:
                if answered != [(operation, task)]:
                    wrong.append((operation, sentence, list(answered), answer))
                continue
            sent = [
                (request.method, request.path)
                for request in simulator.requests[before:]
                if request.method != "GET"
            ]
            command = ("POST", f"/butler/{task}") if task else COMMANDS[operation]
            expected = ANSWERS.get(operation)
            if sent != ([command] if command else []) or (
                expected is not None
                and answer
                != strings[f"component.{DOMAIN}.common.{expected}"].format(
                    server="Plex Server"
                )
            ):
                wrong.append((operation, sentence, sent, answer))
            # Stopped as a person would, so no backup a sentence started
            # counts as done for the next sentence's answer.
            await hass.services.async_call(DOMAIN, "stop_all", blocking=True)
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("media_player", [False, True])
@pytest.mark.parametrize("language", LANGUAGES)
async def test_ordinary_requests_are_not_taken(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    hass_ws_client: WebSocketGenerator,
    language: str,
    media_player: bool,
) -> None:
    if media_player:
        hass.states.async_set(
            "media_player.plex_living_room",
            "playing",
            {"friendly_name": "Plex Living Room", "supported_features": 0xFFFF},
        )
    sentences = _corpus(language)["not_taken"]
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "conversation/agent/homeassistant/debug",
            "sentences": sentences,
            "language": language,
        }
    )
    reply = await client.receive_json()
    assert reply["success"]
    taken = [
        sentence
        for sentence, result in zip(sentences, reply["result"]["results"], strict=True)
        if result and result.get("source") == "trigger"
    ]
    assert not taken, taken
    # And said, nothing reaches the server.
    for sentence in sentences:
        await _say(hass, sentence, language)
    assert not [r for r in simulator.requests if r.method != "GET"]
