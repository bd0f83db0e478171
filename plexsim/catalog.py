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
    enum_values: str | None = None


_HOURS = "|".join(
    f"{hour}:{'Midnight' if hour == 0 else 'Noon' if hour == 12 else f'{hour % 12} {"am" if hour < 12 else "pm"}'}"
    for hour in range(24)
)
_BEHAVIOUR = "0:never|1:as a scheduled task|2:as soon as possible"
# Behaviour settings govern the analysis and marker tasks, which have no
# `ButlerTask<Name>` switch: (id, label, default).
BEHAVIOUR_SETTINGS = (
    ("GenerateBIFBehavior", "Generate video preview thumbnails", "1"),
    ("GenerateChapterThumbBehavior", "Generate chapter thumbnails", "1"),
    ("LoudnessAnalysisBehavior", "Analyze audio tracks for loudness", "1"),
    ("GenerateIntroMarkerBehavior", "Generate intro video markers", "1"),
    ("GenerateCreditsMarkerBehavior", "Generate credits video markers", "1"),
    ("GenerateAdMarkerBehavior", "Generate ad video markers", "0"),
    ("GenerateVADBehavior", "Generate voice activity data", "0"),
    ("MusicAnalysisBehavior", "Perform extensive media analysis on music", "1"),
)
# Real settings besides the butler's, so `GET /:/prefs` weighs what a real
# server's does: (id, type, default, label, group).
_OTHER_SETTINGS = (
    ("AcceptedEULA", "bool", "1", "Accepted the end user license", "general"),
    (
        "AllowHighOutputBitrates",
        "bool",
        "0",
        "Allow high output bitrates",
        "transcoder",
    ),
    (
        "AutoEmptyTrash",
        "bool",
        "1",
        "Empty trash automatically after every scan",
        "library",
    ),
    (
        "CinemaTrailersFromBluRay",
        "bool",
        "0",
        "Include Cinema Trailers from new and upcoming movies on Blu-ray",
        "extras",
    ),
    (
        "CinemaTrailersFromLibrary",
        "bool",
        "1",
        "Include Cinema Trailers from movies in my library",
        "extras",
    ),
    (
        "CinemaTrailersFromTheater",
        "bool",
        "0",
        "Include Cinema Trailers from new and upcoming movies in theaters",
        "extras",
    ),
    ("DisableTLSv1_0", "bool", "0", "Disable TLS v1.0", "network"),
    (
        "DlnaAnnouncementLeaseTime",
        "int",
        "1800",
        "DLNA server announcement lease time",
        "dlna",
    ),
    ("DlnaClientPreferences", "text", "", "DLNA client preferences", "dlna"),
    (
        "DlnaDefaultProtocolInfo",
        "text",
        "http-get:*:video/mpeg:*",
        "DLNA default protocol info",
        "dlna",
    ),
    (
        "DlnaDescriptionIcons",
        "text",
        "png,jpeg;260x260,120x120,48x48",
        "DLNA server description icons",
        "dlna",
    ),
    (
        "DlnaDeviceDiscoveryInterval",
        "int",
        "60",
        "DLNA media renderer discovery interval",
        "dlna",
    ),
    ("DlnaEnabled", "bool", "1", "Enable the DLNA server", "dlna"),
    ("DlnaPlatinumLoggingLevel", "text", "OFF", "DLNA server logging level", "dlna"),
    ("DlnaReportTimeline", "bool", "1", "DLNA server timeline reporting", "dlna"),
    ("EnableIPv6", "bool", "0", "Enable server support for IPv6", "network"),
    (
        "FSEventLibraryPartialScanEnabled",
        "bool",
        "0",
        "Run a partial scan when changes are detected",
        "library",
    ),
    (
        "FSEventLibraryUpdatesEnabled",
        "bool",
        "0",
        "Scan my library automatically",
        "library",
    ),
    ("GdmEnabled", "bool", "1", "Enable local network discovery (GDM)", "network"),
    (
        "GenerateIndexFilesDuringAnalysis",
        "bool",
        "0",
        "Generate video preview thumbnails during analysis",
        "library",
    ),
    (
        "HardwareAcceleratedCodecs",
        "bool",
        "1",
        "Use hardware acceleration when available",
        "transcoder",
    ),
    (
        "HardwareAcceleratedEncoders",
        "bool",
        "1",
        "Use hardware-accelerated video encoding",
        "transcoder",
    ),
    ("LanNetworksBandwidth", "text", "", "LAN Networks", "network"),
    ("LogDebug", "bool", "0", "Enable Plex Media Server debug logging", "general"),
    ("LogVerbose", "bool", "0", "Enable Plex Media Server verbose logging", "general"),
    ("ManualPortMappingMode", "bool", "0", "Manually specify public port", "network"),
    ("ManualPortMappingPort", "int", "32400", "Public port", "network"),
    (
        "MinutesAllowedPaused",
        "int",
        "0",
        "Terminate sessions paused for longer than",
        "network",
    ),
    ("OnDeckWindow", "int", "16", "Weeks to consider for Continue Watching", "library"),
    ("RelayEnabled", "bool", "1", "Enable Relay", "network"),
    (
        "ScannerLowPriority",
        "bool",
        "0",
        "Run scanner tasks at a lower priority",
        "library",
    ),
    (
        "ScheduledLibraryUpdateInterval",
        "int",
        "3600",
        "Library scan interval",
        "library",
    ),
    (
        "ScheduledLibraryUpdatesEnabled",
        "bool",
        "0",
        "Scan my library periodically",
        "library",
    ),
    ("SecureConnections", "int", "1", "Secure connections", "network"),
    (
        "TranscodeCountLimit",
        "int",
        "0",
        "Maximum simultaneous video transcode",
        "transcoder",
    ),
    (
        "TranscoderDefaultDuration",
        "int",
        "120",
        "Transcoder default throttle buffer",
        "transcoder",
    ),
    (
        "TranscoderH264BackgroundPreset",
        "text",
        "veryfast",
        "Background transcoding x264 preset",
        "transcoder",
    ),
    ("TranscoderQuality", "int", "0", "Transcoder quality", "transcoder"),
    (
        "TranscoderTempDirectory",
        "text",
        "",
        "Transcoder temporary directory",
        "transcoder",
    ),
    (
        "TranscoderThrottleBuffer",
        "int",
        "60",
        "Transcoder default throttle buffer",
        "transcoder",
    ),
    ("TranscoderToneMapping", "bool", "1", "Enable HDR tone mapping", "transcoder"),
    ("TreatWanIpAsLocal", "bool", "0", "Treat WAN IP as LAN bandwidth", "network"),
    ("WanPerStreamMaxUploadRate", "int", "0", "Limit remote stream bitrate", "network"),
    ("WanTotalMaxUploadRate", "int", "0", "Internet upload speed", "network"),
    ("WebHooksEnabled", "bool", "1", "Webhooks", "network"),
    ("allowMediaDeletion", "bool", "0", "Allow media deletion", "library"),
    ("customConnections", "text", "", "Custom server access URLs", "network"),
    ("sendCrashReports", "bool", "1", "Send crash reports to Plex", "general"),
)
_SUMMARY = (
    "{label}. This setting changes how the server behaves for every library "
    "and every client that connects to it; most people never need to change "
    "it, and the default suits a server on a home network."
)
# How many settings a real server lists (130 to 210 across versions).
SETTINGS_COUNT = 200


