"""Fixtures for the app's tests (local time is UTC for every test: the root ``conftest.py``)."""

from __future__ import annotations

import pytest
from support.simkit import new_world

from ftmon.sim import SimWorld


@pytest.fixture
def world() -> SimWorld:
    """The seeded default world (15 jobs over every status) on a frozen clock."""
    return new_world()
