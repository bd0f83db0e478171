"""A small asyncio client for a Plex Media Server's butler, plex.tv and GDM.

It has no Home Assistant import, so it could be published on its own.
"""

from .client import DEFAULT_PORT, HEARTBEAT, PlexClient
from .exceptions import (
    PlexAuthenticationError,
    PlexConnectionClosedError,
    PlexConnectionError,
    PlexError,
    PlexPinExpiredError,
    PlexResponseError,
    PlexSettingRefusedError,
    PlexTaskNotFoundError,
)
from .gdm import GDM_ADDRESS, GDM_WAIT, GdmServer, async_gdm_search, parse_gdm_answer
from .http import DEFAULT_TIMEOUT, PlexIdentity
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
from .plextv import (
    PLEX_APP_URL,
    PLEX_TV_URL,
    PlexConnection,
    PlexPin,
    PlexResource,
    PlexTvClient,
)

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "GDM_ADDRESS",
    "GDM_WAIT",
    "HEARTBEAT",
    "PLEX_APP_URL",
    "PLEX_TV_URL",
    "SCHEDULE_SETTING_PREFIX",
    "Activity",
    "ActivityEvent",
    "ActivityNotification",
    "ButlerTask",
    "GdmServer",
    "PlexAuthenticationError",
    "PlexClient",
    "PlexConnection",
    "PlexConnectionClosedError",
    "PlexConnectionError",
    "PlexError",
    "PlexIdentity",
    "PlexPin",
    "PlexPinExpiredError",
    "PlexResource",
    "PlexResponseError",
    "PlexSettingRefusedError",
    "PlexTaskNotFoundError",
    "PlexTvClient",
    "ServerIdentity",
    "ServerInfo",
    "Setting",
    "StartResult",
    "StopResult",
    "async_gdm_search",
    "parse_gdm_answer",
    "readable_task_name",
]
