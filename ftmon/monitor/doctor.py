"""Where a job's time went, when it should end by its own pace, and whether it has stopped
moving: read from the job and the events already held, with no request of its own.

* **Phases.** The API writes an event at each change of state (OpenAI's lifecycle messages, which
  the simulator writes too): ``Validating training file: ...`` from the job's creation, ``Files
  validated, moving job to queued state``, ``Fine-tuning job started``, ``... paused ...``,
  ``... resumed``, and the job's ``finished_at``. Each phase lasts from its event to the next one
  (the current one to now). Only the events held are read: when they do not reach back to the
  job's creation (its first events, ``Created fine-tuning job`` or ``Validating training
  file``, are not among them), the phases begin at the first change still held, or at the
  oldest event held in the current phase, and :attr:`Diagnosis.since` says from when.
* **Pace and ETA.** The usual time of a step is the median of the last :data:`PACE_WINDOW`
  gaps between metrics events, per step (a median: one slow step, an evaluation, does not move
  it). The ETA is the newest step's time plus the steps left at that pace; the API's own
  ``estimated_finish`` is kept beside it, never replaced.
* **Flags.** *stalled*: running, and no new step for :attr:`Thresholds.stall_factor` times the
  usual step time (and never sooner than :attr:`Thresholds.stall_min_seconds`: a job of 2 s
  steps is not stalled after 10 s). *long queue*: in the queue (Azure: ``pending``) for longer
  than :attr:`Thresholds.queue_seconds` since it got there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median

from ftmon.api.models import FineTuningJob, normalise_status
from ftmon.monitor.health import format_span
from ftmon.monitor.records import EventRecord
from ftmon.thresholds import DEFAULT_THRESHOLDS, Thresholds

__all__ = ["Diagnosis", "Thresholds", "diagnose", "phases", "span", "step_span"]

#: Gaps between metrics events the pace is the median of.
PACE_WINDOW = 20

#: Event messages that start a phase, as the API words them (case-insensitive).
_PHASE_STARTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^validating training file", re.I), "validating"),
    (re.compile(r"moving job to queued state", re.I), "queued"),
    (re.compile(r"^fine-tuning job started", re.I), "running"),
    (re.compile(r"\bpaused\b", re.I), "paused"),
    (re.compile(r"\bresumed\b", re.I), "running"),
)
#: The first events of every job: when one is held, the events reach back to its creation.
_FIRST_EVENTS = re.compile(r"^(created fine-tuning job|validating training file)", re.I)
#: What each status means as a phase (Azure's ``pending`` and ``created`` wait as a queue does).
_STATUS_PHASE = {
    "validating_files": "validating",
    "created": "queued",
    "pending": "queued",
    "queued": "queued",
    "running": "running",
    "resuming": "running",
    "pausing": "running",
    "paused": "paused",
}


@dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found; every time is in epoch seconds, every span in seconds."""

    #: (phase, seconds) in order; the last one is the current phase when the job is not final.
    phases: tuple[tuple[str, float], ...] = ()
    #: The usual seconds per step, when two metrics events are held.
    step_seconds: float | None = None
    last_step: int | None = None
    last_step_at: float | None = None
    #: When the job ends at its own pace, and when the API says it will.
    eta: float | None = None
    api_eta: float | None = None
    #: ``stalled`` and/or ``long queue``.
    flags: tuple[str, ...] = field(default=())
    #: Seconds since the last new step (when stalled), or queued so far (when a long queue).
    stalled_for: float | None = None
    queued_for: float | None = None
    #: When the events held do not reach back to the job's creation: the oldest one's time.
    #: The phases then begin at the first change of state held (the first one, or the current
    #: one when none is held, lasted at least that long), never at a guessed start.
    since: float | None = None

    @property
    def stalled(self) -> bool:
        return "stalled" in self.flags

    def flag_words(self) -> str:
        """The flags for a person: ``no new step for 42m (usual 30s)``, ``queued for 2h 5m``."""
        words = []
        if self.stalled and self.stalled_for is not None:
            usual = f" (usual {step_span(self.step_seconds)})" if self.step_seconds else ""
            words.append(f"no new step for {span(self.stalled_for)}{usual}")
        if "long queue" in self.flags and self.queued_for is not None:
            words.append(f"queued for {span(self.queued_for)}")
        return "; ".join(words)

    def to_dict(self) -> dict[str, object]:
        """For ``--json``: numbers as numbers, no words."""
        return {
            "phases": [
                {"phase": name, "seconds": round(seconds, 3)} for name, seconds in self.phases
            ],
            "step_seconds": self.step_seconds,
            "last_step": self.last_step,
            "last_step_at": self.last_step_at,
            "eta": self.eta,
            "api_eta": self.api_eta,
            "flags": list(self.flags),
            "stalled_for": self.stalled_for,
            "queued_for": self.queued_for,
            "events_since": self.since,
        }


