"""A small asyncio client for a Plex Media Server's butler.

It has no Home Assistant import, so it could be published on its own.
"""

from .client import DEFAULT_PORT, DEFAULT_TIMEOUT, PlexClient
from .exceptions import (
    PlexAuthenticationError,
    PlexConnectionError,
    PlexError,
    PlexResponseError,
    PlexTaskNotFoundError,
)
from .models import (
    SCHEDULE_SETTING_PREFIX,
    Activity,
    ButlerTask,
    ServerIdentity,
    ServerInfo,
    Setting,
    StartResult,
    StopResult,
    readable_task_name,
)

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "SCHEDULE_SETTING_PREFIX",
    "Activity",
    "ButlerTask",
    "PlexAuthenticationError",
    "PlexClient",
    "PlexConnectionError",
    "PlexError",
    "PlexResponseError",
    "PlexTaskNotFoundError",
    "ServerIdentity",
    "ServerInfo",
    "Setting",
    "StartResult",
    "StopResult",
    "readable_task_name",
]
