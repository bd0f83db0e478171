"""Tools for LLM conversation agents: run the Plex butler and ask what it does.

They act through the integration, like its actions, so they need no exposed
entity: an LLM agent with the Assist API can "pause the Plex maintenance"
although the buttons are not exposed to voice.
"""

from __future__ import annotations

from typing import override

import probatio as vol

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    LLMContext,
    Tool,
    ToolAnnotations,
    ToolInput,
)
from homeassistant.util.json import JsonObjectType

from .const import DOMAIN
from .voice import HANDLERS, async_words

# Answers that say no server was found: nothing more to add to them.
_NO_SERVER = {"voice_failed", "voice_no_server", "voice_which_server"}

_SERVER = vol.Optional(
    "server",
    description="The Plex server's name; needed only when more than one is set up.",
)


class ButlerTool(Tool):
    """One thing the butler can be asked, answered in a sentence."""

    integration = DOMAIN

    def __init__(
        self,
        action: str,
        description: str,
        parameters: vol.Schema,
        annotations: ToolAnnotations,
        more: str | None = None,
    ) -> None:
        """Describe the tool; `more` is a second question whose answer it adds."""
        self.name = f"{DOMAIN}__{action}"
        self.description = description
        self.parameters = parameters
        self.annotations = annotations
        self._action = action
        self._more = more

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> JsonObjectType:
        """Do it, and say what happened."""
        slots = {key: str(value) for key, value in tool_input.tool_args.items()}
        try:
            key, placeholders = await HANDLERS[self._action](hass, slots)
        except HomeAssistantError as err:
            key, placeholders = "voice_failed", {"error": str(err)}
        language = (llm_context.language or hass.config.language).split("-")[0]
        message = await async_words(hass, language, key, placeholders)
        if self._more is not None and key not in _NO_SERVER:
            more = await HANDLERS[self._more](hass, slots)
            message = f"{message} {await async_words(hass, language, *more)}"
        return {"result": key.removeprefix("voice_"), "message": message}


TOOLS = (
    ButlerTool(
        "start_task",
        "Run one Plex Media Server maintenance (butler) task now, such as backing "
        "up or optimizing the Plex database or refreshing libraries.",
        vol.Schema(
            {
                vol.Required(
                    "task",
                    description="The task's name, such as 'back up database' or "
                    "'optimize database', or its code name such as BackupDatabase.",
                ): str,
                _SERVER: str,
            }
        ),
        # Starting a task that runs already changes nothing.
        ToolAnnotations(destructive=False, idempotent=True),
    ),
    ButlerTool(
        "start_all",
        "Start the Plex Media Server's maintenance: every enabled butler task that "
        "is due.",
        vol.Schema({_SERVER: str}),
        ToolAnnotations(destructive=False, idempotent=True),
    ),
    ButlerTool(
        "stop_all",
        "Stop, pause or cancel all Plex Media Server maintenance (butler) tasks, "
        "for example while someone watches.",
        vol.Schema({_SERVER: str}),
        # It cancels work under way.
        ToolAnnotations(destructive=True, idempotent=True),
    ),
    ButlerTool(
        "status",
        "Tell whether the Plex Media Server's butler is running maintenance, what "
        "it is doing and how far it is, and when the Plex database was last "
        "backed up.",
        vol.Schema({_SERVER: str}),
        ToolAnnotations(read_only=True, destructive=False, idempotent=True),
        more="last_backup",
    ),
)


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """The butler's tools for the Assist API, while a Plex server is set up."""
    if api_id != LLM_API_ASSIST or not hass.config_entries.async_loaded_entries(DOMAIN):
        return None
    return LLMTools(tools=list(TOOLS))
