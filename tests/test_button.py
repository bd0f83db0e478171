"""Buttons: run a task now, start all, stop all."""

from __future__ import annotations

from contextlib import nullcontext
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.butler.plex import PlexResponseError
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from plexsim import PlexSimulator

from .conftest import set_fault, take_down

RUNNING = "binary_sensor.plex_server_butler_running"
BACKUP = "button.plex_server_back_up_database"


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize("platforms", [[Platform.BUTTON]])
async def test_buttons(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_press_runs_the_task(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert hass.states.get(RUNNING).state == STATE_OFF
    await _press(hass, BACKUP)
    await hass.async_block_till_done()
    assert "BackupDatabase" in simulator.running
    assert hass.states.get(RUNNING).state == STATE_ON
    # Pressing again while it runs is not an error.
    await _press(hass, BACKUP)
    simulator.finish_all()
    await _press(hass, "button.plex_server_stop_all_tasks")
    assert hass.states.get(RUNNING).state == STATE_OFF


async def test_start_all(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await _press(hass, "button.plex_server_start_all_tasks")
    assert [r for r in simulator.requests if (r.method, r.path) == ("POST", "/butler")]


async def test_press_task_the_server_dropped(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.remove_task("BackupDatabase")
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass, BACKUP)
    assert err.value.translation_key == "task_not_found"
    assert err.value.translation_placeholders == {
        "server": "Plex Server",
        "task": "BackupDatabase",
    }
    await hass.async_block_till_done()
    assert hass.states.get(BACKUP) is None


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ("down", "cannot_connect"),
        ("server_error", "cannot_connect"),
        ("token", "invalid_auth"),
        ("odd_answer", "unexpected_response"),
    ],
)
async def test_press_fails_clearly(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    fault: str,
    key: str,
) -> None:
    if fault == "down":
        await take_down(simulator)
    elif fault == "token":
        simulator.token = "rotated"
    elif fault != "odd_answer":
        set_fault(simulator, fault)
    odd_answer = patch.object(
        init_integration.runtime_data.client,
        "async_start_task",
        side_effect=PlexResponseError("POST /butler/BackupDatabase answered 400"),
    )
    with (
        odd_answer if fault == "odd_answer" else nullcontext(),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _press(hass, BACKUP)
    assert err.value.translation_domain == "butler"
    assert err.value.translation_key == key
    if fault == "token":
        flows = hass.config_entries.flow.async_progress()
        assert [flow["context"]["source"] for flow in flows] == ["reauth"]
