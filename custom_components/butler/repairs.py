"""Repairs: the owner confirms that a corrupt Plex database was repaired."""

from __future__ import annotations

from typing import Any, override

from homeassistant.components.repairs import (
    ConfirmRepairFlow,
    RepairsFlow,
    RepairsFlowResult,
)
from homeassistant.core import HomeAssistant

from .database import async_database_repaired
from .memory import ISSUE_ENTRY_ID


class DatabaseRepairedFlow(ConfirmRepairFlow):
    """Confirming tells the server's memory first; Repairs then closes the issue.

    The memory is what the Database problem sensor shows, and what raises
    the issue again at the next setup while it says corrupt.
    """

    @override
    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Ask to confirm; once confirmed, clear the server's corrupt flag."""
        if (
            user_input is not None
            and self.data is not None
            and (entry_id := self.data.get(ISSUE_ENTRY_ID)) is not None
            and (entry := self.hass.config_entries.async_get_entry(str(entry_id)))
        ):
            await async_database_repaired(self.hass, entry)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The only fixable issue is a corrupt database."""
    return DatabaseRepairedFlow()
