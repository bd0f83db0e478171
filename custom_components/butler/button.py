"""Buttons: run one butler task now, or start or stop them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .entity import (
    ButlerEntity,
    PerName,
    async_keep_entities_per_task,
    task_description_fields,
)
from .plex import ButlerTask

# The coordinator's lock serialises every command to a server; a platform
# semaphore on top would queue presses where the lock can fail them fast.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ButlerButtonEntityDescription(ButtonEntityDescription):
    """A button and what pressing it asks of the server."""

    press_fn: Callable[[ButlerCoordinator], Awaitable[Any]]


SERVER_BUTTONS: tuple[ButlerButtonEntityDescription, ...] = (
    ButlerButtonEntityDescription(
        key="start_all",
        translation_key="start_all",
        press_fn=lambda coordinator: coordinator.async_start_all(),
    ),
    ButlerButtonEntityDescription(
        key="stop_all",
        translation_key="stop_all",
        press_fn=lambda coordinator: coordinator.async_stop_all(),
    ),
)


def task_button_description(task: ButlerTask) -> ButlerButtonEntityDescription:
    """Describe the button that runs one task; "already running" counts as done."""
    name = task.name
    return ButlerButtonEntityDescription(
        **task_description_fields(task, PerName.TASK),
        press_fn=lambda coordinator: coordinator.async_start_task(name),
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the server's buttons, and a button for every task it lists."""
    coordinator = entry.runtime_data
    async_add_entities(
        ButlerButtonEntity(coordinator, description) for description in SERVER_BUTTONS
    )
    async_keep_entities_per_task(
        entry,
        async_add_entities,
        PerName.TASK,
        lambda coordinator, task: ButlerButtonEntity(
            coordinator, task_button_description(task), task.name
        ),
    )


class ButlerButtonEntity(ButlerEntity, ButtonEntity):
    """A button on the Plex server's device."""

    entity_description: ButlerButtonEntityDescription

    async def async_press(self) -> None:
        """Ask the server to do it."""
        await self.entity_description.press_fn(self.coordinator)
