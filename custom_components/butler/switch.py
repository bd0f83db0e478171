"""Switches: whether a butler task is in the server's schedule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .entity import (
    ButlerEntity,
    PerName,
    async_keep_entities_per_name,
    task_description_fields,
)
from .plex import ButlerTask

# The coordinator's lock serialises every command to a server.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ButlerSwitchEntityDescription(SwitchEntityDescription):
    """A switch backed by one boolean server setting."""

    setting: str


def schedule_switch_description(task: ButlerTask) -> ButlerSwitchEntityDescription:
    """Describe the switch that puts one task in the butler's schedule."""
    return ButlerSwitchEntityDescription(
        **task_description_fields(task, PerName.SCHEDULE),
        entity_category=EntityCategory.CONFIG,
        setting=task.schedule_setting,
    )


def _schedulable(coordinator: ButlerCoordinator) -> Iterator[str]:
    """Tasks the server has a `ButlerTask<Name>` setting for; others get no switch."""
    data = coordinator.data
    return (name for name in data.tasks if name in data.schedulable_tasks)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a schedule switch for every task the server lets us schedule."""
    async_keep_entities_per_name(
        entry,
        async_add_entities,
        PerName.SCHEDULE,
        wanted=_schedulable,
        create=lambda coordinator, name: ButlerScheduleSwitch(
            coordinator, schedule_switch_description(coordinator.data.tasks[name]), name
        ),
    )


class ButlerScheduleSwitch(ButlerEntity, SwitchEntity):
    """On while the butler runs the task on its schedule."""

    entity_description: ButlerSwitchEntityDescription

    @property
    def available(self) -> bool:
        """Unavailable while the server's settings cannot be read (nor written)."""
        return super().available and self.coordinator.data.settings_current

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

    async def _async_set(self, enabled: bool) -> None:
        await self.coordinator.async_write_setting(
            self.entity_description.setting, enabled
        )
