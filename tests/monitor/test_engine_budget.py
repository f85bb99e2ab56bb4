"""The budget of the engine's polling of jobs other than the selected one: however many jobs are
active, a cycle spends at most ``active_budget`` requests on them, each one still has its turn,
and with a few active jobs nothing changes."""

from __future__ import annotations

import itertools
import math
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from monkit import sim_messages
from support.counting import CountingClient
from support.simkit import SIM_SEED, SIM_START, TEST_KEY

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.monitor.changes import JobsChanged
from ftmon.monitor.engine import WALK_PAGE_SIZE, Monitor
from ftmon.sim.app import create_app
from ftmon.sim.clock import SimClock
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld

BUDGET = 8
HALF = BUDGET // 2  # what each side gets when both want more than the budget
FIRST_READ = 2  # a job's first read in the background: its newest events and its checkpoints
PAGE = 5  # the first page of the list


@pytest.fixture
async def connect() -> AsyncIterator[Any]:
    """``await connect(world)``: a counting client on ``world`` served in process."""
    clients: list[FineTuningClient] = []

    async def make(world: SimWorld) -> CountingClient:
        settings = Settings(api_key=Secret(TEST_KEY), base_url="http://sim.test/v1", timeout=5)
        client = FineTuningClient(
            settings,
            transport=sim_transport(create_app(world)),
            retry=RetryPolicy(max_attempts=1),
        )
        clients.append(client)
        return CountingClient(client)

    yield make
    for client in clients:
        await client.aclose()


def world_of(active: int, *, finished_between: int = 0) -> tuple[SimWorld, list[str]]:
    """An account of ``active`` running jobs (scripted: a few events each), ``finished_between``
    cancelled ones after each; the running ones' ids, newest first."""
    world = SimWorld(seed=SIM_SEED, clock=SimClock(start=SIM_START, speed=0), scenario="empty")
    running: list[str] = []
    t = SIM_START - 10
    for n in range(active):
        job_id = f"ftjob-run{n:05d}"
        world.add_job({"id": job_id, "status": "running", "created_at": t})
        running.append(job_id)
        t -= 10
        for m in range(finished_between):
            world.add_job(
                {"id": f"ftjob-end{n:05d}x{m:03d}", "status": "cancelled", "created_at": t}
            )
            t -= 10
    return world, running


async def scrolled_to_the_end(counting: CountingClient, world: SimWorld, **kwargs: Any) -> Monitor:
    """A monitor as the TUI runs it, with every page of the list loaded (scrolled to its end)
    and the oldest job selected."""
    monitor = Monitor(
        cast(FineTuningClient, counting),
        clock=world.clock.now,
        interval=5.0,
        page_size=PAGE,
        **kwargs,
    )
    await monitor.poll_once()
    while monitor.has_more_jobs:
        await monitor.load_older_jobs(limit=100)
    monitor.select(monitor.jobs()[-1].id)
    return monitor


class Cycles:
    """Runs cycles and notes, per job, the cycles its status and its events were read in."""

    def __init__(self, monitor: Monitor, counting: CountingClient, world: SimWorld) -> None:
        self.monitor, self.counting, self.world = monitor, counting, world
        self.status_at: dict[str, list[int]] = {}
        self.events_at: dict[str, list[int]] = {}
        self.budgeted: list[int] = []  # requests beyond the first page and the selected job
        self.walk_pages = 0
        self.cycle = 0

    async def run(self, cycles: int) -> None:
        for _ in range(cycles):
            self.cycle += 1
            self.counting.clear()
            self.world.clock.advance(5)
            await self.monitor.poll_once()
            self.note()

    def note(self) -> None:
        selected = self.monitor.selected
        budgeted = 0
        for kind, key in self.counting.calls:
            if kind == "list":
                budgeted += key is not None  # the first page is outside the budget
            elif key != selected:  # the selected job is outside the budget
                budgeted += 1
                if kind in ("get", "events") and key is not None:
                    seen = self.status_at if kind == "get" else self.events_at
                    seen.setdefault(key, []).append(self.cycle)
        for after, ids in self.counting.listed:
            self.walk_pages += after is not None
            for job_id in ids:
                self.status_at.setdefault(job_id, []).append(self.cycle)
        self.budgeted.append(budgeted)

    def longest_wait(self, job_id: str, seen: dict[str, list[int]]) -> int:
        """The most cycles in a row the job went without being read (from the start)."""
        cycles = [0, *seen.get(job_id, []), self.cycle + 1]
        return max(b - a for a, b in itertools.pairwise(cycles)) - 1


def reads_round(jobs: int, monitor: Monitor) -> int:
    """The most cycles a job in the background waits for its read: a round of ``jobs`` first
    reads in ``HALF`` requests a cycle, which begins on the slow turn (every ``active_every``
    cycles); the later rounds, a request a read, are quicker."""
    return math.ceil(jobs * FIRST_READ / HALF) + monitor.active_every - 1


async def test_many_active_jobs_cost_at_most_the_budget_and_each_has_its_turn(connect):
    """Dense: 120 running jobs, read back by walking the list's pages (2 of them), not GETs."""
    world, running = world_of(120)
    counting = await connect(world)
    monitor = await scrolled_to_the_end(counting, world, active_budget=BUDGET)
    selected = monitor.selected
    assert selected == running[-1]
    cycles = Cycles(monitor, counting, world)
    others = [job_id for job_id in running if job_id != selected]
    rounds = reads_round(len(others), monitor)
    await cycles.run(2 * rounds)

    assert max(cycles.budgeted) <= BUDGET
    off_page = others[PAGE:]
    pages = math.ceil(len(off_page) / WALK_PAGE_SIZE)
    assert cycles.walk_pages >= pages  # the walk, not a GET each
    gets = [key for kind, key in counting.calls if kind == "get" and key != selected]
    assert gets == []
    for job_id in off_page:
        assert cycles.longest_wait(job_id, cycles.status_at) <= math.ceil(pages / HALF), job_id
    for job_id in others:
        assert cycles.longest_wait(job_id, cycles.events_at) <= rounds, job_id


