"""The fault matrix: every fault a server can have, against every entry point.

Entry points: setup, a poll, each button, the schedule switch and each
action. Faults: connection refused, a timeout, 500, an HTML page with 200,
malformed XML and JSON, a truncated body, 401 and 403 mid-run, and a task
the server dropped (404). In every cell: a translated error (or, where the
server did what was asked, none), no traceback logged above DEBUG, one log
line per outage, and recovery once the fault clears.

The real clock runs here: the client's short timeout has to expire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.butler.const import DOMAIN, RESYNC_INTERVAL, SCAN_INTERVAL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator

from .conftest import (
    TOKEN,
    butler_records,
    settle,
    wait_for_coordinator,
    wait_for_state,
)

BACKUP = "button.plex_server_back_up_database"
RUNNING = "binary_sensor.plex_server_butler_running"
TIMEOUT = 0.3

# What people are told, by fault; None where a command's own answer is fine
# and only the refresh after it reads the broken data.
OUTAGE = "cannot_connect"
UNREADABLE = "unexpected_response"
AUTH = "invalid_auth"
FAULTS: dict[str, str] = {
    "refused": OUTAGE,
    "timeout": OUTAGE,
    "server_error": OUTAGE,
    "truncated": OUTAGE,
    "html": UNREADABLE,
    "malformed_xml": UNREADABLE,
    "malformed_json": UNREADABLE,
    "unauthorized": AUTH,
    "forbidden": AUTH,
}
# Commands answer with an empty body, so a server that garbles its data
# still carries them out.
DATA_ONLY = {"malformed_xml", "malformed_json"}


async def _set_fault(simulator: PlexSimulator, fault: str, on: bool) -> None:
    match fault:
        case "refused":
            await (simulator.go_down() if on else simulator.go_up())
        case "timeout":
            simulator.faults.slow = on
        case "unauthorized":
            simulator.token = "rotated" if on else TOKEN
        case "malformed_xml" | "malformed_json":
            simulator.json_support = fault == "malformed_json" or not on
            simulator.faults.malformed = on
        case "task_gone":
            if on:
                simulator.remove_task("BackupDatabase")
            else:
                simulator.add_task("BackupDatabase", interval=3)
        case _:
            setattr(simulator.faults, fault, on)


def _service(
    domain: str, service: str, data: dict[str, Any]
) -> Callable[[HomeAssistant], Awaitable[Any]]:
    def call(hass: HomeAssistant) -> Awaitable[Any]:
        return hass.services.async_call(
            domain,
            service,
            data,
            blocking=True,
            return_response=service in ("start_task", "stop_task"),
        )

    return call


COMMANDS: dict[str, Callable[[HomeAssistant], Awaitable[Any]]] = {
    "button_start_all": _service(
        "button", "press", {"entity_id": "button.plex_server_start_all_tasks"}
    ),
    "button_stop_all": _service(
        "button", "press", {"entity_id": "button.plex_server_stop_all_tasks"}
    ),
    "button_task": _service("button", "press", {"entity_id": BACKUP}),
    "switch": _service(
        "switch",
        "turn_off",
        {"entity_id": "switch.plex_server_back_up_database_schedule"},
    ),
    "action_start_all": _service(DOMAIN, "start_all", {}),
    "action_stop_all": _service(DOMAIN, "stop_all", {}),
    "action_start_task": _service(DOMAIN, "start_task", {"task": "BackupDatabase"}),
    "action_stop_task": _service(DOMAIN, "stop_task", {"task": "BackupDatabase"}),
}


@pytest.fixture(autouse=True)
def short_timeout() -> Iterator[None]:
    with patch("custom_components.butler.connection.DEFAULT_TIMEOUT", TIMEOUT):
        yield


async def _poll(hass: HomeAssistant) -> None:
    async_fire_time_changed(
        hass, dt_util.utcnow() + SCAN_INTERVAL + timedelta(seconds=1)
    )
    await settle(hass)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def _recover(hass: HomeAssistant, simulator: PlexSimulator, fault: str) -> None:
    """Clear the fault; after a refused token, the way back is reauthentication."""
    await _set_fault(simulator, fault, on=False)
    if FAULTS.get(fault) != AUTH:
        await _poll(hass)
        return
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"next_step_id": "reauth_token"}
    )
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"token": TOKEN}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()


def _assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing of Home Assistant's or ours logs a traceback above DEBUG.

    The simulator's own web server (aiohttp) may complain about the
    connections it cut on purpose; that is the server's log, not ours.
    """
    for record in caplog.records:
        if record.name.startswith(("aiohttp", "asyncio")):
            continue
        if record.levelno > logging.DEBUG:
            assert record.exc_info is None, record.getMessage()


def _assert_plain_words(err: HomeAssistantError) -> None:
    """People get a sentence naming the server, never a library's text."""
    text = str(err)
    assert "Plex Server" in text
    for raw in ("Client", "127.0.0.1", "Error:", "/butler", "answered", TOKEN):
        assert raw not in text


@pytest.mark.parametrize("fault", FAULTS)
async def test_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    await _set_fault(simulator, fault, on=True)
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    if FAULTS[fault] == AUTH:
        assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
        assert [
            flow["context"]["source"]
            for flow in hass.config_entries.flow.async_progress()
        ] == ["reauth"]
    else:
        assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.error_reason_translation_key == FAULTS[fault]
    _assert_no_traceback(caplog)

    await _set_fault(simulator, fault, on=False)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("fault", FAULTS)
