"""Start a real Home Assistant on a config folder and talk to its HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import time
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from yarl import URL

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = REPO / "custom_components" / "butler"
# Development only, never shipped: points sign-in and GDM at the simulator's
# stand-ins (demo/butler_dev/__init__.py).
DEV_INTEGRATION = Path(__file__).resolve().parent / "butler_dev"
# Sections every demo configuration needs: Assist, which Butler for Plex
# answers when it is there, and the development integration.
DEMO_SECTIONS = ("conversation:\n", "butler_dev:\n")
# The newest Home Assistant release (requirements_ha_next.txt, scripts/setup).
HA_NEXT_PYTHON = REPO / ".venv-ha-next" / "bin" / "python"


def home_assistant_version(python: str | Path) -> str:
    """The version of the Home Assistant installed beside an interpreter."""
    return subprocess.run(
        [
            str(python),
            "-c",
            "from homeassistant.const import __version__; print(__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def prepare_config(
    config_dir: Path, port: int, *, skip_onboarding_integrations: bool = False
) -> None:
    """Link the integrations into a config folder and listen on 127.0.0.1:port.

    Home Assistant 2026.10 keeps its HTTP settings in storage: an `http:`
    section in YAML becomes an unconfirmed trial that reverts (with a
    restart) after five minutes. So a new config folder gets the settings a
    person would have saved in the UI. A folder without a configuration
    gets the repository's; one copied from an older repository gets the
    sections it lacks.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    configuration = config_dir / "configuration.yaml"
    if not configuration.exists():
        shutil.copyfile(REPO / "config" / "configuration.yaml", configuration)
    text = configuration.read_text()
    if missing := [section for section in DEMO_SECTIONS if section not in text]:
        with configuration.open("a") as appended:
            appended.write("\n" + "".join(missing))
    http_settings = config_dir / ".storage" / "http"
    if not http_settings.exists():
        http_settings.parent.mkdir(exist_ok=True)
        http_settings.write_text(json.dumps(_http_settings(port), indent=2))
    onboarding = config_dir / ".storage" / "onboarding"
    if skip_onboarding_integrations and not onboarding.exists():
        # The location step sets up Met, Radio Browser and Google Translate,
        # which need the internet (and packages --skip-pip leaves out): in
        # the demo they would only log errors. Marked done, the step never
        # runs; the owner account is still created through the API.
        onboarding.parent.mkdir(exist_ok=True)
        onboarding.write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics"]},
                }
            )
        )
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    for integration in (INTEGRATION, DEV_INTEGRATION):
        link = custom / integration.name
        if not link.is_symlink():
            link.symlink_to(integration, target_is_directory=True)


