"""The controls that make a stall and a long queue (for the stall and queue doctor): a frozen
job stays ``running`` and writes no metrics event until unfrozen; a stretched queue keeps a job
waiting. Routes and their ``SimWorld`` methods, on both flavours."""

from __future__ import annotations

import httpx
from support.flavors import BOTH

from ftmon.sim.world import SimWorld

pytestmark = BOTH
SIM = "http://sim.test/_sim"


def small_job(world: SimWorld, suffix: str) -> str:
    plan = {
        "total_steps": 100,
        "seconds_per_step": 2,
        "validate_seconds": 10,
        "queue_seconds": 10,
        "finalize_seconds": 10,
    }
    return world.add_job({"suffix": suffix, "lifecycle": plan})["id"]


def metrics(world: SimWorld, job_id: str) -> list[int]:
    return [
        e["data"]["step"] for e in world.events_record(job_id)["data"] if e["type"] == "metrics"
    ]


async def test_a_frozen_job_stays_running_and_trains_nothing_until_unfrozen(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    job_id = small_job(sim_world, "freeze-me")
    sim_world.clock.advance(40)  # running, a few steps in
    frozen = await sim_http.post(f"{SIM}/jobs/{job_id}/freeze")
    assert frozen.status_code == 200 and frozen.json()["status"] == "running"
    steps = metrics(sim_world, job_id)
    sim_world.clock.advance(3600)
    assert sim_world.get_job(job_id)["status"] == "running"
    assert metrics(sim_world, job_id) == steps  # no new step for an hour
    thawed = await sim_http.delete(f"{SIM}/jobs/{job_id}/freeze")
    assert thawed.status_code == 200
    sim_world.clock.advance(20)
    after = metrics(sim_world, job_id)
    assert len(after) > len(steps) and after[len(steps)] == steps[-1] + 1  # on from there


async def test_a_stretched_queue_keeps_the_job_waiting(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    job_id = small_job(sim_world, "queue-me")
    sim_world.clock.advance(12)
    stretched = await sim_http.post(f"{SIM}/jobs/{job_id}/queue", json={"seconds": 7200})
    assert stretched.status_code == 200 and stretched.json()["status"] == "queued"
    sim_world.clock.advance(7000)
    assert sim_world.get_job(job_id)["status"] == "queued"
    sim_world.clock.advance(300)
    assert sim_world.get_job(job_id)["status"] == "running"


async def test_the_controls_refuse_what_they_cannot_do(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    job_id = small_job(sim_world, "refuse-me")
    sim_world.clock.advance(1)
    # Not running yet: nothing to freeze. Bad seconds. Running: no queue to stretch.
    assert (await sim_http.post(f"{SIM}/jobs/{job_id}/freeze")).status_code == 400
    for bad in [{"seconds": -1}, {"seconds": "1"}, {}]:
        response = await sim_http.post(f"{SIM}/jobs/{job_id}/queue", json=bad)
        assert response.status_code == 400, bad
    sim_world.clock.advance(40)
    assert (
        await sim_http.post(f"{SIM}/jobs/{job_id}/queue", json={"seconds": 5})
    ).status_code == 400
    assert (await sim_http.post(f"{SIM}/jobs/ftjob-nope/freeze")).status_code == 404
