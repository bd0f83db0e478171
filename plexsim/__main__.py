"""Run the simulator: ``python -m plexsim --port 32400 --token TOKEN``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal

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
    )
    port = await simulator.start(args.host, args.port)
    print(f"Plex simulator listening on http://{args.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await simulator.stop()


def main() -> None:
    """Serve until interrupted."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse()))


if __name__ == "__main__":
    main()
