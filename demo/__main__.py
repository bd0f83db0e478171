"""The demo: ``scripts/develop`` runs this.

It starts the Plex simulator (or uses a real server), starts Home Assistant
on the repository's ``config/`` folder, onboards it with a demo user, and
adds the server through the integration's own config flow. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from pathlib import Path
import secrets
import signal
import subprocess
import sys
import time

import aiohttp

from .homeassistant import (
    HA_NEXT_PYTHON,
    REPO,
    HomeAssistantApi,
    SimulatedPlex,
    add_webhook,
    prepare_config,
    start_home_assistant,
    start_simulator,
    stop,
    wait_until_up,
)

USERNAME = "demo"
PASSWORD = "butler-demo"
HA_PORT = 8123


def _parse() -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Home Assistant with Butler for Plex on http://127.0.0.1:8123 "
        "(or --ha-port).",
        epilog="Without --plex-host, a simulated Plex server runs on 127.0.0.1.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="Home Assistant config folder (default: config/, or config/ha-next/ "
        "with --ha-next)",
    )
    parser.add_argument(
        "--ha-next",
        action="store_true",
        help="run the newest Home Assistant release (.venv-ha-next) instead of "
        "2026.10.4",
    )
    parser.add_argument(
        "--plex-host",
        default=env.get("PLEX_HOST"),
        help="a real server's host (env PLEX_HOST)",
    )
    parser.add_argument(
        "--plex-port",
        type=int,
        default=int(env.get("PLEX_PORT", "32400")),
        help="its port (env PLEX_PORT)",
    )
    parser.add_argument(
        "--plex-token",
        default=env.get("PLEX_TOKEN"),
        help="its owner's token (env PLEX_TOKEN)",
    )
    parser.add_argument(
        "--plex-ssl",
        action="store_true",
        default=env.get("PLEX_SSL", "").lower() in ("1", "true", "yes"),
        help="connect with HTTPS (env PLEX_SSL=1)",
    )
    parser.add_argument(
        "--plex-no-verify-ssl",
        action="store_true",
        default=env.get("PLEX_VERIFY_SSL", "1").lower() in ("0", "false", "no"),
        help="accept a self-signed certificate (env PLEX_VERIFY_SSL=0)",
    )
    parser.add_argument(
        "--ha-port", type=int, default=HA_PORT, help="Home Assistant's port"
    )
    parser.add_argument(
        "--sim-port",
        type=int,
        default=32400,
        help="the simulator's port; Attic, plex.tv and GDM use the ports "
        "1, 2 and 14 above it",
    )
    parser.add_argument(
        "--task-duration",
        type=float,
        default=10.0,
        help="seconds a simulated task runs",
    )
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help="stop everything once ready (to measure the start time)",
    )
    args = parser.parse_args()
    if args.plex_host and not args.plex_token:
        parser.error("--plex-host needs --plex-token (or PLEX_TOKEN)")
    if args.ha_next and not HA_NEXT_PYTHON.exists():
        parser.error("--ha-next needs .venv-ha-next: run scripts/setup")
    if args.config is None:
        # A folder a newer release has migrated cannot go back to an older one.
        args.config = REPO / "config" / "ha-next" if args.ha_next else REPO / "config"
    return args


def _extras(args: argparse.Namespace) -> SimulatedPlex:
    """The simulated Attic, plex.tv and GDM sit on the ports after the server's."""
    return SimulatedPlex(
        attic_port=args.sim_port + 1,
        plex_tv_port=args.sim_port + 2,
        gdm_port=args.sim_port + 14,
    )


def _simulator_token(config_dir: Path) -> str:
    """One token per config folder, so a second run still matches the stored entry."""
    path = config_dir / ".demo-plex-token"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(16))
    return path.read_text().strip()


async def _give_simulator_the_webhook(
    api: HomeAssistantApi,
    session: aiohttp.ClientSession,
    args: argparse.Namespace,
    config_dir: Path,
) -> None:
    """As the owner does in Plex Web, with the URL the entry's options show.

    The simulator then posts when a backup run ends; a restarted simulator
    gets it on its command line (`args.webhook`).
    """
    if args.plex_host:
        return
    (entry,) = [e for e in await api.butler_entries() if e["title"] == "Plex Server"]
    args.webhook = await api.webhook_url(entry["entry_id"])
    await add_webhook(
        session, args.sim_port, _simulator_token(config_dir), args.webhook
    )


