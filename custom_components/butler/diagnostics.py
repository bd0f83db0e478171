"""Diagnostics: what the integration sees of the server, without secrets."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST, CONF_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .coordinator import ButlerConfigEntry

# The webhook id is as secret as the token: whoever knows it can post to it.
TO_REDACT = {CONF_TOKEN, CONF_HOST, CONF_WEBHOOK_ID, "unique_id", "machine_identifier"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ButlerConfigEntry
) -> dict[str, Any]:
    """Return the entry, the server and the butler's last known state."""
    coordinator = entry.runtime_data
    data = coordinator.data
    return async_redact_data(
        {
            "entry": _entry(entry),
            "server": asdict(coordinator.server),
            "last_update_success": coordinator.last_update_success,
            "live_updates": coordinator.push_connected,
            "running": data.running,
            "activities_current": data.activities_current,
            "settings_current": data.settings_current,
            "activity": None if data.activity is None else asdict(data.activity),
            "current_task": None
            if data.current_task is None
            else data.current_task.name,
            "tasks": [asdict(task) for task in data.tasks.values()],
            "schedulable_tasks": sorted(data.schedulable_tasks),
            "memory": coordinator.memory.as_dict(),
        },
        TO_REDACT,
    )


def _entry(entry: ButlerConfigEntry) -> dict[str, Any]:
    """The entry; an entry GDM found has the machine identifier as its discovery key."""
    return {
        **entry.as_dict(),
        "discovery_keys": {
            domain: [{**asdict(key), "key": REDACTED} for key in keys]
            for domain, keys in entry.discovery_keys.items()
        },
    }
