"""The repository is what Home Assistant's Marketplace (2026.11) installs as one integration.

The Marketplace is not in Home Assistant 2026.10, which the tests run on, so
these are its rules as its code states them (homeassistant/components/
marketplace/, in .venv-ha-next): repositories/base.py reads hacs.json,
repositories/integration.py resolves custom_components/ and refuses a
manifest.json the loader would not load, and async_detect_categories offers
each category whose content it finds, so one found means the user is asked
for no type.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import subprocess
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import pytest

from homeassistant.const import __version__ as HA_VERSION

ROOT = Path(__file__).parents[1]
HA_NEXT = ROOT / ".venv-ha-next" / "bin" / "python"
HACS_JSON: dict[str, Any] = json.loads((ROOT / "hacs.json").read_text())

# What the Marketplace reads from hacs.json, with the type it takes; it logs
# and ignores a value of another type (utils/validate.py).
MARKETPLACE_KEYS = {
    "content_in_root": bool,
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "name": str,
    "persistent_directory": str,
    "zip_release": bool,
}
# HACS reads this one too; the Marketplace ignores it and shows the README.
HACS_ONLY_KEYS = {"render_readme"}
# A custom integration's version, as the loader accepts it.
LOADABLE = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
VALID_DOMAIN = re.compile(r"^[a-z0-9_-]+$")


def _integration_directories() -> list[Path]:
    return sorted(
        path
        for path in (ROOT / "custom_components").iterdir()
        if path.is_dir() and path.name != "__pycache__"
    )


def _manifest() -> dict[str, Any]:
    (directory,) = _integration_directories()
    manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    return manifest


def test_hacs_json_has_only_keys_it_reads_with_their_types() -> None:
    for key, value in HACS_JSON.items():
        assert key in MARKETPLACE_KEYS or key in HACS_ONLY_KEYS, key
        if key in MARKETPLACE_KEYS:
            assert isinstance(value, MARKETPLACE_KEYS[key]), key
    # The integration is found under custom_components/ from the tree, not
    # from a release asset.
    assert not HACS_JSON.get("content_in_root")
    assert not HACS_JSON.get("zip_release")
    assert "filename" not in HACS_JSON


def test_the_minimum_home_assistant_is_a_version_the_tests_run_on() -> None:
    minimum = AwesomeVersion(HACS_JSON["homeassistant"])
    assert minimum.valid
    # The tests' Home Assistant is the oldest series this claims to support.
    assert AwesomeVersion(HA_VERSION) >= minimum
    tested = AwesomeVersion(HA_VERSION)
    assert (tested.section(0), tested.section(1)) == (
        minimum.section(0),
        minimum.section(1),
    )


def test_one_integration_under_custom_components_named_by_its_domain() -> None:
    # The Marketplace installs the first directory below custom_components/
    # into custom_components/<domain>: a second one would be left behind.
    (directory,) = _integration_directories()
    manifest = _manifest()
    assert manifest["domain"] == directory.name
    assert VALID_DOMAIN.match(manifest["domain"])
    assert isinstance(manifest["name"], str)
    assert manifest["config_flow"] is True
    assert all(isinstance(owner, str) for owner in manifest["codeowners"])


def test_the_manifest_version_is_one_the_loader_loads() -> None:
    version = _manifest()["version"]
    assert AwesomeVersion(version, ensure_strategy=LOADABLE).strategy in LOADABLE
    assert AwesomeVersion(version).strategy == AwesomeVersionStrategy.SEMVER


def test_nothing_else_the_marketplace_installs_is_found() -> None:
    # A theme is YAML in themes/; a dashboard resource is JavaScript in the
    # root or dist/; a template is the file hacs.json names; an app repository
    # has repository.json or .yaml. Finding one would ask the user for a type.
    assert not list((ROOT / "themes").glob("*.yaml"))
    assert not list(ROOT.glob("*.js"))
    assert not list((ROOT / "dist").glob("*.js"))
    for name in ("repository.json", "repository.yaml", "repository.yml"):
        assert not (ROOT / name).exists()


@pytest.mark.skipif(not HA_NEXT.exists(), reason="scripts/setup builds .venv-ha-next")
def test_the_marketplace_itself_finds_one_integration() -> None:
    # The rules above, asked of the Marketplace's own code in the newest
    # Home Assistant (tests/marketplace_probe.py).
    probe = subprocess.run(
        [str(HA_NEXT), str(ROOT / "tests" / "marketplace_probe.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT / "tests",
    )
    assert json.loads(probe.stdout) == {
        "categories": ["integration"],
        "content": "custom_components/butler",
        "domain": "butler",
        "name": "Butler for Plex",
        "config_flow": True,
        "manifest_errors": [],
        "loadable": None,
        "minimum": HACS_JSON["homeassistant"],
        "on_2026_11": None,
        "on_2026_9": "requires_newer_home_assistant",
    }
