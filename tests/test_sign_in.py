"""Sign in with Plex: the PIN, the window's callback, the server list and the connection.

plex.tv is the simulator's stand-in, its address patched in as the demo's
development integration does; the Plex servers are simulators on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.butler import sign_in
from custom_components.butler.const import DOMAIN, PIN_POLL_INTERVAL
from custom_components.butler.sign_in import CALLBACK_PATH, SignInOutcome
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from plexsim import PlexSimulator
from plexsim.plextv import PlexTvSimulator, SimDevice, connection

from .conftest import TOKEN, butler_records, found_by_gdm, settle

ACCOUNT_TOKEN = "account-token-never-stored-42"

# plex.direct names are looked up for real: with Home Assistant's own
# resolver, not the test plugin's, which belongs to another event loop.
pytestmark = pytest.mark.usefixtures("disable_mock_zeroconf_resolver")


@pytest.fixture
async def plex_tv(
    simulator: PlexSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PlexTvSimulator]:
    """plex.tv for an account that owns the simulated server and uses a friend's."""
    stand_in = PlexTvSimulator(account_token=ACCOUNT_TOKEN)
    stand_in.add_server(simulator)
    stand_in.devices.append(
        SimDevice(
            name="Friend's Plex",
            client_identifier="friends-server",
            owned=False,
            access_token="friends-token",
            connections=[connection("http", "127.0.0.1", 1, local=True)],
        )
    )
    await stand_in.start()
    monkeypatch.setattr(sign_in, "PLEX_TV_URL", stand_in.url)
    monkeypatch.setattr(sign_in, "PLEX_APP_URL", stand_in.url)
    yield stand_in
    await stand_in.stop()


async def _open_sign_in(hass: HomeAssistant, result: Any = None) -> dict[str, Any]:
    """Add integration → Sign in with Plex: the sign-in page opens."""
    if result is None:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"][0] == "sign_in"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sign_in"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP, result
    assert result["step_id"] == "sign_in"
    return dict(result)


def _page_params(url: str) -> dict[str, str]:
    """What the sign-in page reads from its address's fragment."""
    fragment = urlsplit(url).fragment.removeprefix("?")
    return {key: values[0] for key, values in parse_qs(fragment).items()}


async def _poll(hass: HomeAssistant, times: int = 1) -> None:
    """Let the background PIN check run `times` times."""
    for _ in range(times):
        async_fire_time_changed(hass, dt_util.utcnow() + PIN_POLL_INTERVAL)
        await settle(hass)


async def _continue(hass: HomeAssistant, flow_id: str) -> Any:
    """What the frontend does when the flow says the external step is done."""
    return await hass.config_entries.flow.async_configure(flow_id, {})


async def _sign_in_and_allow(
    hass: HomeAssistant, plex_tv: PlexTvSimulator, result: Any = None
) -> Any:
    """Sign in and allow it, let the background check notice: the step after."""
    result = await _open_sign_in(hass, result)
    plex_tv.authorize()
    await _poll(hass)
    return await _continue(hass, result["flow_id"])


