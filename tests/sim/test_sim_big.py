"""The ``big`` scenario: 10,000 jobs, among them a supervised job with 100,000 events and a
reinforcement job with 100,000 steps, built and served cheaply."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from support.simkit import SIM_START, TEST_KEY, get_json
from support.spec import SpecObserver

from ftmon.sim.app import create_app
from ftmon.sim.clock import SimClock
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import BIG_EVENTS_JOB_ID, BIG_REWARDS_JOB_ID, SimWorld

JOBS = "/fine_tuning/jobs"


@pytest.fixture(scope="module")
def big_world() -> SimWorld:
    started = time.perf_counter()
    world = SimWorld(clock=SimClock(start=SIM_START, speed=0), scenario="big")
    assert time.perf_counter() - started < 3.0  # well under a few seconds (about 0.6 s here)
    return world


@pytest.fixture
async def big_http(big_world: SimWorld) -> AsyncIterator[httpx.AsyncClient]:
    observer = SpecObserver()
    app = create_app(big_world, observer=observer)
    async with httpx.AsyncClient(
        transport=sim_transport(app),
        base_url="http://sim.test/v1",
        headers={"Authorization": f"Bearer {TEST_KEY}"},
    ) as client:
        yield client
    observer.assert_clean()


async def test_sizes_and_the_discoverable_job(big_http: httpx.AsyncClient) -> None:
    stats = await get_json(big_http, "http://sim.test/_sim/stats")
    assert stats["jobs"] == 10_000 and stats["scenario"] == "big"
    assert stats["highlights"]["big_events_job"] == BIG_EVENTS_JOB_ID
    assert stats["highlights"]["big_rewards_job"] == BIG_REWARDS_JOB_ID
    job = await get_json(big_http, f"{JOBS}/{BIG_EVENTS_JOB_ID}")
    assert job["status"] == "succeeded"
    rewards = await get_json(big_http, f"{JOBS}/{BIG_REWARDS_JOB_ID}")
    assert rewards["status"] == "succeeded" and rewards["method"]["type"] == "reinforcement"


async def test_jobs_page_through_ten_thousand(
    big_http: httpx.AsyncClient, big_world: SimWorld
) -> None:
    seen: list[str] = []
    after = None
    started = time.perf_counter()
    while True:  # in Python: the HTTP layer would spend its time validating 10,000 jobs
        page, more = big_world.list_jobs(after=after, limit=1000)
        seen += [j["id"] for j in page]
        if not more:
            break
        after = seen[-1]
    assert len(seen) == len(set(seen)) == 10_000
    assert time.perf_counter() - started < 5
    first = await get_json(big_http, JOBS, params={"limit": 100})
    assert [j["id"] for j in first["data"]] == seen[:100] and first["has_more"]
    deep = await get_json(big_http, JOBS, params={"limit": 100, "after": seen[8999]})
    assert [j["id"] for j in deep["data"]] == seen[9000:9100]
    last = await get_json(big_http, JOBS, params={"after": seen[-2]})
    assert [j["id"] for j in last["data"]] == seen[-1:] and not last["has_more"]
    assert {"running", "queued"} & {j["status"] for j in first["data"][:20]}


async def test_hundred_thousand_events_with_the_same_pagination(
    big_http: httpx.AsyncClient, big_world: SimWorld
) -> None:
    url = f"{JOBS}/{BIG_EVENTS_JOB_ID}/events"
    first = await get_json(big_http, url, params={"limit": 3})
    assert first["data"][0]["message"] == "The job has successfully completed"
    assert first["has_more"] is True
    # Jump deep into the history with a cursor from the middle.
    middle = big_world.job(BIG_EVENTS_JOB_ID).event_id(50_000)
    deep = await get_json(big_http, url, params={"after": middle, "limit": 2})
    assert [e["id"] for e in deep["data"]] == [
        big_world.job(BIG_EVENTS_JOB_ID).event_id(49_999),
        big_world.job(BIG_EVENTS_JOB_ID).event_id(49_998),
    ]
    # The whole history, in Python (over HTTP, validating 100,000 events would dominate).
    total, after, last_stamp = 0, None, None
    ids: set[str] = set()
    started = time.perf_counter()
    while True:
        page, more = big_world.list_events(BIG_EVENTS_JOB_ID, after=after, limit=10_000)
        for event in page:
            assert last_stamp is None or event["created_at"] <= last_stamp
            last_stamp = event["created_at"]
            ids.add(event["id"])
        total += len(page)
        if not more:
            break
        after = page[-1]["id"]
    assert total == len(ids) == 100_000
    assert time.perf_counter() - started < 5
    assert page[-1]["message"] == f"Created fine-tuning job: {BIG_EVENTS_JOB_ID}"
    last = await get_json(big_http, url, params={"after": page[-3]["id"]})
    assert last["data"] == page[-2:] and last["has_more"] is False
    metrics = [e for e in page if e["type"] == "metrics"]
    assert metrics[-1]["data"]["total_steps"] == 99_990


async def test_hundred_thousand_reinforcement_steps(
    big_http: httpx.AsyncClient, big_world: SimWorld
) -> None:
    """A metrics event each of 100,000 steps, reinforcement-shaped: rewards and the nested
    objects of two graders, no loss; validation every 100 steps; a few events at the end."""
    job = big_world.job(BIG_REWARDS_JOB_ID)
    log = job.log
    metrics = [log.get(i) for i in range(len(log))]
    steps = [entry.step for entry in metrics if entry.note is None]
    assert steps == list(range(1, 100_001))
    assert [e.step for e in metrics if e.note is None and e.full] == list(range(100, 100_001, 100))
    assert log.chunk_count < 2_100  # runs of steps, not 100,000 objects
    url = f"{JOBS}/{BIG_REWARDS_JOB_ID}/events"
    newest = await get_json(big_http, url, params={"limit": 20})
    assert newest["data"][0]["message"] == "The job has successfully completed"
    assert "moderation_checks" in {e["type"] for e in newest["data"]}
    last = next(e for e in newest["data"] if e["type"] == "metrics")
    assert last["message"].startswith("Step 100000/100000 , train mean reward=")
    assert "full validation mean reward=" in last["message"]
    data = last["data"]
    assert data["step"] == data["total_steps"] == 100_000
    assert {"train_mean_reward", "full_valid_mean_reward", "full_valid_mean_parse_error"} <= set(
        data
    )
    assert "train_loss" not in data
    graders = [g["name"] for g in data["scores"]["graders"]]
    assert graders == ["exact answer", "rubric grader"]
    assert [g["name"] for g in data["errors"]["graders"]] == graders
    assert [g["name"] for g in data["timing"]["graders"]] == graders
    assert [g["name"] for g in data["usage"]["graders"]] == ["rubric grader"]  # the model one
    # Deep in the history, a step without validation: the training side only.
    middle = job.event_id(50_000)
    deep = await get_json(big_http, url, params={"after": middle, "limit": 1})
    event = deep["data"][0]
    assert event["type"] == "metrics" and " , train mean reward=" in event["message"]
    assert "full_valid_mean_reward" not in event["data"]
    assert [g["name"] for g in event["data"]["scores"]["graders"]] == graders
    # The best 3 validation rewards and the final step are kept; the final one is the model.
    kept = job.checkpoints
    assert len(kept) == 4 and kept[-1]["step_number"] == 100_000
    assert kept[-1]["fine_tuned_model_checkpoint"] == job.model_name
    assert all(c["step_number"] % 100 == 0 for c in kept)
