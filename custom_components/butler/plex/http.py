"""One way to ask Plex over HTTP, for a server and plex.tv alike.

Every request introduces the installation the same way, carries a token
only in the ``X-Plex-Token`` header, is bounded in time and in body size,
and turns transport failures, refused tokens and server faults into this
package's errors. What a status means beyond that is the caller's call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import aiohttp
from yarl import URL

from .exceptions import PlexAuthenticationError, PlexConnectionError, PlexResponseError

# A LAN server answers in milliseconds; ten seconds covers one busy scanning.
DEFAULT_TIMEOUT: Final = 10.0
# A real server's largest answer (its settings) is under 100 KB; anything
# far larger is not the server's data and is not read into memory.
MAX_BODY_BYTES: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PlexIdentity:
    """How an installation introduces itself to Plex servers and plex.tv.

    Plex lists each client identifier once among a server's and an
    account's devices, so it should stay the same across restarts.
    """

    client_identifier: str
    product: str
    product_version: str
    device_name: str | None = None


class PlexHttp:
    """Sends requests to one Plex service on behalf of one installation."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: URL,
        identity: PlexIdentity,
        *,
        timeout: float,
        verify_ssl: bool = True,
    ) -> None:
        """Remember where requests go and how the installation introduces itself."""
        self.base_url = base_url
        self.session = session
        self.timeout = timeout
        self.verify_ssl = verify_ssl
        self._identity = {
            "Accept": "application/json",
            "X-Plex-Product": identity.product,
            "X-Plex-Version": identity.product_version,
            "X-Plex-Client-Identifier": identity.client_identifier,
            "X-Plex-Platform": "Home Assistant",
            "X-Plex-Device-Name": identity.device_name or identity.product,
        }

    def headers(self, token: str | None) -> dict[str, str]:
        """How a well-behaved client introduces itself, with the token when there is one."""
        if token is None:
            return dict(self._identity)
        return {**self._identity, "X-Plex-Token": token}

    async def async_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
        forbidden_is_answer: bool = False,
    ) -> tuple[int, bytes]:
        """Send one request; the status and the whole body come back.

        401 and 403 are a refused token (`PlexAuthenticationError`), unless
        `forbidden_is_answer` hands a 403 back to a caller that can tell a
        refused token from a refused request; 5xx is a server that cannot
        serve (`PlexConnectionError`).
        """
        url = self.base_url.with_path(path, encoded=True)
        if params:
            url = url.with_query(params)
        what = f"{method} {path}"
        with transport_errors(what, self.timeout):
            async with (
                asyncio.timeout(self.timeout),
                self.session.request(
                    method,
                    url,
                    headers=self.headers(token),
                    ssl=self.verify_ssl,
                    allow_redirects=False,
                ) as response,
            ):
                status = response.status
                body = await _read_body(response, what)
        if status == 401 or (status == 403 and not forbidden_is_answer):
            raise PlexAuthenticationError(f"{what} refused the token ({status})")
        if status >= 500:
            raise PlexConnectionError(f"{what} answered {status}")
        return status, body


@contextmanager
def transport_errors(what: str, timeout: float) -> Iterator[None]:
    """A network failure or a timeout becomes a `PlexConnectionError`.

    aiohttp's messages name the host and port only, never headers, so the
    token cannot end up in one.
    """
    try:
        yield
    except TimeoutError:
        raise PlexConnectionError(f"{what} timed out after {timeout:g} s") from None
    except aiohttp.ClientError as err:
        raise PlexConnectionError(
            f"{what} failed: {type(err).__name__}: {err}"
        ) from None


async def _read_body(response: aiohttp.ClientResponse, what: str) -> bytes:
    """Read the whole body, refusing one larger than any real answer.

    Reading to the end, not a fixed count, makes a connection cut short
    of its Content-Length an error instead of a shorter body.
    """
    body = bytearray()
    stream = response.content
    while chunk := await stream.read(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise PlexResponseError(f"{what} answered more than {MAX_BODY_BYTES} bytes")
    return bytes(body)