def default_settings(window: tuple[int, int], friendly_name: str) -> list[SimSetting]:
    """Butler settings among a real server's worth of others, as `GET /:/prefs` lists them.

    About 200 settings with summaries and option lists, 60 to 90 KB of JSON,
    so every measurement sees what a real server sends.
    """
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
            enum_values=_HOURS,
        ),
        SimSetting(
            "ButlerEndHour",
            "int",
            str(end),
            "5",
            "Time at which tasks stop running",
            enum_values=_HOURS,
        ),
        SimSetting(
            "ButlerDatabaseBackupPath",
            "text",
            "/var/lib/plexmediaserver/Backups",
            "",
            "Backup directory",
        ),
        SimSetting(
            "ButlerUpdateChannel",
            "int",
            "16",
            "16",
            "Server update channel",
            enum_values="16:Public|8:Beta",
        ),
    ]
    settings.extend(
        SimSetting(f"ButlerTask{name}", "bool", "1", "1", f"Run {name} on schedule")
        for name in SCHEDULE_SETTINGS
    )
    settings.extend(
        SimSetting(
            setting_id,
            "int",
            default,
            default,
            label,
            group="library",
            enum_values=_BEHAVIOUR,
        )
        for setting_id, label, default in BEHAVIOUR_SETTINGS
    )
    settings.extend(
        SimSetting(setting_id, kind, default, default, label, group=group)
        for setting_id, kind, default, label, group in _OTHER_SETTINGS
    )
    groups = ("general", "library", "network", "transcoder", "dlna", "extras")
    number = 0
    while len(settings) < SETTINGS_COUNT:
        number += 1
        group = groups[number % len(groups)]
        settings.append(
            SimSetting(
                f"{group.title()}Advanced{number:03d}",
                "int" if number % 3 else "bool",
                "0",
                "0",
                f"Advanced {group} option {number}",
                group=group,
                advanced=True,
                hidden=number % 4 == 0,
                enum_values="0:Off|1:On|2:Automatic" if number % 5 == 0 else None,
            )
        )
    for setting in settings:
        setting.summary = _SUMMARY.format(label=setting.label)
    return settings
