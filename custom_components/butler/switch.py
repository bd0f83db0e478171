"""Switches: whether a butler task is in the server's schedule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .entity import ButlerEntity, async_follow_tasks, task_name_translation
from .helpers import butler_command
from .plex import ButlerTask

# Commands to one server go one at a time.
PARALLEL_UPDATES = 1

SCHEDULE_KEY_PREFIX = "schedule_"


def _schedulable(coordinator: ButlerCoordinator) -> Iterator[str]:
    """Tasks the server has a `ButlerTask<Name>` setting for; others get no switch."""
    data = coordinator.data
    return (name for name in data.tasks if name in data.scheduled_by_setting)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a schedule switch for every task the server lets us schedule."""
    async_follow_tasks(
        entry,
        async_add_entities,
        SCHEDULE_KEY_PREFIX,
        _schedulable,
        ButlerScheduleSwitch,
    )


class ButlerScheduleSwitch(ButlerEntity, SwitchEntity):
    """On while the butler runs the task on its schedule."""

    def __init__(self, coordinator: ButlerCoordinator, task: ButlerTask) -> None:
        """Set up the switch for one task."""
        key = f"{SCHEDULE_KEY_PREFIX}{task.name}"
        super().__init__(coordinator, key, task.name)
        translation_key, placeholders = task_name_translation(task)
        self.entity_description = SwitchEntityDescription(
            key=key,
            translation_key=translation_key,
            translation_placeholders=placeholders,
            entity_category=EntityCategory.CONFIG,
        )
        self._schedule_setting = task.schedule_setting

    @property
    def is_on(self) -> bool | None:
        """What the server's task list says, never what was last asked for."""
        return None if (task := self.task) is None else task.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Put the task in the schedule."""
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Take the task out of the schedule."""
        await self._async_set(False)

    @butler_command
    async def _async_set(self, enabled: bool) -> None:
        await self.coordinator.client.async_set_setting(self._schedule_setting, enabled)
