"""GDM: the answer parser, and discovery through Home Assistant against a simulated responder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from hypothesis import given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.butler import discovery
from custom_components.butler.const import (
    DOMAIN,
    GDM_INTERVAL,
    GDM_MISSING_INTERVAL,
    SCAN_INTERVAL,
)
from custom_components.butler.discovery import DATA_GDM
from custom_components.butler.plex import GdmServer, parse_gdm_answer
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator
from plexsim.gdm import GdmResponder, gdm_answer

from .conftest import TOKEN, butler_records, found_by_gdm, settle

SENDER = ("192.168.1.20", 32414)

# As a Plex Media Server 1.43 on Linux answers (captured shape).
REAL_ANSWER = (
    b"HTTP/1.0 200 OK\r\n"
    b"Content-Type: plex/media-server\r\n"
    b"Resource-Identifier: 3f4c2b0e9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e\r\n"
    b"Name: Living Room\r\n"
    b"Port: 32400\r\n"
    b"Updated-At: 1795996800\r\n"
    b"Version: 1.43.2.10162-2e8e5f84a\r\n"
    b"\r\n"
)


def test_a_real_answer() -> None:
    assert parse_gdm_answer(REAL_ANSWER, SENDER) == GdmServer(
        machine_identifier="3f4c2b0e9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e",
        name="Living Room",
        host="192.168.1.20",
        port=32400,
        version="1.43.2.10162-2e8e5f84a",
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # Header names in any case, bare newlines, no content type, no port.
        (
            b"HTTP/1.0 200 OK\nresource-identifier: abc\nNAME: Den\n",
            {"machine_identifier": "abc", "name": "Den", "port": 32400},
        ),
        # A name with bytes that are not UTF-8, a port elsewhere.
        (
            b"HTTP/1.1 200 OK\r\nResource-Identifier: x1\r\nName: K\xfcche\r\nPort: 32500\r\n",
            {"machine_identifier": "x1", "name": "K\ufffdche", "port": 32500},
        ),
        # No name: the identifier stands in.
        (
            b"HTTP/1.0 200 OK\r\nResource-Identifier: only-id\r\n",
            {"name": "only-id"},
        ),
    ],
)
def test_answer_variants(answer: bytes, expected: dict[str, Any]) -> None:
    server = parse_gdm_answer(answer, SENDER)
    assert server is not None
    for key, value in expected.items():
        assert getattr(server, key) == value


@pytest.mark.parametrize(
    "answer",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"M-SEARCH * HTTP/1.0\r\n\r\n",
        b"HTTP/1.0 404 Not Found\r\nResource-Identifier: abc\r\n",
        b"HTTP/1.0 200 OK\r\nName: no id\r\n",
        b"HTTP/1.0 200 OK\r\nResource-Identifier:   \r\n",
        # A player answers GDM too; it cannot run butler tasks.
        b"HTTP/1.0 200 OK\r\nContent-Type: plex/media-player\r\nResource-Identifier: tv\r\n",
        b"HTTP/1.0 200 OK\r\nResource-Identifier: abc\r\nPort: 0\r\n",
        b"HTTP/1.0 200 OK\r\nResource-Identifier: abc\r\nPort: 70000\r\n",
        b"HTTP/1.0 200 OK\r\nResource-Identifier: abc\r\nPort: inf\r\n",
        REAL_ANSWER + b"X-Padding: " + b"a" * 5000 + b"\r\n",
    ],
)
def test_garbage_is_not_a_server(answer: bytes) -> None:
    assert parse_gdm_answer(answer, SENDER) is None


@pytest.fixture
async def responder(
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[GdmResponder]:
    """Both servers answer GDM on loopback, where the integration searches."""
    gdm = GdmResponder([simulator, attic_simulator])
    port = await gdm.start()
    monkeypatch.setattr(discovery, "GDM_ADDRESS", ("127.0.0.1", port))
    yield gdm
    gdm.stop()


async def _answered(
    hass: HomeAssistant, responder: GdmResponder, searches: int
) -> None:
    """Wait until the responder answered, then until Home Assistant handled the answers."""
    await responder.wait_for_searches(searches)
    await settle(hass)


def _discovered(hass: HomeAssistant) -> dict[str, Any]:
    return {
        flow["context"]["unique_id"]: flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "integration_discovery"
    }


async def _time_passes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    span: timedelta,
    step: timedelta = GDM_MISSING_INTERVAL,
) -> None:
    """Let `span` pass in steps, each timer firing when it is due, as in a running Home Assistant."""
    for _ in range(int(span / step)):
        freezer.tick(step)
        async_fire_time_changed(hass)
        await settle(hass)


async def test_a_second_server_shows_under_discovered(
    hass: HomeAssistant,
    responder: GdmResponder,
    init_integration: MockConfigEntry,
    attic_simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _answered(hass, responder, 1)
    flows = _discovered(hass)
    # The server already set up and answering is not offered again.
    assert list(flows) == ["attic"]
    assert flows["attic"]["context"]["title_placeholders"] == {"name": "Attic"}
    assert flows["attic"]["step_id"] == "discovery_confirm"

    # Adding it needs only its owner's token (or a sign-in).
    result = await hass.config_entries.flow.async_configure(
        flows["attic"]["flow_id"], {"next_step_id": "discovery_token"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Attic"
    assert result["data"][CONF_PORT] == attic_simulator.port
    assert not butler_records(caplog)


async def test_searches_repeat_on_a_timer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    responder: GdmResponder,
    init_integration: MockConfigEntry,
) -> None:
    await _answered(hass, responder, 1)
    # Nothing is searched while every server answers...
    await _time_passes(hass, freezer, GDM_INTERVAL - GDM_MISSING_INTERVAL)
    assert responder.searches == 1
    # ...but every 15 minutes, for new servers.
    await _time_passes(hass, freezer, GDM_MISSING_INTERVAL)
    await _answered(hass, responder, 2)
    # One card, however often the server answers.
    assert list(_discovered(hass)) == ["attic"]


async def test_garbage_answers_are_ignored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    responder: GdmResponder,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _answered(hass, responder, 1)
    for flow in _discovered(hass).values():
        hass.config_entries.flow.async_abort(flow["flow_id"])
    responder.servers = []
    responder.extra_answers = [
        b"\x00" * 100,
        b"HTTP/1.0 200 OK\r\nContent-Type: plex/media-player\r\nResource-Identifier: tv\r\n",
        b"HTTP/1.0 200 OK\r\nResource-Identifier: big\r\n" + b"x" * 60000,
        b"HTTP/1.0 200 OK\r\nResource-Identifier: bad-port\r\nPort: -1\r\n",
    ]
    await _time_passes(hass, freezer, GDM_INTERVAL)
    await _answered(hass, responder, 2)
    assert _discovered(hass) == {}
    assert not butler_records(caplog)


async def test_an_ignored_server_stays_ignored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    responder: GdmResponder,
    attic_simulator: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await _answered(hass, responder, 1)
    assert list(_discovered(hass)) == ["attic"]
    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": "attic", "title": "Attic"},
    )
    await hass.async_block_till_done()
    await _time_passes(hass, freezer, GDM_INTERVAL)
    await _answered(hass, responder, 2)
    assert _discovered(hass) == {}


async def test_a_moved_server_is_found_at_its_new_port(
    hass: HomeAssistant,
    responder: GdmResponder,
    simulator: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await _answered(hass, responder, 1)
    old_port = simulator.port
    # The server restarts on another port (a container's mapping changed).
    await simulator.go_down()
    await simulator.start(host="127.0.0.1", port=0)
    assert simulator.port != old_port
    # The next poll misses it, which sends a search at once.
    async_fire_time_changed(hass, dt_util.utcnow() + SCAN_INTERVAL)
    await _answered(hass, responder, 2)
    await hass.async_block_till_done()
    assert init_integration.data[CONF_PORT] == simulator.port
    assert init_integration.state is ConfigEntryState.LOADED
    await settle(hass)
    assert hass.states.get("binary_sensor.plex_server_butler_running").state == "off"


async def test_a_working_server_seen_at_another_address_keeps_its_own(
    hass: HomeAssistant,
    responder: GdmResponder,
    simulator: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server with two addresses answers from either: a working entry stays as it is."""
    result = await found_by_gdm(hass, simulator.machine_identifier, 1)
    assert result["reason"] == "already_configured"
    assert init_integration.data[CONF_PORT] == simulator.port


