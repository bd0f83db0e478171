"""Repairs: the owner confirms that a corrupt Plex database was repaired, or backs it up now."""

from __future__ import annotations

from typing import Any, override

from homeassistant.components.repairs import (
    ConfirmRepairFlow,
    RepairsFlow,
    RepairsFlowResult,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .const import BACKUP_TASK
from .coordinator import ButlerConfigEntry
from .database import async_database_repaired
from .memory import ISSUE_BACKUP_OVERDUE, ISSUE_ENTRY_ID


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


class BackUpNowFlow(RepairsFlow):
    """Confirming runs a backup now; the issue closes when the backup is done.

    Repairs closes the issue once the flow ends; should the backup fail,
    the hourly check raises it again.
    """

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """The only step is the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Ask to confirm; once confirmed, start the server's backup task."""
        entry = self._entry()
        server = {"server": entry.title if entry else ""}
        if user_input is None:
            return self.async_show_form(
                step_id="confirm", description_placeholders=server
            )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(
                reason="cannot_start", description_placeholders=server
            )
        try:
            await entry.runtime_data.async_start_task(BACKUP_TASK)
        except HomeAssistantError:
            return self.async_abort(
                reason="cannot_start", description_placeholders=server
            )
        return self.async_create_entry(data={})

    def _entry(self) -> ButlerConfigEntry | None:
        if self.data is None or (entry_id := self.data.get(ISSUE_ENTRY_ID)) is None:
            return None
        return self.hass.config_entries.async_get_entry(str(entry_id))


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """A corrupt database is confirmed repaired; an overdue backup is run now."""
    if issue_id.startswith(ISSUE_BACKUP_OVERDUE):
        return BackUpNowFlow()
    return DatabaseRepairedFlow()
