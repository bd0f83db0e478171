"""Voice: sentences about the Plex butler for Home Assistant's own conversation agent.

Home Assistant 2026.10 has no public way for an integration to add
sentences to its default agent, and its built-in intents only see exposed
entities. The one route that needs nothing from the user is the sentence
trigger registry the automation *sentence* trigger uses
(`conversation.agent_manager.get_agent_manager(hass).register_trigger`).
What can be said is data, in `sentences/<language>.yaml`
(`sentence_files.py`); this module answers it. Every sentence names Plex,
so none captures anyone else's command. Assist is optional, and only the
languages Home Assistant and its Assist pipelines speak are registered. If
that internal call is missing or changes, the integration works without
voice and raises a repair issue saying so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
import difflib
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_when_setup
from homeassistant.util import dt as dt_util

from .const import DOMAIN, KNOWN_TASKS, LOGGER
from .plex import readable_task_name
from .runs import Run, RunOutcome
from .sentence_files import Phrasing, SentenceFileError, load_sentences
from .task_names import find_tasks, name_key, task_names
from .words import LANGUAGES, async_words

if TYPE_CHECKING:
    from hassil.recognize import RecognizeResult

    from homeassistant.components.conversation import ConversationInput

    from .coordinator import ButlerConfigEntry, ButlerCoordinator


ISSUE_NO_VOICE = "voice_unavailable"
# Between task code names in an answer's `tasks` placeholder; no code has one.
TASK_SEPARATOR = "\n"

# An answer's text key in the `common` translations, and its placeholders.
type Answer = tuple[str, dict[str, str]]
type Handler = Callable[[HomeAssistant, dict[str, str]], Awaitable[Answer]]


class VoiceError(Exception):
    """Why a sentence was not carried out, as an answer to say."""

    def __init__(self, key: str, placeholders: dict[str, str] | None = None) -> None:
        """Keep the answer's text key and placeholders."""
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders or {}


async def async_setup_voice(hass: HomeAssistant) -> None:
    """Answer the sentences whenever Assist runs, in the languages in use.

    Assist (`conversation`) is optional: without it the integration works
    as ever, and its sentences are registered once it is set up, at start
    (it is an after-dependency, so it is set up before us) or later.
    """
    await _async_when_set_up(hass, "conversation", VoiceSentences(hass).async_start)


async def _async_when_set_up(
    hass: HomeAssistant,
    component: str,
    action: Callable[[HomeAssistant, str], Awaitable[None]],
) -> None:
    """Run `action` now if `component` is set up (so setup ends with it done), or once it is."""
    if component in hass.config.components:
        await action(hass, component)
    else:
        async_when_setup(hass, component, action)


class VoiceSentences:
    """The one sentence trigger: the sentences of the languages in use.

    Those are Home Assistant's own language and those of its Assist
    pipelines; a sentence in a language nobody speaks here would only cost
    every request (Assist tries every trigger template whatever the
    language, and reads them all again after each change). When the
    languages change the trigger is registered anew and the old one
    dropped. When the internal registry is not there (a later Home
    Assistant), the integration goes on without voice and a repair issue
    says so.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing is registered until Assist is set up."""
        self._hass = hass
        self._lock = asyncio.Lock()
        self._languages: frozenset[str] = frozenset()
        self._unregister: Callable[[], None] | None = None
        self._unavailable = False

    async def async_start(self, hass: HomeAssistant, component: str) -> None:
        """Assist is set up: register, then follow the languages."""
        hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, self._async_settings_changed)
        await _async_when_set_up(hass, "assist_pipeline", self._async_pipelines_ready)
        await self.async_update()

    async def _async_pipelines_ready(self, hass: HomeAssistant, component: str) -> None:
        _follow_pipelines(hass, self._async_pipeline_changed)
        await self.async_update()

    async def _async_settings_changed(self, event: Event[Any]) -> None:
        await self.async_update()

    async def _async_pipeline_changed(
        self, change_type: str, item_id: str, data: dict[str, Any]
    ) -> None:
        await self.async_update()

    async def async_update(self) -> None:
        """Register the sentences of the languages now in use, if they changed."""
        async with self._lock:
            languages = _languages_in_use(self._hass)
            if self._unavailable or languages == self._languages:
                return
            try:
                phrasings = await self._hass.async_add_executor_job(
                    load_sentences, NEEDS, languages
                )
            except SentenceFileError as err:
                LOGGER.error("Voice sentences could not be read: %s", err)
                return
            self._register(_by_template(phrasings))
            self._languages = languages

    def _register(self, by_template: dict[str, Phrasing]) -> None:
        try:
            from homeassistant.components.conversation.agent_manager import (  # noqa: PLC0415
                get_agent_manager,
            )

            unregister = (
                get_agent_manager(self._hass).register_trigger(
                    list(by_template), _callback(self._hass, by_template)
                )
                if by_template
                else None
            )
        except (ImportError, AttributeError, TypeError, KeyError) as err:
            LOGGER.warning("Voice sentences could not be registered: %s", err)
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                ISSUE_NO_VOICE,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_NO_VOICE,
            )
            self._unavailable = True
            return
        # The new trigger is in before the old one goes: no moment without.
        if self._unregister is not None:
            self._unregister()
        self._unregister = unregister


