"""Plex's webhooks through Home Assistant: the database backed up, or found corrupt.

Posts go to Home Assistant's real HTTP server (its test client listens on
127.0.0.1), as Plex's would; the simulator posts there too, after a backup
run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from http import HTTPStatus
import json
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.butler.const import DATABASE_REPAIR_URL, DOMAIN
from homeassistant.components.webhook import async_generate_path
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID, STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from plexsim import PlexSimulator
from plexsim.webhooks import DATABASE_BACKED_UP, DATABASE_CORRUPTED, WebhookSender

from .conftest import TOKEN, butler_records, confirm_repair

LAST_BACKUP = "sensor.plex_server_last_database_backup"
DATABASE = "binary_sensor.plex_server_database"
EVENTS = "event.plex_server_butler_events"
ACCOUNT = "demo@example.com"
# The simulator's machine identifier, which the entry's unique id is.
SERVER = PlexSimulator(token=TOKEN).machine_identifier


@pytest.fixture
async def post(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> Any:
    """Post to the entry's webhook over HTTP, as a Plex server does."""
    client = await hass_client_no_auth()
    path = async_generate_path(init_integration.data[CONF_WEBHOOK_ID])

    async def _post(method: str = "POST", **kwargs: Any) -> aiohttp.ClientResponse:
        response = await client.request(method, path, **kwargs)
        await hass.async_block_till_done()
        return response

    return _post


@pytest.fixture
def report(post: Any) -> Any:
    """Post one of Plex's events about this entry's server."""

    async def _report(event: str) -> aiohttp.ClientResponse:
        response: aiohttp.ClientResponse = await post(data=_plex_form(event, SERVER))
        return response

    return _report


def _plex_form(
    event: str, server_uuid: str, *, thumb: bytes | None = None
) -> aiohttp.FormData:
    """Plex's multipart shape: the `payload` JSON, sometimes a `thumb` image."""
    payload = WebhookSender("Plex Server", server_uuid).payload(event)
    form = aiohttp.FormData()
    form.add_field("payload", json.dumps(payload), content_type="application/json")
    if thumb is not None:
        form.add_field("thumb", thumb, filename="thumb.jpg", content_type="image/jpeg")
    return form


def _nothing_changed(hass: HomeAssistant) -> None:
    assert hass.states.get(LAST_BACKUP).state == STATE_UNKNOWN
    assert hass.states.get(DATABASE).state == STATE_OFF
    assert hass.states.get(EVENTS).state == STATE_UNKNOWN
    assert not ir.async_get(hass).issues


async def test_a_backup_sets_the_sensor_and_fires_the_event(
    hass: HomeAssistant,
    report: Any,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to("2026-11-30T03:12:45+00:00")
    _nothing_changed(hass)
    response = await report(DATABASE_BACKED_UP)
    assert response.status == HTTPStatus.OK
    assert hass.states.get(LAST_BACKUP).state == "2026-11-30T03:12:45+00:00"
    events = hass.states.get(EVENTS)
    assert events.attributes["event_type"] == "database_backed_up"
    assert hass.states.get(DATABASE).state == STATE_OFF


async def test_corruption_turns_the_problem_on_and_raises_a_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    report: Any,
) -> None:
    await report(DATABASE_CORRUPTED)
    assert hass.states.get(DATABASE).state == STATE_ON
    assert hass.states.get(EVENTS).attributes["event_type"] == "database_corrupted"
    (issue,) = ir.async_get(hass).issues.values()
    assert issue.domain == DOMAIN
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.is_fixable
    assert issue.is_persistent
    assert issue.learn_more_url == DATABASE_REPAIR_URL
    assert issue.translation_placeholders == {
        "server": "Plex Server",
        "url": DATABASE_REPAIR_URL,
    }
    # The next successful backup closes it.
    await report(DATABASE_BACKED_UP)
    assert hass.states.get(DATABASE).state == STATE_OFF
    assert not ir.async_get(hass).issues


async def test_the_owner_confirms_the_repair(
    hass: HomeAssistant,
    repairs: None,
    report: Any,
    hass_client: ClientSessionGenerator,
) -> None:
    await report(DATABASE_CORRUPTED)
    (issue_id,) = (issue.issue_id for issue in ir.async_get(hass).issues.values())
    flow = await confirm_repair(hass, hass_client, issue_id)
    assert flow["description_placeholders"]["server"] == "Plex Server"
    assert not ir.async_get(hass).issues
    assert hass.states.get(DATABASE).state == STATE_OFF
    # Nothing was backed up meanwhile.
    assert hass.states.get(LAST_BACKUP).state == STATE_UNKNOWN


def _chunked(body: bytes) -> Any:
    """A body sent in chunks, with no Content-Length to check beforehand."""

    async def _body() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    return _body()


