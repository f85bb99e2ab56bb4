"""One progress for both front ends (issue 15 point 9): the TUI's job list (the engine's rows)
and ``ftmon jobs`` give the same words for the same job, finished ones included, on every job
of the simulator's default world."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest
from support.cli import Run, Sim
from support.simkit import TEST_KEY

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.monitor.engine import Monitor
from ftmon.present.rows import job_row

Cli = Callable[..., Run]

#: ``… <progress> <age>`` at the end of a one-line row of ``ftmon jobs``.
_TAIL = re.compile(r"(?P<progress>—|\d+/\d+ \d+%|\d+%|\d+)\s+(?P<age>\S+)\s*$")


def jobs_progress(cli: Cli) -> dict[str, str]:
    run = cli("jobs", "--all")
    assert run.code == 0, run.err
    shown: dict[str, str] = {}
    for line in run.out.splitlines()[1:]:
        match = _TAIL.search(line)
        assert match is not None, line
        shown[line.split()[2]] = match["progress"]
    return shown


async def list_progress(sim: Sim, transport: httpx.AsyncBaseTransport) -> dict[str, str]:
    """The TUI list's progress cells: the engine as the app runs it, its rows as drawn."""
    settings = Settings(api_key=Secret(TEST_KEY), base_url="http://sim.test/v1", timeout=5)
    async with FineTuningClient(
        settings, transport=transport, retry=RetryPolicy(max_attempts=1)
    ) as client:
        monitor = Monitor(client, clock=sim.world.clock.now)
        for _ in range(4):  # progress_reads a cycle: every finished job within a few cycles
            await monitor.poll_once()
        now = sim.world.clock.now()
        return {
            job.id: job_row(job, monitor.progress_series(job.id), now).progress
            for job in monitor.jobs()
        }


def test_the_tui_list_and_ftmon_jobs_show_the_same_progress_for_every_job(
    cli: Cli, sim: Sim, sim_transport: httpx.AsyncBaseTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line a job
    headless = jobs_progress(cli)
    tui = asyncio.run(list_progress(sim, sim_transport))
    assert tui == headless
    assert len(tui) == 15
    statuses = {j["id"]: j["status"] for j in sim.world.list_jobs(limit=100)[0]}
    by = sim.world.highlights
    assert tui[by["job:ranker"]] == "572/600 95%"  # cancelled: where it stopped, not —
    assert tui[by["job:faq-bot-v2"]] == "30/30 100%"
    for job_id, words in tui.items():
        if statuses[job_id] in ("succeeded", "running", "paused", "pausing", "cancelled"):
            assert words != "—", (statuses[job_id], job_id)
