"""Limit requests, their approval by authority, and the nightly limit review."""
