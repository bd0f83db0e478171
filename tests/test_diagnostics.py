"""Diagnostics: useful, and free of secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.butler.const import DOMAIN
from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.discovery_flow import DiscoveryKey
from plexsim import PlexSimulator

from .conftest import TOKEN


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert TOKEN not in str(diagnostics)
    # Whoever knows the webhook id can post to it: it is a secret too.
    assert init_integration.data[CONF_WEBHOOK_ID] not in str(diagnostics)
    assert diagnostics == snapshot(
        exclude=props("entry_id", "created_at", "modified_at", "port", "watching_since")
    )


async def test_diagnostics_of_an_entry_gdm_found(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PlexSimulator,
    entry_data: dict[str, Any],
    remember: Callable[..., None],
    snapshot: SnapshotAssertion,
) -> None:
    server = simulator.machine_identifier
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=simulator.friendly_name,
        unique_id=server,
        data=entry_data,
        source=SOURCE_INTEGRATION_DISCOVERY,
        discovery_keys={DOMAIN: (DiscoveryKey(domain=DOMAIN, key=server, version=1),)},
    )
    # What the server's memory holds shows too: it has no secret.
    remember(
        {
            "last_database_backup": "2026-11-30T03:12:45+00:00",
            "database_corrupted_since": "2026-12-01T08:00:00+00:00",
        },
        entry=entry,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert server not in str(diagnostics)
    # The day the watching began is the test's: it is left out.
    memory = diagnostics["memory"]
    assert memory.pop("watching_since")
    assert memory == {
        "last_database_backup": "2026-11-30T03:12:45+00:00",
        "database_corrupted_since": "2026-12-01T08:00:00+00:00",
        "runs": [],
        "current_run": None,
    }
    assert diagnostics == snapshot(
        exclude=props("entry_id", "created_at", "modified_at", "port", "watching_since")
    )
