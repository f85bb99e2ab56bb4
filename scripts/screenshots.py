#!/usr/bin/env python3
"""Regenerate ``screenshots/*.svg`` for the README from the seeded simulator.

The world is the one ``ftmon --demo`` shows (seed 7) with its clock stopped at a fixed moment and
local time set to UTC, so running this twice writes the same files.

    .venv/bin/python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START = 1_780_000_000  # 2026-05-28 20:26:40 UTC
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    job: str | None  # a job of the seeded world, by its suffix
    keys: tuple[str, ...] = ()
    #: Freeze the job and let ten minutes pass first: the stall doctor's flag.
    stall: bool = False


SHOTS = (
    Shot("overview-wide", (160, 48), "grader-rft"),
    Shot("overview-narrow", (80, 24), "catalog-long"),
    Shot("job-detail", (80, 24), "intent-v1"),
    Shot("metrics", (110, 40), "support-bot", ("3",)),
    Shot("stalled", (100, 30), "catalog-long", stall=True),
)


async def settle(app: Any) -> None:
    """Until the engine is idle and the selection drawn (as the snapshot tests wait)."""
    monitor = app.monitor
    quiet = 0
    for _ in range(600):
        await asyncio.sleep(0.01)
        busy = (
            monitor.polls_running
            or not monitor.polls_started
            or monitor.poll_requested
            or not app.main.selection_settled
        )
        quiet = 0 if busy else quiet + 1
        if quiet >= 5:
            return


def take(shot: Shot) -> str:
    from ftmon.config import Settings
    from ftmon.connect import make_demo
    from ftmon.monitor.engine import Monitor
    from ftmon.sim import SimClock, SimWorld
    from ftmon.tui.app import FtmonApp

    world = SimWorld(seed=7, clock=SimClock(start=START, speed=0))
    client, _ = make_demo(Settings(), world=world)
    monitor = Monitor(client, clock=world.clock.now, interval=3600)
    job = world.highlights[f"job:{shot.job}"] if shot.job else None
    app = FtmonApp(monitor, clock=world.clock.now, job_id=job, age_refresh=0)

    async def pilot(pilot: Any) -> None:
        await settle(app)
        if shot.stall and job is not None:
            world.freeze_job(job)
            world.clock.advance(600)
            monitor.refresh_now()
            await settle(app)
            app.main._refresh_ages()  # the slow age tick, at once
            app.clear_notifications()  # of the jobs that ended meanwhile
            await settle(app)
        for key in shot.keys:
            await pilot.press(key)
        await settle(app)
        await pilot.pause()
        app.exit(app.export_screenshot(title=f"ftmon · {shot.name}"))

    return str(app.run(headless=True, size=shot.size, auto_pilot=pilot))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    os.environ["TZ"] = "UTC"
    time.tzset()
    args.out.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        path = args.out / f"{shot.name}.svg"
        path.write_text(take(shot), encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
