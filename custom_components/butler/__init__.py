"""Butler for Plex: a Plex Media Server's scheduled maintenance in Home Assistant."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .connection import async_create_client
from .const import DOMAIN
from .coordinator import ButlerConfigEntry, ButlerCoordinator
from .discovery import async_start_gdm, async_stop_gdm_unless_needed
from .memory import ServerMemory
from .services import async_setup_services
from .sign_in import async_register_callback_view
from .voice import async_setup_voice
from .webhooks import async_register_webhook, with_webhook_id
from .websocket import ButlerPushListener

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, so automations using them validate with no server set up."""
    async_setup_services(hass)
    await async_setup_voice(hass)
    # Sign-in windows come back here; a first sign-in, before the
    # integration ever ran, registers it from the config flow instead.
    async_register_callback_view(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ButlerConfigEntry) -> bool:
    """Bring an entry of an older minor version up to date.

    1.2 has a webhook id in every entry, so setup only reads it. A newer
    major version is refused by Home Assistant before this is called.
    """
    if entry.minor_version < 2:
        hass.config_entries.async_update_entry(
            entry, data=with_webhook_id(entry.data), minor_version=2
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ButlerConfigEntry) -> bool:
    """Connect to one Plex server and add its entities."""
    try:
        client = await async_create_client(hass, entry.data)
    except ValueError as err:
        # A stored host that no longer makes a URL: only a new address helps.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_host",
            translation_placeholders={"server": entry.title},
        ) from err
    coordinator = ButlerCoordinator(hass, entry, client)
    # Before the first refresh: a server that moved while Home Assistant
    # was off is looked for too, while Home Assistant retries the entry.
    async_start_gdm(hass)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_register_webhook(hass, entry)
    # Cancelled with the entry: unloading closes the socket.
    entry.async_create_background_task(
        hass, ButlerPushListener(coordinator).async_run(), "butler notifications"
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ButlerConfigEntry) -> bool:
    """Remove the server's entities; the last server also stops the GDM search."""
    async_stop_gdm_unless_needed(hass, entry)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ButlerConfigEntry) -> None:
    """A deleted server leaves no stored memory, repair issue or search behind."""
    await ServerMemory(hass, entry).async_remove()
    # An entry Home Assistant was retrying is removed without an unload.
    async_stop_gdm_unless_needed(hass, entry)