async def test_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    coordinator = init_integration.runtime_data
    await _set_fault(simulator, fault, on=True)
    await _poll(hass)
    await _poll(hass)
    assert _state(hass, RUNNING) == STATE_UNAVAILABLE
    assert _state(hass, BACKUP) == STATE_UNAVAILABLE
    assert isinstance(coordinator.last_exception, HomeAssistantError)
    assert coordinator.last_exception.translation_key == FAULTS[fault]
    _assert_plain_words(coordinator.last_exception)
    assert len(butler_records(caplog)) == 1
    _assert_no_traceback(caplog)

    await _recover(hass, simulator, fault)
    assert _state(hass, RUNNING) != STATE_UNAVAILABLE
    if FAULTS[fault] != AUTH:
        recovered = [
            r
            for r in butler_records(caplog, logging.INFO)
            if "recovered" in r.getMessage()
        ]
        assert len(recovered) == 1


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fault", FAULTS)
async def test_command(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    command: str,
) -> None:
    coordinator = init_integration.runtime_data
    await _set_fault(simulator, fault, on=True)
    if fault in DATA_ONLY:
        # The server carries the command out; the state read after it is
        # what it garbles.
        await COMMANDS[command](hass)
        assert coordinator.last_exception.translation_key == FAULTS[fault]
    else:
        with pytest.raises(HomeAssistantError) as err:
            await COMMANDS[command](hass)
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == FAULTS[fault]
        _assert_plain_words(err.value)
    if FAULTS[fault] == OUTAGE:
        # The outage shows at once, before any poll.
        assert _state(hass, RUNNING) == STATE_UNAVAILABLE
    if FAULTS[fault] == AUTH:
        assert [
            flow["context"]["source"]
            for flow in hass.config_entries.flow.async_progress()
        ] == ["reauth"]
    await settle(hass)
    await _poll(hass)
    assert _state(hass, RUNNING) == STATE_UNAVAILABLE
    assert len(butler_records(caplog)) == 1
    _assert_no_traceback(caplog)

    await _recover(hass, simulator, fault)
    assert _state(hass, RUNNING) != STATE_UNAVAILABLE
    await COMMANDS[command](hass)


@pytest.mark.parametrize(
    ("command", "outcome"),
    [
        ("button_task", "task_not_found"),
        ("action_start_task", "task_not_found"),
        # Plex answers 404 both for a task it lacks and for one not running.
        ("action_stop_task", {"task": "BackupDatabase", "result": "not_running"}),
    ],
)
async def test_task_gone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
    command: str,
    outcome: str | dict[str, str],
) -> None:
    await _set_fault(simulator, "task_gone", on=True)
    if isinstance(outcome, dict):
        assert await COMMANDS[command](hass) == outcome
    else:
        with pytest.raises(HomeAssistantError) as err:
            await COMMANDS[command](hass)
        assert err.value.translation_key == outcome
        _assert_plain_words(err.value)
    await hass.async_block_till_done()
    # Not an outage: the server stays available, the task's button goes.
    assert init_integration.runtime_data.last_update_success
    assert _state(hass, RUNNING) != STATE_UNAVAILABLE
    if command != "action_stop_task":
        assert hass.states.get(BACKUP) is None
    assert butler_records(caplog) == []
    _assert_no_traceback(caplog)

    await _set_fault(simulator, "task_gone", on=False)
    await _poll(hass)
    assert hass.states.get(BACKUP) is not None
    await COMMANDS[command](hass)


@pytest.mark.parametrize("push", [True])
@pytest.mark.parametrize("recovery", ["poll", "notification"])
@pytest.mark.parametrize("fault", FAULTS)
async def test_socket_stays_up_while_http_fails(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    recovery: str,
) -> None:
    """A server whose answers fail while its socket stays open, as during a backup.

    It shows unavailable at the first notification it cannot answer for,
    and available again within one normal poll of answering properly (or
    at once, when a notification comes first), socket up or down.
    """
    coordinator = init_integration.runtime_data
    await simulator.wait_for_sockets(1)
    await settle(hass)
    await _set_fault(simulator, fault, on=True)
    # The server's own schedule starts a run; reading it fails.
    simulator.start_task("BackupDatabase")
    await wait_for_state(hass, RUNNING, STATE_UNAVAILABLE.__eq__, within=2)
    await settle(hass)
    assert len(butler_records(caplog)) == 1
    _assert_no_traceback(caplog)
    if fault == "refused":
        assert not coordinator.push_connected
    else:
        # Only HTTP fails: the socket stays open.
        assert len(simulator.sockets) == 1
        assert coordinator.push_connected
    if FAULTS[fault] != AUTH:
        # While failing, it is polled at the normal interval, socket or not.
        assert coordinator.update_interval == SCAN_INTERVAL

    if FAULTS[fault] == AUTH or recovery == "poll" or fault == "refused":
        await _recover(hass, simulator, fault)
    else:
        await _set_fault(simulator, fault, on=False)
        # No poll is due: the run's next notification shows the server back.
        simulator.finish_all()
        await wait_for_state(hass, RUNNING, STATE_OFF.__eq__, within=2)
    assert _state(hass, RUNNING) != STATE_UNAVAILABLE
    assert _state(hass, BACKUP) != STATE_UNAVAILABLE
    # Reauthentication reloads the entry: its new socket is the one open.
    await simulator.wait_for_sockets(1)
    await settle(hass)
    coordinator = init_integration.runtime_data
    await wait_for_coordinator(
        coordinator, lambda: coordinator.push_connected, within=2
    )
    assert coordinator.last_update_success
    assert coordinator.update_interval == RESYNC_INTERVAL