async def test_sign_in_adds_the_only_owned_server(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await async_process_ha_core_config(hass, {"internal_url": "http://ha.local:8123"})
    result = await _open_sign_in(hass)
    flow_id = result["flow_id"]
    params = _page_params(result["url"])
    assert result["url"].startswith(f"{plex_tv.url}/auth#?")
    assert params["code"] == next(iter(plex_tv.pins.values())).code
    assert params["context[device][product]"] == "Butler for Plex"
    assert params["forwardUrl"] == (
        f"http://ha.local:8123{CALLBACK_PATH}?flow_id={flow_id}"
    )
    # The installation's stable identifier, the one the servers also see.
    assert params["clientID"] == plex_tv.requests[0].headers["X-Plex-Client-Identifier"]

    # The person allows the sign-in; the page sends the window back.
    plex_tv.authorize()
    client = await hass_client_no_auth()
    response = await client.get(CALLBACK_PATH, params={"flow_id": flow_id})
    assert response.status == 200
    page = await response.text()
    assert "window.close()" in page
    assert "You can close this window" in page

    result = await _continue(hass, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Plex Server"
    assert result["result"].unique_id == simulator.machine_identifier
    # The local HTTPS name cannot be resolved here; the local address answers.
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: simulator.port,
        CONF_SSL: False,
        "verify_ssl": True,
        CONF_TOKEN: simulator.token,
        CONF_WEBHOOK_ID: result["data"][CONF_WEBHOOK_ID],
    }
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.plex_server_butler_running") is not None
    # The account's token went to plex.tv, in a header, and nowhere else.
    resources = [r for r in plex_tv.requests if r.path == "/api/v2/resources"]
    assert resources[0].headers["X-Plex-Token"] == ACCOUNT_TOKEN
    assert all(ACCOUNT_TOKEN not in str(r.query) for r in plex_tv.requests)
    assert ACCOUNT_TOKEN not in str(result["result"].data)
    assert ACCOUNT_TOKEN not in caplog.text
    assert TOKEN not in caplog.text
    assert ACCOUNT_TOKEN not in repr(SignInOutcome(account_token=ACCOUNT_TOKEN))
    # Nothing checks the PIN any more.
    checks = len(plex_tv.requests)
    await _poll(hass, 3)
    assert len(plex_tv.requests) == checks


async def test_closing_the_window_still_finishes(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    # Home Assistant knows no address of its own: the page has nowhere to
    # send the window back to, and the person closes it by hand.
    with patch(
        "custom_components.butler.sign_in.get_url", side_effect=NoURLAvailableError
    ):
        result = await _open_sign_in(hass)
    assert "forwardUrl" not in _page_params(result["url"])
    await _poll(hass)
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == (
        "sign_in"
    )
    plex_tv.authorize()
    await _poll(hass)
    # An API client naming a server before any was offered is not obeyed:
    # the account's servers are listed as usual.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": "not-offered"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == simulator.token


async def test_the_frontend_names_the_address_to_come_back_to(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    plex_tv: PlexTvSimulator,
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    answer = await client.post(
        "/api/config/config_entries/flow",
        json={"handler": DOMAIN},
        headers={"HA-Frontend-Base": "https://home.example:8123"},
    )
    flow = await answer.json()
    answer = await client.post(
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        json={"next_step_id": "sign_in"},
        headers={"HA-Frontend-Base": "https://home.example:8123"},
    )
    flow = await answer.json()
    assert flow["type"] == "external"
    assert _page_params(flow["url"])["forwardUrl"] == (
        f"https://home.example:8123{CALLBACK_PATH}?flow_id={flow['flow_id']}"
    )
    assert ACCOUNT_TOKEN not in str(flow)
    hass.config_entries.flow.async_abort(flow["flow_id"])


async def test_the_pin_expires(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    result = await _open_sign_in(hass)
    plex_tv.expire_pins()
    await _poll(hass)
    result = await _continue(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pin_expired"


async def test_waiting_ends_when_the_pin_lifetime_is_over(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    """Even if plex.tv kept answering, nobody waits past the PIN's lifetime."""
    plex_tv.pin_lifetime = 5
    result = await _open_sign_in(hass)
    await _poll(hass, 2)
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == (
        "sign_in"
    )
    await _poll(hass)
    result = await _continue(hass, result["flow_id"])
    assert result["reason"] == "pin_expired"


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [("down", "plextv_unreachable"), ("garbage", "plextv_invalid")],
)
async def test_no_pin_from_plex_tv(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
    breakage: str,
    reason: str,
) -> None:
    if breakage == "down":
        await plex_tv.stop()
    else:
        plex_tv.garbage = True
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sign_in"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_plex_tv_failing_while_waiting(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await _open_sign_in(hass)
    plex_tv.server_error = True
    # One or two failures are forgiven: plex.tv has bad seconds.
    await _poll(hass, 2)
    plex_tv.server_error = False
    await _poll(hass)
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == (
        "sign_in"
    )
    plex_tv.server_error = True
    await _poll(hass, 3)
    result = await _continue(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plextv_unreachable"
    assert not butler_records(caplog)


async def test_plex_tv_failing_when_listing_servers(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    result = await _open_sign_in(hass)
    plex_tv.authorize()
    await _poll(hass)
    plex_tv.server_error = True
    result = await _continue(hass, result["flow_id"])
    assert result["reason"] == "plextv_unreachable"


async def test_garbage_instead_of_servers(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    result = await _open_sign_in(hass)
    plex_tv.authorize()
    await _poll(hass)
    plex_tv.garbage = True
    result = await _continue(hass, result["flow_id"])
    assert result["reason"] == "plextv_invalid"


@pytest.mark.parametrize(
    ("owned", "reason", "placeholders"),
    [
        (False, "only_shared_servers", {"servers": "Friend's Plex, Plex Server"}),
        (None, "no_servers", None),
    ],
)
async def test_no_server_of_ones_own(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
    owned: bool | None,
    reason: str,
    placeholders: dict[str, str] | None,
) -> None:
    if owned is None:
        plex_tv.devices.clear()
    else:
        plex_tv.devices[0].owned = owned
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert result["description_placeholders"] == placeholders


async def test_several_servers_are_listed_by_name(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    plex_tv.add_server(attic_simulator)
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick_server"
    # What the dialog shows carries no token, the servers' or the account's.
    assert TOKEN not in str(result)
    assert ACCOUNT_TOKEN not in str(result)
    selector = result["data_schema"].schema["server"]
    assert [option["label"] for option in selector.config["options"]] == [
        "Attic",
        "Plex Server",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": "attic"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Attic"
    assert result["data"][CONF_PORT] == attic_simulator.port


async def test_servers_already_set_up_are_left_out(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    attic_simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    plex_tv.add_server(attic_simulator)
    result = await _sign_in_and_allow(hass, plex_tv)
    # Only Attic is new: it is added without asking.
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Attic"


async def test_every_server_already_set_up(
    hass: HomeAssistant, init_integration: MockConfigEntry, plex_tv: PlexTvSimulator
) -> None:
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "all_configured"


async def test_no_connection_answers(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    plex_tv.devices[0].connections = [
        connection("http", "127.0.0.1", 1, local=True),
        connection("https", "127.0.0.1", 2, local=False, relay=True),
    ]
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_connection"
    assert result["description_placeholders"] == {"name": "Plex Server"}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_another_server_behind_a_connection_is_skipped(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    """An address plex.tv remembers may belong to another server by now."""
    plex_tv.devices[0].connections = [
        connection("http", "127.0.0.1", simulator.port, local=False),
        connection("http", "127.0.0.1", attic_simulator.port, local=True),
    ]
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The local one is preferred, but answers as Attic.
    assert result["data"][CONF_PORT] == simulator.port
    assert result["result"].unique_id == simulator.machine_identifier


async def test_a_token_the_server_refuses(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    plex_tv.devices[0].access_token = "stale-token"
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_auth"
    assert result["description_placeholders"] == {"name": "Plex Server"}


async def test_a_server_plex_tv_gives_no_token_for(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    plex_tv.devices[0].access_token = ""
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plextv_invalid"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_reauthenticate_by_signing_in(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    simulator.token = "rotated-token"
    plex_tv.devices[0].access_token = "rotated-token"
    result = await init_integration.start_reauth_flow(hass)
    result = await _sign_in_and_allow(hass, plex_tv, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_TOKEN] == "rotated-token"
    assert init_integration.data[CONF_PORT] == simulator.port
    assert ACCOUNT_TOKEN not in str(init_integration.data)
    assert CONF_WEBHOOK_ID in init_integration.data


@pytest.mark.parametrize(
    ("change", "reason"),
    [("shared", "not_owner"), ("missing", "server_not_on_account")],
)
async def test_reauth_with_an_account_that_does_not_own_the_server(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    plex_tv: PlexTvSimulator,
    change: str,
    reason: str,
) -> None:
    if change == "shared":
        plex_tv.devices[0].owned = False
    else:
        del plex_tv.devices[0]
    result = await init_integration.start_reauth_flow(hass)
    result = await _sign_in_and_allow(hass, plex_tv, result)
    assert result["reason"] == reason
    assert init_integration.data[CONF_TOKEN] == TOKEN


async def test_reconfigure_by_signing_in_picks_a_working_connection(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    hass.config_entries.async_update_entry(
        init_integration, data={**init_integration.data, CONF_PORT: 1}
    )
    webhook_id = init_integration.data[CONF_WEBHOOK_ID]
    result = await init_integration.start_reconfigure_flow(hass)
    result = await _sign_in_and_allow(hass, plex_tv, result)
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_PORT] == simulator.port
    # The URL pasted into Plex Web keeps working.
    assert init_integration.data[CONF_WEBHOOK_ID] == webhook_id


async def test_the_callback_only_moves_a_waiting_butler_sign_in(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    plex_tv.pin_lifetime = 4  # two checks by the clock
    result = await _open_sign_in(hass)
    client = await hass_client_no_auth()
    for flow_id in ("", "not-a-flow"):
        response = await client.get(CALLBACK_PATH, params={"flow_id": flow_id})
        assert response.status == 404
        assert "No Butler for Plex sign-in is waiting" in await response.text()
    # Before the person allowed it, the callback changes nothing, however
    # often it is called: only the clock counts against the PIN's lifetime.
    for _ in range(5):
        response = await client.get(
            CALLBACK_PATH, params={"flow_id": result["flow_id"]}
        )
        assert response.status == 200
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == (
        "sign_in"
    )
    # A second sign-in uses the same callback, registered once.
    second = await _open_sign_in(hass)
    resources = {
        route.resource
        for route in hass.http.app.router.routes()
        if route.resource is not None and route.resource.canonical == CALLBACK_PATH
    }
    assert len(resources) == 1
    # A closed dialog stops the checks.
    hass.config_entries.flow.async_abort(second["flow_id"])
    hass.config_entries.flow.async_abort(result["flow_id"])
    checks = len(plex_tv.requests)
    await _poll(hass, 2)
    assert len(plex_tv.requests) == checks
    response = await client.get(CALLBACK_PATH, params={"flow_id": result["flow_id"]})
    assert response.status == 404


async def test_a_discovered_server_added_by_signing_in(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    result = await found_by_gdm(hass, simulator.machine_identifier, simulator.port)
    assert result["step_id"] == "discovery_confirm"
    plex_tv.devices[0].connections = []
    result = await _sign_in_and_allow(hass, plex_tv, result)
    # plex.tv knows no connection; the address it was found at answers.
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PORT] == simulator.port
    assert result["data"][CONF_TOKEN] == simulator.token


async def test_an_address_that_does_not_decode_is_skipped(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    """An invalid international host name beside the server's good address."""
    plex_tv.devices[0].connections = [
        {"uri": "http://xn--zz:32400", "local": True},
        {"uri": "https://xn--:32400", "local": True},
        connection("http", "127.0.0.1", simulator.port, local=False),
    ]
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PORT] == simulator.port


async def test_an_owned_server_listed_last_of_many(
    hass: HomeAssistant, simulator: PlexSimulator, plex_tv: PlexTvSimulator
) -> None:
    mine = plex_tv.devices.pop(0)
    plex_tv.devices.extend(
        SimDevice(
            name=f"Player {number}",
            client_identifier=f"player-{number}",
            owned=True,
            access_token="",
            provides="player",
        )
        for number in range(10_000)
    )
    plex_tv.devices.append(mine)
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == simulator.machine_identifier


def _probes(hass: HomeAssistant) -> list[asyncio.Task[Any]]:
    """The connection probes Home Assistant still runs."""
    return [
        task
        for task in hass._background_tasks
        if task.get_name().startswith("butler probe")
    ]


@pytest.fixture
def hanging(
    attic_simulator: PlexSimulator, monkeypatch: pytest.MonkeyPatch
) -> asyncio.Event:
    """Attic hangs every request; the event is set once one is hanging."""
    hanging = asyncio.Event()
    wait = attic_simulator.faults.wait_unless_slow

    async def _hang() -> None:
        hanging.set()
        await wait()

    monkeypatch.setattr(attic_simulator.faults, "wait_unless_slow", _hang)
    attic_simulator.faults.slow = True
    return hanging


async def test_closing_the_dialog_stops_the_probes(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
    hanging: asyncio.Event,
) -> None:
    plex_tv.devices[0].connections = [
        connection("http", "127.0.0.1", attic_simulator.port, local=True),
    ]
    result = await _open_sign_in(hass)
    plex_tv.authorize()
    await _poll(hass)
    # The frontend asks for the next step; its probe hangs.
    step = hass.async_create_task(_continue(hass, result["flow_id"]))
    async with asyncio.timeout(5):
        await hanging.wait()
    probes = _probes(hass)
    assert len(probes) == 1
    hass.config_entries.flow.async_abort(result["flow_id"])
    # Stopped at once, not when the probe's timeout runs out.
    assert all(probe.cancelling() for probe in probes)
    result = await step
    assert result["type"] is FlowResultType.ABORT
    assert all(probe.cancelled() for probe in probes)
    assert not _probes(hass)
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_a_probe_that_answered_stops_the_slower_ones(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
    hanging: asyncio.Event,
) -> None:
    plex_tv.devices[0].connections = [
        connection("http", "127.0.0.1", simulator.port, local=True),
        connection("http", "127.0.0.1", attic_simulator.port, local=False),
    ]
    result = await _sign_in_and_allow(hass, plex_tv)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PORT] == simulator.port
    # The worse connection was asked too, and is not asked any more.
    assert hanging.is_set()
    assert not _probes(hass)


async def test_a_discovered_address_another_server_answers_is_not_used(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    """GDM names this server at Attic's address; signing in must not store Attic under its id."""
    result = await found_by_gdm(
        hass, simulator.machine_identifier, attic_simulator.port
    )
    plex_tv.devices[0].connections = []
    result = await _sign_in_and_allow(hass, plex_tv, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_connection"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_a_discovered_server_reached_where_plex_tv_knows_it(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    attic_simulator: PlexSimulator,
    plex_tv: PlexTvSimulator,
) -> None:
    """Attic answers where this server was announced; plex.tv's connection reaches it."""
    result = await found_by_gdm(
        hass, simulator.machine_identifier, attic_simulator.port
    )
    result = await _sign_in_and_allow(hass, plex_tv, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == simulator.machine_identifier
    assert result["data"][CONF_PORT] == simulator.port
