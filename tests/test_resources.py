"""The integration's metadata and texts agree with its code."""

from __future__ import annotations

import json
from pathlib import Path
import struct

import yaml

from custom_components.butler.const import DOMAIN, KNOWN_TASKS, OTHER_TASK
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

INTEGRATION = Path(__file__).parents[1] / "custom_components" / DOMAIN


def _json(name: str) -> dict:
    return json.loads((INTEGRATION / name).read_text())


def test_english_translation_is_strings_json() -> None:
    assert _json("translations/en.json") == _json("strings.json")


def test_every_task_entity_has_a_name_and_an_icon() -> None:
    strings = _json("strings.json")["entity"]
    icons = _json("icons.json")["entity"]
    keys = {*KNOWN_TASKS.values(), OTHER_TASK}
    for platform in ("button", "switch"):
        assert keys <= strings[platform].keys()
        assert strings[platform].keys() == icons[platform].keys()
    assert strings["button"][OTHER_TASK]["name"] == "{task}"
    assert strings["binary_sensor"].keys() == icons["binary_sensor"].keys()


async def test_services_are_described(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    strings = _json("strings.json")["services"]
    icons = _json("icons.json")["services"]
    assert registered == described.keys() == strings.keys() == icons.keys()
    for service, spec in described.items():
        assert spec["fields"].keys() == strings[service]["fields"].keys()


def test_manifest_and_hacs() -> None:
    manifest = _json("manifest.json")
    assert manifest["domain"] == DOMAIN
    for key in (
        "name",
        "version",
        "codeowners",
        "documentation",
        "issue_tracker",
        "iot_class",
        "integration_type",
    ):
        assert manifest[key], key
    assert manifest["config_flow"] is True
    assert manifest["requirements"] == []
    hacs = json.loads((INTEGRATION.parents[1] / "hacs.json").read_text())
    assert hacs["name"] == manifest["name"]


def test_brand_icon_is_256_square_png() -> None:
    header = (INTEGRATION / "brand" / "icon.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (256, 256)
