"""Shared test helpers (spec validation of simulator responses)."""
