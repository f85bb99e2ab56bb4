"""Fixtures for the app's tests: local time is UTC so that screens are the same everywhere."""

from __future__ import annotations

import os
import time

import pytest
from tuikit import new_world

from ftmon.sim import SimWorld

# Local-time rendering (event stamps, "created" fields) must not depend on the machine.
os.environ["TZ"] = "UTC"
if hasattr(time, "tzset"):
    time.tzset()


@pytest.fixture
def world() -> SimWorld:
    """The seeded default world (15 jobs over every status) on a frozen clock."""
    return new_world()
