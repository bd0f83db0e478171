"""Selects: the butler's maintenance window, and how it runs analysis and markers."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    BEHAVIOUR_SUFFIX,
    KNOWN_BEHAVIOUR_OPTIONS,
    KNOWN_BEHAVIOURS,
    OTHER_BEHAVIOUR,
    WINDOW_END,
    WINDOW_START,
)
from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .entity import ButlerEntity, PerName, async_keep_entities_per_name
from .plex import Setting, readable_task_name

# The coordinator's lock serialises every command to a server.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ButlerSelectEntityDescription(SelectEntityDescription):
    """A select backed by one server setting with a list of values."""

    setting: str


WINDOW: dict[str, ButlerSelectEntityDescription] = {
    "start": ButlerSelectEntityDescription(
        key=PerName.WINDOW.key("start"),
        translation_key="window_start",
        entity_category=EntityCategory.CONFIG,
        setting=WINDOW_START,
    ),
    "end": ButlerSelectEntityDescription(
        key=PerName.WINDOW.key("end"),
        translation_key="window_end",
        entity_category=EntityCategory.CONFIG,
        setting=WINDOW_END,
    ),
}


def behaviour_description(setting: Setting) -> ButlerSelectEntityDescription:
    """Describe the select of one behaviour setting: named if known, else in the server's words."""
    known = KNOWN_BEHAVIOURS.get(setting.id)
    name = setting.label or readable_task_name(
        setting.id.removesuffix(BEHAVIOUR_SUFFIX)
    )
    return ButlerSelectEntityDescription(
        key=PerName.BEHAVIOUR.key(setting.id),
        translation_key=known or OTHER_BEHAVIOUR,
        translation_placeholders={} if known else {"setting": name},
        entity_category=EntityCategory.CONFIG,
        setting=setting.id,
    )


def _window(coordinator: ButlerCoordinator) -> Iterator[str]:
    return (
        name
        for name, description in WINDOW.items()
        if description.setting in coordinator.data.maintenance_settings
    )


def _behaviours(coordinator: ButlerCoordinator) -> Iterator[str]:
    return (
        setting_id
        for setting_id in coordinator.data.maintenance_settings
        if setting_id.endswith(BEHAVIOUR_SUFFIX)
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the maintenance window, and a select for every behaviour setting the server has.

    Both follow the settings: when they cannot be read at setup, the
    selects come with the first read that works, without a reload.
    """
    async_keep_entities_per_name(
        entry,
        async_add_entities,
        PerName.WINDOW,
        wanted=_window,
        create=lambda coordinator, name: ButlerWindowSelect(coordinator, WINDOW[name]),
    )
    async_keep_entities_per_name(
        entry,
        async_add_entities,
        PerName.BEHAVIOUR,
        wanted=_behaviours,
        create=lambda coordinator, setting_id: ButlerBehaviourSelect(
            coordinator,
            behaviour_description(coordinator.data.maintenance_settings[setting_id]),
        ),
    )


class ButlerSettingSelect(ButlerEntity, SelectEntity):
    """A select showing one server setting, written back when changed.

    Options are what the server offers; each maps back to the value the
    server stores.
    """

    entity_description: ButlerSelectEntityDescription

    @property
    def _setting(self) -> Setting | None:
        return self.coordinator.data.maintenance_settings.get(
            self.entity_description.setting
        )

    @abstractmethod
    def _option_values(self) -> dict[str, str]:
        """The options shown, each with the value the server stores for it."""

    @property
    def available(self) -> bool:
        """Unavailable while the server's settings cannot be read, or lack this one."""
        return (
            super().available
            and self.coordinator.data.settings_current
            and self._setting is not None
        )

    @property
    def options(self) -> list[str]:
        """What the server offers."""
        return list(self._option_values())

    @property
    def current_option(self) -> str | None:
        """The option the server's setting has now."""
        if (setting := self._setting) is None:
            return None
        return next(
            (
                option
                for option, value in self._option_values().items()
                if value == setting.value
            ),
            None,
        )

    async def async_select_option(self, option: str) -> None:
        """Write the chosen value to the server."""
        await self.coordinator.async_write_setting(
            self.entity_description.setting, self._option_values()[option]
        )


class ButlerWindowSelect(ButlerSettingSelect):
    """The hour the maintenance window starts or ends, as 00:00 to 23:00."""

    def _option_values(self) -> dict[str, str]:
        setting = self._setting
        offered = [value for value, _ in setting.options] if setting else []
        hours = sorted({int(v) for v in offered if v.isdigit() and int(v) < 24})
        return {f"{hour:02d}:00": str(hour) for hour in hours or range(24)}


class ButlerBehaviourSelect(ButlerSettingSelect):
    """When the butler runs one kind of analysis: never, on its schedule, or at once."""

    def _option_values(self) -> dict[str, str]:
        setting = self._setting
        if setting is None:
            return {}
        options: dict[str, str] = {}
        for value, words in setting.options:
            known = KNOWN_BEHAVIOUR_OPTIONS.get(words.casefold())
            options.setdefault(known or words, value)
        return options
