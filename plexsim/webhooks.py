"""Plex's webhooks, as a Plex Pass owner's server sends them.

A real server posts a multipart form to every URL its owner added in Plex
Web: a `payload` field holding JSON (the event, the account, the server)
and, for media events, a `thumb` image. The simulator sends the two events
about the database: `admin.database.backup` after a backup run completes,
and `admin.database.corrupted` when asked to.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
from typing import Any

import aiohttp

DATABASE_BACKED_UP = "admin.database.backup"
DATABASE_CORRUPTED = "admin.database.corrupted"

# A webhook that does not answer must not hold up the simulated server.
_DELIVERY_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True)
class Delivery:
    """One post to one webhook, for tests to inspect."""

    url: str
    event: str
    status: int | None
    """The answer's status; None when the webhook could not be reached."""


@dataclass
class WebhookSender:
    """Posts a server's events to the webhook URLs it was given."""

    server_title: str
    server_uuid: str
    urls: list[str] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _pending: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    def add(self, url: str) -> None:
        """Send events to one more URL (once, however often it is added)."""
        if url not in self.urls:
            self.urls.append(url)

    def payload(self, event: str) -> dict[str, Any]:
        """The `payload` JSON as Plex words it for an admin event."""
        return {
            "event": event,
            "user": True,
            "owner": True,
            "Account": {
                "id": 1,
                "thumb": "https://plex.tv/users/5a1b2c3d4e5f6a7b/avatar",
                "title": "demo@example.com",
            },
            "Server": {"title": self.server_title, "uuid": self.server_uuid},
        }

    async def send(self, event: str) -> None:
        """Post one event to every URL, one after the other, and record the answers."""
        async with aiohttp.ClientSession(timeout=_DELIVERY_TIMEOUT) as session:
            for url in list(self.urls):
                form = aiohttp.FormData()
                form.add_field(
                    "payload",
                    json.dumps(self.payload(event)),
                    content_type="application/json",
                )
                try:
                    async with session.post(url, data=form) as response:
                        status: int | None = response.status
                except aiohttp.ClientError, TimeoutError:
                    status = None
                self.deliveries.append(Delivery(url, event, status))

    def send_soon(self, event: str) -> None:
        """Post an event without waiting for it, as the server does after a task."""
        if not self.urls:
            return
        task = asyncio.get_running_loop().create_task(self.send(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def wait(self) -> None:
        """Wait until every event on its way has been posted."""
        while self._pending:
            await asyncio.gather(*self._pending)

    def cancel(self) -> None:
        """Drop what is still on its way (the server stops)."""
        for task in self._pending:
            task.cancel()
