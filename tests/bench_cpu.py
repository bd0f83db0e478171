"""CPU per refresh: our Plex client against python-plexapi, on the same server.

A refresh is what a poll reads: the butler's tasks and the server's
activities. Each side runs in its own process and counts only its own CPU
time (`time.process_time`) over the refreshes, after a warm-up:

    python -m tests.bench_cpu ours --url URL --token TOKEN
    .venv-plexapi/bin/python tests/bench_cpu.py plexapi --url URL --token TOKEN

`scripts/bench cpu` starts the simulator, runs both and prints the ratio.
The token comes from the environment (PLEX_TOKEN) when not given.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

WARM_UP = 20


def _ours(url: str, token: str, refreshes: int) -> float:
    import aiohttp  # noqa: PLC0415  (the plexapi side has neither)
    from yarl import URL  # noqa: PLC0415

    from custom_components.butler.plex import PlexClient, PlexIdentity  # noqa: PLC0415

    async def run() -> float:
        address = URL(url)
        async with aiohttp.ClientSession() as session:
            client = PlexClient(
                session,
                address.host or "127.0.0.1",
                port=address.port or 32400,
                token=token,
                identity=PlexIdentity("bench", "Butler for Plex", "bench"),
            )
            for _ in range(WARM_UP):
                await client.async_get_tasks()
                await client.async_get_activities()
            start = time.process_time()
            for _ in range(refreshes):
                await client.async_get_tasks()
                await client.async_get_activities()
            return time.process_time() - start

    return asyncio.run(run())


def _plexapi(url: str, token: str, refreshes: int) -> float:
    from plexapi.server import PlexServer  # noqa: PLC0415

    server = PlexServer(url, token)
    for _ in range(WARM_UP):
        server.butlerTasks()
        server.activities  # noqa: B018  (a property that reads /activities)
    start = time.process_time()
    for _ in range(refreshes):
        server.butlerTasks()
        server.activities  # noqa: B018
    return time.process_time() - start


def main() -> None:
    """Measure one side and print CPU milliseconds per refresh."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("side", choices=["ours", "plexapi"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", default=os.environ.get("PLEX_TOKEN"))
    parser.add_argument("--refreshes", type=int, default=300)
    args = parser.parse_args()
    measure = _ours if args.side == "ours" else _plexapi
    seconds = measure(args.url, args.token, args.refreshes)
    print(f"{seconds / args.refreshes * 1000:.3f}")


if __name__ == "__main__":
    main()
