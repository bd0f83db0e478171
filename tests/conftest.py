"""Shared fixtures: a simulated Plex server on 127.0.0.1 and a config entry for it.

The test plugin ships its own ``custom_components`` package; importing ours
here, before Home Assistant looks, makes the loader find ``butler``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import logging
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from syrupy.assertion import SnapshotAssertion

import custom_components.butler
from custom_components.butler import discovery
from custom_components.butler.const import DOMAIN
from custom_components.butler.coordinator import ButlerCoordinator
from custom_components.butler.plex import Activity
from custom_components.butler.words import LANGUAGES
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
    Platform,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from plexsim import PlexSimulator

TOKEN = "sEcReT-tOkEn-1234"
SHARED_TOKEN = "shared-user-token-5678"


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's extension, which masks ids and times.

    The plugin defines the same fixture, but syrupy's own can win by plugin
    order; a conftest fixture always wins.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    """Let Home Assistant load integrations from custom_components.

    A real Home Assistant always runs its core integration, which Assist
    (set up by the tests about voice) needs; a test's does not unless asked.
    """
    assert await async_setup_component(hass, "homeassistant", {})


@pytest.fixture(autouse=True)
def gdm_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point GDM searches at a loopback port where nothing answers.

    A test must not search the real network; tests/test_gdm.py points them
    at a simulated responder instead.
    """
    monkeypatch.setattr(discovery, "GDM_ADDRESS", ("127.0.0.1", 9))


@pytest.fixture
def push() -> bool:
    """Whether the server offers its notification socket.

    Off unless a test module turns it on: then the integration polls, as it
    does for a server without the socket, and a test drives it by the clock.
    tests/test_push.py turns it on.
    """
    return False


@pytest.fixture
async def simulator(socket_enabled: None, push: bool) -> AsyncIterator[PlexSimulator]:
    """A Plex server with the real 1.43.2 task list, listening on 127.0.0.1.

    The test plugin blocks sockets; `socket_enabled` lets this one listen,
    while connections stay limited to 127.0.0.1.
    """
    sim = PlexSimulator(
        token=TOKEN,
        shared_token=SHARED_TOKEN,
        friendly_name="Plex Server",
        task_duration=600,
    )
    sim.faults.refuse_socket = not push
    await sim.start(host="127.0.0.1", port=0)
    yield sim
    await sim.stop()


@pytest.fixture
def entry_data(simulator: PlexSimulator) -> dict[str, Any]:
    """What the config flow stores for the simulated server."""
    return {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: simulator.port,
        CONF_SSL: False,
        CONF_VERIFY_SSL: True,
        CONF_TOKEN: TOKEN,
    }


@pytest.fixture
def mock_config_entry(
    simulator: PlexSimulator, entry_data: dict[str, Any]
) -> MockConfigEntry:
    """A config entry for the simulated server, not yet added."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=simulator.friendly_name,
        unique_id=simulator.machine_identifier,
        data=entry_data,
    )


@pytest.fixture
def platforms() -> list[Platform] | None:
    """Load every platform unless a test module narrows it."""
    return None


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    platforms: list[Platform] | None,
) -> MockConfigEntry:
    """Set up the integration for the simulated server."""
    mock_config_entry.add_to_hass(hass)
    if platforms is None:
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    else:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(custom_components.butler, "PLATFORMS", platforms)
            assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def remember(
    hass_storage: dict[str, Any], mock_config_entry: MockConfigEntry
) -> Callable[..., None]:
    """Put what a server's memory holds on disk before the entry sets up."""

    def _remember(
        data: Any,
        *,
        entry: MockConfigEntry = mock_config_entry,
        version: int = 1,
        minor_version: int = 1,
    ) -> None:
        key = f"{DOMAIN}.{entry.entry_id}"
        hass_storage[key] = {
            "version": version,
            "minor_version": minor_version,
            "key": key,
            "data": data,
        }

    return _remember


@pytest.fixture
def writes(hass_storage: dict[str, Any]) -> Iterator[list[str]]:
    """The keys of the stores written, one per write, in order."""
    keys: list[str] = []
    write = Store._async_write_data

    async def _counted(store: Store[Any], data: dict[str, Any]) -> None:
        keys.append(store.key)
        await write(store, data)

    with patch.object(Store, "_async_write_data", _counted):
        yield keys


