"""Fixtures of the reliability suite: a quiet environment, and the repository on ``sys.path``.

Local time is UTC so that screens and outputs are the same everywhere; no user config file and
no key from the environment can leak in (the suite configures its own recognisable keys).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ["TZ"] = "UTC"
if hasattr(time, "tzset"):
    time.tzset()

from support.simkit import USER_ENV  # noqa: E402

#: A config file that does not exist (no tmp_path: hundreds of parametrized tests use this).
ABSENT_CONFIG = str(Path(__file__).resolve().parent / "no-such-config.toml")


@pytest.fixture(autouse=True)
def quiet_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in USER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FTMON_CONFIG", ABSENT_CONFIG)
    yield