async def test_a_plex_direct_name_follows_the_new_address(
    hass: HomeAssistant, simulator: PlexSimulator, entry_data: dict[str, Any]
) -> None:
    """The new IP goes into the name's first label, so the certificate still matches."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.machine_identifier,
        data={
            **entry_data,
            CONF_HOST: "192-168-1-20.5d9c0e1f2a3b4c5d.plex.direct",
            CONF_SSL: True,
        },
    )
    entry.add_to_hass(hass)
    result = await found_by_gdm(hass, simulator.machine_identifier, simulator.port)
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127-0-0-1.5d9c0e1f2a3b4c5d.plex.direct"
    assert entry.data[CONF_PORT] == simulator.port


async def test_a_stale_answer_does_not_move_an_entry(
    hass: HomeAssistant, simulator: PlexSimulator, entry_data: dict[str, Any]
) -> None:
    """Another server now answers at the announced address: the entry keeps its own."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="gone-server",
        data={**entry_data, CONF_PORT: 1},
    )
    entry.add_to_hass(hass)
    result = await found_by_gdm(hass, "gone-server", simulator.port, "Gone")
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == 1


async def test_a_network_that_refuses_searches(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch(
        "custom_components.butler.discovery.async_gdm_search",
        side_effect=OSError("Network is unreachable"),
    ):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await settle(hass)
        await _time_passes(hass, freezer, GDM_INTERVAL * 3)
    said = [r for r in caplog.records if "Cannot search the network" in r.getMessage()]
    assert len(said) == 1
    assert said[0].levelno == logging.INFO


def test_the_simulated_answer_parses(simulator: PlexSimulator) -> None:
    server = parse_gdm_answer(gdm_answer(simulator), ("127.0.0.1", 32414))
    assert server is not None
    assert server.machine_identifier == simulator.machine_identifier
    assert server.port == simulator.port


_HEADER_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["32400", "0", "-1", "70000", "inf", "NaN", "1e999", " 7 ", ""]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=6000),
        st.builds(
            lambda status, headers: (
                status + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            ).encode("utf-8", "surrogatepass"),
            st.sampled_from(
                ["HTTP/1.0 200 OK", "HTTP/1.1 200 OK", "HTTP/1.0 500", "x"]
            ),
            st.dictionaries(
                st.sampled_from(
                    ["Content-Type", "Resource-Identifier", "Name", "Port", "Version"]
                ),
                _HEADER_VALUES,
            ),
        ),
    )
)
def test_any_datagram_is_a_server_or_nothing(data: bytes) -> None:
    server = parse_gdm_answer(data, SENDER)
    if server is not None:
        assert server.machine_identifier
        assert 1 <= server.port <= 65535
        assert server.host == SENDER[0]


