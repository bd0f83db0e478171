"""What a real Plex Media Server 1.43.2 listed, with realistic scheduling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class SimTask:
    """One butler task as the simulated server keeps it."""

    name: str
    interval: int
    enabled: bool = True
    randomized: bool = False
    title: str | None = None
    description: str | None = None
    last_run: date | None = field(default=None, compare=False)


def default_tasks() -> list[SimTask]:
    """The 23 tasks of the 1.43.2 capture; only BackupDatabase has a title."""
    return [
        SimTask("AutomaticUpdates", 1),
        SimTask(
            "BackupDatabase",
            3,
            title="Backup Database",
            description="Create a backup copy of the server's database in the configured backup directory",
        ),
        SimTask("ButlerTaskCleanSupplementalLogFiles", 7),
        SimTask("ButlerTaskGenerateAdMarkers", 1, enabled=False),
        SimTask("ButlerTaskGenerateCreditsMarkers", 1, randomized=True),
        SimTask("ButlerTaskGenerateIntroMarkers", 1, randomized=True),
        SimTask("ButlerTaskGenerateVoiceActivity", 1, enabled=False),
        SimTask("CleanOldBundles", 7),
        SimTask("CleanOldCacheFiles", 7),
        SimTask("DeepMediaAnalysis", 1, enabled=False, randomized=True),
        SimTask("GarbageCollectBlobs", 7),
        SimTask("GarbageCollectLibraryMedia", 7),
        SimTask("GenerateChapterThumbs", 1, randomized=True),
        SimTask("GenerateMediaIndexFiles", 1, randomized=True),
        SimTask("LoudnessAnalysis", 1, randomized=True),
        SimTask("MusicAnalysis", 1, enabled=False, randomized=True),
        SimTask("OptimizeDatabase", 7),
        SimTask("ProcessAssets", 1),
        SimTask("RefreshEpgGuides", 1, enabled=False),
        SimTask("RefreshLibraries", 1, randomized=True),
        SimTask("RefreshLocalMedia", 3),
        SimTask("RefreshPeriodicMetadata", 1),
        SimTask("UpgradeMediaAnalysis", 1, randomized=True),
    ]


# Tasks whose place in the schedule a `ButlerTask<Name>` setting controls,
# as the doc lists them; some name tasks a 1.43.2 server no longer has.
SCHEDULE_SETTINGS = (
    "BackupDatabase",
    "OptimizeDatabase",
    "CleanOldBundles",
    "CleanOldCacheFiles",
    "RefreshLocalMedia",
    "RefreshLibraries",
    "UpgradeMediaAnalysis",
    "RefreshPeriodicMetadata",
    "DeepMediaAnalysis",
    "GarbageCollectBlobs",
    "RefreshEpgGuides",
    "ReverseGeocode",
    "GenerateAutoTags",
    "GenerateMediaIndexFiles",
)


@dataclass
class SimSetting:
    """One server preference."""

    id: str
    type: str
    value: str
    default: str
    label: str
    group: str = "butler"
    summary: str = ""
    hidden: bool = False
    advanced: bool = False


def default_settings(window: tuple[int, int], friendly_name: str) -> list[SimSetting]:
    """Butler settings plus a few unrelated ones, as `GET /:/prefs` lists them."""
    start, end = window
    settings = [
        SimSetting(
            "FriendlyName", "text", friendly_name, "", "Friendly name", group="general"
        ),
        SimSetting(
            "ButlerStartHour",
            "int",
            str(start),
            "2",
            "Time at which tasks start to run",
        ),
        SimSetting(
            "ButlerEndHour", "int", str(end), "5", "Time at which tasks stop running"
        ),
        SimSetting(
            "ButlerDatabaseBackupPath",
            "text",
            "/var/lib/plexmediaserver/Backups",
            "",
            "Backup directory",
        ),
        SimSetting("ButlerUpdateChannel", "int", "16", "16", "Server update channel"),
        SimSetting("LogVerbose", "bool", "0", "0", "Verbose logging", group="general"),
    ]
    settings.extend(
        SimSetting(f"ButlerTask{name}", "bool", "1", "1", f"Run {name} on schedule")
        for name in SCHEDULE_SETTINGS
    )
    return settings
