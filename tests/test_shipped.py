"""What ships has no development switch: nothing read from the environment.

Sign-in sends the account's token to plex.tv; no setting outside Home
Assistant's UI may send it anywhere else. The demo points the integration at
its stand-ins from inside its own Home Assistant instead (demo/butler_dev).
"""

from __future__ import annotations

from pathlib import Path
import re

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.butler.const import DOMAIN
from custom_components.butler.plex import PLEX_APP_URL, PLEX_TV_URL
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

PACKAGE = Path(__file__).parents[1] / "custom_components" / "butler"
# What the development settings used to be called.
OLD_SETTINGS = {
    "BUTLER_DEV_PLEX_TV": "http://127.0.0.1:32402",
    "BUTLER_DEV_GDM": "127.0.0.1:32414",
}


def test_the_package_reads_no_environment_variable() -> None:
    reads = re.compile(r"\bos\.environ\b|\bgetenv\b|\benviron\[|import os\b")
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if reads.search(line)
    ]
    assert not found, found


async def test_sign_in_goes_to_plex_tv_whatever_the_environment_says(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in OLD_SETTINGS.items():
        monkeypatch.setenv(name, value)
    aioclient_mock.post(
        f"{PLEX_TV_URL}/api/v2/pins",
        json={"id": 7, "code": "abcd", "expiresIn": 900},
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sign_in"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["url"].startswith(f"{PLEX_APP_URL}/auth#")
    assert [str(url) for _, url, _, _ in aioclient_mock.mock_calls] == [
        f"{PLEX_TV_URL}/api/v2/pins?strong=true"
    ]
    hass.config_entries.flow.async_abort(result["flow_id"])
