"""Development only: point Butler for Plex's sign-in and GDM at the simulator.

Never shipped: the demo links this folder into its own config folder's
``custom_components`` and its ``configuration.yaml`` loads it. At setup it
sets the module attributes Butler for Plex reads when it signs in
(``sign_in.PLEX_TV_URL``, ``sign_in.PLEX_APP_URL``) and when it searches
(``discovery.GDM_ADDRESS``) to the stand-ins the demo started, whose
addresses the demo hands Home Assistant's process in ``BUTLER_DEMO_PLEX_TV``
(``http://HOST:PORT``) and ``BUTLER_DEMO_GDM`` (``HOST:PORT``). Without them
(a real server) it changes nothing. Both are read after Home Assistant has
started (the first GDM search waits for it; sign-in waits for a person), so
setting them during setup is early enough.
"""

from __future__ import annotations

from importlib import import_module
import logging
import os
from types import ModuleType

from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType

DOMAIN = "butler_dev"
PLEX_TV_ENV = "BUTLER_DEMO_PLEX_TV"
GDM_ENV = "BUTLER_DEMO_GDM"
_LOGGER = logging.getLogger(__name__)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Point sign-in and GDM at the stand-ins named in the environment."""
    # Imported by name, in the executor as Home Assistant imports: it loads
    # Butler for Plex as custom_components.butler, and these must be the
    # modules it runs.
    if plex_tv := os.environ.get(PLEX_TV_ENV):
        sign_in = await hass.async_add_import_executor_job(
            import_module, "custom_components.butler.sign_in"
        )
        _point(sign_in, ("PLEX_TV_URL", "PLEX_APP_URL"), plex_tv)
        _LOGGER.warning("Sign-in goes to the plex.tv stand-in at %s", plex_tv)
    if gdm := os.environ.get(GDM_ENV):
        host, _, port = gdm.rpartition(":")
        discovery = await hass.async_add_import_executor_job(
            import_module, "custom_components.butler.discovery"
        )
        _point(discovery, ("GDM_ADDRESS",), (host, int(port)))
        _LOGGER.warning("GDM searches go to the stand-in at %s", gdm)
    return True


def _point(module: ModuleType, names: tuple[str, ...], value: object) -> None:
    """Replace module attributes, refusing names the module no longer has.

    A renamed attribute would otherwise leave the demo signing in at the
    real plex.tv without a word.
    """
    for name in names:
        if not hasattr(module, name):
            raise RuntimeError(f"{module.__name__} has no {name} to point elsewhere")
        setattr(module, name, value)
