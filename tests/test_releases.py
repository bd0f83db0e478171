"""Versions: one version everywhere, notes for it in CHANGELOG.md, and the workflow that releases it."""

from __future__ import annotations

from collections.abc import Callable
import json
import os
from pathlib import Path
import re
import runpy
import shutil
import subprocess
import sys
import tomllib
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "release-notes"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yaml"
# GitHub's runners run a step with bash.
BASH = shutil.which("bash") or "/bin/bash"
MANIFEST_VERSION: str = json.loads(
    (ROOT / "custom_components" / "butler" / "manifest.json").read_text()
)["version"]

release_notes: Callable[[str, str], str] = runpy.run_path(str(SCRIPT))["release_notes"]

CHANGELOG = """# Changelog

## [Unreleased]

## [1.1.0] - 2026-12-24

### Fixed

- A fix.

## [1.0.0] - 2026-12-01

- The first.

[Unreleased]: https://example.invalid/compare/v1.1.0...HEAD
[1.1.0]: https://example.invalid/releases/tag/v1.1.0
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_pyproject_has_the_manifest_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == MANIFEST_VERSION


def test_the_changelog_has_notes_for_the_manifest_version() -> None:
    result = _run(MANIFEST_VERSION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("### ")
    assert f"[{MANIFEST_VERSION}]" not in result.stdout


def test_a_section_ends_at_the_next_version_without_the_links() -> None:
    assert release_notes(CHANGELOG, "1.1.0") == "### Fixed\n\n- A fix."
    assert release_notes(CHANGELOG, "1.0.0") == "- The first."


@pytest.mark.parametrize(
    ("version", "error"),
    [
        ("1.2.0", "no dated section for 1.2.0"),
        # Not released yet: a version needs its date before it goes out.
        ("Unreleased", "no dated section for Unreleased"),
        # A version is found whole, not as the start of another.
        ("1.1", "no dated section for 1.1"),
        ("1.1.0.", "no dated section for 1.1.0."),
    ],
)
def test_a_version_without_a_dated_section_has_no_notes(
    version: str, error: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        release_notes(CHANGELOG, version)


def test_an_empty_section_has_no_notes() -> None:
    changelog = "## [2.0.0] - 2027-01-01\n\n[2.0.0]: https://example.invalid\n"
    with pytest.raises(ValueError, match=r"section for 2\.0\.0 is empty"):
        release_notes(changelog, "2.0.0")


def test_the_script_says_why_it_prints_nothing() -> None:
    unknown = _run("0.0.1")
    assert unknown.returncode == 1
    assert unknown.stdout == ""
    assert (
        unknown.stderr == "release-notes: CHANGELOG.md has no dated section for 0.0.1\n"
    )
    usage = _run()
    assert usage.returncode == 2
    assert "usage: scripts/release-notes VERSION" in usage.stderr


def _workflow() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return workflow


def test_the_release_workflow_runs_when_main_changes_the_manifest() -> None:
    workflow = _workflow()
    # YAML 1.1 reads the key "on" as True.
    triggers = workflow[True]
    assert triggers["push"] == {
        "branches": ["main"],
        "paths": ["custom_components/butler/manifest.json"],
    }
    assert workflow["permissions"] == {"contents": "write"}
    (job,) = workflow["jobs"].values()
    assert job["if"] == "github.ref == 'refs/heads/main'"


def test_the_release_workflow_uses_only_actions_pinned_by_version() -> None:
    steps = [step for job in _workflow()["jobs"].values() for step in job["steps"]]
    actions = [step["uses"] for step in steps if "uses" in step]
    assert actions
    for action in actions:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+(\.\d+){0,2}", action), action


def _release_step(tmp_path: Path, tag_exists: bool) -> tuple[int, str]:
    """Run the workflow's step as GitHub's runner does, with git and gh faked."""
    (step,) = [
        step["run"] for step in _workflow()["jobs"]["release"]["steps"] if "run" in step
    ]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    calls = tmp_path / "gh.log"
    fakes = {
        "git": f'[ "$1" = ls-remote ] || exit 99\nexit {0 if tag_exists else 2}\n',
        "gh": f'echo "$@" >> {calls}\ncat "${{@: -1}}" >> {calls}\n',
    }
    for name, body in fakes.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}")
        (bin_dir / name).chmod(0o755)
    result = subprocess.run(
        [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", step],
        cwd=ROOT,
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_SHA": "0123abc",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, calls.read_text() if calls.exists() else ""


def test_the_release_step_publishes_the_manifest_version_once(tmp_path: Path) -> None:
    returncode, calls = _release_step(tmp_path / "new", tag_exists=False)
    assert returncode == 0
    first, notes = calls.split("\n", 1)
    tag = f"v{MANIFEST_VERSION}"
    assert first == (
        f"release create {tag} --target 0123abc --title {tag} "
        f"--notes-file {tmp_path / 'new' / 'notes.md'}"
    )
    assert notes.strip() == release_notes(
        (ROOT / "CHANGELOG.md").read_text(), MANIFEST_VERSION
    )
    assert _release_step(tmp_path / "again", tag_exists=True) == (0, "")
