"""Config flow: add a Plex server by address and token, or as discovered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import probatio as vol

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_TOKEN,
    CONF_VERIFY_SSL,
)
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .const import DOMAIN, LOGGER
from .coordinator import async_create_client
from .plex import (
    DEFAULT_PORT,
    PlexAuthenticationError,
    PlexConnectionError,
    PlexError,
    ServerInfo,
)

# A help page, not a secret.
TOKEN_HELP_URL = "https://support.plex.tv/articles/204059436-finding-an-authentication-token-x-plex-token/"  # noqa: S105

_PORT_SELECTOR = vol.All(
    NumberSelector(
        NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
    ),
    vol.Coerce(int),
)
_TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


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


class ButlerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Plex Media Server."""

    VERSION = 1

    _discovered: dict[str, Any]

    async def async_step_user(
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
            step_id="user",
            data_schema=schema,
            errors=errors,
            description_placeholders={"token_url": TOKEN_HELP_URL},
        )

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """A Plex server announced itself on the network.

        Its identity needs no token, so a server already set up is
        recognised and its new address saved; a new one only needs a token.
        """
        data: dict[str, Any] = {
            CONF_HOST: discovery_info.host,
            CONF_PORT: discovery_info.port or DEFAULT_PORT,
            CONF_SSL: False,
            CONF_VERIFY_SSL: True,
        }
        try:
            client = await async_create_client(self.hass, {**data, CONF_TOKEN: ""})
            identity = await client.async_get_identity()
        except PlexConnectionError:
            return self.async_abort(reason="cannot_connect")
        except PlexError, ValueError:
            return self.async_abort(reason="not_plex")
        await self.async_set_unique_id(identity.machine_identifier)
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]}
        )
        self._discovered = data
        self.context["title_placeholders"] = {"name": discovery_info.host}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
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
            step_id="zeroconf_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): _TOKEN_SELECTOR}),
            errors=errors,
            description_placeholders={
                "host": self._discovered[CONF_HOST],
                "token_url": TOKEN_HELP_URL,
            },
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The server refused the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
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
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): _TOKEN_SELECTOR}),
            errors=errors,
            description_placeholders={"name": entry.title, "token_url": TOKEN_HELP_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address of a server already set up, keeping its token."""
        entry = self._get_reconfigure_entry()
        self.context["title_placeholders"] = {"name": entry.title}
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._async_update_entry(
                    entry, {**entry.data, **user_input}
                )
            except _FlowError as err:
                errors = {"base": err.key}
        return self.async_show_form(
            step_id="reconfigure",
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
