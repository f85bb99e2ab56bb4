"""What the TUI's polling costs with thousands of active jobs: requests a cycle and a minute,
with the engine's budget (``active_budget``) and without.

The engine (``Monitor``) runs as the TUI runs it, on the simulator in process (``ftmon.sim``)
holding ``--jobs`` running jobs (3,000 by default), scrolled to the end of the list: every page
of it loaded (20 a page, as scrolling loads them) and the oldest job selected. ``poll_once`` is
called directly, the simulated clock moved 5 s between cycles, so each cycle stands for one at
the default 5 s interval and the requests a minute are 12 times those a cycle. Requests are
counted by the simulator. Measured twice, on fresh worlds: with ``active_budget=None`` (every
active job off the first page asked for on its own every cycle, each one's events every third
cycle: the engine before the budget) and with the default budget.

Also reported: how many cycles it took until every active job's status had been read, how many
jobs in the background had their events read a cycle (and so how long a round of them takes),
and the seconds a cycle took here (in process: what the engine and the simulator spend, no
network).

Run: ``python bench/active_budget.py [--jobs 3000] [--cycles 9]``
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_KEY, Result, fmt_num, print_results
from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.monitor.engine import Monitor
from ftmon.sim.app import create_app
from ftmon.sim.clock import SimClock
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld
from tests.support.counting import CountingClient
from tests.support.simkit import SIM_START

INTERVAL = 5.0  # the default interval the numbers stand for
#: The last part of a route as the simulator counts it, as the notes name it.
ROUTE_NAMES = {
    "jobs": "list pages",
    "{fine_tuning_job_id}": "job GETs",
    "events": "events",
    "checkpoints": "checkpoints",
}
#: The engine's default budget, read from its signature so the note says what was measured.
DEFAULT_BUDGET = inspect.signature(Monitor).parameters["active_budget"].default


@dataclass
class Run:
    """What one engine's cycles cost."""

    requests: list[int] = field(default_factory=list)  # a cycle, all of them
    budgeted: list[int] = field(default_factory=list)  # past the first page and selected job
    reads: list[int] = field(default_factory=list)  # jobs in the background read a cycle
    seconds: list[float] = field(default_factory=list)
    all_statuses_by: int | None = None  # the cycle every active job's status had been read by
    routes: dict[str, int] = field(default_factory=dict)

    @property
    def per_cycle(self) -> float:
        return sum(self.requests) / len(self.requests)


def build_world(jobs: int) -> SimWorld:
    """``jobs`` running jobs (scripted: a few events each, no end), 10 s apart, newest first."""
    world = SimWorld(clock=SimClock(start=SIM_START, speed=0), scenario="empty")
    for n in range(jobs):
        world.add_job(
            {
                "id": f"ftjob-bench{n:05d}",
                "status": "running",
                "created_at": SIM_START - 10 * (n + 1),
            }
        )
    return world


async def measure(jobs: int, cycles: int, budget: int | None) -> Run:
    world = build_world(jobs)
    settings = Settings(api_key=Secret(BENCH_KEY), base_url="http://sim.test/v1", timeout=60)
    async with FineTuningClient(
        settings, transport=sim_transport(create_app(world)), retry=RetryPolicy(max_attempts=1)
    ) as client:
        tap = CountingClient(client)
        monitor = Monitor(
            cast(FineTuningClient, tap),
            clock=world.clock.now,
            interval=INTERVAL,
            active_budget=budget,
        )
        await monitor.poll_once()
        while monitor.has_more_jobs:  # scrolled to the end of the list
            await monitor.load_older_jobs()
        selected = monitor.jobs()[-1].id
        monitor.select(selected)
        run = Run()
        unread = {job.id for job in monitor.jobs()} - {selected}
        for cycle in range(1, cycles + 1):
            tap.clear()
            world.stats.reset()
            world.clock.advance(INTERVAL)
            began = time.perf_counter()
            await monitor.poll_once()
            run.seconds.append(time.perf_counter() - began)
            run.requests.append(world.stats.total)
            for route, count in world.stats.snapshot()["routes"].items():
                run.routes[route] = run.routes.get(route, 0) + count
            budgeted = reads = 0
            for kind, key in tap.calls:
                if kind == "list":
                    budgeted += key is not None  # the first page is not budgeted
                elif key != selected:
                    budgeted += 1
                    reads += kind == "events"
                    if kind == "get" and key is not None:
                        unread.discard(key)
            for _, ids in tap.listed:
                unread.difference_update(ids)
            run.budgeted.append(budgeted)
            run.reads.append(reads)
            if not unread and run.all_statuses_by is None:
                run.all_statuses_by = cycle
    return run


def run(jobs: int = 3000, cycles: int = 9) -> list[Result]:
    before = asyncio.run(measure(jobs, cycles, None))
    after = asyncio.run(measure(jobs, cycles, DEFAULT_BUDGET))
    per_minute = 60.0 / INTERVAL
    label = f"{jobs:,} active jobs"

    def statuses(r: Run) -> str:
        n = r.all_statuses_by
        if n is None:
            return f"> {cycles} cycles"
        return f"{n} cycle{'s' if n != 1 else ''} ({n * INTERVAL:g} s)"

    def round_of_reads(r: Run) -> str:
        reads = sum(r.reads) / len(r.reads)
        if not reads:
            return "none"
        minutes = (jobs - 1) / reads * INTERVAL / 60
        return f"{fmt_num(reads, '', 1)} a cycle: a round in {minutes:.1f} min"

    def routes(r: Run) -> str:
        return ", ".join(
            f"{ROUTE_NAMES.get(route.split('/')[-1], route)} {n / cycles:.1f}"
            for route, n in sorted(r.routes.items())
        )

    budget_met = max(after.budgeted) <= DEFAULT_BUDGET
    return [
        Result(
            "active_budget",
            f"requests / cycle, {label}",
            f"{after.per_cycle:.1f} (max {max(after.requests)})",
            f"{before.per_cycle:.1f} (max {max(before.requests)})",
            note=f"reference: active_budget=None; a cycle: {routes(after)}",
        ),
        Result(
            "active_budget",
            f"requests / min at {INTERVAL:g} s, {label}",
            f"{after.per_cycle * per_minute:,.0f}",
            f"{before.per_cycle * per_minute:,.0f}",
            note=f"without a budget a cycle: {routes(before)}",
        ),
        Result(
            "active_budget",
            "budgeted requests / cycle (past the list page and selected job)",
            str(max(after.budgeted)),
            str(max(before.budgeted)),
            goal=f"<= {DEFAULT_BUDGET}",
            met=budget_met,
            note="the most in one cycle",
        ),
        Result(
            "active_budget",
            "every active job's status read within",
            statuses(after),
            statuses(before),
            note="from the first cycle",
        ),
        Result(
            "active_budget",
            "jobs in the background with events read",
            round_of_reads(after),
            round_of_reads(before),
            note="a first round (each read also reads the job's checkpoints); later ones quicker",
        ),
        Result(
            "active_budget",
            "seconds / cycle in process",
            fmt_num(sum(after.seconds) / cycles, " s", 3),
            fmt_num(sum(before.seconds) / cycles, " s", 3),
            note="engine and simulator in one process, no network",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000, help="running jobs in the account")
    parser.add_argument("--cycles", type=int, default=9, help="cycles measured per engine")
    args = parser.parse_args(argv)
    title = f"active budget: {args.jobs:,} active jobs, the list scrolled to its end"
    print_results(title, run(**vars(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
