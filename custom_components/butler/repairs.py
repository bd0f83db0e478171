"""Repairs: the owner confirms that a corrupt Plex database was repaired."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Confirming closes the issue, which turns the Database problem sensor off."""
    return ConfirmRepairFlow()
