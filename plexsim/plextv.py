"""A plex.tv stand-in: sign-in PINs, the sign-in page and the account's resources.

It answers the few plex.tv calls a client makes to sign in (``/api/v2/pins``,
``/api/v2/resources``) and serves a sign-in page at ``/auth`` in place of
``app.plex.tv``: it reads the PIN's code from the address's fragment, as
Plex's page does, and its *Allow* button authorises the PIN and follows
``forwardUrl``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import math
import secrets
from typing import Any

from aiohttp import web

from .simulator import PlexSimulator, RecordedRequest

# Plex's own pages say "plex.direct" names carry the address and a hash of
# the server's certificate; any fixed hex stands in for the hash.
PLEX_DIRECT_HASH = "5d9c0e1f2a3b4c5d6e7f8a9b0c1d2e3f"
# TEST-NET-3: never routed, so a "remote" connection that cannot answer.
REMOTE_ADDRESS = "203.0.113.7"


@dataclass
class SimPin:
    """A PIN handed out by the stand-in."""

    id: int
    code: str
    client_identifier: str
    expires_at: float
    authorized: bool = False
    expired: bool = False


@dataclass
class SimDevice:
    """A device on the account, as ``/api/v2/resources`` lists it."""

    name: str
    client_identifier: str
    owned: bool
    access_token: str
    connections: list[dict[str, Any]] = field(default_factory=list)
    provides: str = "server"
    https_required: bool = False

    def as_json(self) -> dict[str, Any]:
        """The device as plex.tv writes it."""
        return {
            "name": self.name,
            "product": "Plex Media Server",
            "productVersion": "1.43.2.10162-2e8e5f84a",
            "platform": "Linux",
            "clientIdentifier": self.client_identifier,
            "provides": self.provides,
            "owned": self.owned,
            "accessToken": self.access_token,
            "httpsRequired": self.https_required,
            "publicAddressMatches": True,
            "presence": True,
            "connections": self.connections,
        }


def connection(
    scheme: str,
    address: str,
    port: int,
    *,
    local: bool,
    relay: bool = False,
    host: str | None = None,
) -> dict[str, Any]:
    """One connection entry; `host` is the name in the URI when not the address."""
    return {
        "protocol": scheme,
        "address": address,
        "port": port,
        "uri": f"{scheme}://{host or address}:{port}",
        "local": local,
        "relay": relay,
        "IPv6": ":" in address,
    }


def plex_direct_host(address: str) -> str:
    """The server's HTTPS name for an address: 192-168-1-5.<hash>.plex.direct."""
    return f"{address.replace('.', '-')}.{PLEX_DIRECT_HASH}.plex.direct"


def every_kind_of_connection(server: PlexSimulator) -> list[dict[str, Any]]:
    """What plex.tv lists for a server: only the local HTTP one answers here.

    The local HTTPS name needs Plex's DNS and certificate, the remote
    address is never routed and the relay is Plex's: none can answer a
    simulator, which is what a client must cope with.
    """
    host, port = server.host, server.port
    return [
        connection("https", host, port, local=True, host=plex_direct_host(host)),
        connection("http", host, port, local=True),
        connection(
            "https",
            REMOTE_ADDRESS,
            port,
            local=False,
            host=plex_direct_host(REMOTE_ADDRESS),
        ),
        connection(
            "https",
            "198.51.100.9",
            8443,
            local=False,
            relay=True,
            host=plex_direct_host("198.51.100.9"),
        ),
    ]


