"""Diagnostics: useful, and free of secrets."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

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
        exclude=props("entry_id", "created_at", "modified_at", "port")
    )
