"""Score sentences written blind against a real Home Assistant: `scripts/bench voice-blind DIR`.

Not part of the test suite (the file name keeps pytest from collecting it).
The corpora in `tests/voice_corpus/` were written beside the templates;
this measures what they cannot: how many requests written by someone who
has not seen the sentence files are understood. It runs the demo (a real
Home Assistant, with Butler for Plex added through its config flow) against
a simulator started here, so every request the server gets is seen, with an
Assist pipeline in each of the five languages, so all five languages'
sentences are registered at once, as in a house that speaks them all. Each
sentence of `DIR/<language>.yaml` goes to `POST /api/conversation/process`
in its language:

    language: en
    understood:
      backup: ["..."]
      start_task: {"sentence": TaskCode}
      start_all: ["..."]
      stop_all: ["..."]
      status: ["..."]
      last_backup: ["..."]
      last_run: {"sentence": TaskCode}
      run_duration: {"sentence": TaskCode}
      ran_last_night: {"sentence": TaskCode}
    not_taken: ["..."]

A command is understood when the server got exactly its command and
nothing else; a question when the answer is Butler for Plex's answer to it
(not Home Assistant's "I am not aware of any area…"), naming the task
for a question about one; a `not_taken`
sentence when no command reached the server and the answer is not ours.
The server is stopped after every sentence, so none changes the next one's
result. Before a language's sentences the butler backs up, optimizes and
refreshes once, each run seen to its end, and the questions about the past
come first: "when did it last run" and "how long did it take" then have
different answers for those tasks (for a task never seen run both say
so, and either counts). Prints a table per language and operation and the misses, and
writes everything to a JSON report.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Iterable
import contextlib
from dataclasses import asdict, dataclass
import json
from pathlib import Path
import re
import secrets
import signal
import sys
import tempfile
from typing import Any

import aiohttp
import yaml

from custom_components.butler.const import KNOWN_TASKS
from demo.__main__ import PASSWORD, USERNAME
from demo.homeassistant import REPO, HomeAssistantApi
from plexsim import PlexSimulator

from .conftest import pipeline

LANGUAGES = ("en", "de", "fr", "nl", "es")
TRANSLATIONS = REPO / "custom_components" / "butler" / "translations"
# What each command sends the server.
COMMANDS = {
    "backup": ("POST", "/butler/BackupDatabase"),
    "start_all": ("POST", "/butler"),
    "stop_all": ("DELETE", "/butler"),
}
# The answers that show a question was ours and understood as asked.
ANSWERS = {
    "status": ("voice_idle", "voice_running", "voice_running_progress"),
    "last_backup": ("voice_no_backup", "voice_last_backup"),
    "last_run": (
        "voice_last_run_finished",
        "voice_run_now",
        "voice_no_run",
    ),
    "run_duration": ("voice_took_finished", "voice_run_now", "voice_no_run"),
    "ran_last_night": (
        "voice_night_finished",
        "voice_night_no",
        "voice_night_never",
        "voice_run_now",
    ),
}
MEMORY = ("last_run", "run_duration", "ran_last_night")
OPERATIONS = (
    *MEMORY,
    "backup",
    "start_task",
    "start_all",
    "stop_all",
    "status",
    "last_backup",
)
# The tasks run to their end before each language: the ones people ask about.
SEEDED = {
    "BackupDatabase": "back_up_database",
    "OptimizeDatabase": "optimize_database",
    "RefreshLibraries": "refresh_libraries",
}
NOT_TAKEN = "not_taken"


@dataclass
class Result:
    """What one sentence did."""

    language: str
    operation: str
    sentence: str
    understood: bool
    commands: list[str]
    answer: str


def _answer_patterns(language: str) -> dict[str, re.Pattern[str]]:
    """Our spoken answers in a language, placeholders matching anything."""
    common = json.loads(
        (TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")
    )["common"]
    return {
        key: re.compile(
            re.sub(r"\\\{\w+\\\}", ".+?", re.escape(text)), re.DOTALL | re.IGNORECASE
        )
        for key, text in common.items()
        if key.startswith("voice_")
    }


def _task_names(language: str) -> dict[str, str]:
    """Each known task's name as answers say it in a language."""
    buttons = json.loads(
        (TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")
    )["entity"]["button"]
    return {code: buttons[key]["name"] for code, key in KNOWN_TASKS.items()}


def _sentences(blind: dict[str, Any]) -> Iterable[tuple[str, str, str | None]]:
    """(operation, sentence, task the sentence must start) for a blind file."""
    for operation in OPERATIONS:
        said = blind.get("understood", {}).get(operation) or []
        if isinstance(said, dict):
            yield from ((operation, text, task) for text, task in said.items())
        else:
            yield from ((operation, text, None) for text in said)
    for text in blind.get(NOT_TAKEN) or []:
        yield NOT_TAKEN, text, None


def judge(
    operation: str,
    task: str | None,
    commands: list[tuple[str, str]],
    answer: str,
    patterns: dict[str, re.Pattern[str]],
    task_name: str | None = None,
) -> bool:
    """Whether a sentence did what its writer meant, and nothing else."""
    ours = [key for key, pattern in patterns.items() if pattern.fullmatch(answer)]
    if operation == NOT_TAKEN:
        return not commands and not ours
    if operation in MEMORY and (task_name is None or task_name not in answer):
        return False
    if operation in ANSWERS:
        return not commands and any(key in ANSWERS[operation] for key in ours)
    expected = ("POST", f"/butler/{task}") if task else COMMANDS[operation]
    return commands == [expected]


class Demo:
    """The demo's Home Assistant, on ports of its own, against our simulator."""

    def __init__(self, config: Path, ha_port: int, simulator: PlexSimulator) -> None:
        """Nothing runs until `run`."""
        self.config = config
        self.ha_port = ha_port
        self.simulator = simulator
        self.base_url = f"http://127.0.0.1:{ha_port}"

    @contextlib.asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """Start the demo and wait until it says it is ready; stop it after."""
        self.config.mkdir(parents=True, exist_ok=True)
        configuration = self.config / "configuration.yaml"
        if not configuration.exists():
            # Assist pipelines, one per language, are how the languages come into use.
            configuration.write_text(
                (REPO / "config" / "configuration.yaml").read_text()
                + "assist_pipeline:\n"
            )
        port = self.simulator.port
        demo = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "demo",
            "--config",
            str(self.config),
            "--ha-port",
            str(self.ha_port),
            "--plex-host",
            "127.0.0.1",
            "--plex-port",
            str(port),
            "--plex-token",
            self.simulator.token,
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            assert demo.stdout is not None
            async with asyncio.timeout(300):
                while not (line := await demo.stdout.readline()).startswith(b"Ready"):
                    if not line:
                        raise RuntimeError(
                            f"the demo stopped before it was ready: see {self.config}/develop.log"
                        )
            yield
        finally:
            if demo.returncode is None:
                demo.send_signal(signal.SIGINT)
                await demo.wait()


async def _pipelines(ws: aiohttp.ClientWebSocketResponse) -> None:
    """One Assist pipeline per language, as a person adds them in Voice assistants."""
    ids = iter(range(1, 1000))

    async def call(message: dict[str, Any]) -> Any:
        await ws.send_json({"id": next(ids), **message})
        reply = await ws.receive_json()
        if not reply.get("success"):
            raise RuntimeError(f"{message['type']}: {reply.get('error')}")
        return reply["result"]

    existing = await call({"type": "assist_pipeline/pipeline/list"})
    have = {pipeline["language"] for pipeline in existing["pipelines"]}
    for language in LANGUAGES:
        if language in have:
            continue
        await call({"type": "assist_pipeline/pipeline/create", **pipeline(language)})


async def _connect(
    session: aiohttp.ClientSession, base_url: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{base_url}/api/websocket")
    await ws.receive_json()
    await ws.send_json({"type": "auth", "access_token": token})
    if (await ws.receive_json())["type"] != "auth_ok":
        raise RuntimeError("the websocket API refused the token")
    return ws


async def _say(
    session: aiohttp.ClientSession, api: HomeAssistantApi, text: str, language: str
) -> str:
    async with session.post(
        f"{api.base_url}/api/conversation/process",
        json={"text": text, "language": language},
        headers={"Authorization": f"Bearer {api.token}"},
    ) as response:
        response.raise_for_status()
        body = await response.json()
    return str(body["response"]["speech"]["plain"]["speech"])


def _token(config: Path) -> str:
    """One token per config folder, so a folder used again matches its stored entry."""
    path = config / ".voice-blind-token"
    if not path.exists():
        config.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(16))
    return path.read_text().strip()


async def score(
    blind: dict[str, dict[str, Any]], config: Path, ha_port: int, sim_port: int
) -> list[Result]:
    """Say every sentence to a real Home Assistant and judge what it did."""
    simulator = PlexSimulator(
        token=_token(config), friendly_name="Plex Server", task_duration=600
    )
    await simulator.start(host="127.0.0.1", port=sim_port)
    results = []
    try:
        async with (
            Demo(config, ha_port, simulator).run(),
            aiohttp.ClientSession() as session,
        ):
            api = HomeAssistantApi(session, f"http://127.0.0.1:{ha_port}")
            await api.login(USERNAME, PASSWORD)
            assert api.token is not None
            ws = await _connect(session, api.base_url, api.token)
            await _pipelines(ws)
            await ws.close()
            await _wait_for_languages(session, api)
            for language, sentences in blind.items():
                patterns = _answer_patterns(language)
                names = _task_names(language)
                await _finished_runs(api, simulator)
                for operation, text, task in _sentences(sentences):
                    before = len(simulator.requests)
                    answer = await _say(session, api, text, language)
                    commands = [
                        (request.method, request.path)
                        for request in simulator.requests[before:]
                        if request.method != "GET"
                    ]
                    results.append(
                        Result(
                            language,
                            operation,
                            text,
                            judge(
                                operation,
                                task,
                                commands,
                                answer,
                                patterns,
                                names.get(task or "", task),
                            ),
                            [f"{method} {path}" for method, path in commands],
                            answer,
                        )
                    )
                    simulator.stop_all()
    finally:
        await simulator.stop()
    return results


async def _finished_runs(api: HomeAssistantApi, simulator: PlexSimulator) -> None:
    """Run each seeded task from its button to its end, and wait until Home Assistant saw it end."""
    for task, key in SEEDED.items():
        last_run = f"sensor.plex_server_{key}_last_run"
        before = await api.state(last_run)
        await api.call_service(
            "button", "press", {"entity_id": f"button.plex_server_{key}"}
        )
        simulator.finish_task(task)
        async with asyncio.timeout(60):
            while True:
                if await api.state(last_run) != before:
                    break
                # Home Assistant is told the run ended by push, or by its next poll.
                await asyncio.sleep(0.2)


async def _wait_for_languages(
    session: aiohttp.ClientSession, api: HomeAssistantApi
) -> None:
    """Wait until Butler for Plex answers in every language (pipelines are picked up at once)."""
    status = {
        language: _answer_patterns(language)["voice_idle"] for language in LANGUAGES
    }
    probe = {
        "en": "what is Plex doing",
        "de": "was macht Plex",
        "fr": "que fait Plex",
        "nl": "wat doet Plex",
        "es": "qué está haciendo Plex",
    }
    async with asyncio.timeout(60):
        for language in LANGUAGES:
            while True:
                answer = await _say(session, api, probe[language], language)
                if status[language].fullmatch(answer):
                    break
                await asyncio.sleep(0.5)


def _share(asked: list[Result]) -> str:
    got = sum(r.understood for r in asked)
    return f"{got}/{len(asked)} {100 * got / len(asked):.0f}%" if asked else "-"


def table(results: list[Result]) -> str:
    """Understood / total per language and operation, then the misses."""
    languages = list(dict.fromkeys(r.language for r in results))
    columns = [*OPERATIONS, NOT_TAKEN]
    width = max(len(c) for c in columns) + 2
    lines = [
        f"{'':4}"
        + "".join(f"{c:>{width}}" for c in columns)
        + f"{'understood':>14}{'the past':>14}"
    ]
    for language in languages:
        mine = [r for r in results if r.language == language]
        cells = []
        for column in columns:
            these = [r for r in mine if r.operation == column]
            cells.append(
                f"{sum(r.understood for r in these)}/{len(these)}" if these else "-"
            )
        # The six operations of issue 21, and apart the questions about the past.
        shares = [
            _share([r for r in mine if r.operation not in (NOT_TAKEN, *MEMORY)]),
            _share([r for r in mine if r.operation in MEMORY]),
        ]
        lines.append(
            f"{language:4}"
            + "".join(f"{c:>{width}}" for c in cells)
            + "".join(f"{share:>14}" for share in shares)
        )
    misses = [r for r in results if not r.understood]
    lines.append("")
    lines.append(f"misses ({len(misses)}):" if misses else "no misses")
    lines += [
        f"  {r.language} {r.operation}: {r.sentence!r} -> "
        f"{', '.join(r.commands) or 'no command'}; {r.answer!r}"
        for r in misses
    ]
    return "\n".join(lines)


def main() -> None:
    """Score a folder of blind sentence files."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench voice-blind",
        description="Score blind-written voice requests against a real Home Assistant.",
    )
    parser.add_argument("dir", type=Path, help="folder of <language>.yaml files")
    parser.add_argument("--ha-port", type=int, default=18123)
    parser.add_argument("--sim-port", type=int, default=42400)
    parser.add_argument(
        "--config", type=Path, help="Home Assistant config folder (default: a new one)"
    )
    parser.add_argument(
        "--json", type=Path, help="report file (default: DIR/voice-blind-score.json)"
    )
    args = parser.parse_args()
    blind = {
        language: yaml.safe_load(path.read_text(encoding="utf-8"))
        for language in LANGUAGES
        if (path := args.dir / f"{language}.yaml").is_file()
    }
    with tempfile.TemporaryDirectory(prefix="voice-blind-") as temporary:
        results = asyncio.run(
            score(blind, args.config or Path(temporary), args.ha_port, args.sim_port)
        )
    print(table(results))
    report = args.json or args.dir / "voice-blind-score.json"
    report.write_text(
        json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    print(f"\nreport: {report}")


if __name__ == "__main__":
    main()
