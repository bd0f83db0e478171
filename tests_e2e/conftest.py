"""One simulated Plex server, one real Home Assistant and one browser for the suite.

Home Assistant starts once (a few seconds) and every test continues the
same user's session, in order, as a person would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import json
from pathlib import Path
import secrets
import shutil
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.request

from playwright.sync_api import Browser, Page, Playwright, sync_playwright
import pytest

from demo.homeassistant import (
    REPO,
    SimulatedPlex,
    home_assistant_version,
    prepare_config,
    start_home_assistant,
    start_simulator,
    stop,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Long enough to still run when the suite stops everything from the developer tools.
TASK_SECONDS = 120.0


def _free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """What the tests talk to."""

    ha_url: str
    plex_port: int
    plex_token: str
    config_dir: Path
    extras: SimulatedPlex
    home_assistant: subprocess.Popen[bytes]
    ha_log: Path

    @property
    def attic_token(self) -> str:
        """The second server's owner token (the simulator derives it)."""
        return f"{self.plex_token}-attic"

    def _plex(self, path: str) -> dict[str, Any]:
        """Ask the simulated server over HTTP, as any Plex client would."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.plex_port}{path}",
            headers={"X-Plex-Token": self.plex_token, "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body: dict[str, Any] = json.load(response)["MediaContainer"]
        return body

    def _control(self, path: str, body: dict[str, Any] | None = None) -> None:
        """Steer the simulator, as the demo does (not Plex's API)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.plex_port}/_sim/{path}",
            data=json.dumps(body or {}).encode(),
            headers={
                "X-Plex-Token": self.plex_token,
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def add_webhook(self, url: str) -> None:
        """Paste a webhook URL into the simulated server, as into Plex Web."""
        self._control("webhooks", {"url": url})

    def finish_tasks(self) -> None:
        """Let every running task finish now (and its webhooks be posted)."""
        self._control("butler/finish")

    def plex_settings(self) -> dict[str, str]:
        """The server's settings, as text."""
        return {s["id"]: str(s["value"]) for s in self._plex("/:/prefs")["Setting"]}

    def butler_activities(self) -> list[dict[str, Any]]:
        """The butler's activities: one while it runs."""
        activities: list[dict[str, Any]] = self._plex("/activities").get("Activity", [])
        return [a for a in activities if a.get("type") == "butler"]


def poll_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for a condition on the server's side, polling without a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll until `url` answers; fail at once if its process died."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"the process serving {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer within {timeout:g} s")
            time.sleep(0.2)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--ha-python",
        default=sys.executable,
        help="the Python of the virtualenv whose Home Assistant the suite starts "
        "(default: this one's, 2026.10.4; .venv-ha-next/bin/python is the newest)",
    )


@pytest.fixture(scope="session")
def ha_python(pytestconfig: pytest.Config) -> str:
    # Home Assistant runs from its config folder: a path relative to here,
    # as the README's `--ha-python .venv-ha-next/bin/python`, would not be
    # found from there. Not resolved: the venv's python is a symlink whose
    # target knows nothing of the venv.
    python = Path(pytestconfig.getoption("--ha-python")).absolute()
    return str(python)


@pytest.fixture(scope="session")
def artifacts(ha_python: str) -> Path:
    """This run's screenshots and logs: one folder per Home Assistant version.

    Emptied first: each run's files, not an accumulation of runs.
    """
    folder = REPO / "artifacts" / "e2e" / home_assistant_version(ha_python)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, ha_python: str, artifacts: Path
) -> Iterator[Stack]:
    """Start the simulator and Home Assistant, and stop them at the end."""
    config_dir = tmp_path_factory.mktemp("ha-config")
    ha_port, plex_port = _free_port(), _free_port()
    # Attic, the plex.tv stand-in and GDM answers, as in the demo.
    extras = SimulatedPlex(
        attic_port=_free_port(),
        plex_tv_port=_free_port(),
        gdm_port=_free_port(socket.SOCK_DGRAM),
    )
    token = secrets.token_urlsafe(16)
    prepare_config(config_dir, ha_port)
    ha_log = artifacts / "home-assistant.log"
    children: list[subprocess.Popen[bytes]] = []
    try:
        children.append(
            start_simulator(
                plex_port,
                token,
                task_duration=TASK_SECONDS,
                log_file=artifacts / "plexsim.log",
                extras=extras,
            )
        )
        children.append(
            start_home_assistant(
                config_dir,
                ha_log,
                ha_port,
                env=extras.development_settings(),
                python=ha_python,
            )
        )
        ha_url = f"http://127.0.0.1:{ha_port}"
        _wait_until_up(f"http://127.0.0.1:{plex_port}/identity", children[0], 30)
        _wait_until_up(f"{ha_url}/api/onboarding", children[1], 120)
        # Its API answers before everything is set up; the first sign-in must
        # wait for demo/butler_dev to point it at the stand-in.
        poll_until(
            lambda: "Sign-in goes to the plex.tv stand-in" in ha_log.read_text(),
            timeout=120,
        )
        yield Stack(ha_url, plex_port, token, config_dir, extras, children[1], ha_log)
    finally:
        for child in reversed(children):
            stop(child)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: run scripts/setup")
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """One tab for the whole journey, so the session carries from step to step."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot(
    page: Page, stack: Stack, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Save what the page shows at the end of each step, pass or fail."""
    yield
    if stack.home_assistant.poll() is None:
        page.screenshot(path=artifacts / f"{request.node.name}.png")
