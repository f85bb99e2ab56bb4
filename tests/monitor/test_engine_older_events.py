"""A long job's older history, read on request: before the first look's pages, in order, each
event once, within the cap, feeding the loss curve its start."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from monkit import Recorder, job_with_status, make_monitor, sim_messages

from ftmon.api import errors
from ftmon.monitor.changes import EventsPrepended, MetricsChanged
from ftmon.monitor.engine import Monitor
from ftmon.sim.world import SimWorld

EVENTS = 3000


def chatty_job(world: SimWorld, *, metrics: bool = False) -> str:
    """A running job with 3,000 events (metrics events, with ``metrics``), all in the past."""
    if metrics:
        events = [
            {
                "message": f"Step {n}/{EVENTS}: training loss={3 - n / 1000:.3f}",
                "offset_seconds": n,
                "type": "metrics",
                "data": {"step": n, "total_steps": EVENTS, "train_loss": 3 - n / 1000},
            }
            for n in range(1, EVENTS + 1)
        ]
    else:
        events = [{"message": f"event {n}", "offset_seconds": n} for n in range(EVENTS)]
    job_id = world.add_job({"suffix": "chatty", "status": "running", "events": events})["id"]
    world.clock.advance(4000)
    return job_id


def monitor_of(client: Any, world: SimWorld, **kwargs: Any) -> Monitor:
    kwargs.setdefault("event_page_size", 100)
    kwargs.setdefault("first_event_pages", 3)
    return make_monitor(client, world, **kwargs)


def held(monitor: Monitor, job_id: str) -> list[tuple[Any, str]]:
    return [(e.created_at, e.message) for e in monitor.events(job_id)]


async def opened(client: Any, world: SimWorld, job_id: str, **kwargs: Any) -> Monitor:
    monitor = monitor_of(client, world, **kwargs)
    monitor.select(job_id)
    await monitor.poll_once()
    return monitor


async def test_the_first_look_says_older_events_exist(client, sim_world):
    job_id = chatty_job(sim_world)
    monitor = await opened(client, sim_world, job_id)
    assert held(monitor, job_id) == sim_messages(sim_world, job_id)[-300:]
    assert monitor.has_older_events(job_id)


async def test_a_short_history_read_in_full_has_nothing_older(client, sim_world):
    job_id = job_with_status(sim_world, "running")
    monitor = await opened(client, sim_world, job_id, first_event_pages=None)
    assert held(monitor, job_id) == sim_messages(sim_world, job_id)
    assert not monitor.has_older_events(job_id)
    assert await monitor.load_older_events(job_id) == 0


async def test_every_older_event_arrives_once_in_order(client, sim_world):
    job_id = chatty_job(sim_world)
    monitor = await opened(client, sim_world, job_id)
    recorder = Recorder(monitor)
    record = sim_messages(sim_world, job_id)
    loads = 0
    while monitor.has_older_events(job_id):
        before = held(monitor, job_id)
        added = await monitor.load_older_events(job_id, pages=5)
        loads += 1
        after = held(monitor, job_id)
        assert added == len(after) - len(before) > 0
        # The older events are in front, and the newer ones did not move.
        assert after[added:] == before
        assert after == record[-len(after) :]
    assert held(monitor, job_id) == record  # "Created fine-tuning job" and all
    assert len(set(held(monitor, job_id))) == len(record)
    assert loads == -(-(len(record) - 300) // 500)
    prepended = recorder.of(EventsPrepended)
    assert [c.count for c in prepended] == [len(c.events) for c in prepended]
    shown: list[tuple[Any, str]] = held(monitor, job_id)[-300:]
    for change in prepended:  # each batch oldest first, each before the one published earlier
        shown = [(e.created_at, e.message) for e in change.events] + shown
    assert shown == record
    assert await monitor.load_older_events(job_id) == 0


async def test_the_cap_is_never_passed_and_the_rest_is_said_to_remain(client, sim_world):
    job_id = chatty_job(sim_world)
    monitor = await opened(client, sim_world, job_id, max_events=1050)
    record = sim_messages(sim_world, job_id)
    assert await monitor.load_older_events(job_id, pages=5) == 500
    assert await monitor.load_older_events(job_id, pages=5) == 250  # half a page fits
    assert held(monitor, job_id) == record[-1050:]
    assert monitor.has_older_events(job_id)
    assert monitor.older_events_room(job_id) == 0
    assert await monitor.load_older_events(job_id) == 0
    assert held(monitor, job_id) == record[-1050:]


async def test_an_event_already_held_is_not_added_again(client, sim_world):
    job_id = chatty_job(sim_world)
    monitor = await opened(client, sim_world, job_id)
    track = monitor._tracks[job_id]
    # A cursor inside what is held (a page that overlaps it): the overlap is left out.
    track.older_after = track.events[50].id
    added = await monitor.load_older_events(job_id, pages=1)
    assert added == 50
    assert held(monitor, job_id) == sim_messages(sim_world, job_id)[-350:]


async def test_new_events_arriving_during_a_load_keep_one_unbroken_history(client, sim_world):
    job_id = job_with_status(sim_world, "running")
    monitor = await opened(
        client, sim_world, job_id, event_page_size=10, tail_page_size=5, first_event_pages=2
    )
    assert monitor.has_older_events(job_id)
    for _ in range(4):
        sim_world.clock.advance(600)
        await asyncio.gather(monitor.poll_once(), monitor.load_older_events(job_id, pages=2))
        record = sim_messages(sim_world, job_id)
        mine = held(monitor, job_id)
        assert mine == record[-len(mine) :]
        assert len(set(mine)) == len(mine)
    while monitor.has_older_events(job_id):
        await monitor.load_older_events(job_id)
    assert held(monitor, job_id) == sim_messages(sim_world, job_id)


async def test_older_metrics_events_give_the_loss_curve_its_start(client, sim_world):
    job_id = chatty_job(sim_world, metrics=True)
    monitor = await opened(client, sim_world, job_id)
    recorder = Recorder(monitor)
    steps = monitor.series(job_id).steps()
    assert steps[0] > 2000 and len(steps) < 400
    await monitor.load_older_events(job_id, pages=5)
    assert recorder.of(MetricsChanged) == [MetricsChanged(job_id)]
    while monitor.has_older_events(job_id):
        await monitor.load_older_events(job_id, pages=10)
    steps = monitor.series(job_id).steps()
    assert steps == list(range(1, EVENTS + 1))
    loss = dict(monitor.series(job_id).column("train_loss"))
    assert loss[1] == pytest.approx(2.999)


async def test_a_failed_page_keeps_what_came_before_and_the_next_load_goes_on(client, sim_world):
    job_id = chatty_job(sim_world)
    monitor = await opened(client, sim_world, job_id)
    recorder = Recorder(monitor)
    original = monitor.client.list_events
    calls = 0

    async def second_fails(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            sim_world.faults.add("503", count=1, route="/fine_tuning/jobs/")
        return await original(*args, **kwargs)

    monitor.client.list_events = second_fails  # type: ignore[method-assign]
    with pytest.raises(errors.FtmonApiError):
        await monitor.load_older_events(job_id, pages=5)
    record = sim_messages(sim_world, job_id)
    assert held(monitor, job_id) == record[-400:]
    assert [c.count for c in recorder.of(EventsPrepended)] == [100]
    assert monitor.has_older_events(job_id)
    assert await monitor.load_older_events(job_id, pages=5) == 500
    assert held(monitor, job_id) == record[-900:]


async def test_only_the_selected_job_reads_older_events(client, sim_world):
    job_id = chatty_job(sim_world)
    monitor = await opened(client, sim_world, job_id)
    other = next(j.id for j in monitor.jobs() if j.id != job_id)
    monitor.select(other)
    assert not monitor.has_older_events(job_id)
    assert await monitor.load_older_events(job_id) == 0
    # Selected again: the history is read again, and older pages can be asked for again.
    monitor.select(job_id)
    await monitor.poll_once()
    assert held(monitor, job_id) == sim_messages(sim_world, job_id)[-300:]
    assert monitor.has_older_events(job_id)
    assert await monitor.load_older_events(job_id, pages=1) == 100