class PlexTvSimulator:
    """plex.tv for one signed-in account."""

    def __init__(self, *, account_token: str, pin_lifetime: int = 1800) -> None:
        """Describe the account; nothing listens until `start`."""
        self.account_token = account_token
        self.pin_lifetime = pin_lifetime
        self.devices: list[SimDevice] = []
        self.pins: dict[int, SimPin] = {}
        self.requests: list[RecordedRequest] = []
        self.server_error = False
        self.garbage = False
        self.port = 0
        self.host = "127.0.0.1"
        self._next_pin = 4242
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://{self.host}:{self.port}"

    def add_server(
        self,
        server: PlexSimulator,
        *,
        owned: bool = True,
        name: str | None = None,
        connections: list[dict[str, Any]] | None = None,
    ) -> SimDevice:
        """List a simulated server on the account, by default with every kind of connection."""
        device = SimDevice(
            name=name or server.friendly_name,
            client_identifier=server.machine_identifier,
            owned=owned,
            access_token=server.token if owned else (server.shared_token or "shared"),
            connections=(
                connections
                if connections is not None
                else every_kind_of_connection(server)
            ),
        )
        self.devices.append(device)
        return device

    def authorize(self, code: str | None = None) -> None:
        """Allow a PIN (the newest when no code is given), as the sign-in page's button does."""
        for pin in reversed(self.pins.values()):
            if code is None or pin.code == code:
                pin.authorized = True
                return
        raise KeyError(code)

    def expire_pins(self) -> None:
        """Let every PIN run out, as plex.tv does after its lifetime."""
        for pin in self.pins.values():
            pin.expired = True

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host and port (0 picks a free one); returns the port."""
        self.host = host
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/api/v2/pins", self._create_pin)
        app.router.add_get("/api/v2/pins/{id}", self._get_pin)
        app.router.add_get("/api/v2/resources", self._resources)
        app.router.add_get("/auth", self._sign_in_page)
        app.router.add_post("/auth/allow", self._allow)
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=0.1
        )
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        """Stop listening: clients get "connection refused"."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        self.requests.append(RecordedRequest.of(request))
        if self.server_error and request.path.startswith("/api/"):
            return web.Response(status=503, text="Service Unavailable")
        if self.garbage and request.path.startswith("/api/"):
            # A captive portal or a proxy's page, with 200.
            return web.Response(
                text="<html><body>Maintenance</body></html>", content_type="text/html"
            )
        return await handler(request)

    def _pin_json(self, pin: SimPin) -> dict[str, Any]:
        remaining = max(
            0, math.ceil(pin.expires_at - asyncio.get_running_loop().time())
        )
        return {
            "id": pin.id,
            "code": pin.code,
            "product": "0",
            "trusted": False,
            "clientIdentifier": pin.client_identifier,
            "expiresIn": remaining,
            "authToken": self.account_token if pin.authorized else None,
        }

    async def _create_pin(self, request: web.Request) -> web.Response:
        client = request.headers.get("X-Plex-Client-Identifier")
        if not client:
            return web.json_response(
                {
                    "errors": [
                        {"code": 1000, "message": "X-Plex-Client-Identifier is missing"}
                    ]
                },
                status=400,
            )
        self._next_pin += 1
        pin = SimPin(
            id=self._next_pin,
            code=secrets.token_hex(12) if request.query.get("strong") else "ABCD",
            client_identifier=client,
            expires_at=asyncio.get_running_loop().time() + self.pin_lifetime,
        )
        self.pins[pin.id] = pin
        return web.json_response(self._pin_json(pin), status=201)

    async def _get_pin(self, request: web.Request) -> web.Response:
        pin = self.pins.get(
            int(request.match_info["id"]) if request.match_info["id"].isdigit() else -1
        )
        if (
            pin is None
            or pin.expired
            or pin.expires_at < asyncio.get_running_loop().time()
            or pin.client_identifier != request.headers.get("X-Plex-Client-Identifier")
        ):
            return web.json_response(
                {"errors": [{"code": 1020, "message": "Code not found or expired"}]},
                status=404,
            )
        return web.json_response(self._pin_json(pin))

    async def _resources(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Plex-Token") != self.account_token:
            return web.json_response(
                {
                    "errors": [
                        {"code": 1001, "message": "User could not be authenticated"}
                    ]
                },
                status=401,
            )
        return web.json_response([device.as_json() for device in self.devices])

    async def _allow(self, request: web.Request) -> web.Response:
        data = await request.json()
        try:
            self.authorize(str(data.get("code")))
        except KeyError:
            return web.json_response({"allowed": False}, status=404)
        return web.json_response({"allowed": True})

    async def _sign_in_page(self, request: web.Request) -> web.Response:
        return web.Response(text=SIGN_IN_PAGE, content_type="text/html")


# The page reads clientID, code and forwardUrl from the fragment, as
# app.plex.tv does, so the same link works against either.
SIGN_IN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to Plex (simulated)</title>
<style>body{font-family:sans-serif;background:#1f1f1f;color:#eee;text-align:center;padding:3em}
button{background:#e5a00d;border:0;padding:.8em 2.4em;font-size:1.1em;border-radius:4px;cursor:pointer}</style>
</head><body>
<h1>Plex (simulated)</h1>
<p id="ask">Signed in as <b>demo@example.com</b>. Allow <b id="product">an app</b> to use your Plex account?</p>
<button id="allow" type="button">Allow</button>
<p id="done" hidden>Allowed. You can close this window.</p>
<script>
const params = new URLSearchParams(location.hash.replace(/^#\\??/, ""));
const product = params.get("context[device][product]");
if (product) document.getElementById("product").textContent = product;
document.getElementById("allow").addEventListener("click", async () => {
  const answer = await fetch("/auth/allow", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({code: params.get("code"), clientID: params.get("clientID")}),
  });
  if (!answer.ok) { document.getElementById("ask").textContent = "That sign-in request expired."; return; }
  const forward = params.get("forwardUrl");
  if (forward) { location.href = forward; return; }
  document.getElementById("allow").hidden = true;
  document.getElementById("done").hidden = false;
});
</script>
</body></html>
"""
