"""Benchmark: what the butler's sentences cost Assist, through `conversation.process`.

Not part of the test suite (the file name keeps pytest from collecting it);
`scripts/bench voice` runs it and prints figures. In one run: the same 30
sentences that are not about Plex, timed without the integration and then
with it loaded (its sentences registered), and 30 of the integration's own
sentences answered against the simulator. Each figure is the median and the
worst of every call after a first round; the first request after the
sentences are registered is reported apart, since Home Assistant reads
every trigger template then, and so is the integration's setup, which reads
the sentence files. Home Assistant's language is English and it has no
Assist pipeline: the sentences of the languages in use are English only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from statistics import median

from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from plexsim import PlexSimulator

UNRELATED = [
    "turn on the kitchen light",
    "turn off the living room lights",
    "what is the weather",
    "what time is it",
    "set a timer for ten minutes",
    "stop the music",
    "start the vacuum",
    "open the garage door",
    "close the blinds in the bedroom",
    "set the thermostat to 21 degrees",
    "what is the temperature in the office",
    "lock the front door",
    "is the back door locked",
    "pause",
    "next track",
    "turn up the volume",
    "add milk to my shopping list",
    "cancel all timers",
    "how much time is left on my timer",
    "turn on the fan in the hallway",
    "what's the date today",
    "dim the lights to 30 percent",
    "set the bedroom light to blue",
    "is the washing machine running",
    "start the dishwasher",
    "turn off everything in the kitchen",
    "how warm is it outside",
    "play music in the living room",
    "unlock the garage",
    "good night",
]
ROUNDS = 10
OWN_ROUNDS = 3


def _own_sentences() -> list[str]:
    corpus = yaml.safe_load(
        (Path(__file__).parent / "voice_corpus" / "en.yaml").read_text("utf-8")
    )
    understood = corpus["understood"]
    picked = [
        *list(understood["run_task"])[:6],
        *(
            sentence
            for op in ("backup", "start_all", "stop_all")
            for sentence in understood[op][:4]
        ),
        *understood["is_running"][:6],
        *understood["what_doing"][:6],
    ]
    assert len(picked) == 30
    return picked


async def _process(hass: HomeAssistant, text: str) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await hass.services.async_call(
        "conversation",
        "process",
        {"text": text, "language": "en"},
        blocking=True,
        return_response=True,
    )
    return (loop.time() - started) * 1000


async def _times(
    hass: HomeAssistant,
    sentences: Iterable[str],
    simulator: PlexSimulator | None = None,
) -> list[float]:
    times = []
    for text in sentences:
        times.append(await _process(hass, text))
        if simulator is not None:
            simulator.stop_all()
    return times


def _line(label: str, times: list[float]) -> str:
    return f"voice: {label}: median {median(times):.2f} ms, worst {max(times):.2f} ms ({len(times)} calls)"


async def test_voice_cost(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert await async_setup_component(hass, "conversation", {})
    await _times(hass, UNRELATED)
    without = await _times(hass, UNRELATED * ROUNDS)

    mock_config_entry.add_to_hass(hass)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    setup = (loop.time() - started) * 1000
    first = await _process(hass, UNRELATED[0])
    await _times(hass, UNRELATED)
    with_butler = await _times(hass, UNRELATED * ROUNDS)

    own = _own_sentences()
    await _times(hass, own, simulator)
    answered = await _times(hass, own * OWN_ROUNDS, simulator)

    slower = median(with_butler) - median(without)
    print()
    print(_line("30 unrelated sentences, without Butler for Plex", without))
    print(_line("the same, with Butler for Plex loaded", with_butler))
    print(
        f"voice: unrelated sentences slower at the median by {slower:.2f} ms (target <= 2 ms)"
    )
    print(
        f"voice: setting up Butler for Plex (its sentences read and registered): {setup:.0f} ms"
    )
    print(f"voice: first request after the sentences are registered: {first:.0f} ms")
    print(
        _line(
            "30 of Butler for Plex's own sentences, answered (target < 150 ms median)",
            answered,
        )
    )
