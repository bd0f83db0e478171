"""Binary sensor: whether the butler is running."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the butler-running sensor."""
    async_add_entities([ButlerRunningBinarySensor(entry.runtime_data, RUNNING)])


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
