"""plex.tv: sign in with a PIN and list the account's servers.

The account's token travels only in the ``X-Plex-Token`` header and is never
kept by this module: the caller asks for the resources with it once and
keeps the server's own token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain, islice
import json
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from .exceptions import (
    PlexPinExpiredError,
    PlexResponseError,
)
from .http import DEFAULT_TIMEOUT, PlexHttp, PlexIdentity
from .models import as_bool, as_int, as_str, as_text

PLEX_TV_URL: Final = "https://plex.tv"
PLEX_APP_URL: Final = "https://app.plex.tv"
# plex.tv's PINs live 30 minutes when "strong"; when it does not say, the
# caller still stops asking after this long.
DEFAULT_PIN_LIFETIME: Final = 1800
# An account has a handful of devices, a server a handful of connections
# (local and remote, HTTP and HTTPS, IPv4 and IPv6, the relay); longer
# lists are not plex.tv's and are cut, owned servers picked first so that
# the cut never loses one. Reading a connection that is no address can
# cost 50 µs (a host name that does not decode), so the cuts also bound
# the time a hostile answer can take.
MAX_RESOURCES: Final = 500
MAX_CONNECTIONS: Final = 20


@dataclass(frozen=True, slots=True)
class PlexPin:
    """A sign-in PIN: the person approves its code on plex.tv."""

    id: int
    code: str
    expires_in: int
    """Seconds it stays valid, as plex.tv said when asked."""
    auth_token: str | None = field(default=None, repr=False)
    """The account's token, once the person allowed the sign-in."""

    @classmethod
    def from_json(cls, data: Any) -> PlexPin:
        """Read plex.tv's PIN object; refuses one without an id or code."""
        if not isinstance(data, dict):
            raise PlexResponseError("the PIN is not an object")
        pin_id = as_int(data.get("id"), minimum=0)
        code = as_str(data.get("code"))
        if pin_id is None or code is None:
            raise PlexResponseError("the PIN has no id or code")
        expires_in = as_int(data.get("expiresIn"), minimum=0, maximum=86_400)
        return cls(
            id=pin_id,
            code=code,
            expires_in=DEFAULT_PIN_LIFETIME if expires_in is None else expires_in,
            auth_token=as_str(data.get("authToken")),
        )


@dataclass(frozen=True, slots=True)
class PlexConnection:
    """One way to reach a server, as plex.tv lists it."""

    host: str
    port: int
    ssl: bool
    local: bool
    relay: bool
    ipv6: bool

    @property
    def plex_direct(self) -> bool:
        """Whether this is an HTTPS name with Plex's own matching certificate."""
        return self.ssl and self.host.endswith(".plex.direct")

    @property
    def preference(self) -> tuple[bool, bool, bool, bool]:
        """Sort key: local before remote, HTTPS plex.direct before HTTP, relay last."""
        return (self.relay, not self.local, not self.plex_direct, self.ipv6)

    @classmethod
    def from_json(cls, data: Any) -> PlexConnection | None:
        """Read one connection; None when its URI makes no usable address."""
        if not isinstance(data, dict) or (uri := as_str(data.get("uri"))) is None:
            return None
        try:
            url = URL(uri)
            # yarl decodes an international host name only when asked for
            # it; one that does not decode raises UnicodeError here.
            scheme, host, port = url.scheme, url.host, url.port
        except ValueError:
            return None
        if (
            scheme not in ("http", "https")
            or not host
            or port is None
            or not 0 < port < 65536
        ):
            return None
        return cls(
            host=host,
            port=port,
            ssl=scheme == "https",
            local=as_bool(data.get("local")),
            relay=as_bool(data.get("relay")),
            ipv6=as_bool(data.get("IPv6")),
        )


@dataclass(frozen=True, slots=True)
class PlexResource:
    """A device on the account: a server, a player, an app."""

    name: str
    client_identifier: str
    """For a server, its machine identifier."""
    owned: bool
    is_server: bool
    https_required: bool
    connections: tuple[PlexConnection, ...]
    access_token: str | None = field(default=None, repr=False)
    """The token this account uses with this server."""

    def ordered_connections(self) -> list[PlexConnection]:
        """The connections to try, best first.

        A server that requires secure connections refuses plain HTTP, so
        those are left out for it.
        """
        usable = [
            connection
            for connection in self.connections
            if connection.ssl or not self.https_required
        ]
        return sorted(usable, key=lambda connection: connection.preference)

    @classmethod
    def from_json(cls, data: Any) -> PlexResource | None:
        """Read one device; None when it has no identifier."""
        if not isinstance(data, dict):
            return None
        identifier = as_str(data.get("clientIdentifier"))
        if identifier is None:
            return None
        raw_connections = data.get("connections")
        if not isinstance(raw_connections, list):
            raw_connections = []
        connections = (
            PlexConnection.from_json(item) for item in raw_connections[:MAX_CONNECTIONS]
        )
        return cls(
            name=as_text(data.get("name")) or identifier,
            client_identifier=identifier,
            owned=as_bool(data.get("owned")),
            is_server=_provides_server(data),
            https_required=as_bool(data.get("httpsRequired")),
            connections=tuple(c for c in connections if c is not None),
            access_token=as_str(data.get("accessToken")),
        )


