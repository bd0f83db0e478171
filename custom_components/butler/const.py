"""Constants for Butler for Plex."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "butler"
LOGGER = logging.getLogger(__package__)

# The butler's state changes when a run starts or ends, which takes minutes
# to hours; half a minute keeps "butler running" timely for automations while
# costing three small requests on the LAN. Commands refresh at once anyway.
SCAN_INTERVAL: Final = timedelta(seconds=30)

CONF_TASK: Final = "task"

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

# Translation key of a task the table above does not know.
OTHER_TASK: Final = "other_task"
