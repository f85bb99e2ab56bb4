"""Which alert events the engine's changes mean, told once each.

The engine publishes typed changes (``monitor/changes.py``); this reads them, and what the
monitor holds, and finds:

* **succeeded / failed / cancelled**: a job seen before it ended (in this run or a run before,
  kept in the state file's ``watching``), or one the engine announces with ``JobFinished``,
  is now final. A job that was already over when first seen is history: nothing is sent.
* **checkpoint**: a watched job has a checkpoint made after ftmon first saw the job (a minute
  of slack for clocks): the checkpoints it had before are history too.
* **best_checkpoint**: the best checkpoint by ``present/keep.py``'s rule moved to a new one,
  made after ftmon first saw the job. The first best a job ever has is not news (nothing was
  improved on); it is remembered, so a restart compares with it.
* **stalled**: a running watched job that ``monitor/doctor.py`` flags ``stalled``, once per stop
  (the step it stopped at is part of what is remembered: moving on and stopping again is news).

The stall check needs time to pass, not a change: :meth:`Detector.scan` is also called with no
changes (a front end calls ``observe([], monitor)`` on its poll or a timer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from ftmon.alerts.events import END_EVENTS, AlertEvent
from ftmon.alerts.state import MAX_WATCHING, AlertState
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, normalise_status
from ftmon.monitor.changes import (
    Change,
    CheckpointsChanged,
    JobFinished,
    JobsChanged,
    MetricsChanged,
)
from ftmon.monitor.doctor import Thresholds, diagnose
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import MetricSeries
from ftmon.present.keep import keep_advice

#: A checkpoint made this long before its job was first seen still counts as news (seconds).
SLACK = 60.0
#: The least time between two stall checks of one job (seconds): a front end may call
#: ``observe`` many times a poll, and a stall is minutes long.
STALL_EVERY = 10.0
#: The doctor's thresholds when none are given.
DEFAULT_THRESHOLDS = Thresholds()


class JobSource(Protocol):
    """What is read of the engine (``ftmon.monitor.engine.Monitor`` is one)."""

    clock: Callable[[], float]

    def job(self, job_id: str) -> FineTuningJob | None: ...

    def events(self, job_id: str) -> Sequence[EventRecord]: ...

    def checkpoints(self, job_id: str) -> tuple[FineTuningJobCheckpoint, ...]: ...

    def series(self, job_id: str) -> MetricSeries: ...

    def events_read_at(self, job_id: str) -> float | None:
        """When the job's events were last asked for (None: never); a stall is measured to it."""
        ...


class Publisher(JobSource, Protocol):
    """A job source that publishes its changes (``Monitor.subscribe``)."""

    def subscribe(self, listener: Callable[[list[Change]], None]) -> Callable[[], None]: ...


class Detector:
    """Turns changes into :class:`AlertEvent` s; ``wanted``: the events any alert is sent for."""

    def __init__(
        self,
        state: AlertState,
        wanted: Iterable[str],
        *,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        self.state = state
        self.wanted = frozenset(wanted)
        self.thresholds = thresholds
        #: When each job was last checked for a stall.
        self._stall_checked: dict[str, float] = {}

    def running_jobs(self) -> bool:
        """Whether any watched job is still running (nothing to check for a stall if not)."""
        return any(entry["ended"] is None for entry in self.state.watching.values())

    def scan(self, changes: Sequence[Change], source: JobSource) -> list[AlertEvent]:
        now = source.clock()
        found: list[AlertEvent] = []
        jobs: dict[str, FineTuningJob] = {}
        finished: set[str] = set()
        checkpoints_moved: set[str] = set()
        for change in changes:
            if isinstance(change, JobsChanged):
                jobs.update((job.id, job) for job in change.changed)
            elif isinstance(change, JobFinished):
                jobs[change.job.id] = change.job
                finished.add(change.job.id)
            elif isinstance(change, CheckpointsChanged | MetricsChanged):
                checkpoints_moved.add(change.job_id)
        # Jobs still running are looked at on every scan (a stall is time passing, not a change).
        running = {j for j, entry in self.state.watching.items() if entry["ended"] is None}
        for job_id in checkpoints_moved | running:
            if job_id not in jobs:
                job = source.job(job_id)
                if job is not None:
                    jobs[job_id] = job
        for job_id, job in jobs.items():
            found += self._job(job, now, source, job_id in finished, job_id in checkpoints_moved)
        self.state.forget_finished(now)
        return found

    def _job(
        self,
        job: FineTuningJob,
        now: float,
        source: JobSource,
        announced: bool,
        checkpoints_moved: bool,
    ) -> list[AlertEvent]:
        status = normalise_status(job.status)
        entry = self.state.watching.get(job.id)
        if not job.is_final:
            entry = self.state.watch(job.id, now)
        elif entry is None and announced:
            entry = self.state.watch(job.id, now)
        if entry is None:
            return []  # over before ftmon saw it: history
        found: list[AlertEvent] = []
        if checkpoints_moved:
            found += self._checkpoints(job, entry, source)
        if job.is_final:
            if entry["ended"] is None:
                self.state.update(job.id, ended=now)
            if status in END_EVENTS and status in self.wanted:
                found.append(AlertEvent(status, job))
        elif status == "running" and "stalled" in self.wanted and self._stall_due(job.id, now):
            # Up to when the job's events were last read: a job in the background is read
            # less often than the clock moves, and is not stalled for that (the engine says).
            diagnosis = diagnose(
                job,
                source.events(job.id),
                now,
                thresholds=self.thresholds,
                read_at=source.events_read_at(job.id),
            )
            if diagnosis.stalled:
                found.append(
                    AlertEvent(
                        "stalled",
                        job,
                        detail=diagnosis.flag_words(),
                        key=f"step {diagnosis.last_step}",
                    )
                )
        return found

    def _stall_due(self, job_id: str, now: float) -> bool:
        last = self._stall_checked.get(job_id)
        if last is not None and 0 <= now - last < STALL_EVERY:
            return False
        self._stall_checked[job_id] = now
        if len(self._stall_checked) > 4 * MAX_WATCHING:
            self._stall_checked.clear()
        return True

    def _checkpoints(
        self, job: FineTuningJob, entry: dict[str, Any], source: JobSource
    ) -> list[AlertEvent]:
        if not {"checkpoint", "best_checkpoint"} & self.wanted:
            return []
        checkpoints = source.checkpoints(job.id)
        if not checkpoints:
            return []
        since = float(entry["since"])
        news = {c.id for c in checkpoints if c.created_at is None or c.created_at >= since - SLACK}
        found = [
            AlertEvent("checkpoint", job, checkpoint=c, key=c.id)
            for c in checkpoints
            if c.id in news and "checkpoint" in self.wanted
        ]
        if "best_checkpoint" in self.wanted:
            advice = keep_advice(job.method_type, checkpoints, source.series(job.id))
            best = advice.best
            if best is not None and best.id != entry["best"]:
                before = entry["best"]
                self.state.update(job.id, best=best.id)
                if before is not None and best.id in news:
                    score = advice.score_text(best)
                    found.append(
                        AlertEvent(
                            "best_checkpoint",
                            job,
                            checkpoint=best,
                            detail=f"Best by {advice.rule}: {score}",
                            key=best.id,
                        )
                    )
        return found