@pytest.fixture
async def repairs(hass: HomeAssistant) -> None:
    """Repairs, set up before Home Assistant's HTTP server starts to serve."""
    assert await async_setup_component(hass, "repairs", {})


async def fix_repair(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, issue_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open a repair's confirm step in Settings → Repairs and submit it: the form and the outcome."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow: dict[str, Any] = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}")
    outcome: dict[str, Any] = await response.json()
    await hass.async_block_till_done()
    return flow, outcome


async def confirm_repair(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, issue_id: str
) -> dict[str, Any]:
    """Confirm a repair as the owner does in Settings → Repairs; the form they saw."""
    flow, outcome = await fix_repair(hass, hass_client, issue_id)
    assert outcome["type"] == FlowResultType.CREATE_ENTRY
    return flow


async def take_down(simulator: PlexSimulator) -> None:
    """Make the server refuse connections."""
    await simulator.go_down()


async def bring_up(simulator: PlexSimulator) -> None:
    """Let the server answer again, on the same port."""
    await simulator.go_up()


def set_fault(simulator: PlexSimulator, fault: str, on: bool = True) -> None:
    """Switch one of the simulator's fault modes: server_error, html, malformed, slow."""
    setattr(simulator.faults, fault, on)


def butler_records(
    caplog: pytest.LogCaptureFixture, level: int = logging.WARNING
) -> list[logging.LogRecord]:
    """What the integration logged at `level` or above."""
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.butler")
        and record.levelno >= level
    ]


def register_named(
    entity_registry: er.EntityRegistry,
    entry: MockConfigEntry,
    entity_id: str,
    key: str,
    name: str,
) -> None:
    """Put an entity of the entry's server in the registry as an earlier run left it, renamed."""
    domain, object_id = entity_id.split(".")
    entity_registry.async_get_or_create(
        domain,
        DOMAIN,
        f"{entry.unique_id}_{key}",
        config_entry=entry,
        suggested_object_id=object_id,
    )
    entity_registry.async_update_entity(entity_id, name=name)


# Background tasks that wait on the clock or the network for long:
# the socket listener (as long as the entry is loaded) and a GDM search
# (listening for answers for seconds).
LONG_RUNNING = frozenset({"butler notifications", "butler GDM search"})


async def settle(hass: HomeAssistant) -> None:
    """Wait for Home Assistant and every background task but the long-running ones.

    Home Assistant's own `wait_background_tasks` would wait for those;
    polls, however, run as background tasks too and are waited for here.
    """
    while True:
        await hass.async_block_till_done()
        pending = [
            task
            for task in hass._background_tasks
            if not task.done() and task.get_name() not in LONG_RUNNING
        ]
        if not pending:
            return
        await asyncio.wait(pending)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Every entity enabled, also those that start disabled, for snapshots of all."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@dataclass
class SecondServer:
    """Another simulated Plex server, set up beside the first."""

    simulator: PlexSimulator
    entry: MockConfigEntry


@pytest.fixture
async def attic_simulator(
    socket_enabled: None, push: bool
) -> AsyncIterator[PlexSimulator]:
    """A second server of the same owner, "Attic", on its own port; not set up."""
    sim = PlexSimulator(token=TOKEN, machine_identifier="attic", friendly_name="Attic")
    sim.faults.refuse_socket = not push
    await sim.start(host="127.0.0.1", port=0)
    yield sim
    await sim.stop()


@pytest.fixture
async def attic(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entry_data: dict[str, Any],
    attic_simulator: PlexSimulator,
) -> AsyncIterator[SecondServer]:
    """Attic, set up after the first server."""
    sim = attic_simulator
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Attic",
        unique_id="attic",
        data={**entry_data, CONF_PORT: sim.port},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield SecondServer(sim, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def found_by_gdm(
    hass: HomeAssistant,
    machine_identifier: str,
    port: int,
    name: str = "Plex Server",
    host: str = "127.0.0.1",
) -> Any:
    """What a GDM answer from host:port hands the config flow."""
    return await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": "integration_discovery"},
        data={
            "machine_identifier": machine_identifier,
            "name": name,
            CONF_HOST: host,
            CONF_PORT: port,
        },
    )


