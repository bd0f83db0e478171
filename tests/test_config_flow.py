"""The config flow: adding a server, each way it can fail, reauth and reconfigure."""

from __future__ import annotations

from ipaddress import ip_address
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from custom_components.butler.plex import PlexResponseError
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from plexsim import PlexSimulator

from .conftest import SHARED_TOKEN, TOKEN, bring_up, set_fault, take_down


async def _start_user_flow(hass: HomeAssistant) -> str:
    """Add integration, then "Enter address and token" in the menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    # Signing in comes first.
    assert result["menu_options"] == ["sign_in", "manual"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    assert result["errors"] == {}
    return result["flow_id"]


async def _choose(hass: HomeAssistant, result: Any, option: str) -> Any:
    """Pick an option of a menu step."""
    assert result["type"] is FlowResultType.MENU, result
    assert option in result["menu_options"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": option}
    )


async def test_user_flow_creates_entry(
    hass: HomeAssistant, simulator: PlexSimulator, entry_data: dict[str, Any]
) -> None:
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, entry_data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == simulator.friendly_name
    # The webhook's id is made with the entry, before anything loads it.
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert len(webhook_id) == 64
    assert result["data"] == {**entry_data, CONF_WEBHOOK_ID: webhook_id}
    assert result["result"].unique_id == simulator.machine_identifier
    assert result["result"].minor_version == 2
    await hass.async_block_till_done()
    assert result["result"].data[CONF_WEBHOOK_ID] == webhook_id
    assert hass.states.get("binary_sensor.plex_server_butler_running") is not None


async def test_form_defaults(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await _choose(hass, result, "manual")
    schema = result["data_schema"].schema
    defaults = {str(key): key.default() for key in schema if callable(key.default)}
    assert defaults == {"port": 32400, "ssl": False, "verify_ssl": True}


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("wrong_token", "invalid_auth"),
        ("shared_token", "not_admin"),
        ("bad_host", "invalid_host"),
        ("down", "cannot_connect"),
        ("html", "not_plex"),
        ("server_error", "cannot_connect"),
        ("unreadable_tasks", "unexpected_response"),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    entry_data: dict[str, Any],
    breakage: str,
    error: str,
) -> None:
    data = dict(entry_data)
    unreadable = patch(
        "custom_components.butler.plex.PlexClient.async_get_tasks",
        side_effect=PlexResponseError("GET /butler: malformed XML"),
    )
    if breakage == "wrong_token":
        data[CONF_TOKEN] = "wrong-token"
    elif breakage == "shared_token":
        data[CONF_TOKEN] = SHARED_TOKEN
    elif breakage == "bad_host":
        data[CONF_HOST] = "http://127.0.0.1"
    elif breakage == "down":
        await take_down(simulator)
    elif breakage in ("html", "server_error"):
        set_fault(simulator, breakage)

    flow_id = await _start_user_flow(hass)
    if breakage == "unreadable_tasks":
        with unreadable:
            result = await hass.config_entries.flow.async_configure(flow_id, data)
    else:
        result = await hass.config_entries.flow.async_configure(flow_id, data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    if breakage == "down":
        await bring_up(simulator)
    elif breakage in ("html", "server_error"):
        set_fault(simulator, breakage, on=False)
    result = await hass.config_entries.flow.async_configure(flow_id, entry_data)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_server_twice_aborts(
    hass: HomeAssistant, init_integration: MockConfigEntry, entry_data: dict[str, Any]
) -> None:
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, entry_data)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.token = "rotated-token"
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["menu_options"] == ["sign_in", "reauth_token"]
    result = await _choose(hass, result, "reauth_token")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "rotated-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_TOKEN] == "rotated-token"


async def test_reauth_against_another_server_aborts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    other = PlexSimulator(token="other", machine_identifier="another-machine")
    await other.start(host="127.0.0.1", port=0)
    try:
        hass.config_entries.async_update_entry(
            init_integration, data={**init_integration.data, CONF_PORT: other.port}
        )
        result = await init_integration.start_reauth_flow(hass)
        result = await _choose(hass, result, "reauth_token")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TOKEN: "other"}
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"
    assert init_integration.data[CONF_TOKEN] == TOKEN


async def test_reconfigure(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    entry_data: dict[str, Any],
) -> None:
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert result["menu_options"] == ["sign_in", "reconfigure_address"]
    result = await _choose(hass, result, "reconfigure_address")
    new_address = {k: v for k, v in entry_data.items() if k != CONF_TOKEN}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**new_address, CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_VERIFY_SSL] is False
    assert init_integration.data[CONF_TOKEN] == TOKEN


async def test_reconfigure_errors(
    hass: HomeAssistant, init_integration: MockConfigEntry, entry_data: dict[str, Any]
) -> None:
    other = PlexSimulator(token=TOKEN, machine_identifier="another-machine")
    await other.start(host="127.0.0.1", port=0)
    new_address = {k: v for k, v in entry_data.items() if k != CONF_TOKEN}
    try:
        result = await init_integration.start_reconfigure_flow(hass)
        result = await _choose(hass, result, "reconfigure_address")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**new_address, CONF_HOST: "http://nope"}
        )
        assert result["errors"] == {"base": "invalid_host"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**new_address, CONF_PORT: other.port}
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"


def _discovery(port: int) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        hostname="plex.local.",
        name="Plex Server._plexmediasvr._tcp.local.",
        port=port,
        type="_plexmediasvr._tcp.local.",
        properties={},
    )


async def test_discovered_server_needs_only_a_token(
    hass: HomeAssistant, simulator: PlexSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovery(simulator.port)
    )
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"]["host"] == "127.0.0.1"
    assert result["menu_options"] == ["sign_in", "discovery_token"]
    result = await _choose(hass, result, "discovery_token")
    assert result["step_id"] == "discovery_token"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Plex Server"
    assert result["result"].unique_id == simulator.machine_identifier
    assert result["data"][CONF_PORT] == simulator.port
    assert result["data"][CONF_TOKEN] == TOKEN


async def test_a_discovered_address_that_changed_hands(
    hass: HomeAssistant, simulator: PlexSimulator
) -> None:
    """Zeroconf found this server; another now listens at its address when the token comes."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovery(simulator.port)
    )
    result = await _choose(hass, result, "discovery_token")
    await take_down(simulator)
    newcomer = PlexSimulator(token=TOKEN, machine_identifier="newcomer")
    await newcomer.start(host="127.0.0.1", port=simulator.port)
    try:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TOKEN: TOKEN}
        )
    finally:
        await newcomer.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "another_server_answers"
    assert result["description_placeholders"] == {
        "host": "127.0.0.1",
        "name": "Plex Server",
    }
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_discovery_updates_a_moved_server(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    moved = PlexSimulator(token=TOKEN, machine_identifier=simulator.machine_identifier)
    await moved.start(host="127.0.0.1", port=0)
    # Gone from its old address: the entry no longer reaches it.
    await take_down(simulator)
    await init_integration.runtime_data.async_refresh()
    try:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovery(moved.port)
        )
        await hass.async_block_till_done()
    finally:
        await moved.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert init_integration.data[CONF_PORT] == moved.port
    assert init_integration.data[CONF_TOKEN] == TOKEN