def _http_settings(port: int) -> dict[str, Any]:
    stable = {
        "server_port": port,
        "server_host": ["127.0.0.1"],
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    return {
        "version": 2,
        "minor_version": 2,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }


def start_home_assistant(
    config_dir: Path,
    log_file: Path,
    port: int,
    env: Mapping[str, str] | None = None,
    python: str | Path = sys.executable,
) -> subprocess.Popen[bytes]:
    """Start Home Assistant in its own process group, logging to a file.

    `python` is the interpreter of the virtualenv whose Home Assistant runs:
    this one's (2026.10.4) or .venv-ha-next's (the newest release). The
    repository's configuration takes Home Assistant's local address from
    BUTLER_DEMO_URL: the URL its webhooks show is one the simulator reaches.
    """
    log = log_file.open("ab")
    return subprocess.Popen(
        [str(python), "-m", "homeassistant", "-c", str(config_dir), "--skip-pip"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        # Run from the repository, `custom_components` would be its own
        # folder, which lacks the development integration.
        cwd=config_dir,
        start_new_session=True,
        env={
            **os.environ,
            **(env or {}),
            "BUTLER_DEMO_URL": f"http://127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
        },
    )


@dataclass(frozen=True)
class SimulatedPlex:
    """Where the simulator's second server, plex.tv stand-in and GDM answers are."""

    attic_port: int
    plex_tv_port: int
    gdm_port: int

    def development_settings(self) -> dict[str, str]:
        """Where demo/butler_dev points Butler for Plex (see README, Development)."""
        return {
            "BUTLER_DEMO_PLEX_TV": f"http://127.0.0.1:{self.plex_tv_port}",
            "BUTLER_DEMO_GDM": f"127.0.0.1:{self.gdm_port}",
        }


def start_simulator(
    port: int,
    token: str,
    *,
    task_duration: float,
    log_file: Path,
    extras: SimulatedPlex | None = None,
    webhooks: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """Start the Plex simulator on 127.0.0.1, with plex.tv, GDM and Attic when asked."""
    log = log_file.open("ab")
    more: list[str] = [arg for url in webhooks for arg in ("--webhook", url)]
    if extras is not None:
        more += [
            "--attic-port",
            str(extras.attic_port),
            "--plex-tv-port",
            str(extras.plex_tv_port),
            "--gdm-port",
            str(extras.gdm_port),
        ]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plexsim",
            "--port",
            str(port),
            "--task-duration",
            str(task_duration),
            *more,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
        start_new_session=True,
        env={**os.environ, "PLEXSIM_TOKEN": token},
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Ask a child to stop, then insist."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_up(
    session: aiohttp.ClientSession,
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = 120,
) -> None:
    """Wait until `url` answers; fail at once if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"the process serving {url} exited with {process.returncode}"
            )
        try:
            async with session.get(url) as response:
                if response.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:g} s")
        await asyncio.sleep(0.2)


class HomeAssistantApi:
    """The few HTTP calls the demo needs."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Talk to Home Assistant at base_url."""
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.token: str | None = None

    async def _post(
        self, path: str, payload: Mapping[str, Any], *, auth: bool = True
    ) -> Any:
        headers = (
            {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        )
        # As the frontend does: where a sign-in window comes back to.
        headers["HA-Frontend-Base"] = self.base_url
        async with self.session.post(
            f"{self.base_url}{path}", json=payload, headers=headers
        ) as response:
            if response.status >= 400:
                text = await response.text()
                raise RuntimeError(f"POST {path} answered {response.status}: {text}")
            return await response.json(content_type=None)

    async def _get(self, path: str) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.session.get(
            f"{self.base_url}{path}", headers=headers
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def _exchange(self, code: str) -> None:
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            response.raise_for_status()
            self.token = (await response.json())["access_token"]

    async def wait_until_started(self, timeout: float = 120) -> None:
        """Wait until Home Assistant has set up everything it loads at start.

        Its HTTP API answers while integrations are still being set up; the
        development integration has pointed sign-in at the stand-in only
        once Home Assistant runs.
        """
        deadline = time.monotonic() + timeout
        while (await self._get("/api/config"))["state"] != "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"Home Assistant did not start within {timeout:g} s")
            await asyncio.sleep(0.2)

    async def is_onboarded(self) -> bool:
        """Whether the owner account exists."""
        async with self.session.get(f"{self.base_url}/api/onboarding") as response:
            if response.status == 404:  # onboarding finished: the view is gone
                return True
            steps = await response.json()
        return all(step["done"] for step in steps)

    async def onboard(self, name: str, username: str, password: str) -> None:
        """Do every onboarding step through Home Assistant's onboarding API."""
        created = await self._post(
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        await self._exchange(created["auth_code"])
        done = {
            step["step"] for step in await self._get("/api/onboarding") if step["done"]
        }
        for step in ("core_config", "analytics"):
            if step not in done:
                await self._post(f"/api/onboarding/{step}", {})
        await self._post(
            "/api/onboarding/integration",
            {
                "client_id": self.client_id,
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
        )

    async def login(self, username: str, password: str) -> None:
        """Sign in with the login flow, as the frontend does."""
        flow = await self._post(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
            auth=False,
        )
        result = await self._post(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(
                f"could not sign in as {username}: {result.get('errors')}"
            )
        await self._exchange(result["result"])

    async def butler_entries(self) -> list[dict[str, Any]]:
        """The integration's config entries."""
        entries: list[dict[str, Any]] = await self._get(
            "/api/config/config_entries/entry?domain=butler"
        )
        return entries

    async def add_butler(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Add a server by address and token, through the integration's config flow."""
        flow = await self._post(
            "/api/config/config_entries/flow", {"handler": "butler"}
        )
        step = f"/api/config/config_entries/flow/{flow['flow_id']}"
        await self._post(step, {"next_step_id": "manual"})
        result: dict[str, Any] = await self._post(step, data)
        if result.get("type") != "create_entry":
            raise RuntimeError(
                f"the config flow did not create an entry: {result.get('errors')}"
            )
        return result

    async def sign_in_butler(self, server_name: str) -> dict[str, Any]:
        """Add a server by signing in with Plex, as a person does in the browser.

        The simulated sign-in page's *Allow* is pressed over HTTP, and its
        window's trip back to Home Assistant is followed.
        """
        flow = await self._post(
            "/api/config/config_entries/flow", {"handler": "butler"}
        )
        step = f"/api/config/config_entries/flow/{flow['flow_id']}"
        sign_in = await self._post(step, {"next_step_id": "sign_in"})
        if sign_in.get("type") != "external":
            raise RuntimeError(f"sign-in did not start: {sign_in.get('reason')}")
        page = URL(sign_in["url"])
        params = dict(parse_qsl(page.fragment.removeprefix("?")))
        async with self.session.post(
            page.with_path("/auth/allow").with_fragment(None),
            json={"code": params["code"], "clientID": params["clientID"]},
        ) as allowed:
            allowed.raise_for_status()
        async with self.session.get(params["forwardUrl"]) as back:
            back.raise_for_status()
        result: dict[str, Any] = await self._post(step, {})
        if result.get("step_id") == "pick_server":
            (options,) = (
                field["selector"]["select"]["options"]
                for field in result["data_schema"]
                if field["name"] == "server"
            )
            (choice,) = (o["value"] for o in options if o["label"] == server_name)
            result = await self._post(step, {"server": choice})
        if result.get("type") != "create_entry":
            raise RuntimeError(f"sign-in did not add the server: {result}")
        return result

    async def webhook_url(self, entry_id: str) -> str:
        """The webhook URL an entry's options show for the local network.

        The options answer with a message and end at once: there is no flow
        left to close.
        """
        shown = await self._post(
            "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        return str(shown["description_placeholders"]["local_url"])

    async def call_service(
        self, domain: str, service: str, data: Mapping[str, Any]
    ) -> Any:
        """Call an action."""
        return await self._post(f"/api/services/{domain}/{service}", data)

    async def websocket(self, *commands: Mapping[str, Any]) -> list[Any]:
        """Send commands over the websocket API, one after another; their results.

        What the frontend does for what has no REST call, dashboards among it.
        """
        async with self.session.ws_connect(f"{self.base_url}/api/websocket") as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            if (answer := await socket.receive_json())["type"] != "auth_ok":
                raise RuntimeError(f"the websocket refused us: {answer.get('message')}")
            results: list[Any] = []
            for number, command in enumerate(commands, start=1):
                await socket.send_json({**command, "id": number})
                answer = await socket.receive_json()
                if not answer["success"]:
                    raise RuntimeError(f"{command['type']} failed: {answer['error']}")
                results.append(answer.get("result"))
        return results

    async def add_dashboard(
        self, url_path: str, title: str, icon: str, config: Mapping[str, Any]
    ) -> None:
        """Add a dashboard to the sidebar and give it a configuration.

        As *Settings → Dashboards → Add dashboard* and then pasting into its
        raw configuration editor do.
        """
        await self.websocket(
            {
                "type": "lovelace/dashboards/create",
                "url_path": url_path,
                "title": title,
                "icon": icon,
            },
            {"type": "lovelace/config/save", "url_path": url_path, "config": config},
        )

    async def state(self, entity_id: str) -> str | None:
        """An entity's state, or None when it has none."""
        try:
            body = await self._get(f"/api/states/{entity_id}")
        except aiohttp.ClientResponseError as err:
            if err.status == 404:
                return None
            raise
        return str(body["state"])


async def add_webhook(
    session: aiohttp.ClientSession, plex_port: int, token: str, url: str
) -> None:
    """Give the simulated Plex a webhook URL, as its owner does in Plex Web."""
    async with session.post(
        f"http://127.0.0.1:{plex_port}/_sim/webhooks",
        json={"url": url},
        headers={"X-Plex-Token": token},
    ) as response:
        response.raise_for_status()
