"""The stall and queue doctor in words (``ftmon.monitor.doctor``): the overview's and ``ftmon
show``'s lines, the job list's marker, ``ftmon jobs``' flags and ``ftmon watch``'s line.

Pure functions, no Textual. The doctor's findings are numbers and fixed words; nothing here
comes from the API unsanitised (phases are the doctor's own names).
"""

from __future__ import annotations

from collections.abc import Sequence

from ftmon.api.models import FineTuningJob
from ftmon.monitor.doctor import Diagnosis, Thresholds, diagnose, span, step_span
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import MetricSeries
from ftmon.text import age, local_time, until

#: The job list's marker of each flag, in its ``eta`` column (a stalled job's ETA is not to be
#: believed; a queued job has none): words, so no status glyph is mistaken for it.
LIST_MARKS = {"stalled": "!stall", "long queue": "!queue"}
#: Statuses a job can be flagged in (running: stalled; in the queue: long queue).
FLAGGABLE = frozenset({"running", "queued", "pending", "created"})


def flag_check(
    job: FineTuningJob,
    events: Sequence[EventRecord],
    series: MetricSeries | None,
    now: float,
    thresholds: Thresholds,
    read_at: float | None = None,
) -> Diagnosis | None:
    """The doctor's finding for a job that can be flagged now, else None (no work for the
    thousands of finished jobs of a long list). ``read_at``: when its events were read."""
    if job.status_key not in FLAGGABLE:
        return None
    return job_diagnosis(job, events, series, now, thresholds, read_at)


def job_diagnosis(
    job: FineTuningJob,
    events: Sequence[EventRecord],
    series: MetricSeries | None,
    now: float,
    thresholds: Thresholds,
    read_at: float | None = None,
) -> Diagnosis:
    """The doctor's finding for any job (the overview, ``ftmon show``)."""
    total = _total(series)
    return diagnose(job, events, now, total_steps=total, thresholds=thresholds, read_at=read_at)


def _total(series: MetricSeries | None) -> int | None:
    return series.total_steps if series is not None else None


def list_mark(diagnosis: Diagnosis | None) -> str:
    """``!stall`` or ``!queue`` for the job list's row, ``""`` when not flagged."""
    if diagnosis is None:
        return ""
    return next((LIST_MARKS[f] for f in diagnosis.flags if f in LIST_MARKS), "")


def flag_line(diagnosis: Diagnosis | None) -> str:
    """``stalled: no new step for 20m 00s (usual 30s)``; ``""`` when not flagged."""
    if diagnosis is None or not diagnosis.flags:
        return ""
    name = " and ".join(diagnosis.flags)
    return f"{name}: {diagnosis.flag_words()}"


def flag_brief(diagnosis: Diagnosis | None) -> str:
    """``stalled 20m``, ``long queue 2h``: ``ftmon jobs``' column; ``""`` when none."""
    if diagnosis is None:
        return ""
    words = []
    if diagnosis.stalled:
        words.append(f"stalled {age(0, diagnosis.stalled_for or 0)}")
    if "long queue" in diagnosis.flags:
        words.append(f"long queue {age(0, diagnosis.queued_for or 0)}")
    return ", ".join(words)


def phases_text(diagnosis: Diagnosis) -> str:
    """``validating 1m 00s · queued 10m 00s · running 2h 05m``; when the events held do not
    reach back to the job's creation, the first phase is an at-least and that is said."""
    if not diagnosis.phases:
        return "not known: no change of state among the events held"
    parts = [f"{name} {span(seconds)}" for name, seconds in diagnosis.phases]
    if diagnosis.since is not None:
        parts[0] = f"{diagnosis.phases[0][0]} ≥{span(diagnosis.phases[0][1])}"
        return " · ".join(parts) + f" (events before {local_time(diagnosis.since)} not read)"
    return " · ".join(parts)


def eta_words(timestamp: float | None, now: float) -> str:
    """``in 45m (2026-11-26 14:03:07)``; ``""`` when unknown or past."""
    left = until(timestamp, now)
    return f"in {left} ({local_time(timestamp)})" if left else ""


def doctor_lines(diagnosis: Diagnosis, job: FineTuningJob, now: float) -> list[tuple[str, str]]:
    """(label, value) lines: where the time went, the pace, and both ETAs."""
    lines = [("phases", phases_text(diagnosis))]
    if diagnosis.step_seconds is not None and not job.is_final:
        lines.append(("pace", f"{step_span(diagnosis.step_seconds)} a step"))
    if not job.is_final:
        own = "" if diagnosis.stalled else eta_words(diagnosis.eta, now)
        if own:
            lines.append(("eta (own pace)", own))
        api = eta_words(diagnosis.api_eta, now)
        if api:
            lines.append(("eta (API)", api))
    return lines
