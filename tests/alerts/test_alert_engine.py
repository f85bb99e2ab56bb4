"""The alerter on the real engine, against the simulator: as a front end wires it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alertkit import FAST, Sink, alert
from support.simkit import TEST_KEY

from ftmon.alerts import Alerter
from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.monitor.engine import Monitor
from ftmon.sim.world import SimWorld


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def client(sim_transport: httpx.AsyncBaseTransport) -> AsyncIterator[FineTuningClient]:
    settings = Settings(api_key=Secret(TEST_KEY), base_url="http://sim.test/v1", timeout=5)
    async with FineTuningClient(
        settings, transport=sim_transport, retry=RetryPolicy(max_attempts=1), sleep=_no_sleep
    ) as c:
        yield c


def ids_with_status(world: SimWorld, *statuses: str) -> set[str]:
    jobs, _ = world.list_jobs(limit=100)
    return {j["id"] for j in jobs if j["status"] in statuses}


async def test_a_watched_job_ends_once_and_history_stays_quiet(
    tmp_path: Path, sink: Sink, client: FineTuningClient, sim_world: SimWorld
) -> None:
    over_before = ids_with_status(sim_world, "succeeded", "failed", "cancelled")
    running = sorted(ids_with_status(sim_world, "running"))[0]
    monitor = Monitor(client, clock=sim_world.clock.now, interval=5.0)
    hook = alert("webhook", sink.url("/ft"), on=["succeeded", "failed", "cancelled", "checkpoint"])
    state = tmp_path / "alerts.json"
    alerter = Alerter([hook], state_path=state, policy=FAST)
    alerter.attach(monitor)
    monitor.select(running)
    await monitor.poll_once()
    for _ in range(40):
        sim_world.clock.advance(3600)
        await monitor.poll_once()
        alerter.observe([], monitor)  # the timer a front end runs
        job = monitor.job(running)
        if job is not None and job.is_final:
            break
    await monitor.poll_once()
    assert await alerter.aclose(deadline=5) == 0
    sent = [json.loads(r.body) for r in sink.requests]
    ends = [(s["event"], s["job"]["id"]) for s in sent if s["event"] != "checkpoint"]
    final = monitor.job(running)
    assert final is not None and final.is_final
    assert ends.count((final.status, running)) == 1
    assert not [job_id for _, job_id in ends if job_id in over_before]  # history: no alert
    checkpoints = [s["checkpoint"]["id"] for s in sent if s["event"] == "checkpoint"]
    assert checkpoints, "the checkpoints made while watching are news"
    assert len(checkpoints) == len(set(checkpoints))  # each once
    # A restart on the same record sends nothing again.
    again = Alerter([hook], state_path=state, policy=FAST)
    second = Monitor(client, clock=sim_world.clock.now, interval=5.0)
    again.attach(second)
    second.select(running)
    await second.poll_once()
    await second.poll_once()
    await again.aclose()
    assert again.sent == 0 and len(sink.requests) == len(sent)
