"""Sensors: what the butler works on right now, how far it is, the last backup, each task's last run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import PERCENTAGE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import ButlerConfigEntry, ButlerCoordinator, ButlerData
from .entity import (
    ButlerEntity,
    PerName,
    async_keep_entities_per_task,
    task_description_fields,
)
from .plex import ButlerTask

# The coordinator does all the fetching.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ButlerSensorEntityDescription(SensorEntityDescription):
    """A sensor and how it reads the butler's state."""

    value_fn: Callable[[ButlerData], StateType]
    attributes_fn: Callable[[ButlerData], Mapping[str, Any] | None] = lambda _: None


def _activity_text(data: ButlerData) -> str | None:
    """The run in the server's words: its subtitle, else its title; nothing when idle."""
    if (activity := data.activity) is None:
        return None
    # The client cuts the server's text to what a state can hold.
    return activity.subtitle or activity.title


def _activity_attributes(data: ButlerData) -> Mapping[str, Any] | None:
    if (activity := data.activity) is None:
        return None
    task = data.current_task
    return {
        "title": activity.title,
        "subtitle": activity.subtitle,
        "task": task.name if task else None,
        "task_name": task.display_name if task else None,
    }


SENSORS: tuple[ButlerSensorEntityDescription, ...] = (
    ButlerSensorEntityDescription(
        key="activity",
        translation_key="activity",
        value_fn=_activity_text,
        attributes_fn=_activity_attributes,
    ),
    ButlerSensorEntityDescription(
        key="progress",
        translation_key="progress",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        # -1 ("cannot tell") and no value at all read as unknown.
        value_fn=lambda data: data.activity.progress if data.activity else None,
    ),
)


LAST_BACKUP = SensorEntityDescription(
    key="last_database_backup",
    translation_key="last_database_backup",
    device_class=SensorDeviceClass.TIMESTAMP,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the activity, progress and last-backup sensors, and a last-run sensor per task."""
    coordinator = entry.runtime_data
    async_add_entities(
        [
            *(ButlerSensorEntity(coordinator, description) for description in SENSORS),
            ButlerLastBackupSensor(coordinator, LAST_BACKUP),
        ]
    )
    async_keep_entities_per_task(
        entry,
        async_add_entities,
        PerName.LAST_RUN,
        lambda coordinator, task: ButlerLastRunSensor(
            coordinator, last_run_description(task), task.name
        ),
    )


def last_run_description(task: ButlerTask) -> SensorEntityDescription:
    """Describe a task's last-run sensor, enabled from the start where its button is."""
    return SensorEntityDescription(
        **task_description_fields(task, PerName.LAST_RUN, "last_run_"),
        device_class=SensorDeviceClass.TIMESTAMP,
    )


class ButlerSensorEntity(ButlerEntity, SensorEntity):
    """A sensor of the butler's current run."""

    entity_description: ButlerSensorEntityDescription

    @property
    def available(self) -> bool:
        """Unavailable while the server's activities cannot be read."""
        return super().available and self.coordinator.data.activities_current

    @property
    def native_value(self) -> StateType:
        """The value while the butler runs; unknown when idle."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Which task runs, where that can be told."""
        return self.entity_description.attributes_fn(self.coordinator.data)


class ButlerLastBackupSensor(ButlerEntity, RestoreSensor):
    """When Plex last said, by webhook, that it backed up its database.

    The server's memory keeps the time across restarts; it stays known while
    the server is away.
    """

    async def async_added_to_hass(self) -> None:
        """Offer the memory the restored time; it takes it only while it knows none.

        Before the memory, this sensor's restored state was the only place
        the time was kept; upgrading must not lose it.
        """
        await super().async_added_to_hass()
        if (last := await self.async_get_last_sensor_data()) and isinstance(
            last.native_value, datetime
        ):
            self.coordinator.memory.async_take_last_backup(last.native_value)
            self.async_write_ha_state()

    @property
    def available(self) -> bool:
        """Known from the webhook, whether or not the server answers now."""
        return True

    @property
    def native_value(self) -> datetime | None:
        """The last backup Plex reported, or the end of the last finished backup run."""
        return self.coordinator.memory.last_database_backup


class ButlerLastRunSensor(ButlerEntity, SensorEntity):
    """When the task's last run that Home Assistant saw ended, how long it took, how it ended."""

    def __init__(
        self,
        coordinator: ButlerCoordinator,
        description: SensorEntityDescription,
        task_name: str,
    ) -> None:
        """A sensor of one task's runs."""
        super().__init__(coordinator, description, task_name)
        self._task = task_name

    @property
    def available(self) -> bool:
        """Known from the memory while the server lists the task, answering or not."""
        return self.task is not None

    @property
    def native_value(self) -> datetime | None:
        """When the last run ended."""
        run = self.coordinator.memory.runs.last(self._task)
        return None if run is None else run.end

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The last run's start, duration (seconds) and outcome."""
        if (run := self.coordinator.memory.runs.last(self._task)) is None:
            return None
        return {
            "start": run.start.isoformat(),
            "duration": round(run.duration.total_seconds()),
            "outcome": run.outcome.value,
        }