# A good payload for this server, made too large to be Plex's.
_TOO_LARGE_JSON = json.dumps(
    WebhookSender("Plex Server", SERVER).payload(DATABASE_CORRUPTED)
).encode() + b" " * (1 << 20)


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        pytest.param(
            "POST",
            {"data": _plex_form(DATABASE_BACKED_UP, "another-server")},
            id="another server",
        ),
        pytest.param(
            "POST",
            {"json": {"event": DATABASE_BACKED_UP, "Account": {"title": ACCOUNT}}},
            id="no server",
        ),
        pytest.param(
            "POST",
            {
                "data": b"--xyz\r\nthis is not\r\n\x00\xff multipart",
                "headers": {"Content-Type": "multipart/form-data; boundary=xyz"},
            },
            id="garbage multipart",
        ),
        pytest.param(
            "POST",
            {
                "data": b"garbage",
                "headers": {"Content-Type": "multipart/form-data"},
            },
            id="multipart without boundary",
        ),
        pytest.param(
            "POST",
            {
                "data": aiohttp.FormData(
                    {"payload": "{not json"}, default_to_multipart=True
                )
            },
            id="payload not JSON",
        ),
        pytest.param(
            "POST",
            {"json": {"Server": {"uuid": SERVER}, "Account": {"title": ACCOUNT}}},
            id="no event",
        ),
        pytest.param("POST", {"json": ["a", "list"]}, id="JSON not an object"),
        pytest.param(
            "POST",
            {"data": aiohttp.FormData({"other": "field"}, default_to_multipart=True)},
            id="no payload field",
        ),
        pytest.param(
            "POST",
            {"data": f"payload={ACCOUNT}", "headers": {"Content-Type": "text/plain"}},
            id="not multipart",
        ),
        pytest.param(
            "POST",
            {"data": _plex_form(DATABASE_CORRUPTED, SERVER, thumb=b"\xff" * (1 << 20))},
            id="larger than 1 MiB",
        ),
        pytest.param(
            "POST",
            {
                "data": _chunked(_TOO_LARGE_JSON),
                "headers": {"Content-Type": "application/json"},
            },
            id="larger than 1 MiB, chunked JSON",
        ),
        pytest.param("GET", {}, id="GET"),
        pytest.param("PUT", {"json": {}}, id="PUT"),
    ],
)
async def test_what_plex_does_not_send_changes_nothing(
    hass: HomeAssistant,
    post: Any,
    caplog: pytest.LogCaptureFixture,
    method: str,
    kwargs: dict[str, Any],
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.butler")
    response = await post(method, **kwargs)
    assert response.status in (HTTPStatus.OK, HTTPStatus.METHOD_NOT_ALLOWED)
    _nothing_changed(hass)
    assert ACCOUNT not in caplog.text
    assert not butler_records(caplog)


async def test_a_large_thumbnail_or_a_json_body_is_fine(
    hass: HomeAssistant, post: Any
) -> None:
    await post(data=_plex_form(DATABASE_CORRUPTED, SERVER, thumb=b"\xff" * 400_000))
    assert hass.states.get(DATABASE).state == STATE_ON
    payload = WebhookSender("Plex Server", SERVER).payload(DATABASE_BACKED_UP)
    await post(json=payload)
    assert hass.states.get(DATABASE).state == STATE_OFF
    assert hass.states.get(LAST_BACKUP).state != STATE_UNKNOWN


async def test_other_events_are_ignored(
    hass: HomeAssistant,
    report: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.butler")
    response = await report("media.play")
    assert response.status == HTTPStatus.OK
    _nothing_changed(hass)
    assert "'media.play' not used" in caplog.text
    assert ACCOUNT not in caplog.text


async def test_unloading_removes_the_webhook(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    report: Any,
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    await report(DATABASE_CORRUPTED)
    assert not ir.async_get(hass).issues
    # Back again, the same URL works: the id is kept in the entry.
    webhook_id = init_integration.data[CONF_WEBHOOK_ID]
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.data[CONF_WEBHOOK_ID] == webhook_id
    await report(DATABASE_CORRUPTED)
    assert hass.states.get(DATABASE).state == STATE_ON


async def test_deleting_the_server_closes_its_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    report: Any,
) -> None:
    await report(DATABASE_CORRUPTED)
    assert ir.async_get(hass).issues
    await hass.config_entries.async_remove(init_integration.entry_id)
    assert not ir.async_get(hass).issues


async def test_the_last_backup_survives_a_restart(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_restore_cache_with_extra_data(
        hass,
        (
            (
                State(LAST_BACKUP, "2026-11-29T03:12:45+00:00"),
                {
                    "native_value": {
                        "__type": "<class 'datetime.datetime'>",
                        "isoformat": "2026-11-29T03:12:45+00:00",
                    },
                    "native_unit_of_measurement": None,
                },
            ),
        ),
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(LAST_BACKUP).state == "2026-11-29T03:12:45+00:00"


async def test_a_corrupt_database_stays_a_problem_after_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    report: Any,
) -> None:
    await report(DATABASE_CORRUPTED)
    # The issue is stored with its data; the sensor reads it back.
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(DATABASE).state == STATE_ON


async def test_an_entry_from_before_webhooks_gets_an_id_and_keeps_its_data(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Entries at 1.1 are migrated to 1.2, which has a webhook id."""
    before = dict(mock_config_entry.data)
    assert CONF_WEBHOOK_ID not in before
    assert (mock_config_entry.version, mock_config_entry.minor_version) == (1, 1)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert (mock_config_entry.version, mock_config_entry.minor_version) == (1, 2)
    webhook_id = mock_config_entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) == 64
    assert {
        k: v for k, v in mock_config_entry.data.items() if k != CONF_WEBHOOK_ID
    } == before
    assert mock_config_entry.unique_id == SERVER


async def test_an_id_made_at_setup_before_the_migration_is_kept(
    hass: HomeAssistant, simulator: PlexSimulator, entry_data: dict[str, Any]
) -> None:
    """Entries set up by earlier versions made their id at setup: the URL in Plex Web stays."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=SERVER,
        data={**entry_data, CONF_WEBHOOK_ID: "pasted-into-plex-web"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.minor_version == 2
    assert entry.data == {**entry_data, CONF_WEBHOOK_ID: "pasted-into-plex-web"}


@pytest.mark.parametrize(
    ("version", "minor_version", "state"),
    [
        # A later release may add to the entry; this one still reads it.
        (1, 3, ConfigEntryState.LOADED),
        # A later major version means data this release cannot read.
        (2, 1, ConfigEntryState.MIGRATION_ERROR),
    ],
)
async def test_an_entry_from_a_later_release(
    hass: HomeAssistant,
    simulator: PlexSimulator,
    entry_data: dict[str, Any],
    version: int,
    minor_version: int,
    state: ConfigEntryState,
) -> None:
    data = {**entry_data, CONF_WEBHOOK_ID: "from-a-later-release"}
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=SERVER,
        data=data,
        version=version,
        minor_version=minor_version,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is state
    assert (entry.version, entry.minor_version) == (version, minor_version)
    assert entry.data == data


async def test_the_simulator_posts_after_a_backup_run(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """End to end: the simulated Plex posts to Home Assistant over loopback."""
    client = await hass_client_no_auth()
    url = str(
        client.make_url(async_generate_path(init_integration.data[CONF_WEBHOOK_ID]))
    )
    async with aiohttp.ClientSession(
        f"http://127.0.0.1:{simulator.port}", headers={"X-Plex-Token": TOKEN}
    ) as plex:
        async with plex.post("/_sim/webhooks", json={"url": url}) as added:
            assert added.status == HTTPStatus.OK
        # A stopped backup is no backup: nothing is posted.
        simulator.start_task("BackupDatabase")
        simulator.stop_task("BackupDatabase")
        await simulator.webhooks.wait()
        assert not simulator.webhooks.deliveries
        simulator.start_task("BackupDatabase")
        async with plex.post("/_sim/butler/finish") as finished:
            assert finished.status == HTTPStatus.OK
        await hass.async_block_till_done()
        assert hass.states.get(LAST_BACKUP).state != STATE_UNKNOWN
        assert hass.states.get(EVENTS).attributes["event_type"] == "database_backed_up"
        async with plex.post("/_sim/database/corrupted") as corrupted:
            assert await corrupted.json() == {"delivered": [200]}
        await hass.async_block_till_done()
    assert hass.states.get(DATABASE).state == STATE_ON
    assert [d.event for d in simulator.webhooks.deliveries] == [
        DATABASE_BACKED_UP,
        DATABASE_CORRUPTED,
    ]


async def test_the_options_show_where_to_post(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = async_generate_path(init_integration.data[CONF_WEBHOOK_ID])
    data = dict(init_integration.data)
    # Home Assistant's address on the network it found by itself.
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert _shown(result) == {"local_url": f"http://10.10.10.10:8123{path}"}
    # Listening on loopback only, with no address set, it says where to set one.
    assert hass.config.api is not None
    monkeypatch.setattr(hass.config.api, "local_ip", "127.0.0.1")
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_url"
    await async_process_ha_core_config(
        hass, {"external_url": "https://home.example.com"}
    )
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert _shown(result) == {"external_url": f"https://home.example.com{path}"}
    await async_process_ha_core_config(
        hass, {"internal_url": "http://192.168.1.10:8123"}
    )
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert _shown(result) == {
        "local_url": f"http://192.168.1.10:8123{path}",
        "external_url": f"https://home.example.com{path}",
    }
    # Nothing to set, nothing saved: the dialog only has Close.
    assert init_integration.data == data
    assert init_integration.options == {}
    assert not hass.config_entries.options.async_progress()
    assert init_integration.state is ConfigEntryState.LOADED


async def test_the_options_of_an_entry_not_loaded_since_the_update(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A 1.1 entry gets its webhook id when it loads; until then there is no address."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "webhook_not_ready"


def _shown(result: Any) -> dict[str, str]:
    """The addresses in the message, by placeholder; the message is an abort with only Close."""
    assert result["type"] is FlowResultType.ABORT, result
    placeholders = dict(result["description_placeholders"])
    assert placeholders.pop("name") == "Plex Server"
    # The text names the addresses there are.
    kinds = "urls" if len(placeholders) > 1 else next(iter(placeholders))
    assert result["reason"] == f"webhook_{kinds}"
    return placeholders