@pytest.mark.parametrize(
    ("fault", "reason"), [("down", "cannot_connect"), ("html", "not_plex")]
)
async def test_discovery_of_something_else_aborts(
    hass: HomeAssistant, simulator: PlexSimulator, fault: str, reason: str
) -> None:
    if fault == "down":
        await take_down(simulator)
    else:
        set_fault(simulator, fault)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovery(simulator.port)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_adding_by_hand_while_discovered(
    hass: HomeAssistant, simulator: PlexSimulator, entry_data: dict[str, Any]
) -> None:
    discovered = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovery(simulator.port)
    )
    assert discovered["type"] is FlowResultType.MENU
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, entry_data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The card under "Discovered" goes away with the server set up.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.parametrize(
    "method", ["async_get_identity", "async_get_server_info", "async_get_tasks"]
)
async def test_unexpected_error_shows_unknown(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    entry_data: dict[str, Any],
    method: str,
) -> None:
    flow_id = await _start_user_flow(hass)
    with patch(
        f"custom_components.butler.plex.PlexClient.{method}",
        side_effect=RuntimeError("surprise"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, entry_data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(flow_id, entry_data)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_discovery_with_an_unusable_address_aborts(
    hass: HomeAssistant, simulator: PlexSimulator
) -> None:
    with patch(
        "custom_components.butler.connection.async_create_client",
        side_effect=ValueError("Host is not valid"),
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovery(simulator.port)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_plex"


def _flow_title_placeholders() -> set[str]:
    strings = json.loads(
        (
            Path(__file__).parents[1] / "custom_components/butler/strings.json"
        ).read_text()
    )
    return set(re.findall(r"{(\w+)}", strings["config"]["flow_title"]))


async def test_every_flow_card_has_a_complete_title(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    needed = _flow_title_placeholders()
    assert needed
    simulator.token = "rotated-token"
    init_integration.async_start_reauth(hass)
    await hass.async_block_till_done()
    other = PlexSimulator(token=TOKEN, machine_identifier="other-server")
    await other.start(host="127.0.0.1", port=0)
    try:
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovery(other.port)
        )
    finally:
        await other.stop()
    await init_integration.start_reconfigure_flow(hass)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert {flow["context"]["source"] for flow in flows} == {
        "reauth",
        "zeroconf",
        "reconfigure",
    }
    for flow in flows:
        assert needed <= set(flow["context"].get("title_placeholders", {})), flow
