"""Benchmark: 20 concurrent presses against a server that never answers.

Not part of the test suite (the file name keeps pytest from collecting it);
`scripts/bench presses` runs it with the client's real request timeout and
prints the time. tests/test_commands.py proves the bound with a short one.
"""

from __future__ import annotations

import asyncio

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.plex import DEFAULT_TIMEOUT
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from plexsim import PlexSimulator

PRESSES = 20


async def test_twenty_presses_against_a_hanging_server(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.faults.slow = True
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(
        *(
            hass.services.async_call(
                BUTTON_DOMAIN,
                SERVICE_PRESS,
                {ATTR_ENTITY_ID: "button.plex_server_back_up_database"},
                blocking=True,
            )
            for _ in range(PRESSES)
        ),
        return_exceptions=True,
    )
    elapsed = loop.time() - started
    failed = sum(isinstance(r, HomeAssistantError) for r in results)
    print(
        f"\n{PRESSES} concurrent presses against a hanging server: {elapsed:.2f} s "
        f"(request timeout {DEFAULT_TIMEOUT:g} s; {failed} failed with a translated error)"
    )
    simulator.faults.slow = False
