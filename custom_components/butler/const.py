"""Constants for Butler for Plex."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "butler"
LOGGER = logging.getLogger(__package__)

# Without the server's notification socket: the butler's state changes when
# a run starts or ends, which takes minutes to hours; half a minute keeps
# "butler running" timely for automations while costing two small requests
# on the LAN. Commands refresh at once anyway.
SCAN_INTERVAL: Final = timedelta(seconds=30)

# With the socket up, the server says when activities change, so polling
# only resyncs what notifications do not cover: the task list and whether a
# task is enabled, which change when someone edits them in Plex Web. Five
# minutes keeps those fresh enough to read, for two requests (about 4 KB).
RESYNC_INTERVAL: Final = timedelta(minutes=5)

# The server's settings (35 to 90 KB) decide which tasks have a schedule
# switch, and change when someone edits them in Plex Web or Plex is upgraded.
# They are read at setup, after Home Assistant writes one, when the task list
# changes, and otherwise every half hour: a setting changed elsewhere shows
# in Home Assistant within 30 minutes.
SETTINGS_INTERVAL: Final = timedelta(minutes=30)

# Notifications only say that activities changed; a busy server (a library
# scan) sends thousands a second. Activities are read at most once per
# 100 ms: the first notification of a quiet spell is read at once, and
# whatever arrives meanwhile is read once the pause is over, so the last
# state is always read.
ACTIVITIES_COOLDOWN: Final = timedelta(milliseconds=100)

# Reconnecting the notification socket backs off from 2 s to 5 minutes.
RECONNECT_MIN: Final = timedelta(seconds=2)
RECONNECT_MAX: Final = timedelta(minutes=5)

# GDM: Plex servers answer a search on the local network even where
# zeroconf is off. A search costs one 23-byte datagram and one short answer
# per server. Servers appear or move rarely (a new machine, a new DHCP
# lease), so every 15 minutes finds new ones soon enough. A set-up server
# that does not answer may have moved: while any does not, a search goes out
# every minute (one for all of them), so a server that moved is followed
# within about a minute of answering at its new address, for a datagram a
# minute while it is away.
GDM_INTERVAL: Final = timedelta(minutes=15)
GDM_MISSING_INTERVAL: Final = timedelta(minutes=1)

# Sign in with Plex: how often the PIN is asked about while the person
# signs in (plex.tv asks apps to poll no faster than once a second), how
# long a server may take to answer a connection probe, and how many
# failures in a row mean plex.tv is not reachable.
PIN_POLL_INTERVAL: Final = timedelta(seconds=2)
PIN_POLL_FAILURES: Final = 3
CONNECTION_PROBE_TIMEOUT: Final = 5.0

# What the event entity reports, for automations.
EVENT_BUTLER_STARTED: Final = "butler_started"
EVENT_BUTLER_FINISHED: Final = "butler_finished"
EVENT_TASK_STARTED: Final = "task_started"
EVENT_DATABASE_BACKED_UP: Final = "database_backed_up"
EVENT_DATABASE_CORRUPTED: Final = "database_corrupted"

# Plex's webhooks (Plex Pass): the events about the server's database, as
# Plex names them in the payload's `event`. Plex's payloads are a few KB, a
# thumbnail a few hundred; anything beyond 1 MiB is not Plex and is not read.
PLEX_DATABASE_BACKED_UP: Final = "admin.database.backup"
PLEX_DATABASE_CORRUPTED: Final = "admin.database.corrupted"
WEBHOOK_MAX_BYTES: Final = 1 << 20
# Plex's own instructions, linked from the repair issue (a help page).
DATABASE_REPAIR_URL: Final = (
    "https://support.plex.tv/articles/repair-a-corrupted-database/"
)

CONF_TASK: Final = "task"
# What integration discovery (GDM) hands the config flow, beside host and port.
CONF_MACHINE_IDENTIFIER: Final = "machine_identifier"

# Tasks Plex servers are known to have, by code name, mapped to the
# translation key that names them. Tasks a server adds later still get
# entities, named from the server's title or the code name.
KNOWN_TASKS: Final[dict[str, str]] = {
    "AutomaticUpdates": "automatic_updates",
    "BackupDatabase": "backup_database",
    "BuildGracenoteCollections": "build_gracenote_collections",
    "ButlerTaskCleanSupplementalLogFiles": "clean_supplemental_log_files",
    "ButlerTaskGenerateAdMarkers": "generate_ad_markers",
    "ButlerTaskGenerateCreditsMarkers": "generate_credits_markers",
    "ButlerTaskGenerateIntroMarkers": "generate_intro_markers",
    "ButlerTaskGenerateVoiceActivity": "generate_voice_activity",
    "CheckForUpdates": "check_for_updates",
    "CleanOldBundles": "clean_old_bundles",
    "CleanOldCacheFiles": "clean_old_cache_files",
    "DeepMediaAnalysis": "deep_media_analysis",
    "GarbageCollectBlobs": "garbage_collect_blobs",
    "GarbageCollectLibraryMedia": "garbage_collect_library_media",
    "GenerateAutoTags": "generate_auto_tags",
    "GenerateBlurHashes": "generate_blur_hashes",
    "GenerateChapterThumbs": "generate_chapter_thumbs",
    "GenerateMediaIndexFiles": "generate_media_index_files",
    "LoudnessAnalysis": "loudness_analysis",
    "MusicAnalysis": "music_analysis",
    "OptimizeDatabase": "optimize_database",
    "ProcessAssets": "process_assets",
    "RefreshEpgGuides": "refresh_epg_guides",
    "RefreshLibraries": "refresh_libraries",
    "RefreshLocalMedia": "refresh_local_media",
    "RefreshPeriodicMetadata": "refresh_periodic_metadata",
    "UpgradeMediaAnalysis": "upgrade_media_analysis",
}

# The tasks people run by hand: their entities are enabled from the start.
# The others (markers, analysis, thumbnails, clean-ups, the TV guide, and
# installing server updates, which Home Assistant's Plex integration offers
# as an update entity) run on the butler's schedule and are rarely pressed:
# their entities start disabled, to be enabled where wanted.
EVERYDAY_TASKS: Final = frozenset(
    {"BackupDatabase", "OptimizeDatabase", "RefreshLibraries"}
)

# The task that backs up the server's database, whose runs count as backups.
BACKUP_TASK: Final = "BackupDatabase"
# A backup is overdue once the backup task's interval and this much more
# have passed without one: a day's grace for a maintenance window that
# moved or a run that took long.
BACKUP_GRACE: Final = timedelta(days=1)
# Whether a backup is overdue is judged whenever the data changes, and at
# least this often, since time alone makes it so.
BACKUP_CHECK_INTERVAL: Final = timedelta(hours=1)

# The maintenance window: the hours in which the butler runs its tasks.
WINDOW_START: Final = "ButlerStartHour"
WINDOW_END: Final = "ButlerEndHour"

# Settings that govern the analysis and marker tasks (never, as a scheduled
# task, as soon as possible) end in this; known ones are named here by the
# translation key of their select. Servers differ: every one the server
# lists with options gets a select.
BEHAVIOUR_SUFFIX: Final = "Behavior"
KNOWN_BEHAVIOURS: Final[dict[str, str]] = {
    "GenerateBIFBehavior": "video_preview_thumbnails",
    "GenerateChapterThumbBehavior": "chapter_thumbnails",
    "LoudnessAnalysisBehavior": "loudness_analysis",
    "GenerateIntroMarkerBehavior": "intro_markers",
    "GenerateCreditsMarkerBehavior": "credits_markers",
    "GenerateAdMarkerBehavior": "ad_markers",
    "GenerateVADBehavior": "voice_activity",
    "MusicAnalysisBehavior": "music_analysis",
}
OTHER_BEHAVIOUR: Final = "other_behaviour"
# A real server has 8 behaviour settings. A settings answer with thousands
# (a broken or hostile server) must not become thousands of selects, which
# take seconds to set up and clutter the device page: beyond this many the
# rest are left out, the known ones kept first, and a warning says so once.
MAX_BEHAVIOURS: Final = 50
# A behaviour option the server words (or values) like this is shown
# translated, under this option; any other is shown in the server's words.
KNOWN_BEHAVIOUR_OPTIONS: Final[dict[str, str]] = {
    "never": "never",
    "as a scheduled task": "scheduled",
    "scheduled": "scheduled",
    "as soon as possible": "asap",
    "asap": "asap",
}

# Translation key of a task the table above does not know.
OTHER_TASK: Final = "other_task"
