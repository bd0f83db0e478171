"""GDM: how Plex Media Servers answer a search on the local network.

A client sends ``M-SEARCH * HTTP/1.0`` to UDP 239.0.0.250:32414; every
server answers the sender with ``HTTP/1.0 200 OK`` and header lines naming
itself. Servers answer even where zeroconf is off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import logging
import socket
from typing import Final

from .models import as_int, as_str, as_text

_LOGGER = logging.getLogger(__name__)

GDM_ADDRESS: Final = ("239.0.0.250", 32414)
GDM_SEARCH: Final = b"M-SEARCH * HTTP/1.0\r\n\r\n"
# Servers answer within milliseconds; a few seconds covers a busy one.
GDM_WAIT: Final = 3.0
# A real answer is a few hundred bytes.
MAX_ANSWER_BYTES: Final = 4096
_SERVER_TYPE: Final = "plex/media-server"


@dataclass(frozen=True, slots=True)
class GdmServer:
    """A server that answered a search."""

    machine_identifier: str
    name: str
    host: str
    port: int
    version: str | None


def parse_gdm_answer(data: bytes, sender: tuple[str, int]) -> GdmServer | None:
    """Read one answer; None for anything that is not a server's.

    Players answer GDM too (with another content type), and anything on the
    network may send anything to the searching port.
    """
    if len(data) > MAX_ANSWER_BYTES:
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not lines or not lines[0].startswith("HTTP/1.") or " 200" not in lines[0]:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, colon, value = line.partition(":")
        if colon:
            headers[key.strip().lower()] = value.strip()
    content_type = headers.get("content-type")
    if content_type is not None and _SERVER_TYPE not in content_type.lower():
        return None
    machine_identifier = as_str(headers.get("resource-identifier"))
    if machine_identifier is None:
        return None
    port = headers.get("port")
    port_number = 32400 if port is None else as_int(port, minimum=1, maximum=65535)
    if port_number is None:
        return None
    return GdmServer(
        machine_identifier=machine_identifier,
        name=as_text(headers.get("name")) or machine_identifier,
        host=sender[0],
        port=port_number,
        version=as_str(headers.get("version")),
    )


class _Search(asyncio.DatagramProtocol):
    """Hand every valid answer to the caller as it arrives."""

    def __init__(self, on_server: Callable[[GdmServer], None]) -> None:
        self._on_server = on_server

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        server = parse_gdm_answer(data, (str(addr[0]), int(addr[1])))
        if server is None:
            _LOGGER.debug("Ignored a GDM answer from %s", addr[0])
            return
        self._on_server(server)

    def error_received(self, exc: Exception) -> None:
        # An ICMP "port unreachable" for the search: nobody listens there.
        _LOGGER.debug("GDM search: %s", exc)


async def async_gdm_search(
    on_server: Callable[[GdmServer], None],
    *,
    target: tuple[str, int] = GDM_ADDRESS,
    wait: float = GDM_WAIT,
) -> None:
    """Search once and call `on_server` for each server that answers within `wait`.

    Answers are handed over as they arrive, not at the end, so a caller
    sees every server that answered even if it stops the search early.
    Raises OSError when the network refuses the search.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setblocking(False)
        # Stay on the local network, as Plex's own clients do.
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.bind(("", 0))
    except OSError:
        sock.close()
        raise
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Search(on_server), sock=sock
    )
    try:
        transport.sendto(GDM_SEARCH, target)
        await asyncio.sleep(wait)
    finally:
        transport.close()
