"""Tests for the Plex simulator."""
