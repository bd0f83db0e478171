"""Run the simulator: ``python -m plexsim --port 32400 --token TOKEN``.

With ``--plex-tv-port`` it also stands in for plex.tv (sign-in and the
account's servers), with ``--gdm-port`` it answers GDM searches on that UDP
port, and with ``--attic-port`` a second server of the same owner, "Attic",
runs beside the first. Each ``--webhook URL`` gets the server's webhooks
(the first server's) as Plex Web's list of webhooks would; more can be added
while it runs with ``POST /_sim/webhooks``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal

from .gdm import GdmResponder
from .plextv import PlexTvSimulator, SimDevice, connection
from .simulator import PlexSimulator


def _window(text: str) -> tuple[int, int]:
    start, _, end = text.partition("-")
    try:
        hours = int(start), int(end)
    except ValueError:
        raise argparse.ArgumentTypeError("use START-END hours, e.g. 2-5") from None
    if not all(0 <= hour <= 23 for hour in hours):
        raise argparse.ArgumentTypeError("hours run from 0 to 23")
    return hours


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m plexsim", description="A simulated Plex Media Server butler."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32400)
    parser.add_argument(
        "--token",
        default=os.environ.get("PLEXSIM_TOKEN"),
        help="the owner's token (or env PLEXSIM_TOKEN, which keeps it out of ps)",
    )
    parser.add_argument(
        "--shared-token", help="a shared user's token (no butler access)"
    )
    parser.add_argument("--friendly-name", default="Plex Server")
    parser.add_argument("--task-duration", type=float, default=8.0, metavar="SECONDS")
    parser.add_argument("--window", type=_window, default=(2, 5), metavar="START-END")
    parser.add_argument(
        "--plex-tv-port", type=int, help="also stand in for plex.tv on this port"
    )
    parser.add_argument("--gdm-port", type=int, help="answer GDM on this UDP port")
    parser.add_argument(
        "--attic-port", type=int, help='run a second server, "Attic", on this port'
    )
    parser.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help="post the server's webhooks (database backed up or corrupted) here; repeatable",
    )
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set PLEXSIM_TOKEN")
    return args


async def _serve(args: argparse.Namespace) -> None:
    simulator = PlexSimulator(
        token=args.token,
        shared_token=args.shared_token,
        friendly_name=args.friendly_name,
        task_duration=args.task_duration,
        window=args.window,
        webhooks=args.webhook,
    )
    port = await simulator.start(args.host, args.port)
    print(f"Plex simulator listening on http://{args.host}:{port}", flush=True)
    servers = [simulator]
    if args.attic_port is not None:
        attic = PlexSimulator(
            # Each server has its own token; sign-in hands it over.
            token=f"{args.token}-attic",
            friendly_name="Attic",
            machine_identifier="a77c0000b0b0c0c0d0d0e0e0f0f01234567890ab",
            task_duration=args.task_duration,
        )
        await attic.start(args.host, args.attic_port)
        print(f"Second server, Attic, on http://{args.host}:{attic.port}", flush=True)
        servers.append(attic)
    plex_tv = None
    if args.plex_tv_port is not None:
        plex_tv = PlexTvSimulator(account_token=secrets.token_urlsafe(24))
        for server in servers:
            plex_tv.add_server(server)
        plex_tv.devices.append(
            SimDevice(
                name="Friend's Plex",
                client_identifier="f00d0000f00d0000f00d0000f00d0000f00d0000",
                owned=False,
                access_token=secrets.token_urlsafe(16),
                connections=[connection("http", "192.0.2.44", 32400, local=False)],
            )
        )
        await plex_tv.start(args.host, args.plex_tv_port)
        print(f"plex.tv stand-in on {plex_tv.url}", flush=True)
    gdm = None
    if args.gdm_port is not None:
        gdm = GdmResponder(servers)
        await gdm.start(args.host, args.gdm_port)
        print(f"GDM answers on udp://{args.host}:{gdm.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if gdm is not None:
        gdm.stop()
    if plex_tv is not None:
        await plex_tv.stop()
    for server in servers:
        await server.stop()


def main() -> None:
    """Serve until interrupted."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse()))


if __name__ == "__main__":
    main()