async def test_active_jobs_far_apart_are_read_by_gets_within_the_budget(connect):
    """Sparse: 30 running jobs among 1,800 finished ones; walking 18 pages for them would cost
    more than half their GETs, so each is asked for on its own, a few a cycle."""
    world, running = world_of(30, finished_between=60)
    counting = await connect(world)
    monitor = await scrolled_to_the_end(counting, world, active_budget=BUDGET)
    selected = monitor.selected
    assert selected is not None and selected.startswith("ftjob-end")  # a finished one
    cycles = Cycles(monitor, counting, world)
    off_page = running[1:]  # the first page holds the newest running job
    rounds = math.ceil(len(off_page) / HALF)
    await cycles.run(3 * rounds)

    assert max(cycles.budgeted) <= BUDGET
    assert cycles.walk_pages == 0
    for job_id in off_page:
        assert cycles.longest_wait(job_id, cycles.status_at) <= rounds, job_id
    for job_id in running:
        waited = cycles.longest_wait(job_id, cycles.events_at)
        assert waited <= reads_round(len(running), monitor), job_id


async def test_the_selected_job_is_read_in_full_every_cycle(connect):
    world, running = world_of(200)
    counting = await connect(world)
    monitor = await scrolled_to_the_end(counting, world, active_budget=BUDGET)
    selected = running[-1]
    for _ in range(6):
        counting.clear()
        world.clock.advance(5)
        await monitor.poll_once()
        assert ("get", selected) in counting.calls
        assert ("events", selected) in counting.calls


async def test_without_a_budget_every_active_job_is_asked_for_every_cycle(connect):
    """What the budget replaces: a GET for every active job off the first page each cycle."""
    world, running = world_of(200)
    counting = await connect(world)
    monitor = await scrolled_to_the_end(counting, world, active_budget=None)
    cycles = Cycles(monitor, counting, world)
    await cycles.run(3)
    assert min(cycles.budgeted) >= len(running) - PAGE - 1


async def test_a_job_deep_in_the_list_that_ends_is_seen_within_one_walk(connect):
    world, running = world_of(300)
    counting = await connect(world)
    monitor = await scrolled_to_the_end(counting, world, active_budget=BUDGET)
    seen: list[str] = []
    monitor.subscribe(
        lambda changes: seen.extend(
            job.id
            for change in changes
            if isinstance(change, JobsChanged)
            for job in change.changed
            if job.status == "cancelled"
        )
    )
    deep = running[250]
    world.cancel_job(deep)
    pages = math.ceil((len(running) - PAGE) / WALK_PAGE_SIZE)
    for _ in range(2 * math.ceil(pages / HALF)):  # a walk under way, then a whole one
        world.clock.advance(5)
        await monitor.poll_once()
    assert deep in seen
    assert monitor.job(deep).status == "cancelled"


async def test_a_job_read_lightly_shows_its_whole_history_once_selected(connect):
    """While the budget is short a job in the background has its newest page of events read
    only; selected, its history is read again and its series has every point."""
    world, _ = world_of(60)
    busy = world.add_job(
        {
            "suffix": "busy",
            "created_at": SIM_START - 5,
            "lifecycle": {
                "total_steps": 3000,
                "n_epochs": 3,
                "seconds_per_step": 1,
                "validate_seconds": 1,
                "queue_seconds": 1,
            },
        }
    )["id"]
    counting = await connect(world)
    monitor = await scrolled_to_the_end(counting, world, active_budget=BUDGET)
    for _ in range(40):  # a read of the busy job every 20 cycles or so: 100 new events
        world.clock.advance(5)
        await monitor.poll_once()
    assert len(monitor.events(busy)) < len(sim_messages(world, busy))
    monitor.select(busy)
    await monitor.poll_once()
    held = [(e.created_at, e.message) for e in monitor.events(busy)]
    assert held == sim_messages(world, busy)
    record = world.events_record(busy)["data"]
    steps = {e["data"]["step"] for e in record if "step" in (e.get("data") or {})}
    assert set(monitor.series(busy).steps()) == steps


async def test_a_few_active_jobs_are_polled_as_without_a_budget(connect):
    """The seeded account (7 active jobs, one of them off a first page of 6): the same
    requests, cycle by cycle, with the budget as without it."""
    seen: dict[Any, list[list[tuple[str, str | None]]]] = {}
    for budget in (None, BUDGET):
        world = SimWorld(seed=SIM_SEED, clock=SimClock(start=SIM_START, speed=0))
        counting = await connect(world)
        monitor = Monitor(
            cast(FineTuningClient, counting),
            clock=world.clock.now,
            interval=5.0,
            page_size=6,
            active_budget=budget,
        )
        await monitor.poll_once()
        await monitor.load_older_jobs()
        running = [job.id for job in monitor.jobs() if job.status == "running"]
        monitor.select(running[0])
        cycles = []
        for _ in range(10):
            counting.clear()
            world.clock.advance(60)
            await monitor.poll_once()
            cycles.append(sorted(counting.calls, key=str))
        seen[budget] = cycles
    assert seen[BUDGET] == seen[None]
    # The off-page job's GETs and the jobs' reads in the background were among them.
    assert any(kind == "get" for calls in seen[None] for kind, _ in calls)
    assert len({key for calls in seen[None] for kind, key in calls if kind == "events"}) > 1
