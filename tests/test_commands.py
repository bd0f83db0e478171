"""Commands to one server go one at a time, and a dead server costs one timeout.

These tests run on the real clock (no freezer): the client's timeout runs
on the loop's clock, and a frozen one would never end a hanging request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.switch import (
    DOMAIN as SWITCH_DOMAIN,
    SERVICE_TURN_OFF,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from plexsim import PlexSimulator

BACKUP = "button.plex_server_back_up_database"
BACKUP_SCHEDULE = "switch.plex_server_back_up_database_schedule"
RUNNING = "binary_sensor.plex_server_butler_running"
TIMEOUT = 0.5


@pytest.fixture
async def short_timeout(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """The integration set up with a client that gives up after half a second."""
    with patch("custom_components.butler.connection.DEFAULT_TIMEOUT", TIMEOUT):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        yield mock_config_entry


def _press(hass: HomeAssistant, entity_id: str = BACKUP) -> Awaitable[Any]:
    return hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def _commands_sent(simulator: PlexSimulator) -> int:
    return sum(1 for r in simulator.requests if r.method != "GET")


async def test_concurrent_commands_against_a_hanging_server_fail_within_one_timeout(
    hass: HomeAssistant, short_timeout: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.faults.slow = True
    sent_before = _commands_sent(simulator)
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Presses, a switch and actions all queue on the same server.
    calls = [
        *(_press(hass) for _ in range(20)),
        hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: BACKUP_SCHEDULE},
            blocking=True,
        ),
        hass.services.async_call(
            DOMAIN, "start_task", {"task": "OptimizeDatabase"}, blocking=True
        ),
        hass.services.async_call(DOMAIN, "stop_all", {}, blocking=True),
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    elapsed = loop.time() - started

    assert elapsed < TIMEOUT + 1, f"{len(calls)} commands took {elapsed:.2f} s"
    for result in results:
        assert isinstance(result, HomeAssistantError)
        assert result.translation_key == "cannot_connect"
    # Only the first command reached the server; the others failed without I/O.
    assert _commands_sent(simulator) - sent_before == 1
    # Unavailable now, not at the next poll.
    assert hass.states.get(BACKUP).state == STATE_UNAVAILABLE
    assert hass.states.get(RUNNING).state == STATE_UNAVAILABLE

    # The next new command tries the server again.
    simulator.faults.slow = False
    result = await hass.services.async_call(
        DOMAIN,
        "start_task",
        {"task": "OptimizeDatabase"},
        blocking=True,
        return_response=True,
    )
    assert result == {"task": "OptimizeDatabase", "result": "started"}
    await hass.async_block_till_done()
    assert hass.states.get(RUNNING).state == STATE_ON
    assert hass.states.get(BACKUP).state != STATE_UNAVAILABLE


async def test_a_dropped_task_is_no_outage(
    hass: HomeAssistant, short_timeout: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.remove_task("BackupDatabase")
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass)
    assert err.value.translation_key == "task_not_found"
    assert short_timeout.runtime_data.last_update_success
    assert hass.states.get(RUNNING).state == STATE_OFF
    # Other tasks still run at once.
    await _press(hass, "button.plex_server_optimize_database")
    assert "OptimizeDatabase" in simulator.running


async def test_commands_and_polls_take_turns(
    hass: HomeAssistant, short_timeout: MockConfigEntry, simulator: PlexSimulator
) -> None:
    coordinator = short_timeout.runtime_data
    in_flight = 0
    most = 0
    real_request = coordinator.client._async_request

    async def counting(*args: Any, **kwargs: Any) -> tuple[int, str]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(0)
            return await real_request(*args, **kwargs)
        finally:
            in_flight -= 1

    with patch.object(coordinator.client, "_async_request", counting):
        await asyncio.gather(
            _press(hass),
            _press(hass, "button.plex_server_optimize_database"),
            coordinator.async_refresh(),
            hass.services.async_call(DOMAIN, "start_all", {}, blocking=True),
        )
    assert most == 1