def span(seconds: float | None) -> str:
    """``42s``, ``3m 05s``, ``2h 05m``, ``3d 4h`` (the status line's words), ``—`` if unknown."""
    return "—" if seconds is None else format_span(seconds)


def step_span(seconds: float) -> str:
    """A step's time: ``0.8s`` under ten seconds (where a whole second says little), else as
    :func:`span` says it."""
    return f"{seconds:.1f}s" if seconds < 10 else span(seconds)


def phases(
    job: FineTuningJob, events: Sequence[EventRecord], now: float
) -> tuple[tuple[str, float], ...]:
    """The job's phases with their lengths (see the module's text)."""
    return _phases(job, events, now)[0]


def _phases(
    job: FineTuningJob, events: Sequence[EventRecord], now: float
) -> tuple[tuple[tuple[str, float], ...], float | None]:
    """The phases, and the time the events held begin when they do not reach back to the
    job's creation (None when they do, or when none is held)."""
    held = sorted((e for e in events if e.created_at is not None), key=lambda e: e.created_at or 0)
    from_start = any(e.message and _FIRST_EVENTS.search(e.message) for e in held)
    since = None if from_start or not held else float(held[0].created_at or 0)
    changes: list[tuple[float, str]] = []
    if from_start and job.created_at is not None:
        changes.append((float(job.created_at), "validating"))
    for event in held:
        if not event.message or event.type == "metrics":
            continue
        for pattern, phase in _PHASE_STARTS:
            if pattern.search(event.message):
                changes.append((float(event.created_at or 0), phase))
                break
    current = _STATUS_PHASE.get(normalise_status(job.status) or "")
    if since is not None and not changes and current is not None:
        # No change of state held: the job has been in its phase since the oldest event held
        # at least (how long before that is not known).
        changes.append((since, current))
    if not changes:
        return (), since
    end = float(job.finished_at) if job.finished_at is not None and job.is_final else now
    out: list[tuple[str, float]] = []
    for (start, phase), following in zip(changes, [*changes[1:], (end, "")], strict=True):
        seconds = max(0.0, min(following[0], end) - start)
        if out and out[-1][0] == phase:  # "validating" from creation and from its message
            out[-1] = (phase, out[-1][1] + seconds)
        else:
            out.append((phase, seconds))
    return tuple(out), since


def _pace(events: Sequence[EventRecord]) -> tuple[float | None, int | None, float | None]:
    """(seconds per step, newest step, its time) from the metrics events held."""
    points = sorted(
        (e.step, float(e.created_at))
        for e in events
        if e.type == "metrics" and e.step is not None and e.created_at is not None
    )
    if not points:
        return None, None, None
    last_step, last_at = points[-1]
    gaps = [
        (at - before_at) / (step - before_step)
        for (before_step, before_at), (step, at) in pairwise(points)
        if step > before_step and at >= before_at
    ][-PACE_WINDOW:]
    return (median(gaps) if gaps else None), last_step, last_at


def diagnose(
    job: FineTuningJob,
    events: Sequence[EventRecord],
    now: float,
    *,
    total_steps: int | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    read_at: float | None = None,
) -> Diagnosis:
    """Phases, pace, ETA and flags of ``job`` at ``now`` (see the module's text).

    ``read_at``: when the events were read (a job the engine reads less often than the clock
    moves): no new step is known only up to then, so a stall is measured to then, not to now.
    """
    status = normalise_status(job.status)
    step_seconds, last_step, last_at = _pace(events)
    eta = None
    if (
        step_seconds is not None
        and last_step is not None
        and last_at is not None
        and total_steps is not None
        and not job.is_final
    ):
        eta = last_at + max(0, total_steps - last_step) * step_seconds
    flags: list[str] = []
    stalled_for = queued_for = None
    if status == "running" and last_at is not None and step_seconds is not None:
        quiet = min(now, read_at if read_at is not None else now) - last_at
        if quiet > max(thresholds.stall_factor * step_seconds, thresholds.stall_min_seconds):
            flags.append("stalled")
            stalled_for = quiet
    found, since = _phases(job, events, now)
    if _STATUS_PHASE.get(status or "") == "queued" and found and found[-1][0] == "queued":
        waiting = found[-1][1]  # this stay in the queue, to now
        if waiting > thresholds.queue_seconds:
            flags.append("long queue")
            queued_for = waiting
    return Diagnosis(
        phases=found,
        step_seconds=step_seconds,
        last_step=last_step,
        last_step_at=last_at,
        eta=eta,
        api_eta=float(job.estimated_finish) if job.estimated_finish is not None else None,
        flags=tuple(flags),
        stalled_for=stalled_for,
        queued_for=queued_for,
        since=since,
    )
