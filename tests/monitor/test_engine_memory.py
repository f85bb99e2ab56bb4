"""What the engine holds stays small over days: compact records, fewer events for jobs in the
background, their history read again when one is selected, series kept as columns."""

from __future__ import annotations

import gc
import sys
import tracemalloc
from typing import Any

from monkit import Recorder, job_with_status, make_monitor, sim_messages

from ftmon.api.models import FineTuningJobEvent
from ftmon.monitor import series as series_module
from ftmon.monitor.changes import EventsAppended, EventsReloaded
from ftmon.monitor.engine import Monitor
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import KNOWN_NAMES, MAX_SERIES, MetricSeries
from ftmon.sim.world import SimWorld

EVENTS_ROUTE = "GET /v1/fine_tuning/jobs/{fine_tuning_job_id}/events"


def small_monitor(client: Any, world: SimWorld) -> Monitor:
    """Caps small enough that the default world's running jobs (100+ events) exceed them."""
    return make_monitor(
        client,
        world,
        max_events=1000,
        background_events=20,
        event_page_size=10,
        tail_page_size=5,
        first_event_pages=100,
        active_every=1,
    )


async def watching_the_first_of_two(
    client: Any, world: SimWorld
) -> tuple[Monitor, Recorder, str, str]:
    """A monitor (with a recorder) after one poll with the first of two running jobs selected."""
    first, second, *_ = running_jobs(world)
    monitor = small_monitor(client, world)
    recorder = Recorder(monitor)
    monitor.select(first)
    await monitor.poll_once()
    return monitor, recorder, first, second


def running_jobs(world: SimWorld) -> list[str]:
    jobs, _ = world.list_jobs(limit=100)
    return [j["id"] for j in jobs if j["status"] == "running"]


def held(monitor: Monitor, job_id: str) -> list[tuple[Any, str]]:
    return [(e.created_at, e.message) for e in monitor.events(job_id)]


def published(recorder: Recorder, job_id: str) -> list[tuple[Any, str]]:
    return [
        (e.created_at, e.message)
        for c in recorder.of(EventsAppended)
        if c.job_id == job_id
        for e in c.events
    ]


async def test_jobs_in_the_background_keep_only_their_newest_events(client, sim_world):
    selected, other, *_ = running_jobs(sim_world)
    monitor = small_monitor(client, sim_world)
    monitor.select(selected)
    await monitor.poll_once()
    assert held(monitor, selected) == sim_messages(sim_world, selected)  # all 100+
    assert held(monitor, other) == sim_messages(sim_world, other)[-20:]
    sim_world.clock.advance(600)
    await monitor.poll_once()
    assert held(monitor, other) == sim_messages(sim_world, other)[-20:]
    assert monitor.event_capacity(selected) == 1000 and monitor.event_capacity(other) == 20


