"""Errors raised by the Plex butler client.

Messages never carry the token: they name the request by method and path only.
"""

from __future__ import annotations


class PlexError(Exception):
    """Base class for every error the client raises."""


class PlexConnectionError(PlexError):
    """The server could not be reached, timed out or answered with a 5xx."""


class PlexConnectionClosedError(PlexConnectionError):
    """The notification socket closed, or went silent and was closed."""


class PlexAuthenticationError(PlexError):
    """The server refused the token (401/403)."""


class PlexResponseError(PlexError):
    """The server answered, but not with the data that was asked for."""


class PlexSettingRefusedError(PlexResponseError):
    """The server would not change a setting, although it accepts the token.

    Plex answers a settings write with 403 both for a token it refuses and
    for a setting it does not have; this is raised only after a read with
    the same token worked, so it is never a refused token in disguise.
    """

    def __init__(self, setting: str) -> None:
        """Remember which setting the server would not change."""
        super().__init__(f"PUT /:/prefs: the server would not change {setting!r}")
        self.setting = setting


class PlexTaskNotFoundError(PlexError):
    """The server has no butler task by that name."""

    def __init__(self, task: str) -> None:
        """Remember which task was missing."""
        super().__init__(f"The server has no butler task named {task!r}")
        self.task = task


class PlexPinExpiredError(PlexError):
    """plex.tv no longer knows the sign-in PIN: it expired or was used up."""
