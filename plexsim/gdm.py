"""GDM answers for simulated servers, on a UDP port of the loopback address.

Real servers listen on 239.0.0.250:32414; a test or the demo points the
integration's search at this responder instead.
"""

from __future__ import annotations

import asyncio

from .simulator import PlexSimulator


def gdm_answer(server: PlexSimulator) -> bytes:
    """What a Plex Media Server answers to ``M-SEARCH``."""
    return (
        "HTTP/1.0 200 OK\r\n"
        "Content-Type: plex/media-server\r\n"
        f"Resource-Identifier: {server.machine_identifier}\r\n"
        f"Name: {server.friendly_name}\r\n"
        f"Port: {server.port}\r\n"
        "Updated-At: 1795996800\r\n"
        f"Version: {server.version}\r\n"
        "\r\n"
    ).encode()


class GdmResponder(asyncio.DatagramProtocol):
    """Answer every search with one datagram per server, plus any extras a test adds."""

    def __init__(self, servers: list[PlexSimulator]) -> None:
        """Answer for these servers; nothing listens until `start`."""
        self.servers = servers
        self.extra_answers: list[bytes] = []
        self.searches = 0
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._searched = asyncio.Condition()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the port."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=(host, port)
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        return self.port

    def stop(self) -> None:
        """Stop answering."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """Answer a search; ignore anything else."""
        if self._transport is None or not data.startswith(b"M-SEARCH * HTTP/1."):
            return
        # A server that is not running does not answer, as a real one.
        running = [server for server in self.servers if server.listening]
        for answer in [*self.extra_answers, *map(gdm_answer, running)]:
            self._transport.sendto(answer, (str(addr[0]), int(addr[1])))
        self.searches += 1
        asyncio.get_running_loop().create_task(self._note_search())

    async def _note_search(self) -> None:
        async with self._searched:
            self._searched.notify_all()

    async def wait_for_searches(self, count: int) -> None:
        """Wait until `count` searches have been answered in all."""
        async with self._searched:
            await self._searched.wait_for(lambda: self.searches >= count)
