"""Tools for LLM conversation agents: run the Plex butler and ask what it does.

They act through the integration, like its actions, so they need no exposed
entity: an LLM agent with the Assist API can "pause the Plex maintenance"
although the buttons are not exposed to voice.
"""

from __future__ import annotations

import copy
from typing import Any, Self, override

import probatio as vol

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    LLMContext,
    Tool,
    ToolAnnotations,
    ToolInput,
    ToolResult,
)

from .const import DOMAIN
from .voice import async_answer, async_say, server_asked
from .words import async_cached_words

# Answers that mean nothing was done and nothing can be until the server or
# the setup changes; a question back ("which server?") is not one.
FAILURES = frozenset({"voice_failed", "voice_no_server", "voice_unreachable"})
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
        annotations: ToolAnnotations,
        *,
        fields: dict[vol.Marker, type] | None = None,
        more: str | None = None,
        runs: bool = False,
    ) -> None:
        """Describe the tool; `more` is a second question whose answer it adds.

        With `runs`, the answer's data has each task's last run too.

        Every tool takes the server's name; `fields` are what else it needs.
        """
        self.name = f"{DOMAIN}__{action}"
        self.description = description
        self.parameters = vol.Schema({**(fields or {}), _SERVER: str})
        self.annotations = annotations
        self._action = action
        self._more = more
        self._runs = runs

    @callback
    def async_titled(self, hass: HomeAssistant) -> Self:
        """A copy of the tool with its title, which MCP clients show people.

        MCP clients ask in no language, so the title is in Home Assistant's,
        as entity names are; core's own tools have English titles only.
        """
        tool = copy.copy(self)
        tool.title = async_cached_words(hass, f"common.tool_{self._action}")
        return tool

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Do it, and say what happened, in the language the call asks for."""
        slots = {key: str(value) for key, value in tool_input.tool_args.items()}
        answer = await async_answer(hass, self._action, slots)
        key = answer[0]
        language = llm_context.language or hass.config.language
        message = await async_say(hass, language, answer)
        if self._more is not None and key not in _NO_SERVER:
            more = await async_answer(hass, self._more, slots)
            message = f"{message} {await async_say(hass, language, more)}"
        data: dict[str, Any] = {
            "result": key.removeprefix("voice_"),
            "message": message,
        }
        if self._runs and key not in _NO_SERVER:
            data["last_runs"] = _last_runs(hass, slots)
        return ToolResult(data=data, error=key in FAILURES)


TOOLS = (
    ButlerTool(
        "start_task",
        "Run, start or launch one Plex Media Server maintenance (butler) task now: "
        "back up or optimize the database, refresh or scan the libraries, refresh "
        "metadata or the TV guide, generate chapter or preview thumbnails or "
        "intro, credits or ad markers, analyze media, music or loudness, clean "
        "old caches, bundles or logs.",
        # Starting a task that runs already changes nothing.
        ToolAnnotations(destructive=False, idempotent=True),
        fields={
            vol.Required(
                "task",
                description="The task's name as on its button, in English, "
                "German, French, Dutch or Spanish (such as 'Refresh libraries', "
                "'Datenbank optimieren'), or its code name (RefreshLibraries). "
                "When no task fits, the answer names the closest.",
            ): str
        },
    ),
    ButlerTool(
        "start_all",
        "Start, begin or kick off the Plex Media Server's maintenance: every "
        "enabled butler task that is due.",
        ToolAnnotations(destructive=False, idempotent=True),
    ),
    ButlerTool(
        "stop_all",
        "Stop, pause, cancel, abort, halt or end whatever Plex Media Server "
        "maintenance (butler) tasks are running, for example while someone watches.",
        # It cancels work under way.
        ToolAnnotations(destructive=True, idempotent=True),
    ),
    ButlerTool(
        "status",
        "Tell whether the Plex Media Server's butler is running or busy with "
        "maintenance, what Plex is doing or working on right now, how far it is, "
        "when the Plex database was last backed up, and when each task last "
        "ran, how long it took and how it ended.",
        ToolAnnotations(read_only=True, destructive=False, idempotent=True),
        more="last_backup",
        runs=True,
    ),
)


def _last_runs(hass: HomeAssistant, slots: dict[str, str]) -> list[dict[str, Any]]:
    """Each task's last run on the server asked about, newest first.

    Asked only once the status answer found that server.
    """
    return [run.as_dict() for run in server_asked(hass, slots).memory.runs.latest()]


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """The butler's tools for the Assist API, while a Plex server is set up."""
    if api_id != LLM_API_ASSIST or not hass.config_entries.async_loaded_entries(DOMAIN):
        return None
    return LLMTools(tools=[tool.async_titled(hass) for tool in TOOLS])
