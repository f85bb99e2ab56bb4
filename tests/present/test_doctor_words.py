"""The stall and queue doctor in words (``present/doctor.py``): the overview's and ``show``'s
lines, the list's marker, ``jobs``' column; the phases say so when the events do not reach back
to the job's start; a job read long ago is not called stalled for what was not read."""

from __future__ import annotations

from typing import Any

from ftmon.api.models import FineTuningJob
from ftmon.monitor.doctor import Thresholds, diagnose
from ftmon.monitor.records import EventRecord
from ftmon.present.doctor import (
    doctor_lines,
    flag_brief,
    flag_check,
    flag_line,
    list_mark,
    phases_text,
)
from ftmon.present.fields import STATUS_STYLE, job_fields
from ftmon.present.rows import job_row

T0 = 1_700_000_000
LIMITS = Thresholds(stall_factor=5, stall_min_seconds=300, queue_seconds=3600)


def job(status: str, **fields: Any) -> FineTuningJob:
    return FineTuningJob.model_validate(
        {"id": "ftjob-1", "object": "fine_tuning.job", "status": status, "created_at": T0, **fields}
    )


def note(at: float, message: str) -> EventRecord:
    return EventRecord(f"e{at}", int(T0 + at), "info", message, "message")


def step(at: float, number: int) -> EventRecord:
    return EventRecord(f"m{at}", int(T0 + at), "info", f"Step {number}/100", "metrics", number)


START = [
    note(0, "Validating training file: file-1"),
    note(60, "Files validated, moving job to queued state"),
    note(660, "Fine-tuning job started"),
]
STEPS = [step(660 + 30 * n, n) for n in range(1, 11)]  # 30 s a step, the last at 960


def test_a_stalled_job_reads_as_one_everywhere() -> None:
    running = job("running", estimated_finish=T0 + 9000)
    found = flag_check(running, [*START, *STEPS], None, T0 + 960 + 1200, LIMITS)
    assert found is not None and found.stalled
    assert list_mark(found) == "!stall"
    assert flag_line(found) == "stalled: no new step for 20m 00s (usual 30s)"
    assert flag_brief(found) == "stalled 20m"
    # The marker is none of the status glyphs, and sits in the row's eta column.
    assert all(glyph not in "!stall" for glyph, _ in STATUS_STYLE.values())
    row = job_row(running, None, T0 + 2160, list_mark(found))
    assert row.eta == "!stall" and row.glyph == "▶"
    fields = job_fields(running, T0 + 2160, None, found)
    assert [f.label for f in fields[:2]] == ["status", "flag"]
    assert fields[1].value.startswith("stalled: no new step")
    labels = [f.label for f in fields]
    # No ETA at its own pace for a stalled job; the API's is kept, beside.
    assert "phases" in labels and "eta (API)" in labels and "eta (own pace)" not in labels


def test_a_moving_job_has_its_phases_pace_and_both_etas() -> None:
    running = job("running", estimated_finish=T0 + 4000)
    found = diagnose(running, [*START, *STEPS], T0 + 970, total_steps=100, thresholds=LIMITS)
    lines = dict(doctor_lines(found, running, T0 + 970))
    assert lines["phases"] == "validating 1m 00s · queued 10m 00s · running 5m 10s"
    assert lines["pace"] == "30s a step"
    assert lines["eta (own pace)"].startswith("in 44m (")  # 90 steps of 30 s after 960
    assert lines["eta (API)"].startswith("in 50m (")
    assert list_mark(found) == "" and flag_line(found) == "" and flag_brief(found) == ""
    assert job_row(running, None, T0 + 970).eta == "50m"  # no flag: the API's ETA as before


def test_events_that_do_not_reach_the_start_say_so() -> None:
    running = job("running")
    # Only the newest steps are held: the phase is running, at least since the oldest one.
    found = diagnose(running, STEPS[-5:], T0 + 1000, thresholds=LIMITS)
    assert found.since == T0 + 660 + 30 * 6
    assert [name for name, _ in found.phases] == ["running"]
    text = phases_text(found)
    assert text.startswith("running ≥2m 40s (events before ") and text.endswith("not read)")
    # A pause and a resume held, the start not: the phases begin at the first change held.
    events = [note(700, "Fine-tuning job paused at step 3"), note(900, "Fine-tuning job resumed")]
    partial = diagnose(running, events, T0 + 1000)
    assert partial.phases == (("paused", 200.0), ("running", 100.0))
    assert phases_text(partial).startswith("paused ≥3m 20s · running 1m 40s (events before")
    # Nothing held at all: nothing is invented.
    assert phases_text(diagnose(running, [], T0 + 1000)).startswith("not known")


def test_a_job_read_long_ago_is_not_stalled_for_what_was_not_read() -> None:
    running = job("running")
    events = [*START, *STEPS]
    now = T0 + 960 + 3600
    assert flag_check(running, events, None, now, LIMITS).stalled  # type: ignore[union-attr]
    # Its events were last read 60 s after its last step: a stall is not known.
    late = flag_check(running, events, None, now, LIMITS, read_at=T0 + 1020)
    assert late is not None and not late.stalled


def test_a_long_queue_reads_as_one_and_finished_jobs_cost_nothing() -> None:
    queued = job("queued")
    found = flag_check(queued, START[:2], None, T0 + 60 + 7500, LIMITS)
    assert list_mark(found) == "!queue" and flag_brief(found) == "long queue 2h"
    assert flag_line(found) == "long queue: queued for 2h 05m"
    assert flag_check(job("succeeded"), START, None, T0 + 99_999, LIMITS) is None
