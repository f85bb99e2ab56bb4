"""Follow one job through the engine until it ends: shared by ``watch`` and ``events --follow``.

The TUI's engine (:class:`ftmon.monitor.engine.Monitor`) does the polling, the event tail and the
backoff, so these commands see exactly what the TUI sees. This module only drives it one cycle at
a time, hands its changes to a :class:`Reporter`, and decides when to stop:

* the job is final *and* its events were read in full after it became final (none can be lost),
  then at most ``SETTLE_CYCLES`` more polls if its checkpoints or result file just failed;
* an error that waiting will not fix: the job is not found (4), the key is refused (5), the
  request is rejected (7);
* no healthy poll for ``give_up_after`` seconds (6). The client retries each request on its own
  (a 429 with ``Retry-After: 30``, a server that drips a byte a second), so a poll is not left to
  finish: it is cut when the give-up deadline passes, and the command ends then.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ftmon import exits
from ftmon.api import errors
from ftmon.api.client import RetryHook
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.headless.runner import Context
from ftmon.monitor.changes import (
    Change,
    CheckpointsChanged,
    EventsAppended,
    HealthChanged,
    JobsChanged,
    MetricsChanged,
)
from ftmon.monitor.engine import Fetched, Monitor
from ftmon.monitor.health import Health, format_span
from ftmon.present.fields import Progress, job_progress

#: Seconds without a healthy poll before ``watch`` gives up (exit 6), unless told otherwise.
DEFAULT_GIVE_UP = 300.0
#: Fetches whose failure says something about the job itself (others are extras: checkpoints...).
ESSENTIAL = frozenset({"job", "events"})
#: Extra polls after the end for checkpoints or the result file that failed on the last one.
SETTLE_CYCLES = 3
#: Seconds a poll that starts at (or just before) the give-up deadline still gets: one last try.
LAST_TRY = 2.0


class Reporter(Protocol):
    """What a following command does with each kind of change."""

    def job_seen(self, job: FineTuningJob) -> None: ...
    def events(
        self, job: FineTuningJob, events: Sequence[FineTuningJobEvent], *, history: bool = False
    ) -> None: ...
    def skipped(self, job: FineTuningJob, events: int, checkpoints: int) -> None: ...
    def progress(self, job: FineTuningJob, progress: Progress) -> None: ...
    def checkpoints(
        self, job: FineTuningJob, checkpoints: Sequence[FineTuningJobCheckpoint]
    ) -> None: ...
    def status(self, job: FineTuningJob, previous: str | None) -> None: ...
    def health(self, health: Health, text: str) -> None: ...


class FetchLog:
    """What the engine fetched this cycle, and how each fetch ended.

    The engine folds errors into a health line; to pick an exit code the type is needed, and to
    stop without losing events, whether this cycle's walk of the events completed. The engine
    tells both, fetch by fetch (:class:`~ftmon.monitor.engine.Fetched`).
    """

    def __init__(self) -> None:
        #: (kind, error or None) of each fetch that ended this cycle, in order.
        self.ended: list[tuple[str, errors.FtmonApiError | None]] = []
        #: ``time.monotonic()`` of the last job or events request answered (any cycle).
        self.last_success: float | None = None
        #: The last error the client retried this cycle, or None once a request is answered.
        self.retrying: errors.FtmonApiError | None = None

    def new_cycle(self) -> None:
        self.ended = []
        self.retrying = None

    def fetched(self, fetch: Fetched) -> None:
        """The engine's hook: a fetch (or one page of the events) was answered."""
        if fetch.done:
            self.ended.append((fetch.kind, fetch.error))
        if fetch.error is None and fetch.kind in ESSENTIAL:
            self.last_success = time.monotonic()
            self.retrying = None

    def note_retry(self, exc: errors.FtmonApiError, delay: float, attempt: int) -> None:
        """The client's retry hook: a cycle cut while its calls retry still knows why."""
        self.retrying = exc

    @property
    def failures(self) -> list[tuple[str, errors.FtmonApiError]]:
        return [(kind, error) for kind, error in self.ended if error is not None]

    def failed(self, kinds: frozenset[str]) -> list[tuple[str, errors.FtmonApiError]]:
        return [(kind, error) for kind, error in self.failures if kind in kinds]

    @property
    def events_complete(self) -> bool:
        """True when this cycle walked the job's new events to the end without an error."""
        walks = [error for kind, error in self.ended if kind == "events"]
        return bool(walks) and not any(walks)

    @property
    def essential_ok(self) -> bool | None:
        """This cycle's job and events fetches: all good (True), one failed (False), none (None)."""
        if self.failed(ESSENTIAL):
            return False
        return True if any(kind in ESSENTIAL for kind, _ in self.ended) else None


