"""Tests for Butler for Plex."""
