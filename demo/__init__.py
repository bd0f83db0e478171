"""Run a real Home Assistant with Butler for Plex: the demo and the browser tests."""
