"""Voice: sentences about the Plex butler for Home Assistant's own conversation agent.

Home Assistant 2026.10 has no public way for an integration to add
sentences to its default agent, and its built-in intents only see exposed
entities. The one route that needs nothing from the user is the sentence
trigger registry the automation *sentence* trigger uses
(`conversation.agent_manager.get_agent_manager(hass).register_trigger`).
Every sentence names Plex, so none captures anyone else's command. If that
internal call is missing or changes, the integration works without voice
and raises a repair issue saying so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import difflib
import re
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir, translation
from homeassistant.util import dt as dt_util

from .const import DOMAIN, KNOWN_TASKS, LOGGER
from .plex import readable_task_name
from .task_names import find_tasks, name_key, task_names

if TYPE_CHECKING:
    from hassil.recognize import RecognizeResult

    from homeassistant.components.conversation import ConversationInput

    from .coordinator import ButlerConfigEntry, ButlerCoordinator


ISSUE_NO_VOICE = "voice_unavailable"
LANGUAGES = ("en", "de", "fr", "nl", "es")

type Answer = tuple[str, dict[str, str]]
type Handler = Callable[[HomeAssistant, dict[str, str]], Awaitable[Answer]]

# The sentences, by action and language. `{task}` and `{server}` are
# wildcards; a server is named as "... on [the] <name> Plex" (or the
# language's own word order).
SENTENCES: dict[str, dict[str, list[str]]] = {
    "backup": {
        "en": ["back up [the] Plex database", "backup [the] Plex database"],
        "de": ["sichere die Plex Datenbank", "Plex Datenbank sichern"],
        "fr": ["sauvegarde la base de données Plex", "sauvegarder la base Plex"],
        "nl": ["maak een back-up van de Plex database", "back-up de Plex database"],
        "es": ["haz una copia de seguridad de la base de datos de Plex"],
    },
    "start_task": {
        "en": ["(run|start) [the] Plex task {task}"],
        "de": [
            "starte [die] Plex Aufgabe {task}",
            "führe [die] Plex Aufgabe {task} aus",
        ],
        "fr": ["(lance|démarre) la tâche Plex {task}"],
        "nl": ["start [de] Plex taak {task}", "voer [de] Plex taak {task} uit"],
        "es": ["(ejecuta|inicia) la tarea de Plex {task}"],
    },
    "start_all": {
        "en": ["start [the] Plex maintenance", "start all Plex tasks"],
        "de": ["starte [die] Plex Wartung", "starte alle Plex Aufgaben"],
        "fr": ["démarre la maintenance Plex", "lance toutes les tâches Plex"],
        "nl": ["start [het] Plex onderhoud", "start alle Plex taken"],
        "es": ["inicia el mantenimiento de Plex", "inicia todas las tareas de Plex"],
    },
    "stop_all": {
        "en": [
            "stop all Plex tasks",
            "(stop|pause) [the] Plex maintenance",
        ],
        "de": ["stoppe alle Plex Aufgaben", "(stoppe|pausiere) [die] Plex Wartung"],
        "fr": [
            "arrête toutes les tâches Plex",
            "(arrête|suspends) la maintenance Plex",
        ],
        "nl": ["stop alle Plex taken", "(stop|pauzeer) [het] Plex onderhoud"],
        "es": [
            "detén todas las tareas de Plex",
            "(detén|pausa) el mantenimiento de Plex",
        ],
    },
    "status": {
        "en": [
            "is [the] Plex butler running",
            "what is Plex doing",
            "what's Plex doing",
        ],
        "de": ["läuft der Plex Butler", "was macht Plex"],
        "fr": ["est-ce que le majordome Plex tourne", "que fait Plex"],
        "nl": ["draait de Plex butler", "wat doet Plex"],
        "es": ["está funcionando el mayordomo de Plex", "qué está haciendo Plex"],
    },
    "last_backup": {
        "en": ["when was [the] Plex database last backed up"],
        "de": ["wann wurde die Plex Datenbank zuletzt gesichert"],
        "fr": ["quand la base de données Plex a-t-elle été sauvegardée"],
        "nl": ["wanneer is de Plex database voor het laatst geback-upt"],
        "es": [
            "cuándo se hizo la última copia de seguridad de la base de datos de Plex"
        ],
    },
}
# How a sentence names a server, appended to it.
ON_SERVER: dict[str, str] = {
    "en": " on [the] {server} Plex",
    "de": " auf [dem] {server} Plex",
    "fr": " sur le Plex {server}",
    "nl": " op [de] {server} Plex",
    "es": " en el Plex {server}",
}


def sentences(action: str) -> list[str]:
    """Every sentence for an action, in every language, with and without a server."""
    result = []
    for language, templates in SENTENCES[action].items():
        for template in templates:
            result.extend([template, template + ON_SERVER[language]])
    return result


@callback
def async_setup_voice(hass: HomeAssistant) -> None:
    """Register the sentences, for as long as Home Assistant runs.

    When the internal registry is not there (a later Home Assistant), the
    integration goes on without voice and a repair issue says so.
    """
    try:
        from homeassistant.components.conversation.agent_manager import (  # noqa: PLC0415
            get_agent_manager,
        )

        manager = get_agent_manager(hass)
        for action, handler in HANDLERS.items():
            manager.register_trigger(sentences(action), _callback(hass, handler))
    except (ImportError, AttributeError, TypeError, KeyError) as err:
        LOGGER.warning("Voice sentences could not be registered: %s", err)
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_NO_VOICE,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NO_VOICE,
        )


def _callback(
    hass: HomeAssistant, handler: Handler
) -> Callable[[ConversationInput, RecognizeResult], Awaitable[str | None]]:
    async def _async_answer(
        user_input: ConversationInput, result: RecognizeResult
    ) -> str | None:
        slots = {
            name: str(entity.text or entity.value).strip()
            for name, entity in result.entities.items()
        }
        language = (user_input.language or hass.config.language).split("-")[0]
        try:
            key, placeholders = await handler(hass, slots)
        except HomeAssistantError as err:
            key = "voice_failed"
            placeholders = {"error": str(err)}
        return await async_words(hass, language, key, placeholders)

    return _async_answer


async def async_words(
    hass: HomeAssistant, language: str, key: str, placeholders: dict[str, str]
) -> str:
    """The answer in the speaker's language (English when it has none).

    A `task` (or `doing`) placeholder holding a task's code name is said by
    the task's name in that language where the integration knows the task.
    """
    if language not in LANGUAGES:
        language = "en"
    strings = await translation.async_get_translations(
        hass, language, "exceptions", {DOMAIN}
    )
    placeholders = dict(placeholders)
    for name in ("task", "doing"):
        if (task := placeholders.get(name)) is not None:
            placeholders[name] = await _async_taskname_key(hass, language, task)
    template = strings.get(f"component.{DOMAIN}.exceptions.{key}.message", key)
    return template.format(**placeholders)


async def _async_taskname_key(hass: HomeAssistant, language: str, task: str) -> str:
    if (key := KNOWN_TASKS.get(task)) is None:
        return readable_task_name(task) if task in _all_tasks(hass) else task
    names = await translation.async_get_translations(hass, language, "entity", {DOMAIN})
    return names.get(f"component.{DOMAIN}.entity.button.{key}.name", task)


def _all_tasks(hass: HomeAssistant) -> set[str]:
    return {name for entry in _servers(hass) for name in entry.runtime_data.data.tasks}


def _servers(hass: HomeAssistant) -> list[ButlerConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if entry.runtime_data is not None
    ]


def _server(hass: HomeAssistant, slots: dict[str, str]) -> ButlerCoordinator | Answer:
    """The server a sentence means: the one named, or the only one."""
    servers = _servers(hass)
    if not servers:
        return "voice_no_server", {}
    if (named := slots.get("server")) is not None:
        wanted = name_key(named)
        for entry in servers:
            if name_key(entry.title) in (wanted, name_key(f"{named} Plex")):
                return entry.runtime_data
        return "voice_which_server", {"servers": _names(e.title for e in servers)}
    if len(servers) > 1:
        return "voice_which_server", {"servers": _names(e.title for e in servers)}
    return servers[0].runtime_data


async def _async_backup(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    return await _async_start(hass, slots, "BackupDatabase")


async def _async_start_task(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    task = slots.get("task", "")
    # A server named at the end may land in the task's wildcard too.
    if "server" not in slots:
        for entry in _servers(hass):
            found = re.fullmatch(
                rf"(.+?) (?:on|auf|sur|op|en) (?:the |dem |le |de |el )?"
                rf"(?:Plex )?{re.escape(entry.title)}(?: Plex)?",
                task,
                re.IGNORECASE,
            )
            if found:
                task = found.group(1)
                slots = {**slots, "server": entry.title}
                break
    return await _async_start(hass, slots, task)


async def _async_start(
    hass: HomeAssistant, slots: dict[str, str], asked: str
) -> Answer:
    server = _server(hass, slots)
    if isinstance(server, tuple):
        return server
    name = await _async_task(hass, server, asked)
    if isinstance(name, tuple):
        return name
    result = await server.async_start_task(name)
    return (
        "voice_started" if result.value == "started" else "voice_already_running",
        {"task": name, "server": server.config_entry.title},
    )


def _on_server(
    answer: str, command: Callable[[ButlerCoordinator], Awaitable[None]]
) -> Handler:
    """A handler that sends one command to the server meant, and says so."""

    async def _async_handle(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
        server = _server(hass, slots)
        if isinstance(server, tuple):
            return server
        await command(server)
        return answer, {"server": server.config_entry.title}

    return _async_handle


async def _async_status(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    server = _server(hass, slots)
    if isinstance(server, tuple):
        return server
    title = server.config_entry.title
    if not server.last_update_success:
        return "voice_unreachable", {"server": title}
    data = server.data
    if (activity := data.activity) is None:
        return "voice_idle", {"server": title}
    # The task by its name where it can be told, else the server's words.
    doing = (
        data.current_task.name
        if data.current_task is not None
        else activity.subtitle or activity.title or ""
    )
    if activity.progress is not None:
        return "voice_running_progress", {
            "server": title,
            "doing": doing,
            "progress": str(activity.progress),
        }
    return "voice_running", {"server": title, "doing": doing}


async def _async_last_backup(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    server = _server(hass, slots)
    if isinstance(server, tuple):
        return server
    title = server.config_entry.title
    if (when := server.last_database_backup) is None:
        return "voice_no_backup", {"server": title}
    local = dt_util.as_local(when)
    return "voice_last_backup", {
        "server": title,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
    }


HANDLERS: dict[str, Handler] = {
    "backup": _async_backup,
    "start_task": _async_start_task,
    "start_all": _on_server(
        "voice_started_all", lambda server: server.async_start_all()
    ),
    "stop_all": _on_server("voice_stopped_all", lambda server: server.async_stop_all()),
    "status": _async_status,
    "last_backup": _async_last_backup,
}


async def _async_task(
    hass: HomeAssistant, server: ButlerCoordinator, asked: str
) -> str | Answer:
    """The server's task a spoken name means, by its code name or its name in any language."""
    translated: dict[str, str] = {}
    for language in LANGUAGES:
        strings = await translation.async_get_translations(
            hass, language, "entity", {DOMAIN}
        )
        for code in server.data.tasks:
            key = KNOWN_TASKS.get(code)
            spoken = strings.get(f"component.{DOMAIN}.entity.button.{key}.name")
            if key and spoken:
                translated[spoken] = code
    # The same rules as the actions: an exact name wins, an ambiguous one
    # is asked about.
    matches = find_tasks(server.data.tasks, asked, translated)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        names = task_names(server.data.tasks, translated)
        closest = difflib.get_close_matches(
            name_key(asked), list(names), n=3, cutoff=0.5
        )
        matches = [code for key in closest for code in names[key]] or list(
            server.data.tasks
        )[:3]
    labels = [server.data.tasks[code].display_name for code in matches]
    if len(set(labels)) < len(labels):
        # Tasks that read alike are told apart by the server's names.
        labels = matches
    return "voice_unknown_task", {"asked": asked, "tasks": _names(labels)}


def _names(names: Any) -> str:
    return ", ".join(dict.fromkeys(names))
