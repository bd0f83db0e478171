"""Actions: start_all, stop_all, start_task, stop_task, with good and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from plexsim import PlexSimulator

from .conftest import TOKEN, SecondServer, take_down


async def _call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = False
) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


async def test_actions_exist_without_a_server(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert set(hass.services.async_services_for_domain(DOMAIN)) == {
        "start_all",
        "stop_all",
        "start_task",
        "stop_task",
        "get_runs",
    }
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "start_all", {})
    assert err.value.translation_key == "service_found_no_config_entry_for_domain"


async def test_start_and_stop_all(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await _call(hass, "start_all", {})
    await _call(hass, "stop_all", {ATTR_CONFIG_ENTRY_ID: init_integration.entry_id})
    calls = [(r.method, r.path) for r in simulator.requests if r.path == "/butler"]
    assert ("POST", "/butler") in calls
    assert ("DELETE", "/butler") in calls
    assert not simulator.running


@pytest.mark.parametrize(
    "asked",
    ["BackupDatabase", "backup database", "Backup Database", "BACKUPDATABASE"],
)
async def test_start_task_by_any_spelling(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    asked: str,
) -> None:
    result = await _call(hass, "start_task", {"task": asked}, response=True)
    assert result == {"task": "BackupDatabase", "result": "started"}
    assert "BackupDatabase" in simulator.running
    result = await _call(hass, "start_task", {"task": asked}, response=True)
    assert result == {"task": "BackupDatabase", "result": "already_running"}


async def test_start_task_without_the_prefix(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    result = await _call(
        hass, "start_task", {"task": "GenerateIntroMarkers"}, response=True
    )
    assert result == {"task": "ButlerTaskGenerateIntroMarkers", "result": "started"}


async def test_stop_task(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    result = await _call(hass, "stop_task", {"task": "OptimizeDatabase"}, response=True)
    assert result == {"task": "OptimizeDatabase", "result": "not_running"}
    await _call(hass, "start_task", {"task": "OptimizeDatabase"})
    result = await _call(hass, "stop_task", {"task": "OptimizeDatabase"}, response=True)
    assert result == {"task": "OptimizeDatabase", "result": "stopped"}
    assert "OptimizeDatabase" not in simulator.running


@pytest.mark.parametrize("service", ["start_task", "stop_task"])
async def test_unknown_task_is_named(
    hass: HomeAssistant, init_integration: MockConfigEntry, service: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, {"task": "MakeCoffee"})
    assert err.value.translation_key == "unknown_task"
    placeholders = err.value.translation_placeholders
    assert placeholders["task"] == "MakeCoffee"
    assert placeholders["server"] == "Plex Server"
    # The server's tasks, shortened: a 1.43 server has 23.
    assert placeholders["tasks"].startswith("AutomaticUpdates, BackupDatabase, ")
    assert placeholders["tasks"].endswith(" … (+11)")
    assert "It has: AutomaticUpdates" in str(err.value)


async def test_task_is_required(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(Exception, match="task"):
        await _call(hass, "start_task", {})


async def test_unknown_config_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "start_all", {ATTR_CONFIG_ENTRY_ID: "nope"})
    assert err.value.translation_key == "service_config_entry_not_found"


async def test_two_servers_need_a_choice(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    attic: SecondServer,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "stop_all", {})
    assert err.value.translation_key == "service_found_multiple_config_entry_for_domain"

    await _call(
        hass,
        "start_task",
        {ATTR_CONFIG_ENTRY_ID: attic.entry.entry_id, "task": "BackupDatabase"},
    )
    assert "BackupDatabase" in attic.simulator.running
    assert "BackupDatabase" not in simulator.running


async def test_server_down_during_action(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await take_down(simulator)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "start_task", {"task": "BackupDatabase"})
    assert err.value.translation_key == "cannot_connect"
    assert TOKEN not in str(err.value)


async def _with_tasks(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: PlexSimulator, *names: str
) -> None:
    for name in names:
        simulator.add_task(name)
    await entry.runtime_data.async_refresh()


@pytest.mark.parametrize(
    ("tasks", "asked", "started"),
    [
        # The exact name wins over a normalised match of another task.
        (["backupdatabase"], "backupdatabase", "backupdatabase"),
        (["backupdatabase"], "BackupDatabase", "BackupDatabase"),
        (["ButlerTaskFoo", "Foo"], "Foo", "Foo"),
        (["ButlerTaskFoo", "Foo"], "ButlerTaskFoo", "ButlerTaskFoo"),
        # Letters of any script count, so these are told apart.
        (["中文任务", "其他任务"], "其他任务", "其他任务"),
        (["中文任务", "其他任务"], "中文 任务", "中文任务"),
    ],
)
async def test_the_right_task_is_started(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    tasks: list[str],
    asked: str,
    started: str,
) -> None:
    await _with_tasks(hass, init_integration, simulator, *tasks)
    result = await _call(hass, "start_task", {"task": asked}, response=True)
    assert result == {"task": started, "result": "started"}
    assert list(simulator.running) == [started]


@pytest.mark.parametrize(
    ("tasks", "asked", "fits"),
    [
        (["backupdatabase"], "BACKUP DATABASE", "BackupDatabase, backupdatabase"),
        (["ButlerTaskFoo", "Foo"], "foo", "ButlerTaskFoo, Foo"),
    ],
)
async def test_a_name_that_fits_several_tasks_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    tasks: list[str],
    asked: str,
    fits: str,
) -> None:
    await _with_tasks(hass, init_integration, simulator, *tasks)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "start_task", {"task": asked})
    assert err.value.translation_key == "ambiguous_task"
    assert err.value.translation_placeholders == {
        "task": asked,
        "server": "Plex Server",
        "tasks": fits,
    }
    assert fits in str(err.value)
    assert not simulator.running


@pytest.mark.parametrize("asked", ["???", "", "  ", "…"])
async def test_a_name_without_letters_matches_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    asked: str,
) -> None:
    await _with_tasks(hass, init_integration, simulator, "中文任务", "!!!")
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "start_task", {"task": asked})
    assert err.value.translation_key == "unknown_task"
    assert not simulator.running


async def test_a_task_is_picked_by_its_button(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    result = await _call(
        hass,
        "start_task",
        {"task": "button.plex_server_optimize_database"},
        response=True,
    )
    assert result == {"task": "OptimizeDatabase", "result": "started"}
    # Naming the button's own server is fine too.
    result = await _call(
        hass,
        "stop_task",
        {
            "task": "button.plex_server_optimize_database",
            ATTR_CONFIG_ENTRY_ID: init_integration.entry_id,
        },
        response=True,
    )
    assert result == {"task": "OptimizeDatabase", "result": "stopped"}


@pytest.mark.parametrize(
    ("entity", "key"),
    [
        ("button.plex_server_start_all_tasks", "not_a_task"),
        ("binary_sensor.plex_server_butler_running", "not_a_task"),
    ],
)
async def test_an_entity_that_is_no_task_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity: str, key: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "start_task", {"task": entity})
    assert err.value.translation_key == key


async def test_the_button_decides_the_server(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    attic: SecondServer,
) -> None:
    # With two servers, the button says which one.
    await _call(hass, "start_task", {"task": "button.attic_back_up_database"})
    assert "BackupDatabase" in attic.simulator.running
    assert "BackupDatabase" not in simulator.running
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            "start_task",
            {
                "task": "button.attic_back_up_database",
                ATTR_CONFIG_ENTRY_ID: init_integration.entry_id,
            },
        )
    assert err.value.translation_key == "task_of_another_server"
