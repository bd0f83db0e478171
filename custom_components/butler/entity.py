"""Base entity, and the bookkeeping for entities that follow the server's tasks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, EVERYDAY_TASKS, KNOWN_TASKS, OTHER_TASK
from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .plex import ButlerTask


class PerName(StrEnum):
    """Entities made one per name the server lists; the value starts their key.

    A task's button, a task's schedule switch, a task's last-run sensor, a
    behaviour setting's select, the maintenance window's selects: the key is
    the prefix and the server's name for the task or setting (for the
    window, `start` and `end`).
    """

    TASK = "task_"
    LAST_RUN = "last_run_"
    SCHEDULE = "schedule_"
    BEHAVIOUR = "behaviour_"
    WINDOW = "window_"

    def key(self, name: str) -> str:
        """The entity description key for the task or setting `name`."""
        return f"{self}{name}"

    @property
    def from_settings(self) -> bool:
        """Whether the server's settings say which names exist (else its task list)."""
        return self not in (PerName.TASK, PerName.LAST_RUN)


def unique_id(machine_identifier: str, key: str) -> str:
    """An entity's unique id: its server's machine identifier and its key."""
    return f"{machine_identifier}_{key}"


def name_in_unique_id(
    machine_identifier: str, kind: PerName, entity_unique_id: str
) -> str | None:
    """The task or setting a `kind` entity of this server is for; None if it is not one."""
    prefix = unique_id(machine_identifier, kind.key(""))
    if not entity_unique_id.startswith(prefix):
        return None
    return entity_unique_id.removeprefix(prefix)


class ButlerEntity(CoordinatorEntity[ButlerCoordinator]):
    """An entity of one Plex server's device; bound to a task when `task_name` is set.

    Every entity gets its description passed in; its unique id is the
    server's machine identifier and the description's key.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: ButlerCoordinator,
        description: EntityDescription,
        task_name: str | None = None,
    ) -> None:
        """Attach the entity to the server's device."""
        super().__init__(coordinator)
        server = coordinator.server
        self.entity_description = description
        self.task_name = task_name
        self._attr_unique_id = unique_id(server.machine_identifier, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, server.machine_identifier)},
            name=server.friendly_name,
            manufacturer="Plex",
            model="Plex Media Server",
            sw_version=server.version,
            configuration_url=str(coordinator.client.base_url / "web"),
        )

    @property
    def task(self) -> ButlerTask | None:
        """The entity's task as the server last listed it."""
        if self.task_name is None:
            return None
        return self.coordinator.data.tasks.get(self.task_name)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """A task's schedule as the server describes it."""
        if (task := self.task) is None:
            return None
        return {
            "interval_days": task.interval_days,
            "random_time_in_window": task.schedule_randomized,
        }

    @property
    def available(self) -> bool:
        """Unavailable with the server, and once the server no longer lists the task."""
        if self.task_name is not None and self.task is None:
            return False
        return super().available


def task_name_translation(task: ButlerTask) -> tuple[str, dict[str, str]]:
    """The translation key (and placeholders) that name a task's entities."""
    if (key := KNOWN_TASKS.get(task.name)) is not None:
        return key, {}
    return OTHER_TASK, {"task": task.display_name}


def task_description_fields(
    task: ButlerTask, kind: PerName, translation_prefix: str = ""
) -> dict[str, Any]:
    """What every task entity's description has: its key, its name, whether it starts enabled.

    The everyday tasks' entities start enabled, the others disabled.
    """
    translation_key, placeholders = task_name_translation(task)
    return {
        "key": kind.key(task.name),
        "translation_key": f"{translation_prefix}{translation_key}",
        "translation_placeholders": placeholders,
        "entity_registry_enabled_default": task.name in EVERYDAY_TASKS,
    }


@callback
def async_keep_entities_per_name(
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    kind: PerName,
    wanted: Callable[[ButlerCoordinator], Iterable[str]],
    create: Callable[[ButlerCoordinator, str], ButlerEntity],
) -> None:
    """Add an entity for each wanted name (a task, a setting), now and whenever the server adds one.

    Entities are keyed `kind.key(name)`. When the server lists its tasks
    or settings without a name, that name's entity leaves the entity
    registry, so nothing unavailable lingers; it comes back if the name
    does. What was dropped while Home Assistant was not running is
    cleared the same way, at the first list. While the settings cannot be
    read, what they decide is left as it is: a failed read (at setup too)
    removes no entity, and no user's name or area with it.
    """
    coordinator = entry.runtime_data
    current: dict[str, ButlerEntity] = {}
    registry = er.async_get(coordinator.hass)
    server_id = coordinator.server.machine_identifier
    listed_before: set[str] | None = None

    @callback
    def _async_remove_unlisted(listed: set[str]) -> None:
        for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
            name = name_in_unique_id(server_id, kind, registered.unique_id)
            if name is not None and name not in listed:
                registry.async_remove(registered.entity_id)
        for name in current.keys() - listed:
            del current[name]

    @callback
    def _async_sync() -> None:
        nonlocal listed_before
        if kind.from_settings and not coordinator.data.settings_current:
            return
        names = list(wanted(coordinator))
        # Most updates (a notification's) change no name: the registry is
        # only looked through when the list changed.
        if (listed := set(names)) != listed_before:
            listed_before = listed
            _async_remove_unlisted(listed)
        new: list[ButlerEntity] = []
        for name in names:
            if name not in current:
                current[name] = create(coordinator, name)
                new.append(current[name])
        if new:
            async_add_entities(new)

    _async_sync()
    entry.async_on_unload(coordinator.async_add_listener(_async_sync))


@callback
def async_keep_entities_per_task(
    entry: ButlerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    kind: PerName,
    create: Callable[[ButlerCoordinator, ButlerTask], ButlerEntity],
) -> None:
    """An entity for each task the server lists, now and whenever it adds one."""
    async_keep_entities_per_name(
        entry,
        async_add_entities,
        kind,
        wanted=lambda coordinator: coordinator.data.tasks,
        create=lambda coordinator, name: create(
            coordinator, coordinator.data.tasks[name]
        ),
    )