@pytest.mark.parametrize(
    ("stored", "found"),
    [
        # A name the person typed: resolving it is the network's job.
        ("plex.lan", "127.0.0.1"),
        # plex.direct names carry IPv4 addresses only.
        ("192-168-1-20.5d9c0e1f2a3b4c5d.plex.direct", "::1"),
        # Only an address can be stored from an answer.
        ("192.168.1.20", "plex.local"),
    ],
)
async def test_addresses_that_do_not_follow(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    entry_data: dict[str, Any],
    stored: str,
    found: str,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.machine_identifier,
        data={**entry_data, CONF_HOST: stored},
    )
    entry.add_to_hass(hass)
    result = await found_by_gdm(
        hass, simulator.machine_identifier, simulator.port, host=found
    )
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == stored


async def test_a_server_that_stays_away_is_searched_for_once_a_minute(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    responder: GdmResponder,
    simulator: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await _answered(hass, responder, 1)
    await simulator.go_down()
    # Three failed polls within a minute and a half, one search.
    await _time_passes(hass, freezer, SCAN_INTERVAL * 3, step=SCAN_INTERVAL)
    await _answered(hass, responder, 2)
    assert responder.searches == 2
    # An hour away costs a search a minute, not one per poll: and after
    # every failed refresh, not only the first of the outage.
    await _time_passes(hass, freezer, timedelta(hours=1), step=SCAN_INTERVAL)
    assert responder.searches == 2 + 60
    # Back at its address: no more searching beyond the 15-minute scan.
    await simulator.go_up()
    await _time_passes(hass, freezer, SCAN_INTERVAL, step=SCAN_INTERVAL)
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("binary_sensor.plex_server_butler_running").state == "off"
    searched = responder.searches
    await _time_passes(hass, freezer, GDM_INTERVAL - 2 * GDM_MISSING_INTERVAL)
    assert responder.searches == searched


@pytest.mark.parametrize(
    "away", [timedelta(seconds=10), timedelta(seconds=70), timedelta(minutes=3)]
)
async def test_a_server_that_moved_is_followed_within_a_minute(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    responder: GdmResponder,
    simulator: PlexSimulator,
    init_integration: MockConfigEntry,
    away: timedelta,
) -> None:
    """It stops at its address, then answers at another `away` later."""
    await _answered(hass, responder, 1)
    step = timedelta(seconds=10)
    await simulator.go_down()
    await _time_passes(hass, freezer, away, step)
    searched_while_away = responder.searches - 1
    assert searched_while_away <= away / GDM_MISSING_INTERVAL + 1
    await simulator.start(host="127.0.0.1", port=0)
    waited = timedelta()
    while init_integration.data[CONF_PORT] != simulator.port:
        assert waited <= GDM_MISSING_INTERVAL, "not followed within a minute"
        await _time_passes(hass, freezer, step, step)
        waited += step
    await settle(hass)
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("binary_sensor.plex_server_butler_running").state == "off"


async def test_a_server_that_moved_while_home_assistant_was_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    responder: GdmResponder,
    simulator: PlexSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The entry's address answers nothing at start: GDM finds the server while Home Assistant retries."""
    moved_to = simulator.port
    await simulator.go_down()
    await simulator.start(host="127.0.0.1", port=0)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_PORT: moved_to}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    await _answered(hass, responder, 1)
    await _time_passes(hass, freezer, timedelta(seconds=10), timedelta(seconds=10))
    assert mock_config_entry.data[CONF_PORT] == simulator.port
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_the_search_stops_with_the_last_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    responder: GdmResponder,
    simulator: PlexSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Unloaded, removed while retried, or disabled while retried: no more searches."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    assert DATA_GDM in hass.data
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert DATA_GDM not in hass.data

    # A server that does not answer at start is retried, and searched for.
    await simulator.go_down()
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert DATA_GDM in hass.data
    await hass.config_entries.async_set_disabled_by(
        mock_config_entry.entry_id, ConfigEntryDisabler.USER
    )
    await _time_passes(hass, freezer, GDM_MISSING_INTERVAL)
    assert DATA_GDM not in hass.data
    searched = responder.searches
    await _time_passes(hass, freezer, GDM_INTERVAL)
    assert responder.searches == searched

    await hass.config_entries.async_set_disabled_by(mock_config_entry.entry_id, None)
    await settle(hass)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert DATA_GDM in hass.data
    assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    assert DATA_GDM not in hass.data


