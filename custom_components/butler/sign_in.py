"""Sign in with Plex: the PIN, its background check and the window's callback.

The config flow shows plex.tv's sign-in page as an external step. Two things
can finish that step: the page sending its window to our callback once the
person allowed the sign-in, and a background check of the PIN, so closing the
window by hand (or a browser that never follows the callback) still finishes
it. Both only ever *ask plex.tv* whether the PIN was allowed: a forged
callback can do no more than trigger one extra look.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import html
import math
from typing import Any, Final

from aiohttp import web

from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.data_entry_flow import AbortFlow, UnknownFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView, current_request
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util.hass_dict import HassKey

from .connection import async_client_identity
from .const import (
    DOMAIN,
    LOGGER,
    PIN_POLL_FAILURES,
    PIN_POLL_INTERVAL,
)
from .plex import (
    PLEX_APP_URL,
    PLEX_TV_URL,
    PlexConnectionError,
    PlexError,
    PlexPin,
    PlexPinExpiredError,
    PlexResource,
    PlexTvClient,
)
from .words import async_words

CALLBACK_PATH: Final = "/auth/butler/sign_in"
CALLBACK_NAME: Final = "auth:butler:sign_in"
# The header Home Assistant's frontend sends with the address it is
# reached at, which is where the sign-in window must come back to.
HEADER_FRONTEND_BASE: Final = "HA-Frontend-Base"

DATA_SIGN_INS: HassKey[dict[str, PinSignIn]] = HassKey(f"{DOMAIN}_sign_ins")
DATA_SIGN_INS_VIEW: HassKey[bool] = HassKey(f"{DOMAIN}_sign_in_view")


class SignInFailure(StrEnum):
    """Why a sign-in ended without a token: also the flow's abort reasons."""

    PIN_EXPIRED = "pin_expired"
    PLEX_TV_UNREACHABLE = "plextv_unreachable"


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    """How the sign-in ended: the account's token, or why not."""

    account_token: str | None = None
    failure: SignInFailure | None = None

    def __repr__(self) -> str:
        """Never show the token."""
        return f"SignInOutcome(failure={self.failure})"


async def async_create_plex_tv(hass: HomeAssistant) -> PlexTvClient:
    """A plex.tv client with this installation's identity.

    The addresses are read from this module when called, so the demo's
    development integration can point them at its stand-in.
    """
    return PlexTvClient(
        async_get_clientsession(hass),
        identity=await async_client_identity(hass),
        base_url=PLEX_TV_URL,
        app_url=PLEX_APP_URL,
    )


