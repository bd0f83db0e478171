"""Actions: start or stop all butler tasks, or one, on a chosen server; the runs it saw."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from enum import StrEnum
from typing import Any

import probatio as vol

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.service import async_get_config_entry
from homeassistant.util import dt as dt_util

from .const import CONF_TASK, DOMAIN
from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .entity import PerName, name_in_unique_id
from .runs import MAX_AGE
from .task_names import find_tasks

SERVICE_START_ALL = "start_all"
SERVICE_STOP_ALL = "stop_all"
SERVICE_START_TASK = "start_task"
SERVICE_STOP_TASK = "stop_task"
SERVICE_GET_RUNS = "get_runs"
CONF_DAYS = "days"

SERVER_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})
TASK_SCHEMA = SERVER_SCHEMA.extend({vol.Required(CONF_TASK): cv.string})
RUNS_SCHEMA = SERVER_SCHEMA.extend(
    {
        vol.Optional(CONF_TASK): cv.string,
        vol.Optional(CONF_DAYS, default=7): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_AGE.days)
        ),
    }
)

# How many task names an error message lists before it shortens the list.
_LISTED = 12


def _coordinator(call: ServiceCall) -> ButlerCoordinator:
    """Find the chosen server; optional only while exactly one is set up."""
    entry: ButlerConfigEntry = async_get_config_entry(
        call.hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY_ID)
    )
    return entry.runtime_data


def _task_target(call: ServiceCall) -> tuple[ButlerCoordinator, str]:
    """The server and the server's name of the task an action is about.

    The action editor offers the task buttons to pick from: a button's
    entity id names both its server and its task. In YAML the task may be
    the server's code name, as ever, on the server `config_entry_id` names.
    """
    asked: str = call.data[CONF_TASK]
    entity = er.async_get(call.hass).async_get(asked) if "." in asked else None
    if entity is None or entity.platform != DOMAIN:
        coordinator = _coordinator(call)
        return coordinator, _task_name(coordinator, asked)
    chosen = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if chosen is not None and chosen != entity.config_entry_id:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="task_of_another_server",
            translation_placeholders={"entity": asked},
        )
    entry: ButlerConfigEntry = async_get_config_entry(
        call.hass, DOMAIN, entity.config_entry_id
    )
    coordinator = entry.runtime_data
    name = name_in_unique_id(
        coordinator.server.machine_identifier, PerName.TASK, entity.unique_id
    )
    if name is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_task",
            translation_placeholders={"entity": asked},
        )
    return coordinator, _task_name(coordinator, name)


def _task_name(coordinator: ButlerCoordinator, asked: str) -> str:
    """Find the server's name for the task asked for.

    The server's exact name always wins. Otherwise people and voice
    assistants write "backup database" or "GenerateIntroMarkers", so names
    also match ignoring case, spaces, punctuation and the "ButlerTask"
    prefix, or by the server's title; such a match must be unique.
    """
    tasks = coordinator.data.tasks
    server = coordinator.config_entry.title
    matches = find_tasks(tasks, asked)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="ambiguous_task",
            translation_placeholders={
                "task": asked,
                "server": server,
                "tasks": ", ".join(matches),
            },
        )
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_task",
        translation_placeholders={
            "task": asked,
            "server": server,
            "tasks": _listing(list(tasks)),
        },
    )


def _listing(names: list[str]) -> str:
    """Names for a message, shortened when there are many."""
    if len(names) <= _LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:_LISTED])} … (+{len(names) - _LISTED})"


async def _async_start_all(call: ServiceCall) -> None:
    await _coordinator(call).async_start_all()


async def _async_stop_all(call: ServiceCall) -> None:
    await _coordinator(call).async_stop_all()


def _task_action(
    command: Callable[[ButlerCoordinator, str], Awaitable[StrEnum]],
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Make the handler of an action on one task; it answers with the server's result."""

    async def _async_handle(call: ServiceCall) -> ServiceResponse:
        coordinator, name = _task_target(call)
        result = await command(coordinator, name)
        return {"task": name, "result": result.value}

    return _async_handle


_async_start_task = _task_action(ButlerCoordinator.async_start_task)
_async_stop_task = _task_action(ButlerCoordinator.async_stop_task)


async def _async_get_runs(call: ServiceCall) -> ServiceResponse:
    """The runs of the last `days` (of one task, or all), newest first."""
    if CONF_TASK in call.data:
        coordinator, task = _task_target(call)
    else:
        coordinator, task = _coordinator(call), None
    now = dt_util.utcnow()
    runs = coordinator.memory.runs.between(
        now - timedelta(days=call.data[CONF_DAYS]), now, task
    )
    return {"runs": [run.as_dict() for run in reversed(runs)]}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once, whichever servers are set up."""
    hass.services.async_register(
        DOMAIN, SERVICE_START_ALL, _async_start_all, SERVER_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_STOP_ALL, _async_stop_all, SERVER_SCHEMA
    )
    for service, handler in (
        (SERVICE_START_TASK, _async_start_task),
        (SERVICE_STOP_TASK, _async_stop_task),
    ):
        hass.services.async_register(
            DOMAIN,
            service,
            handler,
            TASK_SCHEMA,
            supports_response=SupportsResponse.OPTIONAL,
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_RUNS,
        _async_get_runs,
        RUNS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
