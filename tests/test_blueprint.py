"""The blueprint that keeps Plex quiet while someone watches, through Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.const import STATE_IDLE, STATE_ON, STATE_PLAYING
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator

from .conftest import settle

BLUEPRINT = (
    Path(__file__).parents[1]
    / "blueprints"
    / "automation"
    / "butler"
    / "quiet_plex_while_watching.yaml"
)
AUTOMATION = "automation.quiet_plex"
RUNNING = "binary_sensor.plex_server_butler_running"
TV = "media_player.living_room"
KITCHEN = "media_player.kitchen"


@pytest.fixture
async def quiet_plex(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> AsyncIterator[None]:
    """The blueprint loaded by Home Assistant's blueprint integration, and used."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "butler"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    hass.states.async_set(TV, STATE_IDLE)
    hass.states.async_set(KITCHEN, STATE_IDLE)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "quiet_plex",
                "alias": "Quiet Plex",
                "use_blueprint": {
                    "path": "butler/quiet_plex_while_watching.yaml",
                    "input": {
                        "server": init_integration.entry_id,
                        "butler_running": RUNNING,
                        "media_players": [TV, KITCHEN],
                        "idle_time": {"minutes": 10},
                        "window_start": "01:00:00",
                        "window_end": "06:00:00",
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get(AUTOMATION).state == "on"
    yield
    # Its time trigger would outlive the test.
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": AUTOMATION}, blocking=True
    )


async def test_watching_stops_the_butler(
    hass: HomeAssistant, quiet_plex: None, simulator: PlexSimulator
) -> None:
    await hass.services.async_call(
        "butler", "start_task", {"task": "BackupDatabase"}, blocking=True
    )
    assert hass.states.get(RUNNING).state == STATE_ON
    hass.states.async_set(TV, STATE_PLAYING)
    await settle(hass)
    assert not simulator.running
    assert ("DELETE", "/butler") in [(r.method, r.path) for r in simulator.requests]


async def test_watching_while_idle_does_nothing(
    hass: HomeAssistant, quiet_plex: None, simulator: PlexSimulator
) -> None:
    hass.states.async_set(TV, STATE_PLAYING)
    await settle(hass)
    assert ("DELETE", "/butler") not in [(r.method, r.path) for r in simulator.requests]


def _local(hour: int) -> datetime:
    """That hour tomorrow: later than every state the fixture set."""
    return dt_util.start_of_local_day() + timedelta(days=1, hours=hour)


async def _idle_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int
) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await settle(hass)


@pytest.mark.parametrize(
    ("hour", "started"), [(2, True), (12, False)], ids=["in_window", "outside"]
)
async def test_idle_players_start_the_butler_again_inside_the_window(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    quiet_plex: None,
    simulator: PlexSimulator,
    hour: int,
    started: bool,
) -> None:
    freezer.move_to(_local(hour))
    hass.states.async_set(TV, STATE_PLAYING)
    await settle(hass)
    hass.states.async_set(TV, STATE_IDLE)
    await settle(hass)
    await _idle_for(hass, freezer, 5)
    assert ("POST", "/butler") not in [(r.method, r.path) for r in simulator.requests]
    await _idle_for(hass, freezer, 6)
    assert (
        ("POST", "/butler") in [(r.method, r.path) for r in simulator.requests]
    ) is (started)


async def test_another_player_still_playing_keeps_it_quiet(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    quiet_plex: None,
    simulator: PlexSimulator,
) -> None:
    freezer.move_to(_local(2))
    hass.states.async_set(TV, STATE_PLAYING)
    hass.states.async_set(KITCHEN, STATE_PLAYING)
    await settle(hass)
    hass.states.async_set(TV, STATE_IDLE)
    await settle(hass)
    await _idle_for(hass, freezer, 11)
    assert ("POST", "/butler") not in [(r.method, r.path) for r in simulator.requests]


async def test_window_opening_with_idle_players_starts_the_butler(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    quiet_plex: None,
    simulator: PlexSimulator,
) -> None:
    freezer.move_to(_local(0) + timedelta(minutes=55))
    async_fire_time_changed(hass)
    await settle(hass)
    await _idle_for(hass, freezer, 6)
    assert ("POST", "/butler") in [(r.method, r.path) for r in simulator.requests]