def _languages_in_use(hass: HomeAssistant) -> frozenset[str]:
    """Home Assistant's language and its pipelines', those there are sentences in."""
    spoken = [hass.config.language]
    if "assist_pipeline" in hass.config.components:
        from homeassistant.components.assist_pipeline import (  # noqa: PLC0415
            async_get_pipelines,
        )

        spoken += [
            language
            for pipeline in async_get_pipelines(hass)
            for language in (pipeline.conversation_language, pipeline.language)
        ]
    return frozenset(
        base
        for language in spoken
        if (base := language.partition("-")[0].lower()) in LANGUAGES
    )


def _follow_pipelines(
    hass: HomeAssistant,
    listener: Callable[[str, str, dict[str, Any]], Awaitable[None]],
) -> None:
    """Have `listener` called when a pipeline is added, changed or deleted.

    assist_pipeline offers no public way to be told (2026.10): its pipeline
    collection's change listener is internal. Without it, a pipeline's
    language is still picked up the next time Home Assistant's settings
    change, or at the next start.
    """
    try:
        from homeassistant.components.assist_pipeline.pipeline import (  # noqa: PLC0415
            KEY_ASSIST_PIPELINE,
        )

        hass.data[KEY_ASSIST_PIPELINE].pipeline_store.async_add_listener(listener)
    except (ImportError, AttributeError, KeyError) as err:
        LOGGER.debug("Assist pipelines are read again on settings changes: %s", err)


def _by_template(phrasings: list[Phrasing]) -> dict[str, Phrasing]:
    """What each template means, the ones without a wildcard first.

    Assist takes the first template of a trigger that matches, so a fixed
    sentence ("refresh the Plex libraries") wins over one that only fits
    because a wildcard swallows words.
    """
    ordered = sorted(
        (
            (template, phrasing)
            for phrasing in phrasings
            for template in phrasing.templates
        ),
        key=lambda item: "{" in item[0],
    )
    return dict(ordered)


def _callback(
    hass: HomeAssistant, by_template: dict[str, Phrasing]
) -> Callable[[ConversationInput, RecognizeResult], Awaitable[str | None]]:
    async def _async_answer(
        user_input: ConversationInput, result: RecognizeResult
    ) -> str | None:
        # Home Assistant hands this callback only matches of these templates.
        sentence = result.intent_sentence
        phrasing = by_template[sentence.text if sentence and sentence.text else ""]
        slots = {
            name: str(entity.text or entity.value).strip()
            for name, entity in result.entities.items()
        }
        slots.update(phrasing.slots)
        answer = await async_answer(hass, phrasing.operation, slots)
        return await async_say(
            hass, user_input.language or hass.config.language, answer
        )

    return _async_answer


async def async_answer(
    hass: HomeAssistant, operation: str, slots: dict[str, str]
) -> Answer:
    """What to answer to an operation: what was done, or why it was not."""
    try:
        return await HANDLERS[operation](hass, slots)
    except VoiceError as err:
        return err.key, err.placeholders
    except HomeAssistantError as err:
        return "voice_failed", {"error": str(err)}


