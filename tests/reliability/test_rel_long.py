"""Long runs: a day of watching several active jobs, in simulated time, in its own process.

After a warm-up nothing may pile up: not asyncio tasks, Textual timers, widgets, workers or
screens; resident memory may grow by less than 10 MB over the rest of the day. CPU per hour is
reported (ftmon's part, the simulator's part apart). The full day is slow; CI runs an hour.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

LONGRUN = str(Path(__file__).resolve().parent / "longrun.py")
MB = 1024 * 1024


def run_day(hours: float, jobs: int, warmup: float) -> dict[str, Any]:
    argv = [sys.executable, LONGRUN, "--hours", str(hours), "--jobs", str(jobs)]
    argv += ["--warmup", str(warmup)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(report: dict[str, Any]) -> str:
    cpu = report["cpu_per_hour_total"]
    sim = report["cpu_per_hour_sim"]
    return (
        f"{report['hours']:g} simulated h, {report['jobs']} jobs: RSS +"
        f"{report['rss_growth'] / MB:.1f} MB after {report['warmup_hours']:g} h warm-up; "
        f"CPU per simulated hour {cpu - sim:.1f} s ftmon + {sim:.1f} s simulator; "
        f"{report['requests_per_hour']:.0f} requests/h; grew {report['grew']}"
    )


def test_an_hour_of_watching_leaves_nothing_piling_up() -> None:
    report = run_day(hours=0.5, jobs=2, warmup=0.15)
    print(summary(report))
    assert report["running"] and report["worker_errors"] == []
    assert report["grew"] == {}
    assert len(report["samples"]) >= 2


@pytest.fixture(scope="module")
def day() -> dict[str, Any]:
    """One simulated day, four jobs training all of it, two hours of warm-up (about 4 minutes)."""
    report = run_day(hours=24, jobs=4, warmup=2)
    print(summary(report))
    return report


@pytest.mark.slow
def test_a_day_of_watching_several_jobs_piles_nothing_up(day: dict[str, Any]) -> None:
    assert day["running"] and day["worker_errors"] == []
    assert day["grew"] == {}
    # Everything the engine holds is bounded: max_events for the selected job, 500 for others.
    assert all(s["events_held"] <= 5000 + 3 * 500 for s in day["samples"])


@pytest.mark.slow
def test_a_day_of_watching_grows_memory_by_less_than_10_mb(day: dict[str, Any]) -> None:
    assert day["rss_growth"] < 10 * MB