class LoopLag:
    """How late the event loop runs a callback, worst case, while it is watched.

    A callback asks to run every `every` seconds; how much later than asked
    it runs is the time the loop was busy with something else.
    """

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + self.every
            await asyncio.sleep(self.every)
            self.worst = max(self.worst, loop.time() - asked)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def wait_for_state(
    hass: HomeAssistant,
    entity_id: str,
    wanted: Callable[[str], bool],
    within: float = 1,
) -> float:
    """Wait (`within` seconds at most) for the entity's state; returns the loop time it became so."""
    reached = asyncio.get_running_loop().create_future()

    @callback
    def _check(_: Event[EventStateChangedData] | None = None) -> None:
        state = hass.states.get(entity_id)
        if state is not None and wanted(state.state) and not reached.done():
            reached.set_result(asyncio.get_running_loop().time())

    unsubscribe = async_track_state_change_event(hass, entity_id, _check)
    _check()
    try:
        async with asyncio.timeout(within):
            return await reached
    finally:
        unsubscribe()


async def wait_for_coordinator(
    coordinator: ButlerCoordinator, wanted: Callable[[], bool], within: float = 1
) -> None:
    """Wait (`within` seconds at most) until `wanted` is true now or after a coordinator update."""
    reached = asyncio.Event()

    @callback
    def _check() -> None:
        if wanted():
            reached.set()

    unsubscribe = coordinator.async_add_listener(_check)
    _check()
    try:
        async with asyncio.timeout(within):
            await reached.wait()
    finally:
        unsubscribe()


@contextmanager
def activity_reads(coordinator: ButlerCoordinator) -> Iterator[list[float]]:
    """The loop times at which the coordinator asks the server for its activities."""
    loop = asyncio.get_running_loop()
    reads: list[float] = []
    read = coordinator.client.async_get_activities

    async def _timed_read() -> list[Activity]:
        reads.append(loop.time())
        return await read()

    with patch.object(coordinator.client, "async_get_activities", _timed_read):
        yield reads


async def set_up_assist(hass: HomeAssistant) -> None:
    """Set up Assist as a voice assistant does: conversation and its pipelines."""
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "assist_pipeline", {})


def pipeline(language: str) -> dict[str, Any]:
    """An Assist pipeline in `language`, as Settings → Voice assistants makes one."""
    return {
        "conversation_engine": "conversation.home_assistant",
        "conversation_language": language,
        "language": language,
        "name": f"Assist ({language})",
        "stt_engine": None,
        "stt_language": None,
        "tts_engine": None,
        "tts_language": None,
        "tts_voice": None,
        "wake_word_entity": None,
        "wake_word_id": None,
    }


async def add_pipeline(
    hass_ws_client: WebSocketGenerator, hass: HomeAssistant, language: str
) -> str:
    """Add an Assist pipeline in `language` through the frontend's websocket API."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "assist_pipeline/pipeline/create", **pipeline(language)}
    )
    reply = await client.receive_json()
    assert reply["success"], reply
    await hass.async_block_till_done()
    pipeline_id: str = reply["result"]["id"]
    return pipeline_id


def store_pipelines(hass_storage: dict[str, Any], languages: list[str]) -> None:
    """Assist pipelines kept from an earlier run, one per language, the first preferred."""
    hass_storage["assist_pipeline.pipelines"] = {
        "version": 1,
        "minor_version": 1,
        "key": "assist_pipeline.pipelines",
        "data": {
            "items": [{"id": lang, **pipeline(lang)} for lang in languages],
            "preferred_item": languages[0],
        },
    }


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Assist set up before the integration, as at a start with both configured."""
    await set_up_assist(hass)


@pytest.fixture
async def assist_in_every_language(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Assist, with a pipeline in each language the integration has sentences in.

    Sentences are registered for the languages in use only; tests that say
    something in every language need them all in use.
    """
    store_pipelines(hass_storage, list(LANGUAGES))
    await set_up_assist(hass)
