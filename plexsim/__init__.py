"""A simulated Plex Media Server butler, for tests and the demo."""

from .catalog import SimSetting, SimTask, default_tasks
from .simulator import Faults, PlexSimulator, RecordedRequest

__all__ = [
    "Faults",
    "PlexSimulator",
    "RecordedRequest",
    "SimSetting",
    "SimTask",
    "default_tasks",
]
