"""Selects: the maintenance window and the behaviour settings, from the server's options."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from plexsim import PlexSimulator
from plexsim.catalog import SimSetting

from .conftest import set_fault

START = "select.plex_server_maintenance_window_start"
END = "select.plex_server_maintenance_window_end"
PREVIEWS = "select.plex_server_video_preview_thumbnails"


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: option},
        blocking=True,
    )


@pytest.mark.parametrize("platforms", [[Platform.SELECT]])
async def test_selects(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_the_maintenance_window(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    start = hass.states.get(START)
    assert start.state == "02:00"
    assert start.attributes[ATTR_OPTIONS] == [f"{h:02d}:00" for h in range(24)]
    assert hass.states.get(END).state == "05:00"
    await _select(hass, START, "23:00")
    assert simulator.settings["ButlerStartHour"] == "23"
    # Read back at once: what Home Assistant shows is what the server has.
    assert hass.states.get(START).state == "23:00"


async def test_behaviour_options_translated_or_in_the_servers_words(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    previews = hass.states.get(PREVIEWS)
    assert previews.attributes[ATTR_OPTIONS] == ["never", "scheduled", "asap"]
    assert previews.state == "scheduled"
    await _select(hass, PREVIEWS, "never")
    assert simulator.settings["GenerateBIFBehavior"] == "0"
    assert hass.states.get(PREVIEWS).state == "never"

    # A newer server words an option the integration does not know, and
    # adds a behaviour setting: both shown in the server's words.
    simulator.add_setting(
        SimSetting(
            "GenerateBIFBehavior",
            "int",
            "3",
            "1",
            "Generate video preview thumbnails",
            enum_values="0:never|1:as a scheduled task|2:as soon as possible|3:only for new media",
        )
    )
    simulator.add_setting(
        SimSetting(
            "GenerateSlideshowBehavior",
            "int",
            "0",
            "0",
            "Generate slideshows",
            enum_values="0:never|2:as soon as possible",
        )
    )
    await init_integration.runtime_data.async_write_setting("LogVerbose", True)
    previews = hass.states.get(PREVIEWS)
    assert previews.attributes[ATTR_OPTIONS][-1] == "only for new media"
    assert previews.state == "only for new media"
    slideshows = hass.states.get("select.plex_server_generate_slideshows")
    assert slideshows.attributes[ATTR_OPTIONS] == ["never", "asap"]


async def test_a_setting_the_server_lacks_gets_no_entity(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    simulator.remove_setting("GenerateVADBehavior")
    simulator.remove_setting("ButlerEndHour")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert (
        entity_registry.async_get("select.plex_server_voice_activity_detection") is None
    )
    assert entity_registry.async_get(END) is None
    assert hass.states.get(START).state == "02:00"


async def test_unavailable_while_settings_cannot_be_read(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.faults.only_paths = frozenset({"/:/prefs"})
    set_fault(simulator, "server_error")
    with pytest.raises(Exception, match="Plex Server"):
        await _select(hass, START, "03:00")
    await init_integration.runtime_data.async_refresh()
    assert hass.states.get(START).state == STATE_UNAVAILABLE