def lasting(failures: Sequence[tuple[str, errors.FtmonApiError]]) -> errors.FtmonApiError | None:
    """The first failure of the job or its events that retrying will not fix: it ends the command.

    Checkpoints and the result file are extras: their failures never end a watch.
    """
    for name, exc in failures:
        if name in ESSENTIAL and exits.code_for(exc) in (
            exits.AUTH,
            exits.NOT_FOUND,
            exits.REJECTED,
        ):
            return exc
    return None


class Follower:
    """Drives a :class:`Monitor` on one job and reports its changes until the job ends."""

    def __init__(
        self,
        ctx: Context,
        job_id: str,
        reporter: Reporter,
        *,
        give_up_after: float = DEFAULT_GIVE_UP,
        since: str | None = None,
        history: int | None = None,
    ) -> None:
        self.ctx = ctx
        #: Of the job's history (the events there before the watch began), report only the
        #: newest ``history`` and the checkpoints since the first of them, and how many were
        #: left out (:meth:`Reporter.skipped`); None: all of it.
        self.history = None if history is None else max(0, history)
        self.job_id = job_id
        self.reporter = reporter
        self.give_up_after = give_up_after
        self.since = since
        self.log = FetchLog()
        self.monitor = Monitor(
            ctx.client,
            on_fetch=self.log.fetched,
            watch_list=False,
            interval=ctx.settings.interval,
            clock=ctx.conn.clock,
            first_event_pages=None,  # the whole history on the first walk: nothing skipped
        )
        self._status: str | None = None
        self._seen = False
        self._first_events = True
        self._progress: Progress | None = None
        self._checkpoint_ids: set[str] = set()
        self._pending_health: Health | None = None
        #: Called with the job after each good poll that did not end the command (``watch``'s
        #: stall and queue doctor: no timer of its own); it may raise to end the command.
        self.after_cycle: Callable[[FineTuningJob], None] | None = None

    async def run(self) -> FineTuningJob:
        """Follow until the job ends and return it; raise what ends the command otherwise."""
        monitor, clock = self.monitor, self.ctx.conn.clock
        monitor.select(self.job_id)
        unsubscribe = monitor.subscribe(self._on_changes)
        client = self.ctx.client
        on_retry = client.on_retry
        client.on_retry = self._chain_retry(on_retry)
        last_ok = clock()
        failing = False
        last_error: errors.FtmonApiError | None = None
        events_done = False
        settle = 0
        try:
            while True:
                self.log.new_cycle()
                # Seconds this poll may take: while failing, what is left until the give-up
                # deadline; from a healthy start, give_up_after since the last good call.
                left = last_ok + self.give_up_after - clock() if failing else None
                finished = await self._poll(left)
                if self.log.events_complete:
                    self._first_events = False  # --since applies to the history only
                now = clock()
                fatal = lasting(self.log.failures)
                if fatal is not None:
                    raise fatal
                if not finished:
                    failed = self.log.failed(ESSENTIAL)
                    error = failed[-1][1] if failed else self.log.retrying or last_error
                    raise exits.CommandError(
                        f"no good answer for {format_span(max(now - last_ok, self.give_up_after))}"
                        f", giving up: {error or 'a request was still waiting for an answer'}",
                        exits.UNREACHABLE,
                    )
                essential = self.log.essential_ok
                if essential is not None:
                    failing = not essential
                if essential is False:
                    last_error = self.log.failed(ESSENTIAL)[-1][1]
                if not failing:
                    last_ok = now
                self._flush_health()
                job = monitor.job(self.job_id)
                if job is not None and not failing and self.after_cycle is not None:
                    self.after_cycle(job)  # not while failing: no new step is no news then
                if job is not None and job.is_final:
                    if self.log.events_complete:
                        events_done = True
                    if events_done:
                        # Events are all in; give checkpoints and the result file a few more
                        # tries if they failed, but never wait on them past SETTLE_CYCLES.
                        settle += 1
                        if monitor.health.state == "ok" or settle > SETTLE_CYCLES:
                            return job
                if failing and now - last_ok >= self.give_up_after:
                    raise exits.CommandError(
                        f"no good answer for {format_span(now - last_ok)}, giving up: "
                        f"{last_error or 'the API is failing'}",
                        exits.UNREACHABLE,
                    )
                await self.ctx.conn.sleep(self._delay(now, last_ok if failing else None))
        finally:
            client.on_retry = on_retry
            unsubscribe()

    def _chain_retry(self, previous: RetryHook | None) -> RetryHook:
        def hook(exc: errors.FtmonApiError, delay: float, attempt: int) -> None:
            self.log.note_retry(exc, delay, attempt)
            if previous is not None:
                previous(exc, delay, attempt)

        return hook

    async def _poll(self, left: float | None) -> bool:
        """One engine cycle, cut short when the give-up deadline passes; False if it was cut.

        The client retries each request by itself (a 429 asking for 30 s, a server dripping a
        byte a second), so a cycle could outlast ``give_up_after`` many times over. While
        failing (``left`` given), the cycle gets the seconds left until the deadline, and at
        least :data:`LAST_TRY`; from a healthy start, ``give_up_after`` from the latest
        successful job or events call (a long first walk of the history keeps going). ``left``
        is read on the connection's clock (the wall clock in real use); the cut is measured on
        ``time.monotonic``, since a simulated clock stands still while a poll runs.
        """
        started = time.monotonic()
        task = asyncio.ensure_future(self.monitor.poll_once())
        try:
            while True:
                if left is not None:
                    deadline = started + max(left, LAST_TRY)
                else:
                    since = max(started, self.log.last_success or started)
                    deadline = since + max(self.give_up_after, LAST_TRY)
                wait = deadline - time.monotonic()
                if wait > 0:
                    done, _ = await asyncio.wait({task}, timeout=wait)
                    if not done:
                        continue  # a call may have succeeded meanwhile: look again
                if task.done():
                    task.result()  # a bug in the engine is raised, as it was before
                    return True
                return False
        finally:
            if not task.done():
                task.cancel()
                # Waited for, so that nothing of the cycle (an open answer, a retry's sleep)
                # outlives the command; asyncio.wait lets a cancel of this task through.
                await asyncio.wait({task})
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: never "exception was never retrieved"

    def _delay(self, now: float, last_ok: float | None) -> float:
        """The interval, or sooner: the next retry of a failing call, or the give-up deadline."""
        health = self.monitor.health
        wake = now + self.monitor.interval
        if health.state != "ok" and health.retry_at is not None:
            wake = min(wake, health.retry_at)
        if last_ok is not None:
            wake = min(wake, last_ok + self.give_up_after)
        return max(0.05, wake - now)

    # -- engine changes -> reporter ------------------------------------------------------------

    def _on_changes(self, changes: list[Change]) -> None:
        """One poll's changes, reported as a person reads them: events before the new status."""
        job = self.monitor.job(self.job_id)
        for change in changes:
            if isinstance(change, HealthChanged):
                self._pending_health = change.health
        if job is None:
            return
        if not self._seen:
            self._seen = True
            self._status = job.status
            self.reporter.job_seen(job)
        events: list[FineTuningJobEvent] = []
        for change in changes:
            if isinstance(change, EventsAppended) and change.job_id == self.job_id:
                events += self._since_filter(change.events)
        fresh: list[FineTuningJobCheckpoint] = []
        for change in changes:
            if isinstance(change, CheckpointsChanged) and change.job_id == self.job_id:
                new = [c for c in change.checkpoints if c.id not in self._checkpoint_ids]
                self._checkpoint_ids.update(c.id for c in new)
                fresh += new
        fresh.sort(key=lambda c: c.step_number or 0)
        history = self._first_events
        if history and self.history is not None and events:
            events, fresh = self._trim_history(job, events, fresh)
        for kind, items in interleave(events, fresh):
            if kind == "event":
                self.reporter.events(job, items, history=history)
            else:
                self.reporter.checkpoints(job, items)
        if any(isinstance(c, MetricsChanged) and c.job_id == self.job_id for c in changes):
            progress = job_progress(job, self.monitor.series(self.job_id))
            if progress.step is not None and progress != self._progress:
                self._progress = progress
                self.reporter.progress(job, progress)
        if any(isinstance(c, JobsChanged) for c in changes) and job.status != self._status:
            previous, self._status = self._status, job.status
            self.reporter.status(job, previous)

    def _trim_history(
        self,
        job: FineTuningJob,
        events: list[FineTuningJobEvent],
        checkpoints: list[FineTuningJobCheckpoint],
    ) -> tuple[list[FineTuningJobEvent], list[FineTuningJobCheckpoint]]:
        """The newest :attr:`history` events of the history and the checkpoints made since the
        first of them; the reporter is told how many of each were left out."""
        keep = events[len(events) - self.history :] if self.history else []
        if len(keep) == len(events):
            return events, checkpoints
        since = keep[0].created_at if keep else None
        kept = [
            c
            for c in checkpoints
            if since is not None and c.created_at is not None and c.created_at >= since
        ]
        self.reporter.skipped(job, len(events) - len(keep), len(checkpoints) - len(kept))
        return keep, kept

    def _flush_health(self) -> None:
        """Report the cycle's health change, once the cycle is known not to end the command."""
        health, self._pending_health = self._pending_health, None
        if health is not None:
            self.reporter.health(health, health.describe(self.ctx.conn.clock()))

    def _since_filter(self, events: Sequence[FineTuningJobEvent]) -> list[FineTuningJobEvent]:
        """With ``--since``, the history's events up to that one are dropped."""
        if self._first_events and self.since is not None:
            ids = [e.id for e in events]
            if self.since in ids:
                return list(events[ids.index(self.since) + 1 :])
            self.ctx.out.note(f"event {self.since} is not among the job's events; showing all")
        return list(events)


def interleave(
    events: Sequence[FineTuningJobEvent], checkpoints: Sequence[FineTuningJobCheckpoint]
) -> list[tuple[str, list[Any]]]:
    """Events in their order with each checkpoint placed by its time, as runs of one kind.

    A checkpoint goes after the events up to its ``created_at`` (so after "Checkpoint created at
    step N"); without times to compare, checkpoints come after the events.
    """
    runs: list[tuple[str, list[Any]]] = []

    def put(kind: str, item: Any) -> None:
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(item)
        else:
            runs.append((kind, [item]))

    pending = list(checkpoints)
    for event in events:
        while (
            pending
            and pending[0].created_at is not None
            and event.created_at is not None
            and pending[0].created_at < event.created_at
        ):
            put("checkpoint", pending.pop(0))
        put("event", event)
    for ckpt in pending:
        put("checkpoint", ckpt)
    return runs
