"""Text a server sends, however long, stays short wherever Home Assistant shows or keeps it."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import EVENT_BUTLER_STARTED
from custom_components.butler.plex.models import MAX_TEXT
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import llm
from homeassistant.helpers.json import json_bytes
from plexsim import PlexSimulator

from .test_voice import _tools

ACTIVITY = "sensor.plex_server_butler_activity"
EVENTS = "event.plex_server_butler_events"
# The recorder keeps at most this much of an entity's attributes.
RECORDER_ATTRIBUTES = 16 * 1024


@pytest.mark.parametrize(
    "text", ["x" * 100_000, "\U0001f5c4" * 100_000], ids=["ascii", "emoji"]
)
@pytest.mark.usefixtures("assist")
async def test_a_huge_title_stays_short_everywhere(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    text: str,
) -> None:
    simulator.activity_title = text
    # The run's subtitle is the running task's title.
    simulator.tasks["OptimizeDatabase"].title = text
    simulator.start_task("OptimizeDatabase")
    await init_integration.runtime_data.async_refresh()

    activity = hass.states.get(ACTIVITY)
    assert 0 < len(activity.state) <= MAX_TEXT
    assert len(activity.attributes["title"]) <= MAX_TEXT
    assert len(activity.attributes["subtitle"]) <= MAX_TEXT
    assert len(json_bytes(dict(activity.attributes))) < RECORDER_ATTRIBUTES

    event = hass.states.get(EVENTS)
    assert event.attributes["event_type"] == EVENT_BUTLER_STARTED
    assert len(event.attributes["title"]) <= MAX_TEXT
    assert len(json_bytes(dict(event.attributes))) < RECORDER_ATTRIBUTES

    result = await conversation.async_converse(
        hass, "what is Plex doing", None, Context(), language="en"
    )
    answer = result.response.speech["plain"]["speech"]
    assert answer.startswith("The butler of Plex Server is working")
    assert len(answer) < 2 * MAX_TEXT

    api = await _tools(hass)
    status = await api.async_call_tool(
        llm.ToolInput(tool_name="butler__status", tool_args={})
    )
    assert len(json_bytes(status.data)) < 4 * MAX_TEXT