async def test_a_first_look_in_the_background_reads_only_the_pages_it_keeps(client, sim_world):
    running = running_jobs(sim_world)
    monitor = small_monitor(client, sim_world)
    monitor.select(running[0])
    before = sim_world.stats_snapshot()["routes"].get(EVENTS_ROUTE, 0)
    await monitor.poll_once()
    pages = sim_world.stats_snapshot()["routes"][EVENTS_ROUTE] - before
    selected_pages = -(-len(sim_messages(sim_world, running[0])) // 10)
    # The selected job's whole history at 10 a page; for every other job with events, at most
    # the two pages that hold the 20 it keeps.
    others = [j for j in monitor.jobs() if j.id != running[0] and not j.is_final]
    assert selected_pages > 10
    assert selected_pages <= pages <= selected_pages + 2 * len(others)


async def test_a_trimmed_job_reads_its_history_again_when_selected(client, sim_world):
    monitor, recorder, first, second = await watching_the_first_of_two(client, sim_world)
    assert len(held(monitor, second)) == 20

    sim_world.clock.advance(300)  # the second job gains events while in the background
    await monitor.poll_once()
    monitor.select(second)
    assert monitor.events(second)  # its newest events at once, before the history is read
    await monitor.poll_once()

    assert held(monitor, second) == sim_messages(sim_world, second)  # the whole history again
    reloaded = recorder.of(EventsReloaded)
    assert [c.job_id for c in reloaded] == [second]
    # Reloading published nothing twice: every event of the job exactly once, in order.
    sent = published(recorder, second)
    assert sent == sim_messages(sim_world, second)[-len(sent) :]
    # The job that lost the selection is trimmed at once.
    assert held(monitor, first) == sim_messages(sim_world, first)[-20:]


async def test_the_reloaded_history_comes_after_the_new_events_it_brought(client, sim_world):
    monitor, recorder, _, second = await watching_the_first_of_two(client, sim_world)
    monitor.select(second)
    sim_world.clock.advance(120)
    recorder.changes.clear()
    await monitor.poll_once()
    kinds = [
        type(c).__name__
        for c in recorder.changes
        if isinstance(c, (EventsAppended, EventsReloaded)) and c.job_id == second
    ]
    # A consumer that appends and then shows the history again ends with every event once.
    assert kinds == ["EventsAppended", "EventsReloaded"]


async def test_a_finished_job_is_read_again_when_selected_after_being_trimmed(client, sim_world):
    finished = job_with_status(sim_world, "succeeded")
    monitor = make_monitor(client, sim_world, background_events=10, event_page_size=10)
    monitor.select(finished)
    for _ in range(3):  # until it is complete: never asked for again while unchanged
        await monitor.poll_once()
    assert monitor.is_complete(finished)
    monitor.select(None)
    assert len(monitor.events(finished)) == 10
    monitor.select(finished)
    await monitor.poll_once()
    assert held(monitor, finished) == sim_messages(sim_world, finished)


def test_an_event_is_held_as_a_small_record_with_what_is_shown() -> None:
    event = FineTuningJobEvent.model_validate(
        {
            "id": "ftevent-1",
            "created_at": 1_780_000_000,
            "level": "info",
            "message": "Step 10/300: training loss=1.23",
            "type": "metrics",
            "data": {"step": 10, "train_loss": 1.23},
        }
    )
    record = EventRecord.of(event)
    assert (record.id, record.created_at, record.level, record.message) == (
        "ftevent-1",
        1_780_000_000,
        "info",
        "Step 10/300: training loss=1.23",
    )
    assert record.dedupe_key == event.dedupe_key
    assert sys.getsizeof(record) < 100  # the model with its dict is over 1 KB


def test_series_columns_hold_a_metric_first_seen_late_only_where_it_has_values() -> None:
    series = MetricSeries()
    for step in range(1, 6):
        series.add(step, {"train_loss": 2.0 / step})
    series.add(5, {"valid_loss": 0.7})
    series.add(3, {"valid_loss": 0.9})
    assert series.column("valid_loss") == [(3, 0.9), (5, 0.7)]
    assert series.rows()[2] == {"step": 3, "train_loss": 2.0 / 3, "valid_loss": 0.9}
    assert series.rows()[1] == {"step": 2, "train_loss": 1.0}
    assert series.names() == ["train_loss", "valid_loss"]


def test_series_ignore_a_step_no_job_has() -> None:
    series = MetricSeries()
    assert not series.add(10**30, {"train_loss": 1.0})
    assert series.add(-1, {"train_loss": 1.0})  # odd, but a number a server could send
    assert series.steps() == [-1]


def test_series_version_moves_with_every_change_only() -> None:
    series = MetricSeries()
    series.add(1, {"train_loss": 1.0})
    version = series.version
    series.add(1, {"train_loss": 1.0})  # nothing new
    assert series.version == version
    series.add(1, {"train_loss": 0.5})
    assert series.version > version


# -- a hostile metrics event ---------------------------------------------------------------------

HOSTILE_FIELDS = 10_000


def hostile_data(step: int) -> dict[str, Any]:
    """A metrics event's data of 10,000 numbers and a deep nest, besides a reward."""
    data: dict[str, Any] = {"step": step, "total_steps": 20, "train_mean_reward": step / 20}
    data.update((f"field_{i:05d}", i + 0.5) for i in range(HOSTILE_FIELDS))
    deep: dict[str, Any] = {"v": 1.0}
    for _ in range(200):
        deep = {"x": deep, "v": 1.0}
    data["deep"] = deep
    return data


def held_by_series(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes still held that were allocated in ftmon/monitor/series.py."""
    where = tracemalloc.Filter(True, series_module.__file__)
    return sum(stat.size for stat in snapshot.filter_traces([where]).statistics("filename"))


async def test_a_metrics_event_of_ten_thousand_numbers_keeps_a_capped_few_and_says_so(
    client: Any, sim_world: SimWorld
) -> None:
    steps = 20
    job_id = sim_world.add_job(
        {
            "status": "running",
            "events": [
                {
                    "offset_seconds": step,
                    "type": "metrics",
                    "message": f"Step {step}/{steps}",
                    "data": hostile_data(step),
                }
                for step in range(1, steps + 1)
            ],
        }
    )["id"]
    sim_world.clock.advance(steps + 1)
    monitor = make_monitor(client, sim_world)
    monitor.select(job_id)
    await monitor.poll_once()
    series = monitor.series(job_id)
    assert series.steps() == list(range(1, steps + 1)) and series.total_steps == steps
    names = series.names()
    # The reward (a known name) and the first 64 others in the order.
    assert names[0] == "train_mean_reward" and len(names) == MAX_SERIES + 1
    assert names[1:] == [f"field_{i:05d}" for i in range(MAX_SERIES)]
    assert series.column("train_mean_reward")[-1] == (steps, 1.0)
    dropped = HOSTILE_FIELDS + 4 - MAX_SERIES  # the rest, and deep.v ... deep.x.x.x.v
    assert series.dropped == dropped and not series.dropped_exact
    assert series.dropped_note().startswith(f"at least {dropped:,} more metric series dropped")


def test_a_series_fed_ten_thousand_numbers_a_step_stays_within_the_cap() -> None:
    steps = 100
    first = FineTuningJobEvent.model_validate({"type": "metrics", "data": hostile_data(1)})
    events = [
        first.model_copy(update={"data": {**(first.data or {}), "step": step}})
        for step in range(1, steps + 1)
    ]
    tracemalloc.start()
    try:
        series = MetricSeries()
        series.add_event(events[0])
        _, peak = tracemalloc.get_traced_memory()
        for event in events[1:]:
            series.add_event(event)
        gc.collect()
        held = held_by_series(tracemalloc.take_snapshot())
    finally:
        tracemalloc.stop()
    assert len(series.names()) == MAX_SERIES + 1 and series.dropped > HOSTILE_FIELDS - MAX_SERIES
    # What is held: 8 bytes a step for each series the cap allows, and some 20 KB of names and
    # remembered drops (without the cap, 10,000 columns: 8 MB for these 100 steps). Reading the
    # event costs about its own size for a moment (the numbers flattened), then nothing.
    assert held < (MAX_SERIES + len(KNOWN_NAMES)) * 8 * steps * 1.25 + 40_000, held
    assert peak < 4_000_000, peak
