"""Browser tests: a new user's path through a real Home Assistant."""
