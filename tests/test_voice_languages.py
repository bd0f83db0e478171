"""Voice is optional, and speaks only the languages Home Assistant is set up for.

Sentences are registered once Assist (`conversation`) is set up, whether
before or after the integration, and only in Home Assistant's language and
those of its Assist pipelines; adding a pipeline or changing the language
takes effect at once, without a restart.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.butler.const import DOMAIN
from homeassistant.components import conversation
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from plexsim import PlexSimulator

from .conftest import add_pipeline, set_up_assist, settle, store_pipelines

BACK_UP = {
    "en": "back up the Plex database",
    "de": "sichere die Plex Datenbank",
    "fr": "sauvegarde la base de données Plex",
}


async def _backs_up(
    hass: HomeAssistant, simulator: PlexSimulator, language: str
) -> bool:
    """Whether Assist takes the language's "back up" sentence and Plex backs up."""
    await conversation.async_converse(
        hass, BACK_UP[language], None, Context(), language=language
    )
    backed_up = "BackupDatabase" in simulator.running
    simulator.stop_all()
    return backed_up


async def _trigger_templates(hass: HomeAssistant) -> list[str]:
    """What the default agent was given to match: every trigger's templates."""
    from homeassistant.components.conversation.agent_manager import (  # noqa: PLC0415
        get_agent_manager,
    )

    return get_agent_manager(hass).trigger_sentences


@pytest.mark.usefixtures("assist")
async def test_only_home_assistants_language_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert hass.config.language == "en"
    assert not await _backs_up(hass, simulator, "de")
    assert await _backs_up(hass, simulator, "en")
    # Not one German template for the default agent to read and try.
    assert "sichere die Plex Datenbank" not in str(await _trigger_templates(hass))


@pytest.mark.usefixtures("assist")
async def test_a_pipeline_in_another_language_is_understood_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert not await _backs_up(hass, simulator, "de")
    await add_pipeline(hass_ws_client, hass, "de-CH")
    assert await _backs_up(hass, simulator, "de")
    assert await _backs_up(hass, simulator, "en")


@pytest.mark.usefixtures("assist")
async def test_home_assistants_language_changed_in_its_settings(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert not await _backs_up(hass, simulator, "fr")
    await hass.config.async_update(language="fr")
    await hass.async_block_till_done()
    assert await _backs_up(hass, simulator, "fr")
    # English was only Home Assistant's language; the default pipeline
    # (made at the first start, in English) keeps it in use.
    assert await _backs_up(hass, simulator, "en")


@pytest.mark.usefixtures("assist")
async def test_a_language_nobody_uses_any_more_is_dropped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    pipeline_id = await add_pipeline(hass_ws_client, hass, "de")
    assert await _backs_up(hass, simulator, "de")
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "assist_pipeline/pipeline/delete", "pipeline_id": pipeline_id}
    )
    assert (await client.receive_json())["success"]
    await hass.async_block_till_done()
    assert not await _backs_up(hass, simulator, "de")
    assert await _backs_up(hass, simulator, "en")


async def test_a_language_without_sentences_registers_none(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    # Conversation alone (no pipelines): Home Assistant's language is all.
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()
    assert await _backs_up(hass, simulator, "en")
    await hass.config.async_update(language="it")
    await hass.async_block_till_done()
    assert not await _backs_up(hass, simulator, "en")
    assert await _trigger_templates(hass) == []


async def test_without_assist_everything_else_works(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert "conversation" not in hass.config.components
    assert [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []
    button = "button.plex_server_back_up_database"
    assert hass.states.get(button) is not None
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    assert "BackupDatabase" in simulator.running
    await hass.services.async_call(DOMAIN, "stop_all", {}, blocking=True)
    await settle(hass)
    assert not simulator.running
    assert hass.states.get("binary_sensor.plex_server_butler_running").state == (
        STATE_OFF
    )


async def test_assist_set_up_after_the_integration(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert "conversation" not in hass.config.components
    await set_up_assist(hass)
    await hass.async_block_till_done()
    assert await _backs_up(hass, simulator, "en")


async def test_pipelines_set_up_after_the_integration(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    hass_storage: dict[str, Any],
) -> None:
    """A pipeline kept from an earlier run counts as soon as Assist's pipelines load."""
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()
    store_pipelines(hass_storage, ["de"])
    assert not await _backs_up(hass, simulator, "de")
    assert await async_setup_component(hass, "assist_pipeline", {})
    await hass.async_block_till_done()
    assert await _backs_up(hass, simulator, "de")


async def test_without_the_pipelines_listener_a_settings_change_picks_them_up(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlexSimulator,
    hass_ws_client: WebSocketGenerator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await set_up_assist(hass)
    # Guards the internal listener: a later Home Assistant may drop it.
    monkeypatch.delattr(
        "homeassistant.helpers.collection.ObservableCollection.async_add_listener"
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await add_pipeline(hass_ws_client, hass, "de")
    assert not await _backs_up(hass, simulator, "de")
    await hass.config.async_update(time_zone="Europe/Berlin")
    await hass.async_block_till_done()
    assert await _backs_up(hass, simulator, "de")


def test_the_pipelines_listener_exists_on_this_home_assistant() -> None:
    # Guards the internal call that follows pipelines (Home Assistant 2026.10.4).
    from homeassistant.components.assist_pipeline.pipeline import (  # noqa: PLC0415
        KEY_ASSIST_PIPELINE,
        PipelineStorageCollection,
    )

    assert KEY_ASSIST_PIPELINE
    assert callable(PipelineStorageCollection.async_add_listener)