def parse_resources(data: Any) -> list[PlexResource]:
    """The devices in plex.tv's resources answer (a JSON list), owned servers first.

    The owned servers are picked from the whole list before it is cut, so
    however many devices come before it, the server someone owns is offered.
    """
    if not isinstance(data, list):
        raise PlexResponseError("the resources are not a list")
    # Every device is looked at, so the test is cheap for the many that are
    # not owned: a hostile answer of a million devices takes a fraction of
    # a second, not seconds.
    owned = [
        item
        for item in data
        if isinstance(item, dict)
        and item.get("owned")
        and as_bool(item.get("owned"))
        and _provides_server(item)
    ]
    picked = {id(item) for item in owned}
    others = (item for item in data if id(item) not in picked)
    resources = (
        PlexResource.from_json(item)
        for item in islice(chain(owned, others), MAX_RESOURCES)
    )
    return [resource for resource in resources if resource is not None]


def _provides_server(data: dict[str, Any]) -> bool:
    """Whether a device is a Plex Media Server ("provides" lists "server")."""
    return "server" in (as_str(data.get("provides")) or "").split(",")


class PlexTvClient:
    """Talk to plex.tv (or a stand-in for it) on behalf of one installation."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        identity: PlexIdentity,
        base_url: str = PLEX_TV_URL,
        app_url: str = PLEX_APP_URL,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Prepare a client; `base_url` and `app_url` let a stand-in answer."""
        self.base_url = URL(base_url)
        self._app_url = app_url.rstrip("/")
        self._identity = identity
        self._http = PlexHttp(session, self.base_url, identity, timeout=request_timeout)

    def __repr__(self) -> str:
        """Name the service only."""
        return f"{type(self).__name__}({self.base_url})"

    async def async_create_pin(self) -> PlexPin:
        """Ask plex.tv for a new sign-in PIN."""
        status, data = await self._async_request(
            "POST", "/api/v2/pins", params={"strong": "true"}
        )
        if status not in (200, 201):
            raise PlexResponseError(f"POST /api/v2/pins answered {status}")
        return PlexPin.from_json(data)

    async def async_check_pin(self, pin: PlexPin) -> PlexPin:
        """Ask whether the person allowed the sign-in; `auth_token` is set once they did.

        Raises `PlexPinExpiredError` when plex.tv no longer knows the PIN.
        """
        path = f"/api/v2/pins/{pin.id}"
        status, data = await self._async_request("GET", path)
        if status == 404:
            raise PlexPinExpiredError(f"GET {path}: the PIN expired")
        if status != 200:
            raise PlexResponseError(f"GET {path} answered {status}")
        checked = PlexPin.from_json(data)
        if checked.id != pin.id:
            raise PlexResponseError(f"GET {path} answered another PIN")
        return checked

    def auth_url(self, pin: PlexPin, forward_url: str | None) -> str:
        """The page where the person signs in and allows the PIN.

        Plex's app reads its parameters from the fragment; with a
        `forward_url` it sends the window there once the person allowed it.
        """
        params = {
            "clientID": self._identity.client_identifier,
            "code": pin.code,
            "context[device][product]": self._identity.product,
        }
        if forward_url:
            params["forwardUrl"] = forward_url
        return f"{self._app_url}/auth#?{urlencode(params)}"

    async def async_get_resources(self, account_token: str) -> list[PlexResource]:
        """List the account's devices with their connections and tokens."""
        path = "/api/v2/resources"
        status, data = await self._async_request(
            "GET",
            path,
            params={"includeHttps": "1", "includeRelay": "1", "includeIPv6": "1"},
            token=account_token,
        )
        if status != 200:
            raise PlexResponseError(f"GET {path} answered {status}")
        return parse_resources(data)

    async def _async_request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        """Send one request and decode its JSON; 404 comes back to the caller.

        plex.tv answers 403 only for a token it refuses.
        """
        status, raw = await self._http.async_request(
            method, path, params=params, token=token
        )
        if status == 404:
            return status, None
        try:
            return status, json.loads(raw.decode("utf-8", errors="replace"))
        except RecursionError:
            raise PlexResponseError(
                f"{method} {path}: JSON nested too deeply"
            ) from None
        except ValueError:
            raise PlexResponseError(f"{method} {path} did not answer JSON") from None
