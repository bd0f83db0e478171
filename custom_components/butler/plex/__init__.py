"""A small asyncio client for a Plex Media Server's butler.

It has no Home Assistant import, so it could be published on its own.
"""

from .client import DEFAULT_PORT, DEFAULT_TIMEOUT, HEARTBEAT, PlexClient
from .exceptions import (
    PlexAuthenticationError,
    PlexConnectionClosedError,
    PlexConnectionError,
    PlexError,
    PlexResponseError,
    PlexTaskNotFoundError,
)
from .models import (
    SCHEDULE_SETTING_PREFIX,
    Activity,
    ActivityEvent,
    ActivityNotification,
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
    "HEARTBEAT",
    "SCHEDULE_SETTING_PREFIX",
    "Activity",
    "ActivityEvent",
    "ActivityNotification",
    "ButlerTask",
    "PlexAuthenticationError",
    "PlexClient",
    "PlexConnectionClosedError",
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
