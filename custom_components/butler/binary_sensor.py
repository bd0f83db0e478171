"""Binary sensors: whether the butler is running, whether the database has a problem, and whether a backup is overdue."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ButlerConfigEntry
from .entity import ButlerEntity

# The coordinator does all the fetching.
PARALLEL_UPDATES = 0

RUNNING = BinarySensorEntityDescription(
    key="running",
    translation_key="running",
    device_class=BinarySensorDeviceClass.RUNNING,
)

DATABASE = BinarySensorEntityDescription(
    key="database",
    translation_key="database",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
)

DATABASE_BACKUP = BinarySensorEntityDescription(
    key="database_backup",
    translation_key="database_backup",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the butler-running, database and database-backup sensors."""
    async_add_entities(
        [
            ButlerRunningBinarySensor(entry.runtime_data, RUNNING),
            ButlerDatabaseBinarySensor(entry.runtime_data, DATABASE),
            ButlerBackupBinarySensor(entry.runtime_data, DATABASE_BACKUP),
        ]
    )


class ButlerRunningBinarySensor(ButlerEntity, BinarySensorEntity):
    """On while the server lists a butler activity."""

    @property
    def available(self) -> bool:
        """Unavailable while the server's activities cannot be read."""
        return super().available and self.coordinator.data.activities_current

    @property
    def is_on(self) -> bool:
        """Whether the server lists the butler's run among its activities."""
        return self.coordinator.data.running


class ButlerDatabaseBinarySensor(ButlerEntity, BinarySensorEntity):
    """On while the server's memory says the database is corrupt.

    Plex's webhook says so; the owner confirming the repair, or Plex's
    next backup, says it is not. The memory outlives restarts, and so does this.
    """

    @property
    def available(self) -> bool:
        """Known from the webhook, whether or not the server answers now."""
        return True

    @property
    def is_on(self) -> bool:
        """Whether Plex reported the database corrupt and that is not resolved."""
        return self.coordinator.memory.database_corrupted


class ButlerBackupBinarySensor(ButlerEntity, BinarySensorEntity):
    """On while the last backup is older than the backup task's interval and a day.

    Judged from the memory and the task list the server last gave, so it
    stays known while the server is away: a server that is away does not
    back up either.
    """

    @property
    def available(self) -> bool:
        """Known from the memory, whether or not the server answers now."""
        return True

    @property
    def is_on(self) -> bool:
        """Whether the last backup is overdue."""
        return self.coordinator.backup_overdue is not None
