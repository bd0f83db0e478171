"""The plex.tv client: against the simulator's stand-in, and against answers plex.tv should never give."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.butler.plex import (
    PlexAuthenticationError,
    PlexConnection,
    PlexConnectionError,
    PlexIdentity,
    PlexPin,
    PlexPinExpiredError,
    PlexResource,
    PlexResponseError,
    PlexTvClient,
)
from custom_components.butler.plex.plextv import (
    MAX_RESOURCES,
    parse_resources,
)
from plexsim import PlexSimulator
from plexsim.plextv import PlexTvSimulator

ACCOUNT = "account-token"


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def _client(session: aiohttp.ClientSession, url: str) -> PlexTvClient:
    return PlexTvClient(
        session,
        identity=PlexIdentity("installation-1", "Butler for Plex", "0.4.0"),
        base_url=url,
        app_url=url,
        request_timeout=2,
    )


async def test_sign_in_against_the_stand_in(session: aiohttp.ClientSession) -> None:
    server = PlexSimulator(token="server-token")
    await server.start()
    plex_tv = PlexTvSimulator(account_token=ACCOUNT)
    plex_tv.add_server(server)
    await plex_tv.start()
    try:
        client = _client(session, plex_tv.url)
        pin = await client.async_create_pin()
        assert pin.auth_token is None
        assert 0 < pin.expires_in <= 1800
        assert (await client.async_check_pin(pin)).auth_token is None
        plex_tv.authorize(pin.code)
        allowed = await client.async_check_pin(pin)
        assert allowed.auth_token == ACCOUNT
        # Tokens never show in a repr, so never in a log line quoting one.
        assert ACCOUNT not in repr(allowed)
        (resource,) = await client.async_get_resources(ACCOUNT)
        assert ACCOUNT not in repr(resource)
        assert resource.access_token == "server-token"
        assert "server-token" not in repr(resource)
        # Local before remote, HTTPS plex.direct before HTTP, the relay last.
        ordered = resource.ordered_connections()
        assert [(c.local, c.plex_direct, c.relay) for c in ordered] == [
            (True, True, False),
            (True, False, False),
            (False, True, False),
            (False, True, True),
        ]
        with pytest.raises(PlexAuthenticationError) as refused:
            await client.async_get_resources("wrong-secret")
        # Errors name the request, never a token.
        assert "wrong-secret" not in str(refused.value)
        assert str(refused.value) == "GET /api/v2/resources refused the token (401)"
        plex_tv.expire_pins()
        with pytest.raises(PlexPinExpiredError):
            await client.async_check_pin(pin)
        assert client.auth_url(pin, None) == (
            f"{plex_tv.url}/auth#?clientID=installation-1&code={pin.code}"
            "&context%5Bdevice%5D%5Bproduct%5D=Butler+for+Plex"
        )
        assert repr(client) == f"PlexTvClient({plex_tv.url})"
    finally:
        await plex_tv.stop()
        await server.stop()


type Handler = Callable[[web.Request], web.Response]


@pytest.fixture
async def odd_plex_tv(
    socket_enabled: None,
) -> AsyncIterator[Callable[[Handler], Any]]:
    """A plex.tv that answers every request with what a test says."""
    runners: list[web.AppRunner] = []

    async def serve(handler: Handler) -> str:
        async def handle(request: web.Request) -> web.Response:
            return handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield serve
    for runner in runners:
        await runner.cleanup()


PIN = PlexPin(id=7, code="abc", expires_in=60)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (web.Response(status=400, text="{}"), PlexResponseError),
        (web.Response(status=503), PlexConnectionError),
        (web.Response(status=401), PlexAuthenticationError),
        (web.Response(text="<html>login</html>"), PlexResponseError),
        (web.Response(text="[" * 100_000 + "]" * 100_000), PlexResponseError),
        (web.json_response([1, 2]), PlexResponseError),
        (web.json_response({"id": "x", "code": "abc"}), PlexResponseError),
        (web.json_response({"id": 8, "code": "abc"}), PlexResponseError),
        (web.Response(status=302, headers={"Location": "/x"}), PlexResponseError),
    ],
)
async def test_bad_pin_answers(
    session: aiohttp.ClientSession,
    odd_plex_tv: Callable[[Handler], Any],
    answer: web.Response,
    error: type[Exception],
) -> None:
    url = await odd_plex_tv(lambda request: answer)
    with pytest.raises(error):
        await _client(session, url).async_check_pin(PIN)


async def test_a_pin_that_cannot_be_created(
    session: aiohttp.ClientSession, odd_plex_tv: Callable[[Handler], Any]
) -> None:
    url = await odd_plex_tv(lambda request: web.json_response({}, status=422))
    with pytest.raises(PlexResponseError):
        await _client(session, url).async_create_pin()


async def test_resources_that_are_not_a_list(
    session: aiohttp.ClientSession, odd_plex_tv: Callable[[Handler], Any]
) -> None:
    url = await odd_plex_tv(lambda request: web.json_response({"devices": []}))
    with pytest.raises(PlexResponseError):
        await _client(session, url).async_get_resources(ACCOUNT)
    url = await odd_plex_tv(lambda request: web.Response(status=404))
    with pytest.raises(PlexResponseError):
        await _client(session, url).async_get_resources(ACCOUNT)


def test_odd_devices_and_connections() -> None:
    resources = parse_resources(
        [
            "not a device",
            {"name": "no identifier"},
            {
                "clientIdentifier": "tv",
                "provides": "client,player",
                "connections": "not a list",
            },
            {
                "clientIdentifier": "srv",
                "provides": "server",
                "owned": "1",
                "httpsRequired": True,
                "connections": [
                    "x",
                    {"local": True},
                    {"uri": "ftp://10.0.0.1:21"},
                    {"uri": "http://[::1"},
                    {"uri": "http://"},
                    {"uri": "http://10.0.0.9:0"},
                    {"uri": "http://10.0.0.2:32400", "local": True},
                    {"uri": "https://10.0.0.3:32400", "local": True},
                    {"uri": "https://[fd00::3]:32400", "local": True, "IPv6": True},
                ],
            },
        ]
    )
    # Owned servers come first.
    server, tv = resources
    assert tv == PlexResource(
        name="tv",
        client_identifier="tv",
        owned=False,
        is_server=False,
        https_required=False,
        connections=(),
    )
    assert server.is_server
    assert server.owned
    # Plain HTTP is refused by a server that requires secure connections;
    # IPv4 before IPv6; an HTTPS IP has no plex.direct certificate.
    assert server.ordered_connections() == [
        PlexConnection("10.0.0.3", 32400, True, True, False, False),
        PlexConnection("fd00::3", 32400, True, True, False, True),
    ]
    assert len(server.connections) == 3
    with pytest.raises(PlexResponseError):
        parse_resources({"not": "a list"})


def test_an_address_that_does_not_decode_is_skipped() -> None:
    """An invalid international host name is one bad connection, not a crash."""
    good = {"uri": "http://10.0.0.2:32400", "local": True}
    bad = [
        {"uri": "http://xn--zz:32400"},
        {"uri": "https://xn--:32400"},
        {"uri": "http://xn--ls8h.xn--zz:32400"},
    ]
    (server,) = parse_resources(
        [
            {
                "clientIdentifier": "srv",
                "provides": "server",
                "owned": True,
                "connections": [*bad, good, *bad],
            }
        ]
    )
    assert server.ordered_connections() == [
        PlexConnection("10.0.0.2", 32400, False, True, False, False)
    ]


def test_owned_servers_are_picked_from_the_whole_list() -> None:
    others = [
        {"clientIdentifier": f"player-{n}", "provides": "player", "owned": True}
        for n in range(5_000)
    ] + [
        {"clientIdentifier": f"shared-{n}", "provides": "server", "owned": False}
        for n in range(4_999)
    ]
    mine = {"clientIdentifier": "mine", "provides": "client,server", "owned": "1"}
    resources = parse_resources([*others, mine])
    assert len(resources) == MAX_RESOURCES
    assert resources[0].client_identifier == "mine"
    # The rest keep plex.tv's order.
    assert [r.client_identifier for r in resources[1:3]] == ["player-0", "player-1"]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "server",
            "1",
            "http://10.0.0.1:32400",
            "https://[::1]:1",
            "http://xn--zz:32400",
            "https://xn--:1",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "code",
                    "expiresIn",
                    "authToken",
                    "clientIdentifier",
                    "name",
                    "provides",
                    "owned",
                    "httpsRequired",
                    "accessToken",
                    "connections",
                    "uri",
                    "local",
                    "relay",
                    "IPv6",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=8,
        )
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_any_json_is_resources_a_pin_or_a_plex_error(value: Any) -> None:
    try:
        resources = parse_resources(value)
    except PlexResponseError:
        pass
    else:
        for resource in resources:
            for connection in resource.ordered_connections():
                assert connection.host
                assert 1 <= connection.port <= 65535
    try:
        pin = PlexPin.from_json(value)
    except PlexResponseError:
        pass
    else:
        assert pin.code
        assert 0 <= pin.expires_in <= 86_400