async def test_another_server_at_the_announced_address_is_not_added(
    hass: HomeAssistant, simulator: PlexSimulator, attic_simulator: PlexSimulator
) -> None:
    """Attic was announced; by the time the token is given, Plex Server answers there."""
    result = await _add_with_token(hass, "attic", simulator.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "another_server_answers"
    assert result["description_placeholders"] == {
        "host": "127.0.0.1",
        "name": "Attic",
    }
    assert not hass.config_entries.async_entries(DOMAIN)
    # Where Attic really is, the same steps add it.
    result = await _add_with_token(hass, "attic", attic_simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "attic"


async def _add_with_token(hass: HomeAssistant, machine_id: str, port: int) -> Any:
    """GDM finds Attic as `machine_id` at port; its card is added with the owner's token."""
    result = await found_by_gdm(hass, machine_id, port, "Attic")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "discovery_token"}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": TOKEN}
    )


async def test_two_answers_for_a_server_that_moved_are_both_checked(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A stale address that hangs does not keep the good one from being tried."""
    await simulator.go_down()
    async_fire_time_changed(hass, dt_util.utcnow() + SCAN_INTERVAL)
    await settle(hass)
    # The stale answer first: whatever listens there does not answer yet.
    attic_simulator.faults.slow = True
    stale = hass.async_create_task(
        found_by_gdm(hass, simulator.machine_identifier, attic_simulator.port)
    )
    await attic_simulator.wait_for_request("/identity")
    await simulator.start(host="127.0.0.1", port=0)
    result = await found_by_gdm(hass, simulator.machine_identifier, simulator.port)
    assert result["reason"] == "already_configured"
    assert init_integration.data[CONF_PORT] == simulator.port
    attic_simulator.faults.slow = False
    assert (await stale)["reason"] == "already_configured"
    await settle(hass)
    assert init_integration.data[CONF_PORT] == simulator.port
