"""Helpers for writing posts (not a Pelican plugin: `tasks.py` calls them)."""
