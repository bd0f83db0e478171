"""Schedule switches: state read from the server, changed through its setting."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.components.switch import (
    DOMAIN as SWITCH_DOMAIN,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from plexsim import PlexSimulator

from .conftest import set_fault

BACKUP_SCHEDULE = "switch.plex_server_back_up_database_schedule"


@pytest.mark.parametrize("platforms", [[Platform.SWITCH]])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_switches(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_only_tasks_with_a_setting_get_a_switch(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    assert entity_registry.async_get("button.plex_server_generate_intro_markers")
    assert not entity_registry.async_get(
        "switch.plex_server_generate_intro_markers_schedule"
    )


async def test_toggle_changes_the_server_setting(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert hass.states.get(BACKUP_SCHEDULE).state == STATE_ON
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: BACKUP_SCHEDULE},
        blocking=True,
    )
    assert simulator.settings["ButlerTaskBackupDatabase"] in ("0", "false", False)
    assert hass.states.get(BACKUP_SCHEDULE).state == STATE_OFF

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: BACKUP_SCHEDULE}, blocking=True
    )
    assert hass.states.get(BACKUP_SCHEDULE).state == STATE_ON


async def test_toggle_fails_clearly(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    set_fault(simulator, "server_error")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: BACKUP_SCHEDULE},
            blocking=True,
        )
    assert err.value.translation_key == "cannot_connect"
    # The failure shows at once, not at the next poll.
    assert hass.states.get(BACKUP_SCHEDULE).state == STATE_UNAVAILABLE
    set_fault(simulator, "server_error", on=False)
    await init_integration.runtime_data.async_refresh()
    assert hass.states.get(BACKUP_SCHEDULE).state == STATE_ON


async def test_each_task_shows_its_schedule(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    for entity_id in (BACKUP_SCHEDULE, "button.plex_server_back_up_database"):
        attributes = hass.states.get(entity_id).attributes
        assert attributes["interval_days"] == 3
        assert attributes["random_time_in_window"] is False
    libraries = hass.states.get("button.plex_server_refresh_libraries").attributes
    assert (libraries["interval_days"], libraries["random_time_in_window"]) == (1, True)
