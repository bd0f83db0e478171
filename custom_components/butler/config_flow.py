"""Config flow: sign in with Plex, or give an address and a token; discovered servers.

Signing in lists the account's own servers, picks the best connection of the
chosen one and stores only that server's token, never the account's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from ipaddress import IPv4Address, ip_address
from typing import Any

import probatio as vol

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .connection import async_create_client, reaches_server
from .const import CONF_MACHINE_IDENTIFIER, CONNECTION_PROBE_TIMEOUT, DOMAIN, LOGGER
from .coordinator import ButlerConfigEntry
from .plex import (
    DEFAULT_PORT,
    PlexAuthenticationError,
    PlexConnection,
    PlexConnectionError,
    PlexError,
    PlexResource,
    ServerInfo,
)
from .sign_in import (
    PinSignIn,
    SignInFailure,
    async_create_plex_tv,
    async_register_callback_view,
    forward_url,
)
from .webhooks import webhook_urls

# A help page, not a secret.
TOKEN_HELP_URL = "https://support.plex.tv/articles/204059436-finding-an-authentication-token-x-plex-token/"  # noqa: S105
CONF_SERVER = "server"

_PORT_SELECTOR = vol.All(
    NumberSelector(
        NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
    ),
    vol.Coerce(int),
)
_TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_TOKEN_SCHEMA = vol.Schema({vol.Required(CONF_TOKEN): _TOKEN_SELECTOR})


def _connection_schema(defaults: Mapping[str, Any]) -> dict[vol.Marker, Any]:
    return {
        vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): str,
        vol.Required(
            CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)
        ): _PORT_SELECTOR,
        vol.Required(CONF_SSL, default=defaults.get(CONF_SSL, False)): bool,
        vol.Required(
            CONF_VERIFY_SSL, default=defaults.get(CONF_VERIFY_SSL, True)
        ): bool,
    }


class _FlowError(Exception):
    """A problem to show on the form, by its translation key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def _async_check(
    flow: ConfigFlow, data: Mapping[str, Any]
) -> tuple[str, ServerInfo]:
    """Prove the address is a Plex server and the token may drive its butler.

    Returns the server's machine identifier and description. Each step has
    its own error, so people can tell a typo in the host from a wrong or a
    non-owner token.
    """
    try:
        client = await async_create_client(flow.hass, data)
    except ValueError as err:
        raise _FlowError("invalid_host") from err
    # The identity needs no token: an answer proves a Plex server listens.
    with _form_errors(response="not_plex"):
        identity = await client.async_get_identity()
    # Any valid token may read the server's description...
    with _form_errors(auth="invalid_auth"):
        server = await client.async_get_server_info()
    # ...but only the owner's may see the butler.
    with _form_errors(auth="not_admin"):
        await client.async_get_tasks()
    return identity.machine_identifier, server


@contextmanager
def _form_errors(
    *, auth: str = "invalid_auth", response: str = "unexpected_response"
) -> Iterator[None]:
    try:
        yield
    except PlexAuthenticationError as err:
        raise _FlowError(auth) from err
    except PlexConnectionError as err:
        raise _FlowError("cannot_connect") from err
    except PlexError as err:
        LOGGER.debug("Unexpected answer while checking the server: %s", err)
        raise _FlowError(response) from err
    except Exception as err:
        # A bug or a library's surprise must show a message, not a broken form.
        LOGGER.exception("Unexpected error while checking the server")
        raise _FlowError("unknown") from err


def _connection_data(connection: PlexConnection, token: str) -> dict[str, Any]:
    return {
        CONF_HOST: connection.host,
        CONF_PORT: connection.port,
        CONF_SSL: connection.ssl,
        # plex.direct names come with Plex's matching certificate. An HTTPS
        # address without one fails its probe and a later connection is
        # used: a token is never sent over an unverified connection.
        CONF_VERIFY_SSL: True,
        CONF_TOKEN: token,
    }