async def async_say(hass: HomeAssistant, language: str, answer: Answer) -> str:
    """The answer in the speaker's language (English when it has none).

    A `task` (or `doing`) placeholder holding a task's code name is said by
    the task's name in that language where the integration knows the task;
    `tasks` holds several code names, said the same way; a `duration` in
    seconds is said in words.
    """
    key, placeholders = answer
    placeholders = dict(placeholders)
    if (seconds := placeholders.get("duration")) is not None:
        placeholders["duration"] = await _async_duration(hass, language, int(seconds))
    for name in ("task", "doing"):
        if (task := placeholders.get(name)) is not None:
            placeholders[name] = await _async_taskname_key(hass, language, task)
    if (tasks := placeholders.get("tasks")) is not None:
        codes = tasks.split(TASK_SEPARATOR)
        labels = [await _async_taskname_key(hass, language, code) for code in codes]
        # Tasks that read alike are told apart by the server's names.
        placeholders["tasks"] = _names(
            labels if len(set(labels)) == len(labels) else codes
        )
    return await async_words(hass, language, f"common.{key}", placeholders)


async def _async_duration(hass: HomeAssistant, language: str, seconds: int) -> str:
    """A run's length as said aloud: seconds, minutes, or hours and minutes.

    A count of one has its own text ("one minute", "eine Minute"), since
    each language words its singular differently.
    """
    minutes = 0
    if seconds < 60:
        key, count = "seconds", seconds
    elif seconds < 3570:
        key, count = "minutes", round(seconds / 60)
    else:
        key, (count, minutes) = "hours", divmod(round(seconds / 60), 60)
    return await async_words(
        hass,
        language,
        f"common.voice_duration_{key}{'_one' if count == 1 else ''}",
        {"count": str(count), "minutes": str(minutes)},
    )


async def _async_taskname_key(hass: HomeAssistant, language: str, task: str) -> str:
    if (key := KNOWN_TASKS.get(task)) is None:
        return readable_task_name(task) if task in _all_tasks(hass) else task
    return await async_words(hass, language, f"entity.button.{key}.name")


def _all_tasks(hass: HomeAssistant) -> set[str]:
    return {name for entry in _servers(hass) for name in entry.runtime_data.data.tasks}


def _servers(hass: HomeAssistant) -> list[ButlerConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if entry.runtime_data is not None
    ]


def server_asked(hass: HomeAssistant, slots: dict[str, str]) -> ButlerCoordinator:
    """The server a sentence or a tool call means; `VoiceError` when none fits."""
    return _server(hass, slots)


def _server(hass: HomeAssistant, slots: dict[str, str]) -> ButlerCoordinator:
    """The server a sentence means: the one named, or the only one."""
    servers = _servers(hass)
    if not servers:
        raise VoiceError("voice_no_server")
    if (named := slots.get("server")) is not None:
        # "the attic Plex", "Attic", "Plex Attic": the words around the name
        # are the language's, the name is the server's.
        # The longest fit wins: "the attic Plex" means Attic, not a "Plex".
        words = named.split()
        for start in range(len(words)):
            rest = name_key("".join(words[start:]))
            for entry in servers:
                if name_key(entry.title) in (
                    rest,
                    rest.removesuffix("plex"),
                    rest.removeprefix("plex"),
                ):
                    return entry.runtime_data
    elif len(servers) == 1:
        return servers[0].runtime_data
    raise VoiceError(
        "voice_which_server", {"servers": _names(e.title for e in servers)}
    )


