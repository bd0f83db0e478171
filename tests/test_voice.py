"""Voice: the sentences through Home Assistant's conversation API, in every language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.butler.const import DOMAIN
from homeassistant.components import conversation
from homeassistant.components.conversation.agent_manager import AgentManager
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import issue_registry as ir, llm, translation
from homeassistant.setup import async_setup_component
from plexsim import PlexSimulator

from .conftest import SecondServer

pytestmark = pytest.mark.usefixtures("assist_in_every_language")


async def _say(hass: HomeAssistant, text: str, language: str = "en") -> str:
    result = await conversation.async_converse(
        hass, text, None, Context(), language=language
    )
    speech: str = result.response.speech["plain"]["speech"]
    return speech


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "back up the Plex database"),
        ("de", "sichere die Plex Datenbank"),
        ("fr", "sauvegarde la base de données Plex"),
        ("nl", "maak een back-up van de Plex database"),
        ("es", "haz una copia de seguridad de la base de datos de Plex"),
    ],
)
async def test_back_up_the_database(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    language: str,
    sentence: str,
) -> None:
    answer = await _say(hass, sentence, language)
    assert "BackupDatabase" in simulator.running
    assert "Plex Server" in answer
    answer_again = await _say(hass, sentence, language)
    assert answer_again != answer


@pytest.mark.parametrize(
    ("language", "sentence", "task"),
    [
        ("en", "run the Plex task optimize database", "OptimizeDatabase"),
        ("en", "start Plex task refresh libraries", "RefreshLibraries"),
        (
            "en",
            "run the Plex task GenerateIntroMarkers",
            "ButlerTaskGenerateIntroMarkers",
        ),
        ("fr", "lance la tâche Plex optimize database", "OptimizeDatabase"),
        ("nl", "start de Plex taak optimize database", "OptimizeDatabase"),
        ("es", "ejecuta la tarea de Plex optimize database", "OptimizeDatabase"),
        # Said without its article, or with one it does not have.
        ("es", "ejecuta la tarea de Plex analizar sonoridad", "LoudnessAnalysis"),
        ("en", "run the Plex task clean the old bundles", "CleanOldBundles"),
    ],
)
async def test_run_any_task_by_name(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    language: str,
    sentence: str,
    task: str,
) -> None:
    await _say(hass, sentence, language)
    assert list(simulator.running) == [task]


@pytest.mark.parametrize("language", ["de", "fr", "nl", "es"])
async def test_a_task_by_its_name_in_the_language(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    language: str,
) -> None:
    names = await translation.async_get_translations(hass, language, "entity", {DOMAIN})
    optimize = names[f"component.{DOMAIN}.entity.button.optimize_database.name"]
    assert optimize != "Optimize database"
    start = {
        "de": "starte die Plex Aufgabe",
        "fr": "lance la tâche Plex",
        "nl": "start de Plex taak",
        "es": "ejecuta la tarea de Plex",
    }[language]
    answer = await _say(hass, f"{start} {optimize.lower()}", language)
    assert list(simulator.running) == ["OptimizeDatabase"]
    # The answer names the task in the same language.
    assert optimize in answer


async def test_an_unknown_task_names_the_closest(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    answer = await _say(hass, "run the Plex task optimise databse")
    assert not simulator.running
    assert "optimise databse" in answer
    assert "Optimize database" in answer


@pytest.mark.parametrize(
    ("language", "start", "misspelt", "named"),
    [
        ("en", "run the Plex task", "backup databse", "Back up database"),
        ("de", "starte die Plex Aufgabe", "Datenbank sicher", "Datenbank sichern"),
    ],
)
async def test_suggestions_name_tasks_as_a_started_task_is_named(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    language: str,
    start: str,
    misspelt: str,
    named: str,
) -> None:
    suggested = await _say(hass, f"{start} {misspelt}", language)
    assert not simulator.running
    # The server's title for the task ("Backup Database") is not how
    # answers name it.
    assert named in suggested
    assert "Backup Database" not in suggested
    started = await _say(hass, f"{start} {named}", language)
    assert named in started
    assert list(simulator.running) == ["BackupDatabase"]


@pytest.mark.parametrize(
    ("language", "start", "stop", "status"),
    [
        (
            "en",
            "start Plex maintenance",
            "stop all Plex tasks",
            "is the Plex butler running",
        ),
        (
            "de",
            "starte die Plex Wartung",
            "stoppe alle Plex Aufgaben",
            "läuft der Plex Butler",
        ),
        (
            "fr",
            "démarre la maintenance Plex",
            "arrête toutes les tâches Plex",
            "que fait Plex",
        ),
        ("nl", "start het Plex onderhoud", "stop alle Plex taken", "wat doet Plex"),
        (
            "es",
            "inicia el mantenimiento de Plex",
            "detén todas las tareas de Plex",
            "qué está haciendo Plex",
        ),
    ],
)
async def test_start_stop_and_ask(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    language: str,
    start: str,
    stop: str,
    status: str,
) -> None:
    idle = await _say(hass, status, language)
    await _say(hass, start, language)
    assert simulator.running
    busy = await _say(hass, status, language)
    assert busy != idle
    await _say(hass, stop, language)
    assert not simulator.running
    assert ("DELETE", "/butler") in [(r.method, r.path) for r in simulator.requests]


async def test_what_is_plex_doing_in_its_words(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    assert (
        await _say(hass, "what is Plex doing") == "The butler of Plex Server is idle."
    )
    await _say(hass, "back up the Plex database")
    assert await _say(hass, "what is Plex doing") == (
        "The butler of Plex Server is working: Back up database, 0 percent done."
    )


async def test_several_servers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    attic: SecondServer,
) -> None:
    answer = await _say(hass, "stop all Plex tasks")
    assert "Plex Server" in answer
    assert "Attic" in answer
    await _say(hass, "back up the Plex database on the attic Plex")
    assert "BackupDatabase" in attic.simulator.running
    assert not simulator.running
    await _say(hass, "run the Plex task optimize database on the attic Plex")
    assert "OptimizeDatabase" in attic.simulator.running


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("de", "sichere die Plex Datenbank auf dem Attic Plex"),
        ("fr", "sauvegarde la base de données Plex sur le Plex Attic"),
        ("nl", "maak een back-up van de Plex database op de Attic Plex"),
        (
            "es",
            "haz una copia de seguridad de la base de datos de Plex en el Plex Attic",
        ),
    ],
)
async def test_a_server_named_in_every_language(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    attic: SecondServer,
    language: str,
    sentence: str,
) -> None:
    await _say(hass, sentence, language)
    assert "BackupDatabase" in attic.simulator.running
    assert not simulator.running


async def test_a_failed_command_is_said_in_english_for_another_language(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await simulator.go_down()
    # Italian has no answers here: English it is.
    answer = await _say(hass, "back up the Plex database", "it")
    assert answer.startswith("That did not work.")


async def test_no_server(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    answer = await _say(hass, "stop all Plex tasks")
    assert answer == "No Plex server is set up in Butler for Plex."


async def test_other_sentences_are_left_alone(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    await _say(hass, "stop all tasks")
    await _say(hass, "back up the database")
    assert not [r for r in simulator.requests if r.method != "GET"]


async def test_without_the_registry_voice_is_off_and_a_repair_says_so(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(
            "homeassistant.components.conversation.agent_manager.AgentManager.register_trigger"
        )
        assert await async_setup_component(hass, DOMAIN, {})
    assert issue_registry.async_get_issue(DOMAIN, "voice_unavailable")
    assert hass.services.has_service(DOMAIN, "start_all")


def test_the_registry_call_exists_on_this_home_assistant() -> None:
    # Guards the internal call voice depends on (Home Assistant 2026.10.4).
    assert callable(AgentManager.register_trigger)


async def _tools(hass: HomeAssistant, language: str | None = "en") -> llm.APIInstance:
    assert await async_setup_component(hass, "llm", {})
    return await llm.async_get_api(
        hass,
        llm.LLM_API_ASSIST,
        llm.LLMContext(
            platform="test",
            context=Context(),
            language=language,
            assistant=conversation.DOMAIN,
            device_id=None,
        ),
    )


async def test_llm_agents_get_butler_tools(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    api = await _tools(hass)
    tools = {tool.name: tool for tool in api.tools if tool.name.startswith("butler__")}
    assert set(tools) == {
        "butler__start_task",
        "butler__start_all",
        "butler__stop_all",
        "butler__status",
    }
    assert all(
        tool.integration == DOMAIN and tool.description for tool in tools.values()
    )
    # "Pause the Plex maintenance": stop all, with no entity exposed.
    await hass.services.async_call(
        DOMAIN, "start_task", {"task": "BackupDatabase"}, blocking=True
    )
    result = (
        await api.async_call_tool(
            llm.ToolInput(tool_name="butler__stop_all", tool_args={})
        )
    ).data
    assert result["result"] == "stopped_all"
    assert not simulator.running
    result = (
        await api.async_call_tool(
            llm.ToolInput(
                tool_name="butler__start_task", tool_args={"task": "optimize database"}
            )
        )
    ).data
    assert result == {
        "result": "started",
        "message": "Started Optimize database on Plex Server.",
    }
    result = (
        await api.async_call_tool(
            llm.ToolInput(tool_name="butler__status", tool_args={})
        )
    ).data
    assert result["result"] == "running_progress"


@pytest.mark.parametrize(
    ("language", "sentence", "unknown", "known"),
    [
        (
            "en",
            "when was the Plex database last backed up",
            "has not seen a database backup of Plex Server",
            "Plex Server last backed up its database on 2026-11-30 at 03:12.",
        ),
        (
            "de",
            "wann wurde die Plex Datenbank zuletzt gesichert",
            "noch keine Datenbanksicherung von Plex Server gesehen",
            "Plex Server hat seine Datenbank zuletzt am 2026-11-30 um 03:12 gesichert.",
        ),
        (
            "fr",
            "quand la base de données Plex a-t-elle été sauvegardée",
            "aucune sauvegarde de la base de données de Plex Server",
            "le 2026-11-30 à 03:12",
        ),
        (
            "nl",
            "wanneer is de Plex database voor het laatst geback-upt",
            "geen databaseback-up van Plex Server",
            "op 2026-11-30 om 03:12",
        ),
        (
            "es",
            "cuándo se hizo la última copia de seguridad de la base de datos de Plex",
            "ninguna copia de seguridad de la base de datos de Plex Server",
            "el 2026-11-30 a las 03:12",
        ),
    ],
)
async def test_when_was_the_database_last_backed_up(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    language: str,
    sentence: str,
    unknown: str,
    known: str,
) -> None:
    await hass.config.async_set_time_zone("UTC")
    assert unknown in await _say(hass, sentence, language)
    init_integration.runtime_data.memory.async_database_backed_up(
        datetime(2026, 11, 30, 3, 12, 45, tzinfo=UTC)
    )
    assert known in await _say(hass, sentence, language)


async def test_the_llm_status_says_when_the_database_was_backed_up(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await hass.config.async_set_time_zone("UTC")
    api = await _tools(hass)
    status = llm.ToolInput(tool_name="butler__status", tool_args={})
    result = (await api.async_call_tool(status)).data
    assert result == {
        "result": "idle",
        "message": "The butler of Plex Server is idle. Home Assistant has not seen "
        "a database backup of Plex Server yet. It knows of the backups it saw run "
        "and of those Plex reports through its webhooks.",
        "last_runs": [],
    }
    init_integration.runtime_data.memory.async_database_backed_up(
        datetime(2026, 11, 30, 3, 12, 45, tzinfo=UTC)
    )
    result = (await api.async_call_tool(status)).data
    assert result["message"] == (
        "The butler of Plex Server is idle. Plex Server last backed up its "
        "database on 2026-11-30 at 03:12."
    )
    # Asked about a server that is not there, it says so once.
    named = llm.ToolInput(tool_name="butler__status", tool_args={"server": "Attic"})
    result = (await api.async_call_tool(named)).data
    assert result == {
        "result": "which_server",
        "message": "Which Plex server? There are: Plex Server.",
    }


@pytest.mark.parametrize(
    ("language", "answer"),
    [
        ("de", "Alle Wartungsaufgaben auf Plex Server wurden gestoppt."),
        ("fr", "Toutes les tâches de maintenance sur Plex Server ont été arrêtées."),
        # No language asked for: Home Assistant's.
        (None, "Stopped all maintenance tasks on Plex Server."),
    ],
)
async def test_tools_answer_in_the_language_asked_without_deprecation(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
    language: str | None,
    answer: str,
) -> None:
    api = await _tools(hass, language)
    result = await api.async_call_tool(
        llm.ToolInput(tool_name="butler__stop_all", tool_args={})
    )
    assert isinstance(result, llm.ToolResult)
    assert result.data["message"] == answer
    assert not result.error
    # Home Assistant reports a tool returning a plain object as deprecated.
    assert "ToolResult" not in caplog.text
    assert "deprecated" not in caplog.text


async def test_a_tool_that_could_not_act_says_so_as_an_error(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    api = await _tools(hass)
    await simulator.stop()
    result = await api.async_call_tool(
        llm.ToolInput(tool_name="butler__start_all", tool_args={})
    )
    assert result.error
    assert result.data["result"] == "failed"


async def test_no_tools_without_a_server(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    api = await _tools(hass)
    assert not [tool for tool in api.tools if tool.name.startswith("butler__")]


async def test_voice_follows_the_actions_rules_for_names(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlexSimulator
) -> None:
    simulator.add_task("ButlerTaskFoo")
    simulator.add_task("Foo")
    await init_integration.runtime_data.async_refresh()
    # A name that fits two tasks starts neither, and the answer names both.
    answer = await _say(hass, "run the Plex task foo")
    assert not simulator.running
    assert "ButlerTaskFoo, Foo" in answer
    # The exact name wins.
    await _say(hass, "run the Plex task ButlerTaskFoo")
    assert list(simulator.running) == ["ButlerTaskFoo"]


async def test_a_known_task_the_server_lacks_is_named_in_words(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlexSimulator,
) -> None:
    # Plex 1.43 has no CheckForUpdates; older and newer servers may.
    assert "CheckForUpdates" not in simulator.tasks
    answer = await _say(hass, "check for updates on Plex")
    assert answer.startswith("There is no Plex task called Check for updates.")
    assert not simulator.running