async def _async_first_answering(
    flow: ConfigFlow, candidates: list[dict[str, Any]], machine_identifier: str
) -> dict[str, Any] | None:
    """The first candidate, in order, whose `/identity` names this server.

    All are asked at once, so unreachable ones cost one short timeout in
    all, not one each, and a better one that answers is not kept waiting
    by a worse one; a connection that another server answers (an address
    now used by someone else) does not count.
    """

    async def probe(data: dict[str, Any]) -> bool:
        try:
            client = await async_create_client(
                flow.hass, data, request_timeout=CONNECTION_PROBE_TIMEOUT
            )
            identity = await client.async_get_identity()
        except PlexError, ValueError:
            return False
        if identity.machine_identifier != machine_identifier:
            LOGGER.debug(
                "%s:%s answers as another Plex server",
                data[CONF_HOST],
                data[CONF_PORT],
            )
            return False
        return True

    # Probes that are not needed any more are left to finish (each within
    # the probe timeout) rather than cancelled: cancelling one in the middle
    # of a name lookup leaves aiohttp an error nobody collects.
    probes = [
        flow.hass.async_create_background_task(
            probe(data), f"butler probe {data[CONF_HOST]}:{data[CONF_PORT]}"
        )
        for data in candidates
    ]
    for data, answered in zip(candidates, probes, strict=True):
        if await answered:
            return data
    return None


def _moved(entry_data: Mapping[str, Any], host: str, port: int) -> dict[str, Any]:
    """The entry's new address when its server answered from `host`.

    An address stored as an IP follows the server. A plex.direct name gets
    the new IP in its first label, which keeps its certificate valid. Any
    other name stays: it is the network's job to resolve it.
    """
    current = str(entry_data.get(CONF_HOST, ""))
    try:
        new_ip = ip_address(host)
    except ValueError:
        return {}
    if current.endswith(".plex.direct"):
        if not isinstance(new_ip, IPv4Address):
            return {}
        _, _, rest = current.partition(".")
        moved = {CONF_HOST: f"{str(new_ip).replace('.', '-')}.{rest}", CONF_PORT: port}
    else:
        try:
            ip_address(current)
        except ValueError:
            return {}
        moved = {CONF_HOST: host, CONF_PORT: port}
    return (
        moved
        if any(entry_data.get(key) != value for key, value in moved.items())
        else {}
    )


class ButlerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Plex Media Server."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> ButlerOptionsFlow:
        """The options show where Plex posts its webhooks."""
        return ButlerOptionsFlow()

    _discovered: dict[str, Any]
    _sign_in: PinSignIn | None = None
    _sign_in_url: str
    _servers: Mapping[str, PlexResource] = {}

    # --- how people start ----------------------------------------------------

    def _sign_in_or(
        self, step_id: str, other: str, **placeholders: str
    ) -> ConfigFlowResult:
        """Every way in offers signing in with Plex first, and one other way."""
        return self.async_show_menu(
            step_id=step_id,
            menu_options=["sign_in", other],
            description_placeholders=placeholders,
        )

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer signing in with Plex first, the address and token second."""
        return self._sign_in_or("user", "manual")

    async def async_step_manual(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's address and an owner token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                machine_id, server = await _async_check(self, user_input)
            except _FlowError as err:
                errors = {"base": err.key}
            else:
                # The same server may wait under "Discovered": adding it by
                # hand must still work, and the discovered flow goes away.
                await self.async_set_unique_id(machine_id, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=server.friendly_name, data=user_input
                )
        schema = vol.Schema(
            {
                **_connection_schema(user_input or {}),
                vol.Required(CONF_TOKEN): _TOKEN_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="manual",
            data_schema=schema,
            errors=errors,
            description_placeholders={"token_url": TOKEN_HELP_URL},
        )

    # --- sign in with Plex ---------------------------------------------------

    async def async_step_sign_in(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Open plex.tv's sign-in page; the callback or the PIN check moves on."""
        if self._sign_in is None:
            try:
                plex_tv = await async_create_plex_tv(self.hass)
                pin = await plex_tv.async_create_pin()
            except PlexConnectionError as err:
                LOGGER.debug("Could not get a sign-in PIN from plex.tv: %s", err)
                return self.async_abort(reason=SignInFailure.PLEX_TV_UNREACHABLE)
            except PlexError as err:
                LOGGER.debug("plex.tv's sign-in PIN is unusable: %s", err)
                return self.async_abort(reason="plextv_invalid")
            async_register_callback_view(self.hass)
            self._sign_in = PinSignIn(self.hass, self.flow_id, plex_tv, pin)
            self._sign_in_url = plex_tv.auth_url(
                pin, forward_url(self.hass, self.flow_id)
            )
            self._sign_in.async_start()
        outcome = self._sign_in.outcome
        if outcome is None:
            return self.async_external_step(step_id="sign_in", url=self._sign_in_url)
        self._sign_in.async_stop()
        if outcome.failure is not None:
            return self.async_external_step_done(next_step_id=outcome.failure)
        return self.async_external_step_done(next_step_id="pick_server")

    async def async_step_pin_expired(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Nobody allowed the sign-in in time."""
        return self.async_abort(reason=SignInFailure.PIN_EXPIRED)

    async def async_step_plextv_unreachable(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """plex.tv stopped answering while the person signed in."""
        return self.async_abort(reason=SignInFailure.PLEX_TV_UNREACHABLE)

    async def async_step_pick_server(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one of the account's own servers, or the one this flow is about.

        Coming from the sign-in, the frontend sends an empty answer.
        """
        if user_input and (
            server := self._servers.get(str(user_input.get(CONF_SERVER)))
        ):
            return await self._async_use_server(server)
        servers = await self._async_account_servers()
        if self.unique_id is not None:
            # Reauthentication, reconfiguration or a discovered server: the
            # server is known, and the account must own it.
            return await self._async_use_server(_known_server(servers, self.unique_id))
        configured = self._async_current_ids(include_ignore=False)
        new = [
            s for s in _owned_servers(servers) if s.client_identifier not in configured
        ]
        if not new:
            return self.async_abort(reason="all_configured")
        if len(new) == 1:
            return await self._async_use_server(new[0])
        self._servers = {server.client_identifier: server for server in new}
        options = [
            SelectOptionDict(value=server.client_identifier, label=server.name)
            for server in sorted(new, key=lambda server: server.name.casefold())
        ]
        return self.async_show_form(
            step_id="pick_server",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_SERVER): SelectSelector(
                        SelectSelectorConfig(
                            options=options, mode=SelectSelectorMode.LIST
                        )
                    )
                }
            ),
        )

    async def _async_account_servers(self) -> list[PlexResource]:
        """The signed-in account's servers; the account's token is dropped after."""
        sign_in, self._sign_in = self._sign_in, None
        outcome = sign_in.outcome if sign_in is not None else None
        if sign_in is None or outcome is None or outcome.account_token is None:
            # Only an API client skipping the sign-in gets here.
            raise AbortFlow(SignInFailure.PLEX_TV_UNREACHABLE)
        try:
            resources = await sign_in.plex_tv.async_get_resources(outcome.account_token)
        except PlexConnectionError as err:
            LOGGER.debug("Could not list the account's servers: %s", err)
            raise AbortFlow(SignInFailure.PLEX_TV_UNREACHABLE) from err
        except PlexError as err:
            LOGGER.debug("plex.tv's list of servers is unusable: %s", err)
            raise AbortFlow("plextv_invalid") from err
        return [resource for resource in resources if resource.is_server]

    async def _async_use_server(self, server: PlexResource) -> ConfigFlowResult:
        """Find a connection that reaches this server, check it and save it."""
        if server.access_token is None:
            return self.async_abort(reason="plextv_invalid")
        placeholders = {"name": server.name}
        candidates = [
            _connection_data(connection, server.access_token)
            for connection in server.ordered_connections()
        ]
        # Reauthentication keeps the address in use, and a server found on
        # the network is reached where it was found: both are tried first.
        # Reconfiguring picks afresh from plex.tv's list.
        if self.source == SOURCE_REAUTH:
            entry_data = self._get_reauth_entry().data
            candidates.insert(0, {**entry_data, CONF_TOKEN: server.access_token})
        elif self.source not in (SOURCE_USER, SOURCE_RECONFIGURE):
            candidates.insert(0, {**self._discovered, CONF_TOKEN: server.access_token})
        data = await _async_first_answering(self, candidates, server.client_identifier)
        if data is None:
            return self.async_abort(
                reason="no_connection", description_placeholders=placeholders
            )
        try:
            machine_id, info = await _async_check(self, data)
        except _FlowError as err:
            return self.async_abort(
                reason=err.key, description_placeholders=placeholders
            )
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            # Merged, not replaced: the entry keeps its webhook id, which the
            # owner pasted into Plex Web.
            return self.async_update_reload_and_abort(
                self._get_flow_entry(), data_updates=data
            )
        await self.async_set_unique_id(machine_id, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=info.friendly_name, data=data)

    def _get_flow_entry(self) -> ConfigEntry:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    @callback
    def async_remove(self) -> None:
        """The flow ended or the dialog was closed: stop checking the PIN."""
        if self._sign_in is not None:
            self._sign_in.async_stop()

    # --- discovered servers --------------------------------------------------

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """A Plex server announced itself with zeroconf; its identity needs no token."""
        host, port = discovery_info.host, discovery_info.port or DEFAULT_PORT
        try:
            client = await async_create_client(
                self.hass, {**_address(host, port), CONF_TOKEN: ""}
            )
            identity = await client.async_get_identity()
        except PlexConnectionError:
            return self.async_abort(reason="cannot_connect")
        except PlexError, ValueError:
            return self.async_abort(reason="not_plex")
        # Plex announces the server's friendly name as the service's name.
        name = discovery_info.name.removesuffix(f".{discovery_info.type}")
        return await self._async_discovered(
            identity.machine_identifier, host, port, name=name or host, answered=True
        )

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """A Plex server answered the integration's GDM search."""
        return await self._async_discovered(
            discovery_info[CONF_MACHINE_IDENTIFIER],
            discovery_info[CONF_HOST],
            discovery_info[CONF_PORT],
            name=discovery_info[CONF_NAME],
        )

    async def _async_discovered(
        self,
        machine_id: str,
        host: str,
        port: int,
        *,
        name: str,
        answered: bool = False,
    ) -> ConfigFlowResult:
        """Offer a new server; give a known one that moved its new address.

        `answered`: host:port already answered `/identity` as this server
        (zeroconf asks it); a GDM answer is checked before an entry moves.
        """
        await self.async_set_unique_id(machine_id)
        entry: ButlerConfigEntry | None = (
            self.hass.config_entries.async_entry_for_domain_unique_id(
                DOMAIN, machine_id
            )
        )
        if (
            entry is not None
            and entry.source != SOURCE_IGNORE
            and not reaches_server(entry)
        ):
            moved = _moved(entry.data, host, port)
            if moved and (
                answered or await _async_identity_matches(self, host, port, machine_id)
            ):
                self._abort_if_unique_id_configured(updates=moved)
        self._abort_if_unique_id_configured()
        self._discovered = _address(host, port)
        self.context["title_placeholders"] = {"name": name}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in to add the discovered server, or give its owner's token."""
        return self._sign_in_or(
            "discovery_confirm", "discovery_token", host=self._discovered[CONF_HOST]
        )

    async def async_step_discovery_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the owner's token of the discovered server."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**self._discovered, CONF_TOKEN: user_input[CONF_TOKEN]}
            try:
                _, server = await _async_check(self, data)
            except _FlowError as err:
                errors = {"base": err.key}
            else:
                return self.async_create_entry(title=server.friendly_name, data=data)
        return self.async_show_form(
            step_id="discovery_token",
            data_schema=_TOKEN_SCHEMA,
            errors=errors,
            description_placeholders={
                "host": self._discovered[CONF_HOST],
                "token_url": TOKEN_HELP_URL,
            },
        )

    # --- a server already set up ---------------------------------------------

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The server refused the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in again, or paste a new token."""
        return self._sign_in_or(
            "reauth_confirm", "reauth_token", name=self._get_reauth_entry().title
        )

    async def async_step_reauth_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token for the same server."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._async_update_entry(
                    entry, {**entry.data, CONF_TOKEN: user_input[CONF_TOKEN]}
                )
            except _FlowError as err:
                errors = {"base": err.key}
        return self.async_show_form(
            step_id="reauth_token",
            data_schema=_TOKEN_SCHEMA,
            errors=errors,
            description_placeholders={"name": entry.title, "token_url": TOKEN_HELP_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in to pick the best connection again, or type an address."""
        entry = self._get_reconfigure_entry()
        self.context["title_placeholders"] = {"name": entry.title}
        await self.async_set_unique_id(entry.unique_id, raise_on_progress=False)
        return self._sign_in_or("reconfigure", "reconfigure_address", name=entry.title)

    async def async_step_reconfigure_address(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address of a server already set up, keeping its token."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._async_update_entry(
                    entry, {**entry.data, **user_input}
                )
            except _FlowError as err:
                errors = {"base": err.key}
        return self.async_show_form(
            step_id="reconfigure_address",
            data_schema=vol.Schema(_connection_schema(user_input or entry.data)),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def _async_update_entry(
        self, entry: ConfigEntry, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Check changed data against the same server, then save it and reload."""
        machine_id, _ = await _async_check(self, data)
        await self.async_set_unique_id(machine_id)
        self._abort_if_unique_id_mismatch(reason="wrong_server")
        return self.async_update_reload_and_abort(entry, data=data)


class ButlerOptionsFlow(OptionsFlow):
    """Shows the webhook's addresses, to paste into Plex Web; there is nothing to set."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The addresses Home Assistant has, each in a field to copy from."""
        entry = self.config_entry
        if user_input is not None:
            return self.async_create_entry(data=dict(entry.options))
        if CONF_WEBHOOK_ID not in entry.data:
            return self.async_abort(reason="webhook_not_ready")
        urls = webhook_urls(self.hass, entry)
        if not urls:
            return self.async_abort(reason="no_url")
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Optional(key, default=url): _URL_SELECTOR
                    for key, url in urls.items()
                }
            ),
            description_placeholders={"name": entry.title},
            last_step=True,
        )


def _owned_servers(servers: list[PlexResource]) -> list[PlexResource]:
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


def _known_server(servers: list[PlexResource], machine_id: str) -> PlexResource:
    """The account's entry for this server, which it must own."""
    for server in servers:
        if server.client_identifier == machine_id:
            if not server.owned:
                raise AbortFlow("not_owner", {"name": server.name})
            return server
    raise AbortFlow("server_not_on_account")


def _address(host: str, port: int) -> dict[str, Any]:
    """A discovered server's address: found on the LAN, so plain HTTP."""
    return {CONF_HOST: host, CONF_PORT: port, CONF_SSL: False, CONF_VERIFY_SSL: True}


async def _async_identity_matches(
    flow: ConfigFlow, host: str, port: int, machine_id: str
) -> bool:
    """Whether the server at host:port is this one (a discovery can be stale)."""
    return (
        await _async_first_answering(
            flow, [{**_address(host, port), CONF_TOKEN: ""}], machine_id
        )
        is not None
    )
