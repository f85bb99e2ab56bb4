"""Fixtures for driving the installed ``ftmon`` in a pseudo-terminal against ``ftmon sim`` on TCP.

The pty harness and the simulator subprocess live in ``bench/`` (the benchmarks use the same
ones), so the repository root is put on ``sys.path`` here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import SimProcess  # noqa: E402


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    """``ftmon sim --port 0`` with its clock stopped: the screen changes only when a key does."""
    with SimProcess(speed=0.0, seed=7) as running:
        yield running


@pytest.fixture
def ftmon_script() -> str:
    """The ``ftmon`` console script installed beside this interpreter (not ``python -m``)."""
    script = Path(sys.executable).parent / "ftmon"
    if not script.exists():
        pytest.fail(f"the ftmon console script is not installed next to {sys.executable}")
    return str(script)