class PinSignIn:
    """One person signing in: checks the PIN until it is allowed or runs out."""

    def __init__(
        self, hass: HomeAssistant, flow_id: str, plex_tv: PlexTvClient, pin: PlexPin
    ) -> None:
        """Prepare; `async_start` begins the background checks."""
        self._hass = hass
        self.flow_id = flow_id
        self.plex_tv = plex_tv
        self._pin = pin
        self.outcome: SignInOutcome | None = None
        self._lock = asyncio.Lock()
        self._failures = 0
        # plex.tv forgets the PIN when it expires; counting the checks ends
        # the wait even if it kept answering.
        self._checks_left = math.ceil(
            pin.expires_in / PIN_POLL_INTERVAL.total_seconds()
        )
        self._task: asyncio.Task[None] | None = None
        self._unsub_timer: CALLBACK_TYPE | None = None

    @callback
    def async_start(self) -> None:
        """Wait for the callback, checking the PIN every few seconds meanwhile."""
        self._hass.data.setdefault(DATA_SIGN_INS, {})[self.flow_id] = self
        self._schedule()

    @callback
    def async_stop(self) -> None:
        """The flow went on or went away: stop checking and forget the PIN."""
        self._hass.data.get(DATA_SIGN_INS, {}).pop(self.flow_id, None)
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    @callback
    def _schedule(self) -> None:
        self._unsub_timer = async_call_later(
            self._hass, PIN_POLL_INTERVAL, self._async_timer
        )

    @callback
    def _async_timer(self, now: datetime) -> None:
        self._unsub_timer = None
        self._task = self._hass.async_create_background_task(
            self._async_timed_check(), "butler sign-in check"
        )

    async def _async_timed_check(self) -> None:
        # Only the timer's checks count against the PIN's lifetime: however
        # often the callback is called, the wait lasts as long as the PIN.
        self._checks_left -= 1
        if not await self.async_check() and self.flow_id in self._hass.data.get(
            DATA_SIGN_INS, {}
        ):
            self._schedule()

    async def async_check(self) -> bool:
        """Look at the PIN once; when the sign-in ended, move the flow on.

        Returns whether it ended. Checks never overlap, and the flow is moved
        on once, by whichever check saw the end.
        """
        async with self._lock:
            if self.outcome is not None:
                return True
            self.outcome = await self._async_look()
            if self.outcome is None:
                return False
        try:
            await self._hass.config_entries.flow.async_configure(self.flow_id)
        except UnknownFlow:
            # The person closed the dialog meanwhile.
            self.async_stop()
        return True

    async def _async_look(self) -> SignInOutcome | None:
        try:
            pin = await self.plex_tv.async_check_pin(self._pin)
        except PlexPinExpiredError:
            return SignInOutcome(failure=SignInFailure.PIN_EXPIRED)
        except PlexError as err:
            self._failures += 1
            LOGGER.debug(
                "Checking the sign-in at plex.tv failed (%s of %s): %s",
                self._failures,
                PIN_POLL_FAILURES,
                err,
            )
            if self._failures >= PIN_POLL_FAILURES:
                return SignInOutcome(failure=SignInFailure.PLEX_TV_UNREACHABLE)
        else:
            self._failures = 0
            if pin.auth_token is not None:
                return SignInOutcome(account_token=pin.auth_token)
        if self._checks_left <= 0:
            return SignInOutcome(failure=SignInFailure.PIN_EXPIRED)
        return None


def forward_url(hass: HomeAssistant, flow_id: str) -> str | None:
    """Where plex.tv sends the sign-in window back to, if Home Assistant knows its address.

    The frontend names the address the person uses; without it (a flow
    started by an API client) Home Assistant's configured URL is used, and
    without one the window stays open and the background check finishes.
    """
    request = current_request.get()
    base = request.headers.get(HEADER_FRONTEND_BASE) if request is not None else None
    if base is None:
        try:
            base = get_url(hass, allow_cloud=False)
        except NoURLAvailableError:
            return None
    return f"{base.rstrip('/')}{CALLBACK_PATH}?flow_id={flow_id}"


@callback
def async_register_callback_view(hass: HomeAssistant) -> None:
    """Register the callback once for the whole installation."""
    if not hass.data.get(DATA_SIGN_INS_VIEW):
        hass.http.register_view(SignInCallbackView())
        hass.data[DATA_SIGN_INS_VIEW] = True


class SignInCallbackView(HomeAssistantView):
    """Where plex.tv's sign-in page sends its window once the person allowed it.

    It needs no login (the window is plex.tv's, without Home Assistant's
    session) and only moves on a Butler for Plex flow waiting in its
    sign-in step.
    """

    url = CALLBACK_PATH
    name = CALLBACK_NAME
    requires_auth = False

    async def get(self, request: web.Request) -> web.Response:
        """Check the PIN now and close the window."""
        hass = request.app[KEY_HASS]
        sign_in = hass.data.get(DATA_SIGN_INS, {}).get(request.query.get("flow_id", ""))
        if sign_in is None:
            return await _async_page(hass, "sign_in_not_waiting", status=404)
        await sign_in.async_check()
        return await _async_page(hass, "sign_in_window_done", close=True)


