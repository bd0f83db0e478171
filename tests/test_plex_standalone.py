"""The Plex client stands on its own: no Home Assistant, its README's example works.

Importing `custom_components.butler.plex` runs the integration's
`__init__`, which imports Home Assistant; so the client is loaded here the
way a library user would load it, as the top-level package `plex`, in a
Python process of its own, and that process checks what got imported.
"""

from __future__ import annotations

from pathlib import Path
import re
import subprocess
import sys
import textwrap

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / "butler" / "plex"

# Runs the README's example against a simulator serving from a thread;
# the example's port 32400 is swapped for the simulator's.
_HARNESS = textwrap.dedent(
    """
    import asyncio, sys, threading
    sys.path[:0] = [sys.argv[1], sys.argv[2]]
    import plex
    from plexsim import PlexSimulator

    loaded = asyncio.new_event_loop()
    sim = PlexSimulator(token="TOKEN")
    port = loaded.run_until_complete(sim.start(port=0))
    threading.Thread(target=loaded.run_forever, daemon=True).start()
    exec(sys.stdin.read().replace("32400", str(port)), {"__name__": "__main__"})

    async def refused() -> str:
        import aiohttp
        async with aiohttp.ClientSession() as session:
            client = plex.PlexClient(session, "127.0.0.1", port=port, token="wrong",
                identity=plex.PlexIdentity("x", "x", "1"))
            try:
                await client.async_get_tasks()
            except plex.PlexAuthenticationError as err:
                return type(err).__name__
        return "accepted"

    print(asyncio.run(refused()))
    print(sorted({m.split(".")[0] for m in sys.modules} & {"homeassistant", "custom_components"}))
    """
)


def _example() -> str:
    readme = (PACKAGE / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_client_runs_without_home_assistant_and_its_example_works() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _HARNESS, str(PACKAGE.parent), str(ROOT)],
        input=_example(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "23 tasks, first: Automatic updates",
        "started",
        "PlexAuthenticationError",
        "[]",
    ]
