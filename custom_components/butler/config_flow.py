"""Config flow: sign in with Plex, or give an address and a token; discovered servers.

Signing in lists the account's own servers, picks the best connection of the
chosen one and stores only that server's token, never the account's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio as vol

from homeassistant.config_entries import (
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

from .connection import (
    CheckError,
    ConnectionProbes,
    async_check_server,
    async_identify,
)
from .const import CONF_MACHINE_IDENTIFIER, DOMAIN
from .discovery import async_moved_entry_data, discovered_address
from .plex import DEFAULT_PORT, PlexResource
from .sign_in import (
    PinSignIn,
    SignInFailure,
    async_account_servers,
    async_start_sign_in,
    connection_candidates,
    known_server,
    owned_servers,
    server_token,
)
from .webhooks import webhook_urls, with_webhook_id

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


def _server_choice_schema(servers: list[PlexResource]) -> vol.Schema:
    """The servers to pick from, by name."""
    options = [
        SelectOptionDict(value=server.client_identifier, label=server.name)
        for server in sorted(servers, key=lambda server: server.name.casefold())
    ]
    return vol.Schema(
        {
            vol.Required(CONF_SERVER): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
            )
        }
    )


class ButlerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Plex Media Server."""

    VERSION = 1
    MINOR_VERSION = 2

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> ButlerOptionsFlow:
        """The options show where Plex posts its webhooks."""
        return ButlerOptionsFlow()

    def __init__(self) -> None:
        """Start with no sign-in, no discovered address and no probe."""
        self._discovered: dict[str, Any] = {}
        self._sign_in: PinSignIn | None = None
        self._sign_in_url = ""
        self._servers: Mapping[str, PlexResource] = {}
        self._probes = ConnectionProbes()

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
                return await self._async_create(user_input)
            except CheckError as err:
                errors = {"base": err.key}
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

    async def _async_create(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Check a new server and save it under the id of the server that answered.

        A discovered server must still be the one found: an address can
        change hands between the announcement and the token. The same
        server waiting under "Discovered" may be added by hand, and the
        discovered flow then goes away.
        """
        machine_id, info = await async_check_server(self.hass, data)
        if self.unique_id is not None and machine_id != self.unique_id:
            return self.async_abort(
                reason="another_server_answers",
                description_placeholders={
                    "host": data[CONF_HOST],
                    **self.context.get("title_placeholders", {}),
                },
            )
        await self.async_set_unique_id(machine_id, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=info.friendly_name, data=with_webhook_id(data)
        )

    # --- sign in with Plex ---------------------------------------------------

    async def async_step_sign_in(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Open plex.tv's sign-in page; the callback or the PIN check moves on."""
        if self._sign_in is None:
            self._sign_in, self._sign_in_url = await async_start_sign_in(
                self.hass, self.flow_id
            )
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
        # The account's token goes with the sign-in.
        sign_in, self._sign_in = self._sign_in, None
        servers = await async_account_servers(sign_in)
        if self.unique_id is not None:
            # Reauthentication, reconfiguration or a discovered server: the
            # server is known, and the account must own it.
            return await self._async_use_server(known_server(servers, self.unique_id))
        configured = self._async_current_ids(include_ignore=False)
        new = [
            s for s in owned_servers(servers) if s.client_identifier not in configured
        ]
        if not new:
            return self.async_abort(reason="all_configured")
        if len(new) == 1:
            return await self._async_use_server(new[0])
        self._servers = {server.client_identifier: server for server in new}
        return self.async_show_form(
            step_id="pick_server", data_schema=_server_choice_schema(new)
        )

    async def _async_use_server(self, server: PlexResource) -> ConfigFlowResult:
        """Find a connection that reaches this server, check it and save it."""
        candidates = connection_candidates(server)
        # Reauthentication keeps the address in use, and a server found on
        # the network is reached where it was found: both are tried first.
        # Reconfiguring picks afresh from plex.tv's list.
        if self.source == SOURCE_REAUTH:
            known: Mapping[str, Any] = self._get_reauth_entry().data
        elif self.source not in (SOURCE_USER, SOURCE_RECONFIGURE):
            known = self._discovered
        else:
            known = {}
        if known:
            candidates.insert(0, {**known, CONF_TOKEN: server_token(server)})
        data = await self._probes.async_first_answering(
            self.hass, candidates, server.client_identifier
        )
        placeholders = {"name": server.name}
        if data is None:
            return self.async_abort(
                reason="no_connection", description_placeholders=placeholders
            )
        try:
            if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
                await async_check_server(self.hass, data)
                # Merged, not replaced: the entry keeps its webhook id,
                # which the owner pasted into Plex Web.
                return self.async_update_reload_and_abort(
                    self._get_flow_entry(), data_updates=data
                )
            return await self._async_create(data)
        except CheckError as err:
            return self.async_abort(
                reason=err.key, description_placeholders=placeholders
            )

    def _get_flow_entry(self) -> ConfigEntry:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    @callback
    def async_remove(self) -> None:
        """The flow ended or the dialog was closed: stop checking the PIN and probing."""
        if self._sign_in is not None:
            self._sign_in.async_stop()
        self._probes.async_cancel()

    # --- discovered servers --------------------------------------------------

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """A Plex server announced itself with zeroconf; the id is the one that answers."""
        host, port = discovery_info.host, discovery_info.port or DEFAULT_PORT
        try:
            machine_id = await async_identify(
                self.hass, {**discovered_address(host, port), CONF_TOKEN: ""}
            )
        except CheckError as err:
            return self.async_abort(reason=err.key)
        # Plex announces the server's friendly name as the service's name.
        name = discovery_info.name.removesuffix(f".{discovery_info.type}")
        return await self._async_discovered(
            machine_id, host, port, name=name or host, answered=True
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
        """Offer a new server; give a known one that moved its new address."""
        # Each answer for a server already set up is checked, also while
        # another one is: a server that answers a search from two addresses
        # must not have its good answer dropped while a stale one is probed.
        known = self.hass.config_entries.async_entry_for_domain_unique_id(
            DOMAIN, machine_id
        )
        await self.async_set_unique_id(machine_id, raise_on_progress=known is None)
        self._abort_if_unique_id_configured(
            updates=await async_moved_entry_data(
                self.hass, self._probes, machine_id, host, port, answered=answered
            )
        )
        self._discovered = discovered_address(host, port)
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
            try:
                return await self._async_create(
                    {**self._discovered, CONF_TOKEN: user_input[CONF_TOKEN]}
                )
            except CheckError as err:
                errors = {"base": err.key}
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
            except CheckError as err:
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
            except CheckError as err:
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
        machine_id, _ = await async_check_server(self.hass, data)
        await self.async_set_unique_id(machine_id)
        self._abort_if_unique_id_mismatch(reason="wrong_server")
        return self.async_update_reload_and_abort(entry, data=data)


class ButlerOptionsFlow(OptionsFlow):
    """Shows the webhook's addresses, to paste into Plex Web; there is nothing to set.

    A message with only a Close button, rather than a form: a form's fields
    invite editing and its Submit button saving, and neither does anything
    here. Home Assistant shows a markdown message for an options flow that
    ends at once, so the addresses are selectable text in it.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The addresses Home Assistant has, in a message."""
        entry = self.config_entry
        if CONF_WEBHOOK_ID not in entry.data:
            return self.async_abort(reason="webhook_not_ready")
        urls = webhook_urls(self.hass, entry)
        if not urls:
            return self.async_abort(reason="no_url")
        # Each text names the addresses there are, by their kind.
        reason = "webhook_urls" if len(urls) > 1 else f"webhook_{next(iter(urls))}"
        return self.async_abort(
            reason=reason, description_placeholders={"name": entry.title, **urls}
        )
