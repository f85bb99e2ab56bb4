"""The progress of finished jobs the list shows (issue 15 point 9): read once each, a few a
cycle, never while the list fails, a failed read retried later without colouring the health."""

from __future__ import annotations

from monkit import Recorder, make_monitor

from ftmon.api.models import is_final
from ftmon.monitor.changes import MetricsChanged
from ftmon.present.rows import progress_text

EVENTS = "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events"


def finished(world) -> list[str]:
    jobs, _ = world.list_jobs(limit=100)
    return [j["id"] for j in jobs if is_final(j["status"])]


async def test_finished_jobs_have_their_progress_read_once_a_few_a_cycle(client, sim_world):
    monitor = make_monitor(client, sim_world, active_budget=None, active_every=1000)
    recorder = Recorder(monitor)
    done = finished(sim_world)
    assert len(done) == 8
    sim_world.stats.reset()
    await monitor.poll_once()
    # The first cycle reads every active job in full, and 4 finished jobs' newest events.
    read = [j for j in done if monitor.progress_series(j) is not None]
    assert read == done[:4]  # newest first
    assert {c.job_id for c in recorder.of(MetricsChanged)} >= set(read)
    await monitor.poll_once()
    assert all(monitor.progress_series(j) is not None for j in done)
    job = monitor.job(sim_world.highlights["job:ranker"])
    assert job is not None
    assert progress_text(job, monitor.progress_series(job.id)) == "572/600 95%"
    # Read once: later cycles ask for no finished job's events.
    sim_world.stats.reset()
    for _ in range(3):
        await monitor.poll_once()
    assert sim_world.stats.count("GET", EVENTS) == 0
    # None of them became a tracked (loaded) job.
    assert not any(monitor.is_loaded(j) for j in done)


async def test_a_failed_progress_read_is_retried_later_and_the_health_stays_good(client, sim_world):
    monitor = make_monitor(client, sim_world, active_budget=None, active_every=1000)
    original = client.list_events
    fail = {"on": True}

    async def flaky(job_id: str, **kwargs):
        if fail["on"] and job_id in finished(sim_world):
            from ftmon.api.errors import ServerError

            raise ServerError("The server failed (503)")
        return await original(job_id, **kwargs)

    client.list_events = flaky  # type: ignore[method-assign]
    await monitor.poll_once()
    assert monitor.health.state == "ok"
    assert all(monitor.progress_series(j) is None for j in finished(sim_world))
    fail["on"] = False
    await monitor.poll_once()  # waiting: not tried again at once
    assert all(monitor.progress_series(j) is None for j in finished(sim_world)[:4])
    for _ in range(4):
        await monitor.poll_once()
    assert all(monitor.progress_series(j) is not None for j in finished(sim_world))


async def test_no_progress_read_while_the_list_fails_nor_without_the_list(client, sim_world):
    watcher = make_monitor(client, sim_world, watch_list=False)
    sim_world.stats.reset()
    await watcher.poll_once()
    assert sim_world.stats.count("GET", EVENTS) == 0
    monitor = make_monitor(client, sim_world, active_budget=None, active_every=1000)
    await monitor.poll_once()  # the list, and the first 4 finished jobs' progress
    sim_world.faults.add("503", count=1)  # the next request: the list
    sim_world.clock.advance(5)
    sim_world.stats.reset()
    await monitor.poll_once()
    assert monitor.health.state == "failing"
    assert sim_world.stats.count("GET", EVENTS) == 0  # the link is in trouble: not now
    assert sum(monitor.progress_series(j) is not None for j in finished(sim_world)) == 4
