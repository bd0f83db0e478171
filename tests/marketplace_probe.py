"""Ask Home Assistant's own Marketplace code what it makes of this repository.

Runs with the newest Home Assistant's Python (.venv-ha-next), which has the
Marketplace; tests/test_marketplace_layout.py runs it and reads the JSON it
prints. It feeds the Marketplace's repository classes what GitHub would: the
tree of the repository's files (without the network or a Home Assistant
running) and asks each category whether it finds its content, as adding from
a link does, then checks the integration as installing it does.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
import subprocess
from types import SimpleNamespace
from typing import Any

from aiogithubapi.models.git_tree import GitHubGitTreeEntryModel
from awesomeversion import AwesomeVersion

from homeassistant.components.marketplace.exceptions import MarketplaceError
from homeassistant.components.marketplace.repositories import REPOSITORY_CLASSES
from homeassistant.components.marketplace.repositories.base import (
    RepositoryManifest,
)
from homeassistant.components.marketplace.repositories.integration import (
    IntegrationRepository,
    _check_loadable_manifest,
)

ROOT = Path(__file__).parents[1]
FULL_NAME = "butler-for-plex/butler"


def _tree() -> list[GitHubGitTreeEntryModel]:
    """The files git would push, and their directories, as GitHub lists them."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    present = [name for name in files if (ROOT / name).is_file()]
    directories = {
        str(parent)
        for name in present
        for parent in PurePosixPath(name).parents
        if str(parent) != "."
    }
    return [
        GitHubGitTreeEntryModel({"path": path, "type": kind})
        for path, kind in sorted(
            [(name, "blob") for name in present]
            + [(name, "tree") for name in directories]
        )
    ]


def _repository(category: Any, hacs: dict[str, Any], home_assistant: str) -> Any:
    marketplace = SimpleNamespace(
        core=SimpleNamespace(config_path="/config"),
        version=AwesomeVersion(home_assistant),
    )
    repository = REPOSITORY_CLASSES[category](marketplace, FULL_NAME)
    repository.repository_manifest = RepositoryManifest.from_dict(hacs)
    repository.tree = _tree()
    repository.treefiles = [entry.path for entry in repository.tree]
    return repository


def _error(call: Any) -> str | None:
    try:
        call()
    except MarketplaceError as error:
        return str(error.translation_key)
    return None


def main() -> None:
    """Print what the Marketplace finds, as JSON."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    found = [
        str(category)
        for category in REPOSITORY_CLASSES
        if _repository(category, hacs, "2026.11.0").try_resolve_content()
    ]
    integration: IntegrationRepository = _repository("integration", hacs, "2026.11.0")
    integration.resolve_content()
    remote = str(integration.content.path.remote)
    integration._use_integration_manifest(
        json.loads((ROOT / remote / "manifest.json").read_text())
    )
    manifest = integration.repository_manifest
    older = _repository("integration", hacs, "2026.9.0")
    print(
        json.dumps(
            {
                "categories": found,
                "content": remote,
                "domain": integration.data.domain,
                "name": integration.data.manifest_name,
                "config_flow": integration.data.config_flow,
                "manifest_errors": [str(e) for e in integration.validate.errors],
                "loadable": _error(
                    lambda: _check_loadable_manifest(
                        ROOT / remote, integration.data.domain
                    )
                ),
                "minimum": manifest.homeassistant,
                "on_2026_11": _error(
                    lambda: integration._check_minimum_version(manifest)
                ),
                "on_2026_9": _error(lambda: older._check_minimum_version(manifest)),
            }
        )
    )


if __name__ == "__main__":
    main()
