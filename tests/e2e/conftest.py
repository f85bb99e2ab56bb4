"""Fixtures for driving the installed ``ftmon`` in a pseudo-terminal against ``ftmon sim`` on TCP.

The simulator subprocess is the benchmarks' (``bench/common.py``); the pty driver is the shared
one (``support.pty``, which the benchmarks use too).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from support.cli import FTMON

from bench.common import SimProcess


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    """``ftmon sim --port 0`` with its clock stopped: the screen changes only when a key does."""
    with SimProcess(speed=0.0, seed=7) as running:
        yield running


@pytest.fixture
def ftmon_script() -> str:
    """The ``ftmon`` console script installed beside this interpreter (not ``python -m``)."""
    if not FTMON.exists():
        pytest.fail(f"the ftmon console script is not installed next to {sys.executable}")
    return str(FTMON)
