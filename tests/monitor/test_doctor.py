"""The stall and queue doctor: phases from the lifecycle events, pace and ETA from the metrics
events, and the flags, on jobs and events made here and on the simulator's own."""

from __future__ import annotations

from typing import Any

from support.simkit import new_world

from ftmon.api.models import FineTuningJob, FineTuningJobEvent
from ftmon.monitor.doctor import Thresholds, diagnose, phases, span
from ftmon.monitor.records import EventRecord

T0 = 1_700_000_000


def job(status: str, **fields: Any) -> FineTuningJob:
    return FineTuningJob.model_validate(
        {"id": "ftjob-1", "object": "fine_tuning.job", "status": status, "created_at": T0, **fields}
    )


def note(at: float, message: str) -> EventRecord:
    return EventRecord(f"e{at}", int(T0 + at), "info", message, "message")


def step(at: float, number: int) -> EventRecord:
    return EventRecord(f"m{at}", int(T0 + at), "info", f"Step {number}/100", "metrics", number)


LIFECYCLE = [
    note(0, "Validating training file: file-1"),
    note(60, "Files validated, moving job to queued state"),
    note(660, "Fine-tuning job started"),
]


def test_phases_follow_the_lifecycle_messages_to_now() -> None:
    found = phases(job("running"), [*LIFECYCLE, step(700, 1)], T0 + 1000)
    assert found == (("validating", 60.0), ("queued", 600.0), ("running", 340.0))


def test_a_pause_and_a_resume_are_phases_and_a_finished_job_ends_at_its_finish() -> None:
    events = [
        *LIFECYCLE,
        note(1000, "Fine-tuning job paused at step 10"),
        note(1500, "Fine-tuning job resumed"),
        note(1800, "The job has successfully completed"),
    ]
    found = phases(job("succeeded", finished_at=T0 + 1800), events, T0 + 99_999)
    assert found == (
        ("validating", 60.0),
        ("queued", 600.0),
        ("running", 340.0),
        ("paused", 500.0),
        ("running", 300.0),
    )


def test_pace_is_the_median_step_time_and_the_eta_follows_it() -> None:
    # 30 s a step, with one slow step (an evaluation) that must not move the pace.
    events = [*LIFECYCLE] + [step(660 + 30 * n, n) for n in range(1, 10)] + [step(1200 + 300, 10)]
    found = diagnose(job("running", estimated_finish=T0 + 5000), events, T0 + 1510, total_steps=100)
    assert found.step_seconds == 30.0 and found.last_step == 10
    assert found.eta == T0 + 1500 + 90 * 30.0
    assert found.api_eta == T0 + 5000  # beside ours, never replaced
    assert found.flags == ()


def test_no_new_step_for_many_usual_steps_is_a_stall_but_not_before_the_floor() -> None:
    events = [*LIFECYCLE] + [step(660 + 30 * n, n) for n in range(1, 6)]
    last = 660 + 150
    limits = Thresholds(stall_factor=5, stall_min_seconds=300)
    calm = diagnose(job("running"), events, T0 + last + 299, thresholds=limits)
    assert not calm.stalled  # 5 x 30 s = 150 s, but never sooner than 300 s
    stuck = diagnose(job("running"), events, T0 + last + 1200, thresholds=limits)
    assert stuck.stalled and stuck.stalled_for == 1200
    assert stuck.flag_words() == "no new step for 20m 00s (usual 30s)"
    # A paused job is not stalled, however long it waits.
    assert not diagnose(job("paused"), events, T0 + last + 99_999).stalled


def test_a_long_stay_in_the_queue_is_flagged() -> None:
    events = LIFECYCLE[:2]
    short = diagnose(
        job("queued"), events, T0 + 60 + 600, thresholds=Thresholds(queue_seconds=3600)
    )
    assert short.flags == ()
    long = diagnose(
        job("queued"), events, T0 + 60 + 7500, thresholds=Thresholds(queue_seconds=3600)
    )
    assert long.flags == ("long queue",) and long.queued_for == 7500
    assert long.flag_words() == "queued for 2h 05m"
    # Azure's pending is a queue too.
    assert diagnose(job("pending"), events, T0 + 60 + 7500).flags == ("long queue",)


def test_spans_read_as_people_say_them() -> None:
    assert [span(s) for s in (5, 185, 7500, 3 * 86400 + 4 * 3600)] == [
        "5s",
        "3m 05s",
        "2h 05m",
        "3d 4h",
    ]


def test_the_simulators_jobs_read_as_their_lifecycle() -> None:
    world = new_world()
    record = world.get_job(world.highlights["job:catalog-long"])
    events = [
        EventRecord.of(FineTuningJobEvent.model_validate(e))
        for e in world.events_record(record["id"])["data"]
    ]
    found = diagnose(
        FineTuningJob.model_validate(record), events, world.clock.now(), total_steps=4500
    )
    assert [name for name, _ in found.phases] == ["validating", "queued", "running"]
    assert found.step_seconds is not None and found.step_seconds > 0
    assert found.eta is not None and found.eta > world.clock.now()
    assert not found.flags
