"""Sentence files: a broken one is refused with the file and the reason, and voice says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.butler import sentence_files
from custom_components.butler.const import DOMAIN
from custom_components.butler.sentence_files import (
    SentenceFileError,
    load_sentence_file,
)
from custom_components.butler.voice import NEEDS
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component

GOOD = """
language: xx
intents:
  start_task:
    data:
      - sentences:
          - "<go> the Plex task {task}"
      - sentences:
          - "<go> the Plex backup"
        slots:
          task: BackupDatabase
expansion_rules:
  go: "(run|start)"
"""


def _write(tmp_path: Path, text: str, name: str = "xx") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_are_inlined_and_slots_kept(tmp_path: Path) -> None:
    phrasings = load_sentence_file(_write(tmp_path, GOOD), NEEDS)
    assert [p.templates for p in phrasings] == [
        ("((run|start)) the Plex task {task}",),
        ("((run|start)) the Plex backup",),
    ]
    assert phrasings[1].slots == (("task", "BackupDatabase"),)


@pytest.mark.parametrize(
    "template",
    ["(Plex[ server]|Plexserver) backup", "[(the|my) ]backup (of|on) Plex"],
)
def test_plex_required_whatever_hassil_keeps(tmp_path: Path, template: str) -> None:
    text = GOOD.replace("<go> the Plex backup", template)
    assert load_sentence_file(_write(tmp_path, text), NEEDS)[1].templates == (template,)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GOOD.replace("language: xx", "language: yy"), "'language' must be xx"),
        (GOOD.replace("start_task:", "dance:"), "no operation is called dance"),
        (GOOD.replace("the Plex backup", "the backup"), "without 'Plex'"),
        (
            GOOD.replace("(Plex|", "(").replace("the Plex task", "[Plex] task"),
            "without 'Plex'",
        ),
        # "Plex" in every branch, but hassil's prefilter may keep "it" or
        # "take" for the first, depending on the hash seed.
        (
            GOOD.replace("<go> the Plex backup", "(it take Plex|Plex take) backup"),
            "without 'Plex'",
        ),
        (GOOD.replace("{task}", "now"), "lacks {'task'}"),
        (GOOD.replace("{task}", "{area}"), "names a list other than"),
        (
            GOOD.replace("<go> the Plex backup", "<stop> the Plex backup"),
            "no expansion rule <stop>",
        ),
        (GOOD.replace('"(run|start)"', '"(run|<go>)"'), "rules refer to themselves"),
        (
            GOOD.replace("the Plex task {task}", "the (Plex task {task}"),
            "ParseError",
        ),
        ("language: xx\nintents: 3\n", "AttributeError"),
        ("language: xx\n  - : [\n", "xx.yaml"),
    ],
)
def test_a_broken_file_is_refused_with_its_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    with pytest.raises(SentenceFileError, match=r"xx\.yaml") as raised:
        load_sentence_file(_write(tmp_path, text), NEEDS)
    assert reason in str(raised.value)


async def test_a_broken_file_leaves_voice_off_and_the_rest_working(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Only the languages in use are read: Home Assistant's is English.
    broken = GOOD.replace("Plex backup", "backup").replace(
        "language: xx", "language: en"
    )
    _write(tmp_path, broken, "en")
    assert await async_setup_component(hass, "conversation", {})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sentence_files, "SENTENCES_DIR", tmp_path)
        assert await async_setup_component(hass, DOMAIN, {})
    assert "Voice sentences could not be read: en.yaml" in caplog.text
    assert hass.services.has_service(DOMAIN, "start_all")
    result = await conversation.async_converse(
        hass, "stop all Plex tasks", None, Context(), language="en"
    )
    assert "Butler for Plex" not in result.response.speech["plain"]["speech"]
