"""The engine against the simulator in process: what it fetches, when, and what it publishes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from monkit import Recorder, job_with_status, make_monitor, sim_messages
from support.simkit import TEST_KEY

from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings
from ftmon.monitor.changes import (
    CheckpointsChanged,
    EventsAppended,
    HealthChanged,
    JobFinished,
    JobsChanged,
    MetricsChanged,
)
from ftmon.monitor.engine import Fetched, Monitor


def seen_messages(monitor: Monitor, job_id: str) -> list[tuple[Any, str]]:
    return [(e.created_at, e.message) for e in monitor.events(job_id)]


async def watch_to_the_end(monitor: Monitor, sim_world: Any, job_id: str) -> None:
    """Select ``job_id`` and poll, an hour of simulated time apart, until it has ended."""
    monitor.select(job_id)
    await monitor.poll_once()
    for _ in range(40):
        sim_world.clock.advance(3600)
        await monitor.poll_once()
        if monitor.job(job_id).is_final:
            return


async def test_first_poll_lists_jobs_newest_first(client, sim_world):
    monitor = make_monitor(client, sim_world)
    rec = Recorder(monitor)
    await monitor.poll_once()
    jobs = monitor.jobs()
    assert len(jobs) == 15
    created = [j.created_at for j in jobs]
    assert created == sorted(created, reverse=True)
    changed = rec.of(JobsChanged)
    assert changed and changed[0].added
    # A second poll with nothing new publishes no job change.
    rec.changes.clear()
    await monitor.poll_once()
    assert rec.of(JobsChanged) == []


async def test_selected_running_job_tails_events_without_loss_or_duplicates(client, sim_world):
    job_id = job_with_status(sim_world, "running")
    monitor = make_monitor(client, sim_world)
    rec = Recorder(monitor)
    monitor.select(job_id)
    await monitor.poll_once()
    assert seen_messages(monitor, job_id) == sim_messages(sim_world, job_id)
    first_count = len(monitor.events(job_id))
    for _ in range(6):
        sim_world.clock.advance(120)
        await monitor.poll_once()
    assert seen_messages(monitor, job_id) == sim_messages(sim_world, job_id)
    assert len(monitor.events(job_id)) > first_count
    appended = [e for c in rec.of(EventsAppended) if c.job_id == job_id for e in c.events]
    assert len(appended) == len(monitor.events(job_id))  # each event published exactly once
    assert rec.of(MetricsChanged)
    assert len(monitor.series(job_id)) > 0


async def test_event_tail_survives_faults_with_nothing_lost(client, sim_world):
    job_id = job_with_status(sim_world, "running")
    monitor = make_monitor(client, sim_world)
    monitor.select(job_id)
    await monitor.poll_once()
    kinds = ["503", "drop", "garbage", "500", "429", "502"]
    for i, kind in enumerate(kinds * 3):
        sim_world.clock.advance(45)
        sim_world.faults.add(kind, count=1, route="/fine_tuning/jobs/", retry_after=1)
        await monitor.poll_once()
        if i % 2:
            monitor.refresh_now()  # skip backoff so the next cycle tries again
    # After the faults clear, the next polls catch up completely.
    for _ in range(3):
        monitor.refresh_now()
        sim_world.clock.advance(10)
        await monitor.poll_once()
    seen = seen_messages(monitor, job_id)
    assert seen == sim_messages(sim_world, job_id)
    assert len(seen) == len(set(seen))


async def test_final_job_is_loaded_once_then_never_polled(client, sim_world):
    job_id = job_with_status(sim_world, "succeeded")
    monitor = make_monitor(client, sim_world, watch_list=False)
    monitor.select(job_id)
    await monitor.poll_once()
    assert monitor.checkpoints(job_id)
    assert monitor.series(job_id).complete  # from the result CSV
    before = sim_world.stats_snapshot()["total"]
    for _ in range(5):
        sim_world.clock.advance(60)
        await monitor.poll_once()
    assert sim_world.stats_snapshot()["total"] == before


async def test_job_finishing_is_announced_once_with_result_and_checkpoints(client, sim_world):
    job_id = job_with_status(sim_world, "running")
    monitor = make_monitor(client, sim_world)
    rec = Recorder(monitor)
    await watch_to_the_end(monitor, sim_world, job_id)
    job = monitor.job(job_id)
    assert job.status == "succeeded"
    await monitor.poll_once()
    finished = [c for c in rec.of(JobFinished) if c.job.id == job_id]
    assert len(finished) == 1
    assert [c for c in rec.of(CheckpointsChanged) if c.job_id == job_id]
    assert len(monitor.checkpoints(job_id)) <= 3  # only the last 3 are kept
    assert monitor.series(job_id).complete
    assert seen_messages(monitor, job_id) == sim_messages(sim_world, job_id)


async def test_jobs_already_final_are_not_announced(client, sim_world):
    monitor = make_monitor(client, sim_world)
    rec = Recorder(monitor)
    monitor.select(job_with_status(sim_world, "failed"))
    await monitor.poll_once()
    await monitor.poll_once()
    assert rec.of(JobFinished) == []


async def test_active_job_off_the_first_page_is_retrieved_on_its_own(client, sim_world):
    monitor = make_monitor(client, sim_world, page_size=2, active_every=100)
    await monitor.poll_once()  # first page: the 2 newest jobs
    older = await monitor.load_older_jobs()
    assert older == 2
    # An older active job, now off the first page, is retrieved on its own each cycle.
    off_page = [j for j in monitor.jobs()[2:] if not j.is_final]
    assert off_page
    before = sim_world.stats_snapshot()["routes"].get(
        "GET /v1/fine_tuning/jobs/{fine_tuning_job_id}", 0
    )
    await monitor.poll_once()
    after = sim_world.stats_snapshot()["routes"]["GET /v1/fine_tuning/jobs/{fine_tuning_job_id}"]
    assert after - before == len(off_page)


async def test_health_reports_failure_then_recovers(client, sim_world):
    monitor = make_monitor(client, sim_world)
    rec = Recorder(monitor)
    await monitor.poll_once()
    sim_world.faults.add("503", count=1)
    sim_world.clock.advance(5)
    await monitor.poll_once()
    assert monitor.health.state == "failing"
    text = monitor.health.describe(sim_world.clock.now())
    assert text.startswith("server errors (503) · next try in ")
    # The backoff holds the list back until it is due (no list request in between).
    before = sim_world.stats_snapshot()["routes"]["GET /v1/fine_tuning/jobs"]
    await monitor.poll_once()
    assert sim_world.stats_snapshot()["routes"]["GET /v1/fine_tuning/jobs"] == before
    sim_world.clock.advance(60)
    await monitor.poll_once()
    assert monitor.health.state == "ok"
    states = [c.health.state for c in rec.of(HealthChanged)]
    assert states[-2:] == ["failing", "ok"]
    assert monitor.health.describe(sim_world.clock.now()) == ""


async def test_each_fetch_is_told_as_it_ends_with_its_typed_error(client, sim_world):
    """``on_fetch`` says which fetch failed, and how: what ``ftmon watch`` picks its exit code
    from (the health line folds every error into one)."""
    told: list[Fetched] = []
    job_id = job_with_status(sim_world, "running")
    monitor = make_monitor(client, sim_world, watch_list=False, on_fetch=told.append)
    monitor.select(job_id)
    sim_world.faults.add("500", count=1, route=f"/fine_tuning/jobs/{job_id}/checkpoints")
    await monitor.poll_once()
    ended = [(f.kind, f.job_id, type(f.error).__name__) for f in told if f.done]
    assert ended == [
        ("job", job_id, "NoneType"),
        ("events", job_id, "NoneType"),
        ("checkpoints", job_id, "ServerError"),
    ]
    # Each page of a walk of the events is told as it is answered, before the walk ends.
    pages = [f for f in told if not f.done]
    assert pages and all(f.endpoint == f"events:{job_id}" and f.error is None for f in pages)
    walked = next(f for f in told if f.kind == "events" and f.done)
    assert told.index(pages[-1]) < told.index(walked)


async def test_retry_after_is_honoured(client, sim_world):
    monitor = make_monitor(client, sim_world)
    await monitor.poll_once()
    sim_world.faults.add("429", count=1, retry_after=30)
    await monitor.poll_once()
    list_route = "GET /v1/fine_tuning/jobs"
    count = sim_world.stats_snapshot()["routes"][list_route]
    sim_world.clock.advance(29)
    await monitor.poll_once()
    assert sim_world.stats_snapshot()["routes"][list_route] == count
    sim_world.clock.advance(2)
    await monitor.poll_once()
    assert sim_world.stats_snapshot()["routes"][list_route] == count + 1


async def test_polls_never_overlap(client, sim_world):
    """A slow API and an impatient user: still one poll at a time."""
    monitor = Monitor(client, clock=sim_world.clock.now, interval=0.01)
    in_flight = 0
    most = 0
    original = monitor.poll_once

    async def counting_poll() -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await original()
        finally:
            in_flight -= 1

    monitor.poll_once = counting_poll  # type: ignore[method-assign]
    sim_world.faults.add("delay", delay=0.02, duration=30)
    task = asyncio.create_task(monitor.run())
    for _ in range(1000):
        monitor.refresh_now()
        await asyncio.sleep(0.005)
        if monitor.polls_started >= 3:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert most == 1
    assert monitor.polls_started >= 3


async def test_paused_polling_fetches_nothing(client, sim_world):
    monitor = make_monitor(client, sim_world, interval=0.01)
    monitor.set_paused(True)
    assert monitor.health.state == "paused"
    task = asyncio.create_task(monitor.run())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sim_world.stats_snapshot()["total"] == 0


async def test_cancel_publishes_new_state_and_failure_is_reported(client, sim_world):
    job_id = job_with_status(sim_world, "running")
    monitor = make_monitor(client, sim_world)
    rec = Recorder(monitor)
    await monitor.poll_once()
    job = await monitor.act("cancel", job_id)
    assert job is not None and job.status == "cancelled"
    assert monitor.job(job_id).status == "cancelled"
    again = await monitor.act("cancel", job_id)  # cancelling a final job: 400
    assert again is None
    failed = [c for c in rec.changes if type(c).__name__ == "ActionFailed"]
    assert failed and failed[0].job_id == job_id


async def test_after_the_first_load_a_poll_asks_for_a_small_page(client, sim_world):
    """Following a job costs one small page per poll, not a full page of history."""
    job_id = job_with_status(sim_world, "running")
    monitor = make_monitor(client, sim_world, watch_list=False)
    limits: list[tuple[str | None, int | None]] = []
    original = client.list_events

    async def recording(job: str, *, after: str | None = None, limit: int | None = None):
        limits.append((after, limit))
        return await original(job, after=after, limit=limit)

    client.list_events = recording  # type: ignore[method-assign]
    monitor.select(job_id)
    await monitor.poll_once()
    assert limits and all(limit == monitor.event_page_size for _, limit in limits)
    limits.clear()
    sim_world.clock.advance(30)
    await monitor.poll_once()
    assert limits[0] == (None, monitor.tail_page_size)
    # Many new events: the small page is all new, so the walk goes on with larger pages.
    limits.clear()
    sim_world.clock.advance(3000)
    await monitor.poll_once()
    assert limits[0] == (None, monitor.tail_page_size)
    assert len(limits) > 1 and all(limit == monitor.event_page_size for _, limit in limits[1:])
    assert seen_messages(monitor, job_id) == sim_messages(sim_world, job_id)


async def test_the_list_is_published_before_job_details(client, sim_world):
    monitor = make_monitor(client, sim_world)
    batches: list[list[Any]] = []
    monitor.subscribe(batches.append)
    monitor.select(job_with_status(sim_world, "running"))
    await monitor.poll_once()
    assert all(isinstance(c, JobsChanged) for c in batches[0])
    assert any(isinstance(c, EventsAppended) for batch in batches[1:] for c in batch)


async def test_unreadable_items_are_reported_and_the_rest_shown(sim_world):
    """A job with no usable id is left out and the status line says so; its neighbours show."""
    good = sim_world.list_jobs(limit=2)[0]

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/fine_tuning/jobs"):
            return httpx.Response(
                200, json={"object": "list", "data": [{"id": None}, *good], "has_more": False}
            )
        return httpx.Response(200, json={"object": "list", "data": [], "has_more": False})

    settings = Settings(api_key=Secret(TEST_KEY), base_url="http://odd.test/v1")
    async with FineTuningClient(settings, transport=httpx.MockTransport(handle)) as odd:
        monitor = Monitor(odd, clock=sim_world.clock.now, interval=5)
        await monitor.poll_once()
        assert [j.id for j in monitor.jobs()] == [j["id"] for j in good]
        assert monitor.health.state == "degraded"
        assert "1 item" in monitor.health.describe(sim_world.clock.now())


async def test_an_unexpected_exception_backs_off_and_polling_goes_on(client, sim_world):
    monitor = make_monitor(client, sim_world)
    original = client.list_jobs
    calls = 0

    async def broken(**kwargs: Any):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug")
        return await original(**kwargs)

    client.list_jobs = broken  # type: ignore[method-assign]
    await monitor.poll_once()
    assert monitor.health.state == "failing" and "RuntimeError" in (monitor.health.error or "")
    sim_world.clock.advance(60)
    await monitor.poll_once()
    assert monitor.health.state == "ok" and len(monitor.jobs()) == 15


async def test_a_poll_asked_for_during_a_poll_runs_right_after_it(sim_transport, sim_world):
    """The cursor moving while a poll is in flight must not wait a whole interval."""
    first, second = job_with_status(sim_world, "running"), job_with_status(sim_world, "succeeded")
    gate, entered = asyncio.Event(), asyncio.Event()

    class Gated(httpx.AsyncBaseTransport):
        """Holds the first job's events: the cycle has already chosen what it fetches."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if f"/jobs/{first}/events" in request.url.path:
                entered.set()
                await gate.wait()
            return await sim_transport.handle_async_request(request)

    settings = Settings(api_key=Secret(TEST_KEY), base_url="http://sim.test/v1", timeout=5)
    async with FineTuningClient(settings, transport=Gated()) as gated:
        monitor = make_monitor(gated, sim_world, interval=3600)
        monitor.select(first)
        runner = asyncio.create_task(monitor.run())
        try:
            await entered.wait()
            monitor.select(second)  # asked for while the first poll waits on the network
            assert not monitor.is_loaded(second)
            gate.set()
            for _ in range(2000):
                if monitor.is_loaded(second):
                    break
                await asyncio.sleep(0.001)
            assert monitor.is_loaded(second)  # not an hour later
            assert monitor.polls_started == 2
        finally:
            runner.cancel()


async def test_a_forgotten_job_leaves_nothing_behind(client, sim_world):
    """A job deleted on the server (Azure) is dropped from every per-job record but the list
    of deleted ids (which keeps a stale page from bringing it back): ftmon runs for days."""
    job_id = job_with_status(sim_world, "running")
    monitor = make_monitor(client, sim_world)
    rec = Recorder(monitor)
    await watch_to_the_end(monitor, sim_world, job_id)
    assert [c for c in rec.of(JobFinished) if c.job.id == job_id]
    monitor.forget(job_id)
    for name, held in vars(monitor).items():
        if name == "_deleted" or not isinstance(held, (set, dict)):
            continue
        keys = [str(key) for key in held]
        assert not [k for k in keys if k == job_id or k.endswith(f":{job_id}")], name
