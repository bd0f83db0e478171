"""Binary sensors: whether the butler is running, and whether the database has a problem."""

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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the butler-running and database sensors."""
    async_add_entities(
        [
            ButlerRunningBinarySensor(entry.runtime_data, RUNNING),
            ButlerDatabaseBinarySensor(entry.runtime_data, DATABASE),
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