async def _run(args: argparse.Namespace) -> int:
    began = time.monotonic()
    config_dir: Path = args.config.resolve()
    prepare_config(config_dir, args.ha_port, skip_onboarding_integrations=True)
    children: list[subprocess.Popen[bytes]] = []
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        if args.plex_host:
            plex = {
                "host": args.plex_host,
                "port": args.plex_port,
                "ssl": args.plex_ssl,
                "verify_ssl": not args.plex_no_verify_ssl,
                "token": args.plex_token,
            }
        else:
            simulator = start_simulator(
                args.sim_port,
                _simulator_token(config_dir),
                task_duration=args.task_duration,
                log_file=config_dir / "plexsim.log",
                extras=_extras(args),
            )
            children.append(simulator)
            plex = {"host": "127.0.0.1", "port": args.sim_port}
        home_assistant = start_home_assistant(
            config_dir,
            config_dir / "develop.log",
            args.ha_port,
            # Sign-in and GDM against the simulator: a development setting
            # no user can reach from the UI (README, Development).
            env=None if args.plex_host else _extras(args).development_settings(),
            python=HA_NEXT_PYTHON if args.ha_next else sys.executable,
        )
        children.append(home_assistant)
        base_url = f"http://127.0.0.1:{args.ha_port}"
        async with aiohttp.ClientSession() as session:
            if not args.plex_host:
                await wait_until_up(
                    session, f"http://127.0.0.1:{args.sim_port}/identity", children[0]
                )
            await wait_until_up(session, f"{base_url}/api/onboarding", home_assistant)
            api = HomeAssistantApi(session, base_url)
            if await api.is_onboarded():
                await api.login(USERNAME, PASSWORD)
            else:
                await api.onboard("Demo", USERNAME, PASSWORD)
            await api.wait_until_started()
            if not await api.butler_entries():
                if args.plex_host:
                    await api.add_butler(plex)
                else:
                    # As a new user does: sign in with (simulated) Plex and
                    # pick the server; no token, no address.
                    await api.sign_in_butler("Plex Server")
            await _give_simulator_the_webhook(api, session, args, config_dir)
        where = f"{plex['host']}:{plex['port']}" + (
            "" if args.plex_host else " (simulated, added by signing in)"
        )
        second = (
            ""
            if args.plex_host
            else "  A second server, Attic, waits under Discovered (found by GDM):\n"
            "  Add → Sign in with Plex → Allow.\n"
        )
        print(
            f"Ready in {time.monotonic() - began:.1f} s: open {base_url}\n"
            f"  Sign in as {USERNAME!r} with password {PASSWORD!r}.\n"
            f"  Plex server: {where}. Logs: {config_dir}/develop.log\n"
            f"{second}"
            "  Press Ctrl-C to stop.",
            flush=True,
        )
        if args.exit_when_ready:
            return 0
        return await _serve(
            stopping, home_assistant, None if args.plex_host else args, children
        )
    finally:
        for child in reversed(children):
            stop(child)
        print("Stopped.", flush=True)


# How long a stopped simulator stays down before the demo starts it again:
# long enough to watch Home Assistant show the server unavailable.
SIMULATOR_RESTART_SECONDS = 20


async def _serve(
    stopping: asyncio.Event,
    home_assistant: subprocess.Popen[bytes],
    simulated: argparse.Namespace | None,
    children: list[subprocess.Popen[bytes]],
) -> int:
    """Run until Ctrl-C.

    Home Assistant stopping ends the demo; the simulator stopping (killed,
    to try an outage) does not: it is started again.
    """
    while True:
        waiter = asyncio.ensure_future(stopping.wait())
        watchers = {
            asyncio.ensure_future(asyncio.to_thread(child.wait)): child
            for child in children
        }
        done, pending = await asyncio.wait(
            [waiter, *watchers], return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        if waiter in done:
            return 0
        stopped = [watchers[task] for task in done if task in watchers]
        if home_assistant in stopped or simulated is None:
            print("Home Assistant stopped; stopping the demo.", flush=True)
            return 1
        print(
            "The simulated Plex server stopped: Home Assistant shows it "
            f"unavailable. Starting it again in {SIMULATOR_RESTART_SECONDS} s.",
            flush=True,
        )
        try:
            async with asyncio.timeout(SIMULATOR_RESTART_SECONDS):
                await stopping.wait()
            return 0
        except TimeoutError:
            pass
        children.remove(stopped[0])
        config_dir: Path = simulated.config.resolve()
        children.insert(
            0,
            start_simulator(
                simulated.sim_port,
                _simulator_token(config_dir),
                task_duration=simulated.task_duration,
                log_file=config_dir / "plexsim.log",
                extras=_extras(simulated),
                webhooks=[simulated.webhook],
            ),
        )
        print("The simulated Plex server is back.", flush=True)


def main() -> None:
    """Run until Ctrl-C."""
    args = _parse()
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(asyncio.run(_run(args)))


if __name__ == "__main__":
    main()