async def _async_page(
    hass: HomeAssistant, key: str, *, status: int = 200, close: bool = False
) -> web.Response:
    """A small page in Home Assistant's language."""
    text = html.escape(await async_words(hass, hass.config.language, f"common.{key}"))
    script = "<script>window.close()</script>" if close else ""
    return web.Response(
        status=status,
        content_type="text/html",
        text=(
            f'<!DOCTYPE html><html lang="{html.escape(hass.config.language)}">'
            f'<head><meta charset="utf-8"><title>{text}</title></head>'
            f"<body><p>{text}</p>{script}</body></html>"
        ),
    )


async def async_start_sign_in(
    hass: HomeAssistant, flow_id: str
) -> tuple[PinSignIn, str]:
    """Get a PIN from plex.tv and start checking it; also the sign-in page's address."""
    with _plex_tv_aborts("a sign-in PIN"):
        plex_tv = await async_create_plex_tv(hass)
        pin = await plex_tv.async_create_pin()
    async_register_callback_view(hass)
    sign_in = PinSignIn(hass, flow_id, plex_tv, pin)
    sign_in.async_start()
    return sign_in, plex_tv.auth_url(pin, forward_url(hass, flow_id))


async def async_account_servers(sign_in: PinSignIn | None) -> list[PlexResource]:
    """The signed-in account's servers; the account's token is not kept."""
    outcome = sign_in.outcome if sign_in is not None else None
    if sign_in is None or outcome is None or outcome.account_token is None:
        # Only an API client skipping the sign-in gets here.
        raise AbortFlow(SignInFailure.PLEX_TV_UNREACHABLE)
    with _plex_tv_aborts("the account's servers"):
        resources = await sign_in.plex_tv.async_get_resources(outcome.account_token)
    return [resource for resource in resources if resource.is_server]


@contextmanager
def _plex_tv_aborts(asked_for: str) -> Iterator[None]:
    """plex.tv failing ends the flow with a reason the person can act on."""
    try:
        yield
    except PlexConnectionError as err:
        LOGGER.debug("plex.tv did not answer when asked for %s: %s", asked_for, err)
        raise AbortFlow(SignInFailure.PLEX_TV_UNREACHABLE) from err
    except PlexError as err:
        LOGGER.debug("plex.tv's answer for %s is unusable: %s", asked_for, err)
        raise AbortFlow("plextv_invalid") from err


def owned_servers(servers: list[PlexResource]) -> list[PlexResource]:
    """The servers the account owns: only their owner can run butler tasks."""
    owned = [server for server in servers if server.owned]
    if not owned and servers:
        raise AbortFlow(
            "only_shared_servers",
            {"servers": ", ".join(sorted(server.name for server in servers))},
        )
    if not owned:
        raise AbortFlow("no_servers")
    return owned


def known_server(servers: list[PlexResource], machine_id: str) -> PlexResource:
    """The account's entry for this server, which it must own."""
    for server in servers:
        if server.client_identifier == machine_id:
            if not server.owned:
                raise AbortFlow("not_owner", {"name": server.name})
            return server
    raise AbortFlow("server_not_on_account")


def server_token(server: PlexResource) -> str:
    """The token plex.tv gives for this server (never the account's)."""
    if server.access_token is None:
        raise AbortFlow("plextv_invalid")
    return server.access_token


def connection_candidates(server: PlexResource) -> list[dict[str, Any]]:
    """Entry data for each of the server's connections, best first."""
    token = server_token(server)
    return [
        {
            CONF_HOST: connection.host,
            CONF_PORT: connection.port,
            CONF_SSL: connection.ssl,
            # plex.direct names come with Plex's matching certificate. An
            # HTTPS address without one fails its probe and a later
            # connection is used: a token is never sent over an unverified
            # connection.
            CONF_VERIFY_SSL: True,
            CONF_TOKEN: token,
        }
        for connection in server.ordered_connections()
    ]