async def _async_backup(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    return await _async_start(hass, slots, "BackupDatabase")


async def _async_start_task(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    return await _async_start(hass, slots, slots.get("task", ""))


async def _async_start(
    hass: HomeAssistant, slots: dict[str, str], asked: str
) -> Answer:
    server = _server(hass, slots)
    name = await _async_task(hass, server, asked)
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
        await command(server)
        return answer, {"server": server.config_entry.title}

    return _async_handle


async def _async_status(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    server = _server(hass, slots)
    title = server.config_entry.title
    if not server.last_update_success:
        raise VoiceError("voice_unreachable", {"server": title})
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
    title = server.config_entry.title
    if (when := server.memory.last_database_backup) is None:
        return "voice_no_backup", {"server": title}
    return "voice_last_backup", {"server": title} | _when(when)


def _when(moment: datetime) -> dict[str, str]:
    """A moment as an answer says it, in Home Assistant's time zone."""
    local = dt_util.as_local(moment)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}


async def _async_runs_of(
    hass: HomeAssistant, slots: dict[str, str]
) -> tuple[ButlerCoordinator, dict[str, str], Answer | None]:
    """The server and task asked about, and the answer while the task runs now.

    Only runs Home Assistant saw are known: Plex keeps no history of them.
    """
    server = _server(hass, slots)
    task = await _async_task(hass, server, slots.get("task", ""))
    about = {"server": server.config_entry.title, "task": task}
    current = server.memory.runs.current
    if current is None or current.task != task:
        return server, about, None
    elapsed = dt_util.utcnow() - current.start
    return (
        server,
        about,
        (
            "voice_run_now",
            about
            | _when(current.start)
            | {"duration": str(round(elapsed.total_seconds()))},
        ),
    )


def _run_answer(prefix: str, run: Run, about: dict[str, str]) -> Answer:
    """`<prefix>_<outcome>`, with when the run began and how long it ran."""
    return (
        f"{prefix}_{run.outcome.value}",
        about
        | _when(run.start)
        | {"duration": str(round(run.duration.total_seconds()))},
    )


async def _async_last_run(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    server, about, running = await _async_runs_of(hass, slots)
    if running is not None:
        return running
    if (run := server.memory.runs.last(about["task"])) is None:
        return "voice_no_run", about
    return _run_answer("voice_last_run", run, about)


async def _async_run_duration(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    server, about, running = await _async_runs_of(hass, slots)
    if running is not None:
        return running
    if (run := server.memory.runs.last(about["task"])) is None:
        return "voice_no_run", about
    if run.outcome is RunOutcome.FINISHED:
        return _run_answer("voice_took", run, about)
    return _run_answer("voice_last_run", run, about)


def last_night(now: datetime) -> tuple[datetime, datetime]:
    """What people mean by last night: from 18:00 the day before until noon, or now if earlier.

    Plex's butler runs in its maintenance window, at night by default
    (02:00 to 05:00); a backup started late in the evening counts too.
    """
    local = dt_util.as_local(now)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    evening = (noon - timedelta(days=1)).replace(hour=18)
    return evening, min(local, noon)


async def _async_ran_last_night(hass: HomeAssistant, slots: dict[str, str]) -> Answer:
    server, about, running = await _async_runs_of(hass, slots)
    runs = server.memory.runs
    start, end = last_night(dt_util.utcnow())
    if running is not None and runs.current is not None and runs.current.start <= end:
        return running
    if night := runs.between(start, end, about["task"]):
        return _run_answer("voice_night", night[-1], about)
    if (run := runs.last(about["task"])) is None:
        return "voice_night_never", about
    return "voice_night_no", about | _when(run.start)


# What each operation's answer needs from the sentence, said or fixed.
NEEDS: dict[str, frozenset[str]] = {
    "backup": frozenset(),
    "start_task": frozenset({"task"}),
    "start_all": frozenset(),
    "stop_all": frozenset(),
    "status": frozenset(),
    "last_backup": frozenset(),
    "last_run": frozenset({"task"}),
    "run_duration": frozenset({"task"}),
    "ran_last_night": frozenset({"task"}),
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
    "last_run": _async_last_run,
    "run_duration": _async_run_duration,
    "ran_last_night": _async_ran_last_night,
}


async def _async_task(
    hass: HomeAssistant, server: ButlerCoordinator, asked: str
) -> str:
    """The server's task a spoken name means, by its code name or its name in any language."""
    translated = {
        await async_words(hass, language, f"entity.button.{key}.name"): code
        for language in LANGUAGES
        for code in server.data.tasks
        if (key := KNOWN_TASKS.get(code)) is not None
    }
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
    # Named in the answer's language by `async_say`, like a started task.
    raise VoiceError(
        "voice_unknown_task",
        {"asked": asked, "tasks": TASK_SEPARATOR.join(dict.fromkeys(matches))},
    )


def _names(names: Any) -> str:
    return ", ".join(dict.fromkeys(names))
