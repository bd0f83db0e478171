"""The Plex client on recorded payloads: both formats, odd encodings, garbage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

import aiohttp
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.butler.plex import (
    ButlerTask,
    PlexAuthenticationError,
    PlexClient,
    PlexConnectionError,
    PlexIdentity,
    PlexResponseError,
    PlexSettingRefusedError,
    PlexTaskNotFoundError,
    StartResult,
    StopResult,
    readable_task_name,
)
from custom_components.butler.plex.client import (
    decode_container,
    parse_activities,
    parse_tasks,
)
from custom_components.butler.plex.http import MAX_BODY_BYTES
from custom_components.butler.plex.models import (
    MAX_TEXT,
    Activity,
    Setting,
    as_bool,
    as_int,
    parse_enum_values,
)

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://plex.local:32400"
TOKEN = "client-test-token"

EXPECTED_TASKS = [
    ButlerTask(
        name="BackupDatabase",
        enabled=True,
        interval_days=3,
        schedule_randomized=False,
        title="Backup Database",
        description="Create a backup copy of the server's database in the configured backup directory",
    ),
    ButlerTask("OptimizeDatabase", True, 7, False, None, None),
    ButlerTask("DeepMediaAnalysis", False, 1, True, None, None),
]


@pytest.fixture
async def session(
    aioclient_mock: AiohttpClientMocker,
) -> AsyncIterator[aiohttp.ClientSession]:
    session = aioclient_mock.create_session(asyncio.get_running_loop())
    yield session
    await session.close()


@pytest.fixture
def client(session: aiohttp.ClientSession) -> PlexClient:
    return PlexClient(
        session,
        "plex.local",
        token=TOKEN,
        identity=PlexIdentity("test-client-id", "Butler for Plex", "0.1.0"),
    )


@pytest.mark.parametrize("fixture", ["butler_tasks.xml", "butler_tasks.json"])
async def test_tasks_in_both_formats(
    client: PlexClient, aioclient_mock: AiohttpClientMocker, fixture: str
) -> None:
    aioclient_mock.get(f"{BASE}/butler", text=(FIXTURES / fixture).read_text())
    assert await client.async_get_tasks() == EXPECTED_TASKS


async def test_token_and_identity_travel_as_headers(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(f"{BASE}/butler", text='{"ButlerTasks": {}}')
    assert await client.async_get_tasks() == []
    _, url, _, headers = aioclient_mock.mock_calls[0]
    assert TOKEN not in str(url)
    assert headers["X-Plex-Token"] == TOKEN
    assert headers["X-Plex-Client-Identifier"] == "test-client-id"
    assert headers["X-Plex-Product"] == "Butler for Plex"
    assert headers["Accept"] == "application/json"
    assert TOKEN not in repr(client)


async def test_identity_is_asked_without_token(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(
        f"{BASE}/identity",
        text='<MediaContainer size="0" claimed="1" machineIdentifier="abc" version="1.43.2.10162-abc"/>',
    )
    identity = await client.async_get_identity()
    assert (identity.machine_identifier, identity.version, identity.claimed) == (
        "abc",
        "1.43.2.10162-abc",
        True,
    )
    assert "X-Plex-Token" not in aioclient_mock.mock_calls[0][3]


@pytest.mark.parametrize(
    ("path", "method"),
    [("/identity", "async_get_identity"), ("/", "async_get_server_info")],
)
async def test_container_without_machine_identifier(
    client: PlexClient, aioclient_mock: AiohttpClientMocker, path: str, method: str
) -> None:
    aioclient_mock.get(f"{BASE}{path}", text='{"MediaContainer": {"size": 0}}')
    with pytest.raises(PlexResponseError, match="machineIdentifier"):
        await getattr(client, method)()


async def test_server_info_defaults(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(
        f"{BASE}/",
        json={
            "MediaContainer": {
                "machineIdentifier": "abc",
                "version": 1.43,
                "extra": [1],
            }
        },
    )
    info = await client.async_get_server_info()
    assert info.friendly_name == "Plex Media Server"
    assert info.version == "1.43"
    assert info.platform is None


async def test_activities_and_settings(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(
        f"{BASE}/activities",
        text='<MediaContainer size="1"><Activity uuid="u1" type="butler" cancellable="0" userID="1" title="Butler tasks" subtitle="Backing up" progress="40"/></MediaContainer>',
    )
    aioclient_mock.get(
        f"{BASE}/:/prefs",
        json={
            "MediaContainer": {
                "Setting": [
                    {
                        "id": "ButlerTaskBackupDatabase",
                        "type": "bool",
                        "value": True,
                        "default": False,
                    },
                    {"id": "ButlerStartHour", "type": "int", "value": 2, "default": 2},
                    {"type": "text", "value": "no id"},
                    "not an object",
                ]
            }
        },
    )
    (activity,) = await client.async_get_activities()
    assert activity.is_butler
    assert (activity.progress, activity.subtitle, activity.cancellable) == (
        40,
        "Backing up",
        False,
    )
    settings = await client.async_get_settings()
    assert set(settings) == {"ButlerTaskBackupDatabase", "ButlerStartHour"}
    assert settings["ButlerTaskBackupDatabase"].is_on
    assert settings["ButlerTaskBackupDatabase"].default == "0"
    assert settings["ButlerStartHour"].value == "2"


async def test_single_json_object_counts_as_a_list(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(
        f"{BASE}/butler",
        json={
            "ButlerTasks": {
                "ButlerTask": {"name": "Solo", "enabled": 1, "interval": "2"}
            }
        },
    )
    (task,) = await client.async_get_tasks()
    assert (task.name, task.enabled, task.interval_days, task.display_name) == (
        "Solo",
        True,
        2,
        "Solo",
    )


async def test_tasks_without_name_are_skipped(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(
        f"{BASE}/butler",
        text='<ButlerTasks><ButlerTask enabled="1"/><ButlerTask name="  "/><ButlerTask name="X" unknown="y"/></ButlerTasks>',
    )
    assert [task.name for task in await client.async_get_tasks()] == ["X"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, StartResult.STARTED), (202, StartResult.ALREADY_RUNNING)],
)
async def test_start_task(
    client: PlexClient,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    expected: StartResult,
) -> None:
    aioclient_mock.post(f"{BASE}/butler/BackupDatabase", status=status)
    assert await client.async_start_task("BackupDatabase") is expected


async def test_start_unknown_task(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.post(f"{BASE}/butler/Gone", status=404)
    with pytest.raises(PlexTaskNotFoundError) as err:
        await client.async_start_task("Gone")
    assert err.value.task == "Gone"


async def test_task_names_are_quoted(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.post(f"{BASE}/butler/a%2F..%2Fb%3Fc", status=200)
    assert await client.async_start_task("a/../b?c") is StartResult.STARTED
    assert str(aioclient_mock.mock_calls[0][1]).endswith("/butler/a%2F..%2Fb%3Fc")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, StopResult.STOPPED), (404, StopResult.NOT_RUNNING)],
)
async def test_stop_task(
    client: PlexClient,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    expected: StopResult,
) -> None:
    aioclient_mock.delete(f"{BASE}/butler/BackupDatabase", status=status)
    assert await client.async_stop_task("BackupDatabase") is expected


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("post", lambda c: c.async_start_task("X")),
        ("delete", lambda c: c.async_stop_task("X")),
    ],
)
async def test_task_command_refused(
    client: PlexClient, aioclient_mock: AiohttpClientMocker, method: str, call: Any
) -> None:
    aioclient_mock.request(method, f"{BASE}/butler/X", status=400)
    with pytest.raises(PlexResponseError, match="400"):
        await call(client)


async def test_start_and_stop_all(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.post(f"{BASE}/butler", status=200)
    aioclient_mock.delete(f"{BASE}/butler", status=400)
    await client.async_start_all()
    with pytest.raises(PlexResponseError, match="DELETE /butler answered 400"):
        await client.async_stop_all()


async def test_set_setting(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.put(f"{BASE}/:/prefs?ButlerTaskBackupDatabase=false", status=200)
    aioclient_mock.put(f"{BASE}/:/prefs?ButlerStartHour=3", status=200)
    aioclient_mock.put(f"{BASE}/:/prefs?Nope=1", status=400)
    await client.async_set_setting("ButlerTaskBackupDatabase", False)
    await client.async_set_setting("ButlerStartHour", 3)
    with pytest.raises(PlexResponseError, match="Nope"):
        await client.async_set_setting("Nope", "1")


@pytest.mark.parametrize(
    ("read_status", "error"),
    [
        (200, PlexSettingRefusedError),
        (401, PlexAuthenticationError),
        (403, PlexAuthenticationError),
        (404, PlexResponseError),
    ],
)
async def test_a_refused_write_asks_whether_the_token_is_fine(
    client: PlexClient,
    aioclient_mock: AiohttpClientMocker,
    read_status: int,
    error: type[Exception],
) -> None:
    """Plex answers 403 for a setting it lacks too: one read tells which it is."""
    aioclient_mock.put(f"{BASE}/:/prefs?Gone=1", status=403)
    aioclient_mock.get(f"{BASE}/", status=read_status, text="<MediaContainer/>")
    with pytest.raises(error) as err:
        await client.async_set_setting("Gone", 1)
    assert type(err.value) is error
    assert [(method, str(url)) for method, url, *_ in aioclient_mock.mock_calls] == [
        ("PUT", f"{BASE}/:/prefs?Gone=1"),
        ("GET", f"{BASE}/"),
    ]


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("post", lambda client: client.async_start_all()),
        ("delete", lambda client: client.async_stop_all()),
        ("put", lambda client: client.async_set_setting("ButlerStartHour", 3)),
    ],
    ids=["start_all", "stop_all", "set_setting"],
)
async def test_an_empty_html_answer_is_success(
    client: PlexClient,
    aioclient_mock: AiohttpClientMocker,
    method: str,
    call: Callable[[PlexClient], Awaitable[None]],
) -> None:
    # Plex calls its commands' empty answers text/html.
    getattr(aioclient_mock, method)(
        re.compile(f"^{BASE}/"), text="", headers={"Content-Type": "text/html"}
    )
    await call(client)


@pytest.mark.parametrize(
    ("kind", "butler"),
    [
        ("butler", True),
        ("butler.backup", True),
        ("butler.", True),
        ("butlers", False),
        ("media.generate.intros", False),
        ("Butler", False),
        (None, False),
    ],
)
def test_a_butler_run_by_its_type(kind: str | None, butler: bool) -> None:
    assert Activity.from_item({"type": kind}).is_butler is butler


@pytest.mark.parametrize(
    ("enum_values", "options"),
    [
        (
            "0:Never|1:As a scheduled task",
            (("0", "Never"), ("1", "As a scheduled task")),
        ),
        ("0:Never|garbage|:|2:", (("0", "Never"),)),
        ("garbage|||:::|", ()),
        (" 1 : Soon |1:Again|2: ", (("1", "Soon"),)),
        ("5:Five: or more", (("5", "Five: or more"),)),
        (f"{'9' * (MAX_TEXT + 1)}:Too long a value|3:Fine", (("3", "Fine"),)),
        (
            "|".join(f"{n}:n" for n in range(1000)),
            tuple((str(n), "n") for n in range(100)),
        ),
        (None, ()),
        (7, ()),
    ],
)
def test_only_value_and_words_pairs_are_options(
    enum_values: Any, options: tuple[tuple[str, str], ...]
) -> None:
    assert parse_enum_values(enum_values) == options


def test_the_servers_text_is_cut_and_its_names_kept_whole() -> None:
    huge = "x" * 100_000
    activity = Activity.from_item({"type": "butler", "title": huge, "subtitle": huge})
    assert activity.title is not None
    assert len(activity.title) == MAX_TEXT
    assert activity.title.endswith("…")
    assert activity.subtitle == activity.title
    (task,) = parse_tasks(
        {
            "ButlerTask": [
                {"name": "Fine", "title": huge, "description": huge},
                # A name is sent back to the server: it is never cut, and
                # one longer than any Plex name is not a task.
                {"name": huge},
            ]
        }
    )
    assert (len(task.title or ""), len(task.description or "")) == (MAX_TEXT,) * 2
    assert Setting.from_item({"id": huge}) is None
    setting = Setting.from_item({"id": "A", "label": huge, "enumValues": f"1:{huge}"})
    assert setting is not None
    assert len(setting.label or "") == MAX_TEXT
    assert len(setting.options[0][1]) == MAX_TEXT


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_token(
    client: PlexClient, aioclient_mock: AiohttpClientMocker, status: int
) -> None:
    aioclient_mock.get(
        f"{BASE}/butler",
        status=status,
        text=(FIXTURES / "unauthorized.html").read_text(),
    )
    with pytest.raises(PlexAuthenticationError) as err:
        await client.async_get_tasks()
    assert TOKEN not in str(err.value)


@pytest.mark.parametrize(
    ("mock", "error", "message"),
    [
        ({"status": 500}, PlexConnectionError, "answered 500"),
        ({"exc": TimeoutError()}, PlexConnectionError, "timed out"),
        (
            {"exc": aiohttp.ClientConnectionError("refused")},
            PlexConnectionError,
            "refused",
        ),
        ({"status": 302}, PlexResponseError, "answered 302"),
        (
            {"text": (FIXTURES / "unauthorized.html").read_text()},
            PlexResponseError,
            "HTML page",
        ),
        (
            {"text": "\n<!DOCTYPE HTML><html><body><hr></body></html>"},
            PlexResponseError,
            "HTML page",
        ),
        ({"text": "<ButlerTasks><ButlerTask"}, PlexResponseError, "malformed XML"),
        ({"text": '{"ButlerTasks": ['}, PlexResponseError, "malformed JSON"),
        ({"text": '{"MediaContainer": {}}'}, PlexResponseError, "no ButlerTasks"),
        ({"text": "[1, 2]"}, PlexResponseError, "neither XML nor JSON"),
        ({"text": ""}, PlexResponseError, "neither XML nor JSON"),
    ],
)
async def test_bad_answers(
    client: PlexClient,
    aioclient_mock: AiohttpClientMocker,
    mock: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    aioclient_mock.get(f"{BASE}/butler", **mock)
    with pytest.raises(error, match=message) as err:
        await client.async_get_tasks()
    assert TOKEN not in str(err.value)


def test_client_refuses_unusable_host(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match=r"(?i)host"):
        PlexClient(
            session,
            "http://plex.local",
            token=TOKEN,
            identity=PlexIdentity("x", "p", "1"),
        )


def test_https_base_url(session: aiohttp.ClientSession) -> None:
    client = PlexClient(
        session,
        "fe80::1",
        token=TOKEN,
        identity=PlexIdentity("x", "p", "1"),
        ssl=True,
        port=443,
    )
    assert str(client.base_url) == "https://[fe80::1]"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (0, False),
        (1, True),
        (2.0, True),
        ("1", True),
        (" TRUE ", True),
        ("0", False),
        ("false", False),
        ("", False),
        ("maybe", False),
        (None, False),
    ],
)
def test_as_bool(value: Any, expected: bool) -> None:
    assert as_bool(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), (3.7, 3), ("7", 7), (" 2.0 ", 2), ("x", None), (None, None), (True, None)],
)
def test_as_int(value: Any, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ButlerTaskGenerateIntroMarkers", "Generate intro markers"),
        ("RefreshEpgGuides", "Refresh epg guides"),
        ("GenerateBlurHashes", "Generate blur hashes"),
        ("ButlerTask", "Butler task"),
        ("HTTPCleanup", "HTTP cleanup"),
        ("x", "x"),
        ("__", "__"),
    ],
)
def test_readable_task_name(name: str, expected: str) -> None:
    assert readable_task_name(name) == expected


def test_setting_values_are_text() -> None:
    setting = Setting.from_item({"id": "A", "value": ["odd"], "default": None})
    assert setting is not None
    assert (setting.value, setting.default, setting.is_on) == (None, None, False)


def test_decode_rejects_wrong_xml_root() -> None:
    with pytest.raises(PlexResponseError, match="expected <ButlerTasks>"):
        decode_container("<MediaContainer/>", "ButlerTasks")


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "1e999", "NaN"])
async def test_numbers_a_parser_cannot_hold_read_as_unknown(
    client: PlexClient, aioclient_mock: AiohttpClientMocker, number: str
) -> None:
    # Both as XML attributes and as bare JSON numbers, which json.loads accepts.
    aioclient_mock.get(
        f"{BASE}/butler",
        text=f'<ButlerTasks><ButlerTask name="A" interval="{number}" enabled="1"/></ButlerTasks>',
    )
    aioclient_mock.get(
        f"{BASE}/activities",
        text=f'{{"MediaContainer": {{"Activity": [{{"type": "butler", "progress": {number}}}]}}}}',
    )
    (task,) = await client.async_get_tasks()
    assert (task.name, task.interval_days) == ("A", None)
    (activity,) = await client.async_get_activities()
    assert activity.progress is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("inf"), None),
        (float("nan"), None),
        ("1e999", None),
        ("-Infinity", None),
        (10**400, 10**400),
    ],
)
def test_as_int_without_bounds(value: Any, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(
    ("progress", "expected"), [(-1, None), (0, 0), (100, 100), (101, None)]
)
def test_progress_outside_the_scale_is_unknown(
    progress: int, expected: int | None
) -> None:
    (activity,) = parse_activities({"Activity": [{"progress": progress}]})
    assert activity.progress == expected


def test_absurd_interval_is_unknown() -> None:
    (task,) = parse_tasks({"ButlerTask": [{"name": "A", "interval": 10**12}]})
    assert task.interval_days is None


@pytest.mark.parametrize(
    "body",
    [
        "<ButlerTasks>" + "<a>" * 1_200 + "</a>" * 1_200 + "</ButlerTasks>",
        '{"ButlerTasks": ' + "[" * 60_000 + "]" * 60_000 + "}",
        '{"ButlerTasks": ' + '{"a": ' * 60_000 + "1" + "}" * 60_000 + "}",
    ],
    ids=["xml", "json_arrays", "json_objects"],
)
def test_deep_nesting_is_data_or_a_plex_error(body: str) -> None:
    try:
        container = decode_container(body, "ButlerTasks")
    except PlexResponseError:
        return
    assert parse_tasks(container) == []


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("post", lambda client: client.async_start_task("BackupDatabase")),
        ("delete", lambda client: client.async_stop_task("BackupDatabase")),
        ("post", lambda client: client.async_start_all()),
        ("delete", lambda client: client.async_stop_all()),
        ("put", lambda client: client.async_set_setting("ButlerStartHour", 3)),
    ],
    ids=["start_task", "stop_task", "start_all", "stop_all", "set_setting"],
)
async def test_html_page_with_200_is_no_success(
    client: PlexClient,
    aioclient_mock: AiohttpClientMocker,
    method: str,
    call: Callable[[PlexClient], Awaitable[Any]],
) -> None:
    # A proxy's login page answers every path with 200.
    login = "<!DOCTYPE html><html><body><form>Sign in</form></body></html>"
    getattr(aioclient_mock, method)(re.compile(f"^{BASE}/"), text=login)
    with pytest.raises(PlexResponseError, match="HTML page"):
        await call(client)


async def test_huge_answer_is_not_read(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(f"{BASE}/:/prefs", text=" " * (MAX_BODY_BYTES + 1))
    with pytest.raises(PlexResponseError, match="more than"):
        await client.async_get_settings()


async def test_an_unchanged_answer_is_not_decoded_again(
    client: PlexClient, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(
        f"{BASE}/butler", text=(FIXTURES / "butler_tasks.json").read_text()
    )
    first = await client.async_get_tasks()
    with patch(
        "custom_components.butler.plex.client.decode_container",
        side_effect=AssertionError("decoded again"),
    ):
        second = await client.async_get_tasks()
    assert second == first == EXPECTED_TASKS
    # A fresh list each time: a caller changing it changes nothing here.
    second.clear()
    aioclient_mock.clear_requests()
    aioclient_mock.get(
        f"{BASE}/butler",
        text='{"ButlerTasks": {"ButlerTask": [{"name": "Only"}]}}',
    )
    assert [t.name for t in await client.async_get_tasks()] == ["Only"]
