"""The monitoring engine: one place decides what to fetch and when, and publishes changes.

One loop, so one poll never overlaps the one before. Each cycle fetches, concurrently:

* the first page of the job list (every interval);
* the selected job in full: the job, new events only (the event tail), checkpoints when an event or
  a status change says there are new ones, and the result CSV once it has succeeded (both read
  by :mod:`ftmon.monitor.reads`, as every one-shot reader reads them);
* within a budget of ``active_budget`` requests a cycle, the other active jobs: the status of
  those off the first page every cycle, and each one in full (new events, checkpoints) every
  ``active_every`` cycles.

The budget keeps the requests a minute bounded however many jobs are active. With a few active
jobs all that is due fits (no more than ``active_budget`` GETs, reads and pages in all), and each
job is read as often and as fully as without a budget: a first look reads a job's checkpoints
and up to the events it keeps, so such a cycle can spend more requests than the budget, on that
few jobs. When more is due, the budget is short and spent as requests: a job in the background
has a light read, its newest page of events (and its checkpoints or result file when they are
due, each a request more; events skipped are read again if it is selected), and the budget is
shared, half for statuses, half for reads (what one side does not need, the other gets), each
side oldest-refreshed first, so every active job has its turn. The selected job is outside the
budget: it is read in full every cycle.

Statuses come from one GET per job or, when many active jobs lie close together past the first
page, from the list itself: a walk over its pages of 100 (``after`` the last job read), a few
pages a cycle, down to the oldest of those jobs. The walk is taken when the GETs do not fit in
the budget and it needs at most half as many requests, so a long list with a few active jobs in
it is never read page by page for their sake. 3,000 active jobs past the first page are 30 pages
instead of 3,000 GETs: at the default 8 a cycle and a 5 s interval, 4 pages a cycle read every
status in 8 cycles (40 s), where GETs would take 750 cycles (an hour; 375 cycles, 31 minutes,
with the whole budget). Their reads, 4 a cycle, come round every 750 cycles (about an hour; the
first round, which reads each job's checkpoints too, in twice that). A cycle then costs the list
page, the selected job's two or three requests and the 8: some 130 requests a minute, where
without a budget it cost about 4,000 requests a cycle. A job the walk does not meet (not in the
list) has its status from GETs. ``active_budget=None``: no budget (every active job's status
every cycle, each one in full every ``active_every`` cycles).

Memory stays flat over days: events are kept as small records (:mod:`ftmon.monitor.records`),
up to ``max_events`` for the selected job and ``background_events`` for the others. A job whose
older events were let go while it was in the background has its history read again from the
API's pages when it is selected, as the first load does.

The history walk of a first look stops after ``first_event_pages`` pages; what lies before it
is read on request, a few pages at a time (``load_older_events``), for the selected job only.

A finished job the list shows but nobody selected has its progress read once: its newest
``reads.PROGRESS_EVENTS`` events, one request (the last metrics event gives its step and total).
At most ``progress_reads`` such reads a cycle, newest job first, in what the budget leaves after
the other jobs' reads, and only in a cycle whose list page answered; a failed read waits longer
each time and never colours the health (it is a column, not the link). So the list shows what
``ftmon jobs`` shows for the same job (:func:`ftmon.present.rows.progress_text`);
:meth:`Monitor.progress_series` is what to draw. On the default world: 8 requests in all, 4 in
each of the two cycles after the first look (which spends the budget), then none.

A job in a final state whose details are all loaded is never asked for again. Errors back off per
endpoint (``Retry-After`` honoured); the health published says what the status line should show,
and ``on_fetch`` tells a caller that needs more (``ftmon watch``) how each fetch ended.
No Textual here: the TUI and the headless ``watch`` both consume the published changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ftmon.aio import wait_within
from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import (
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Page,
    is_final,
)
from ftmon.api.pagination import EventTail
from ftmon.monitor import reads
from ftmon.monitor.changes import (
    ActionFailed,
    Change,
    CheckpointsChanged,
    EventsAppended,
    EventsPrepended,
    EventsReloaded,
    HealthChanged,
    JobFinished,
    JobsChanged,
    MetricsChanged,
)
from ftmon.monitor.health import Backoff, Health
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import MetricSeries

Listener = Callable[[list[Change]], None]


@dataclass(frozen=True)
class Fetched:
    """One of the engine's fetches answered: what a caller that must know which fetch failed,
    and how, is told (``ftmon watch`` picks its exit code from the type); the health published
    folds all of them into one line.

    ``endpoint`` names the fetch as the backoff does: ``job:<id>`` (its GET), ``events:<id>``,
    ``checkpoints:<id>``, ``result:<id>``, ``jobs`` (the first page of the list) or
    ``jobs-walk``. ``done``: the fetch ended, with ``error`` (None: it succeeded); a fetch of
    many pages (a job's events) is also told of each page answered, not done yet, so a long walk
    of a history is seen to make progress.
    """

    endpoint: str
    error: errors.FtmonApiError | None = None
    done: bool = True

    @property
    def kind(self) -> str:
        """``job``, ``events``, ``checkpoints``, ``result``, ``jobs`` or ``jobs-walk``."""
        return self.endpoint.partition(":")[0]

    @property
    def job_id(self) -> str | None:
        return self.endpoint.partition(":")[2] or None


#: Jobs a page of the list walk asks for: the API's most.
WALK_PAGE_SIZE = 100
#: The list walk's endpoint, for its backoff and errors (no ``:``: no job of its own).
WALK_ENDPOINT = "jobs-walk"


@dataclass
class JobTrack:
    """What the engine knows of one job beyond the job object itself."""

    tail: EventTail
    events: deque[EventRecord]
    series: MetricSeries = field(default_factory=MetricSeries)
    checkpoints: tuple[FineTuningJobCheckpoint, ...] = ()
    checkpoints_loaded: bool = False
    checkpoints_stale: bool = True
    result_loaded: bool = False
    complete: bool = False
    polls: int = 0
    #: Older events were let go while the job was in the background: read its history again
    #: when it is selected.
    trimmed: bool = False
    #: The server holds events older than the oldest one held (the history walk stopped
    #: before the start, or older events were let go): ``load_older_events`` reads them.
    has_older: bool = False
    #: The ``after`` cursor of the next older page: the oldest event read.
    older_after: str | None = None
    #: The cycle of the last read in full in the background: the oldest goes first.
    fetched_at: int = 0
    #: A light read skipped events: the series takes their points when the history is read
    #: again.
    skipped: bool = False
    #: When its newest events were last read (the engine's clock): what is held is true up to
    #: then, so "no new step" is known only to then (the doctor's stall of a background job).
    events_read_at: float | None = None


@dataclass
class _Walk:
    """A read of the list's pages past the first one, for the status of the active jobs there."""

    #: The cursor of the next page.
    after: str
    #: The cycle it began in: a target refreshed since then needs it no more.
    started: int
    #: The active jobs it is for.
    targets: set[str]
    #: Pages read, and the most it reads before giving up on a target it has not met.
    pages: int = 0
    limit: int = 1


class Monitor:
    """Polls the API on a schedule and publishes typed changes to its listeners."""

    def __init__(
        self,
        client: FineTuningClient,
        *,
        interval: float = 5.0,
        clock: Callable[[], float] = time.time,
        watch_list: bool = True,
        page_size: int = 20,
        event_page_size: int = 100,
        tail_page_size: int = 20,
        first_event_pages: int | None = 20,
        max_events: int = 5000,
        background_events: int = 500,
        tail_memory: int = 1000,
        active_every: int = 3,
        active_budget: int | None = 8,
        progress_reads: int = 4,
        backoff_cap: float = 120.0,
        on_fetch: Callable[[Fetched], None] | None = None,
    ) -> None:
        self.client = client
        self.interval = interval
        self.clock = clock
        self.watch_list = watch_list
        self.page_size = page_size
        self.event_page_size = event_page_size
        self.tail_page_size = tail_page_size
        self.first_event_pages = first_event_pages
        self.max_events = max_events
        self.background_events = max(1, min(background_events, max_events))
        self.tail_memory = max(1, tail_memory)
        self.active_every = max(1, active_every)
        #: Requests a cycle for jobs other than the selected one past the first list page
        #: (None: no budget); see the module's docstring.
        self.active_budget = None if active_budget is None else max(1, active_budget)
        #: Finished jobs whose progress is read a cycle (see the module's docstring); 0: none.
        self.progress_reads = max(0, progress_reads)
        self.backoff_cap = backoff_cap
        #: Told of each fetch as it is answered (:class:`Fetched`); None: nobody asks.
        self.on_fetch = on_fetch

        self._jobs: dict[str, FineTuningJob] = {}
        self._order: list[str] = []  # newest first
        self._tracks: dict[str, JobTrack] = {}
        #: The jobs this process saw in a state not final, and those announced since: a job seen
        #: running (in the list, read in full or not) that ends is announced once (JobFinished).
        #: Not a track's: a job the budget has not read yet, or never will, ends while watched too.
        self._seen_active: set[str] = set()
        self._announced: set[str] = set()
        self._listeners: list[Listener] = []
        self._backoffs: dict[str, Backoff] = {}
        self._errors: dict[str, errors.FtmonApiError] = {}
        self._unreadable: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._cycle = 0
        self._older_cursor: str | None = None
        #: One reader of a job's older events at a time: two would prepend the same page.
        self._older_events_lock = asyncio.Lock()
        self.has_more_jobs = False
        self.selected: str | None = None
        self.paused = False
        self.health = Health()
        self._last_ok: float | None = None
        self.polls_started = 0
        self.polls_running = 0
        #: The cycle each job's status was last read in (list page or GET).
        self._fresh_at: dict[str, int] = {}
        #: Jobs owed a fetch in full in the background (True: a retry after an error).
        self._owed: dict[str, bool] = {}
        self._walk: _Walk | None = None
        #: Active jobs a walk went past without meeting: their status comes from GETs.
        self._unlisted: set[str] = set()
        #: The cursor after the first list page, where a walk begins.
        self._list_after: str | None = None
        #: Jobs deleted by this process: an answer read before the delete does not bring
        #: them back.
        self._deleted: set[str] = set()
        #: The progress of finished jobs not loaded: their newest events' series.
        self._progress: dict[str, MetricSeries] = {}
        #: A failed progress read: (failures, the cycle it may be tried again in).
        self._progress_failed: dict[str, tuple[int, int]] = {}
        #: The budget this cycle left unspent (None: no budget): room for progress reads.
        self._room_left: int | None = None

    # -- reading state -------------------------------------------------------------------------

    def jobs(self) -> list[FineTuningJob]:
        """Every known job, newest first."""
        return [self._jobs[i] for i in self._order]

    def job(self, job_id: str) -> FineTuningJob | None:
        return self._jobs.get(job_id)

    def events(self, job_id: str) -> Sequence[EventRecord]:
        """The job's newest events held in memory, oldest first: up to ``max_events`` for the
        selected job, ``background_events`` for the others."""
        track = self._tracks.get(job_id)
        return tuple(track.events) if track else ()

    def events_read_at(self, job_id: str) -> float | None:
        """When the job's newest events were last read (None: never): a job in the background
        is read less often than the clock moves."""
        track = self._tracks.get(job_id)
        return track.events_read_at if track else None

    def event_capacity(self, job_id: str) -> int:
        """How many of the job's newest events are held while it is (or is not) selected."""
        return self.max_events if job_id == self.selected else self.background_events

    def has_older_events(self, job_id: str) -> bool:
        """True when the selected job has events older than those held that
        ``load_older_events`` can read (a job in the background has none to read: its history
        is read again when it is selected)."""
        track = self._tracks.get(job_id)
        return bool(
            track is not None
            and job_id == self.selected
            and not track.trimmed
            and track.has_older
            and track.older_after
        )

    def older_events_room(self, job_id: str) -> int:
        """How many more events the selected job's history can hold (``max_events`` in all):
        older events that find no room are not read."""
        track = self._tracks.get(job_id)
        return max(0, self.event_capacity(job_id) - (len(track.events) if track else 0))

    def checkpoints(self, job_id: str) -> tuple[FineTuningJobCheckpoint, ...]:
        track = self._tracks.get(job_id)
        return track.checkpoints if track else ()

    def series(self, job_id: str) -> MetricSeries:
        return self._track(job_id).series

    def progress_series(self, job_id: str) -> MetricSeries | None:
        """What the job's progress is read from: its series once loaded, else the newest
        events of a finished job (read once, see the module), else None (not known yet).
        Never starts tracking the job."""
        track = self._tracks.get(job_id)
        if track is not None and track.polls:
            return track.series
        return self._progress.get(job_id)

    def is_complete(self, job_id: str) -> bool:
        """True once a final job's events, checkpoints and results are all loaded: the engine
        will not ask for it again."""
        track = self._tracks.get(job_id)
        return bool(track and track.complete)

    @property
    def last_answer_at(self) -> float | None:
        """When the API last answered a request well (the clock's time), this cycle included."""
        return self._last_ok

    def is_loaded(self, job_id: str) -> bool:
        """True once the job's details have been fetched at least once."""
        track = self._tracks.get(job_id)
        return bool(track and track.polls)

    # -- listening -----------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with each batch of changes; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _publish(self, changes: list[Change]) -> None:
        if not changes:
            return
        for listener in list(self._listeners):
            listener(changes)

    # -- control -------------------------------------------------------------------------------

    def select(self, job_id: str | None) -> None:
        """Follow this job in full from now on; fetch it at once if it is not loaded yet."""
        if job_id == self.selected:
            return
        previous, self.selected = self.selected, job_id
        if previous is not None and previous in self._tracks:
            self._trim(self._tracks[previous], self.background_events)
        track = self._tracks.get(job_id) if job_id is not None else None
        if job_id is not None and (not self.is_loaded(job_id) or (track and track.trimmed)):
            self.refresh_now()

    def refresh_now(self) -> None:
        """Poll at once (the loop wakes); errors' backoff is skipped too."""
        for backoff in self._backoffs.values():
            backoff.next_at = 0.0
        self._wake.set()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self._set_health(
            Health(state="paused", last_ok=self.health.last_ok)
            if paused
            else Health(last_ok=self.health.last_ok)
        )
        if not paused:
            self._wake.set()

    async def run(self) -> None:
        """Poll until cancelled. Never raises for API errors: they become health changes."""
        while True:
            # Cleared before the poll, not after: a poll asked for while one runs (the cursor
            # moved on) must start right after it, not an interval later.
            self._wake.clear()
            if not self.paused:
                await self.poll_once()
            timeout = self.seconds_to_next_poll()
            with contextlib.suppress(TimeoutError):
                await wait_within(self._wake.wait(), timeout)

    @property
    def poll_requested(self) -> bool:
        """A poll was asked for (a new selection, ``refresh_now``) and has not started yet."""
        return self._wake.is_set()

    def seconds_to_next_poll(self) -> float:
        """How long the loop sleeps before its next cycle: the interval, or less when a
        backed-off endpoint is due sooner (a simulated clock advances by this much)."""
        now = self.clock()
        # Wake on the interval, or sooner when a backed-off endpoint is due again; one
        # endpoint in a long backoff must not hold back the others.
        waits = [self.interval]
        waits += [b.next_at - now for b in self._backoffs.values() if b.next_at > now]
        return max(0.05, min(waits))

    # -- one cycle -----------------------------------------------------------------------------

    async def poll_once(self) -> None:
        """One cycle of every fetch that is due; publishes one batch of changes."""
        self._cycle += 1
        self.polls_started += 1
        self.polls_running += 1
        try:
            listed: set[str] | None = None
            if self.watch_list:
                changes: list[Change] = []
                listed = await self._guard("jobs", self._poll_list(changes))
                # The list goes out first, so the screen fills before the details arrive.
                self._publish(changes)
            on_page = listed or set()
            tasks: list[Awaitable[None]]
            if self.active_budget is None:
                due = self._due_jobs()
                tasks = [self._publishing(self._poll_job_full, job_id, on_page) for job_id in due]
                if listed is not None:
                    # Active jobs that fell off the first page are retrieved on their own.
                    tasks += [
                        self._publishing(self._poll_retrieve, i)
                        for i in self._order
                        if i not in on_page and i not in due and not is_final(self._jobs[i].status)
                    ]
            else:
                tasks = self._budgeted_tasks(listed, self.active_budget)
            if listed is not None:
                due = self._progress_due(
                    self.progress_reads
                    if self._room_left is None
                    else min(self.progress_reads, self._room_left)
                )
                tasks += [self._publishing(self._read_progress, i) for i in due]
            await asyncio.gather(*tasks)
            health: list[Change] = []
            self._after_cycle(health)
            self._publish(health)
        finally:
            self.polls_running -= 1

    async def _publishing(self, fetch: Callable[..., Any], job_id: str, *args: Any) -> None:
        """Run one job's fetches and publish what they found as soon as they are done."""
        changes: list[Change] = []
        await fetch(job_id, changes, *args)
        self._publish(changes)

    # -- the progress of finished jobs ----------------------------------------------------------

    def _progress_due(self, most: int) -> list[str]:
        """The finished jobs shown whose progress is not known, newest first, at most
        ``most`` (a failed one after its wait)."""
        due: list[str] = []
        for job_id in self._order:
            if len(due) >= most:
                break
            if job_id in self._progress or job_id == self.selected:
                continue  # known, or read in full this cycle
            if not is_final(self._jobs[job_id].status):
                continue
            track = self._tracks.get(job_id)
            if track is not None and track.polls:
                continue  # loaded: its own series says
            failed = self._progress_failed.get(job_id)
            if failed is not None and failed[1] > self._cycle:
                continue
            due.append(job_id)
        return due

    async def _read_progress(self, job_id: str, changes: list[Change]) -> None:
        try:
            series = await reads.recent_series(self.client, job_id, cap=reads.PROGRESS_EVENTS)
        except errors.FtmonApiError:
            failures = self._progress_failed.get(job_id, (0, 0))[0] + 1
            self._progress_failed[job_id] = (failures, self._cycle + min(2**failures, 64))
            return
        self._progress_failed.pop(job_id, None)
        if job_id in self._jobs:
            self._progress[job_id] = series
            changes.append(MetricsChanged(job_id))

    # -- the budget ------------------------------------------------------------------------------

    def _budgeted_tasks(self, listed: set[str] | None, budget: int) -> list[Awaitable[None]]:
        """This cycle's fetches: the selected job's, and what the budget allows of the others'."""
        on_page = listed or set()
        tasks: list[Awaitable[None]] = []
        selected = self.selected
        if selected is not None:
            track = self._tracks.get(selected)
            if not (track and track.complete and not track.trimmed):
                tasks.append(self._publishing(self._poll_job_full, selected, on_page))
        self._owe_details()
        details = self._details_due()
        # Statuses only when the list answered: without its first page, what is off it is not
        # known this cycle.
        gets, pages = self._statuses_due(on_page, budget) if listed is not None else ([], 0)
        need_status = len(gets) + pages
        short = need_status + len(details) > budget
        if not short:
            # All that is due fits: each job read as without a budget.
            status_room, reads = need_status, details
            spent = need_status + sum(self._light_cost(job_id) for job_id in details)
        else:
            # Light reads (one request each) shared half and half (an odd budget's extra one
            # alternates); what one side does not need, the other gets.
            costs = [(job_id, self._light_cost(job_id)) for job_id in details]
            need_details = sum(cost for _, cost in costs)
            half = (budget + self._cycle % 2) // 2
            status_room = min(need_status, max(half, budget - need_details))
            room = budget - status_room
            reads = []
            for job_id, cost in costs:
                # In turn: the next waits for a cycle with room for it. (The first read goes
                # even in too small a room: on a budget below one read's cost, none waits for
                # good.)
                if cost > room and (reads or room <= 0):
                    break
                reads.append(job_id)
                room -= cost
            status_room = min(need_status, max(0, status_room + room))  # the room left over
            spent = status_room + sum(cost for job_id, cost in costs if job_id in reads)
        for job_id in reads:
            del self._owed[job_id]
            self._track(job_id).fetched_at = self._cycle
            # No GET of the job here: its status is the status side's to read.
            work = self._publishing(self._poll_job_full, job_id, on_page, False, short)
            tasks.append(work)
        gets = gets[:status_room]
        tasks += [self._publishing(self._poll_retrieve, job_id) for job_id in gets]
        pages = min(pages, status_room - len(gets))
        if pages > 0:
            tasks.append(self._walk_list(pages))
        # What the budget leaves this cycle: finished jobs' progress reads (at least a light
        # read's worth was spent on each job read, more on a first look).
        self._room_left = max(0, budget - spent)
        return tasks

    def _light_cost(self, job_id: str) -> int:
        """Requests of a light read: a page of events, and the checkpoints and result file
        when they are to be read."""
        job = self._jobs[job_id]
        track = self._tracks.get(job_id)
        cost = 1
        if track is None or track.checkpoints_stale or not track.checkpoints_loaded:
            cost += 1
        if reads.has_result(job):
            cost += not (track and track.result_loaded)
        return cost

    def _ready(self, endpoint: str) -> bool:
        backoff = self._backoffs.get(endpoint)
        return backoff is None or backoff.ready(self.clock())

    def _owe_details(self) -> None:
        """Note the jobs owed a fetch in full: each active one on the slow turn (every
        ``active_every`` cycles), one that just ended until its details are loaded, and one
        whose fetch failed, once its backoff ends."""
        now = self.clock()
        for endpoint, backoff in self._backoffs.items():
            kind, _, job_id = endpoint.partition(":")
            # A failed GET of the job is the status side's to retry.
            if job_id and kind != "job" and job_id in self._jobs and backoff.failures:
                if backoff.ready(now) and self._still_wanted(endpoint):
                    self._owed[job_id] = True
        if self._cycle % self.active_every == 1 or self.active_every == 1:
            for job_id in self._order:
                if self._wants_details(job_id):
                    self._owed.setdefault(job_id, False)

    def _wants_details(self, job_id: str) -> bool:
        if is_final(self._jobs[job_id].status):
            track = self._tracks.get(job_id)
            return bool(track and track.polls and not track.complete)  # finish loading it
        return True

    def _details_due(self) -> list[str]:
        """The jobs owed a fetch in full that can be fetched now: retries first, then the
        longest since their last fetch."""
        position = {job_id: i for i, job_id in enumerate(self._order)}
        due: list[tuple[bool, int, int, str]] = []
        for job_id, retry in list(self._owed.items()):
            if job_id == self.selected or job_id not in self._jobs:
                del self._owed[job_id]  # the selected job is fetched every cycle anyway
                continue
            if not retry and not self._wants_details(job_id):
                del self._owed[job_id]
                continue
            if not self._ready(f"events:{job_id}"):
                continue
            track = self._tracks.get(job_id)
            due.append((not retry, track.fetched_at if track else 0, position[job_id], job_id))
        due.sort()
        return [job_id for *_, job_id in due]

    def _statuses_due(self, on_page: set[str], budget: int) -> tuple[list[str], int]:
        """Active jobs off the first page whose status this cycle wants: (jobs to GET, oldest
        read first; pages of the list walk)."""
        cycle = self._cycle
        stale = [
            i
            for i in self._order
            if i not in on_page
            and i != self.selected
            and self._fresh_at.get(i, 0) < cycle
            and not is_final(self._jobs[i].status)
        ]
        stale.sort(key=lambda i: self._fresh_at.get(i, 0))  # stable: newest first on a tie
        position = {job_id: i for i, job_id in enumerate(self._order)}
        walk_ready = self._ready(WALK_ENDPOINT)
        if self._walk is not None and not self._walk_targets_left(self._walk):
            self._walk = None  # all met meanwhile
        if self._walk is None and len(stale) > budget and self._list_after and walk_ready:
            listed = [i for i in stale if i not in self._unlisted]
            pages = self._pages_between(self._list_after, listed, position)
            if listed and 2 * pages <= len(listed):
                self._walk = _Walk(
                    after=self._list_after, started=cycle, targets=set(listed), limit=pages + 2
                )
        if self._walk is None:
            return [i for i in stale if self._ready(f"job:{i}")], 0
        walk = self._walk
        gets = [i for i in stale if i in self._unlisted and self._ready(f"job:{i}")]
        left = self._walk_targets_left(walk)
        pages = self._pages_between(walk.after, left, position) if walk_ready else 0
        return gets, min(pages, walk.limit - walk.pages)

    @staticmethod
    def _pages_between(after: str, targets: Any, position: dict[str, int]) -> int:
        """Pages of the walk from the job ``after`` down to the furthest of ``targets``."""
        start = position.get(after, -1) + 1
        deepest = max((position[i] for i in targets if i in position), default=start)
        return max(1, -(-(deepest + 1 - start) // WALK_PAGE_SIZE))

    def _walk_targets_left(self, walk: _Walk) -> set[str]:
        return {i for i in walk.targets if self._fresh_at.get(i, 0) < walk.started}

    async def _walk_list(self, pages: int) -> None:
        """Read up to ``pages`` pages of the list walk; each one's changes published at once."""
        for _ in range(pages):
            walk = self._walk
            if walk is None:
                return
            changes: list[Change] = []
            read = await self._guard(WALK_ENDPOINT, self._walk_page(walk, changes))
            self._publish(changes)
            if read is None:
                return

    async def _walk_page(self, walk: _Walk, changes: list[Change]) -> bool:
        page = await self.client.list_jobs(limit=WALK_PAGE_SIZE, after=walk.after)
        self._note_unreadable(WALK_ENDPOINT, page.unreadable)
        # Only jobs already shown are refreshed: the list grows from its ends (the first page,
        # the older pages read on request), not from the middle.
        known = [job for job in page.data if job.id in self._jobs]
        self._merge_jobs(known, changes)
        for job in known:
            # As on the first page: fresh list data supersedes a failed GET of the job.
            self._errors.pop(f"job:{job.id}", None)
            self._backoffs.pop(f"job:{job.id}", None)
            self._unlisted.discard(job.id)
        walk.pages += 1
        following = page.next_after
        left = self._walk_targets_left(walk)
        if not left or following is None or following == walk.after or walk.pages >= walk.limit:
            self._unlisted.update(left)  # not in the list where it should be: GETs from now on
            self._walk = None
        else:
            walk.after = following
        return True

    def _due_jobs(self) -> list[str]:
        """Jobs to fetch in full this cycle: the selected one, and active ones now and then."""
        due: list[str] = []
        if self.selected is not None:
            track = self._tracks.get(self.selected)
            if not (track and track.complete and not track.trimmed):
                due.append(self.selected)
        now = self.clock()
        for endpoint, backoff in self._backoffs.items():
            # A fetch that failed is retried when its backoff ends, not on the next slow turn.
            job_id = endpoint.split(":", 1)[1] if ":" in endpoint else None
            if job_id and job_id in self._jobs and job_id not in due and backoff.failures:
                if backoff.ready(now) and self._still_wanted(endpoint):
                    due.append(job_id)
        if self._cycle % self.active_every == 1 or self.active_every == 1:
            for job_id in self._order:
                job = self._jobs[job_id]
                if job_id not in due and not is_final(job.status):
                    due.append(job_id)
                elif job_id not in due and job_id in self._tracks:
                    track = self._tracks[job_id]
                    if track.polls and not track.complete:
                        due.append(job_id)  # finish loading a job that just ended
        return due

    async def _guard(self, endpoint: str, work: Any) -> Any:
        """Run one fetch under its endpoint's backoff; an API error is recorded, not raised."""
        backoff = self._backoffs.get(endpoint)
        now = self.clock()
        if backoff is not None and not backoff.ready(now):
            work.close()
            return None
        try:
            result = await work
        except Exception as exc:  # the loop must outlive any one fetch
            if not isinstance(exc, errors.FtmonApiError):
                # Not an API error: a bug or an answer no model foresaw. Back off and say so,
                # but keep polling: one bad answer must not stop the monitor for good.
                exc = errors.FtmonApiError(f"Unexpected {type(exc).__name__} while fetching")
                exc.kind = "internal"
            backoff = self._backoffs.setdefault(
                endpoint, Backoff(base=self.interval, cap=self.backoff_cap)
            )
            backoff.failure(self.clock(), exc)
            self._errors[endpoint] = exc
            self._fetched(endpoint, exc)
            return None
        if backoff is not None:
            if backoff.failures:
                self._server_back(endpoint)
            backoff.success()
        self._errors.pop(endpoint, None)
        self._last_ok = self.clock()
        self._fetched(endpoint)
        return result

    def _server_back(self, endpoint: str) -> None:
        """An endpoint that failed answered: the outage is over, so the others that failed for
        it (no answer, a server error) are tried again at once, not when their backoff ends:
        the status line must clear on the first good answer, not 20 s after. A rate limit's
        wait, and errors that are about one request (a 404), are left as they are."""
        now = self.clock()
        for other, error in self._errors.items():
            backoff = self._backoffs.get(other)
            if other != endpoint and backoff is not None and error.kind in OUTAGE_KINDS:
                backoff.next_at = min(backoff.next_at, now)

    def _fetched(
        self, endpoint: str, error: errors.FtmonApiError | None = None, *, done: bool = True
    ) -> None:
        if self.on_fetch is not None:
            self.on_fetch(Fetched(endpoint, error, done))

    async def _poll_list(self, changes: list[Change]) -> set[str]:
        page = await self.client.list_jobs(limit=self.page_size)
        self._note_unreadable("jobs", page.unreadable)
        if not self._order and page.has_more:
            self._older_cursor = page.next_after
            self.has_more_jobs = True
        elif self._older_cursor is None and page.has_more and not self.has_more_jobs:
            self._older_cursor = page.next_after
            self.has_more_jobs = True
        self._merge_jobs(page.data, changes)
        listed = {j.id for j in page.data}
        self._list_after = page.next_after
        self._unlisted.difference_update(listed)
        # Fresh list data supersedes a failed retrieve of the same job: forget that error.
        for job_id in listed:
            self._errors.pop(f"job:{job_id}", None)
            self._backoffs.pop(f"job:{job_id}", None)
        return listed

    async def _poll_retrieve(self, job_id: str, changes: list[Change]) -> None:
        job = await self._guard(f"job:{job_id}", self.client.retrieve_job(job_id))
        if job is not None:
            self._merge_jobs([job], changes)

    async def load_older_jobs(self, limit: int | None = None) -> int:
        """Fetch the next older page of jobs (``limit`` of them, else ``page_size``); returns
        how many were added."""
        if not self.has_more_jobs or self._older_cursor is None:
            return 0
        page = await self.client.list_jobs(limit=limit or self.page_size, after=self._older_cursor)
        changes: list[Change] = []
        before = len(self._order)
        self._merge_jobs(page.data, changes)
        self._older_cursor = page.next_after
        self.has_more_jobs = self._older_cursor is not None
        self._publish(changes)
        return len(self._order) - before

    def _merge_jobs(self, jobs: Sequence[FineTuningJob], changes: list[Change]) -> None:
        """Upsert jobs; keep the order newest first; publish only jobs that differ."""
        changed: list[FineTuningJob] = []
        added = False
        for job in jobs:
            if job.id in self._deleted:
                continue
            self._fresh_at[job.id] = self._cycle
            old = self._jobs.get(job.id)
            if old is not None and old == job:
                continue
            self._jobs[job.id] = job
            changed.append(job)
            if old is None:
                added = True
            self._note_status(job, changes)
            track = self._tracks.get(job.id)
            if track is not None and old is not None and old.status != job.status:
                track.checkpoints_stale = True
        if added:
            self._order = sorted(
                self._jobs, key=lambda i: (self._jobs[i].created_at or 0, i), reverse=True
            )
        if changed:
            changes.append(JobsChanged(tuple(changed), added=added))

    def _note_status(self, job: FineTuningJob, changes: list[Change]) -> None:
        """Announce a job seen not final that is now final, once; one final when first seen is
        history."""
        if not job.is_final:
            self._seen_active.add(job.id)
        elif job.id in self._seen_active:
            self._seen_active.discard(job.id)
            if job.id not in self._announced:
                self._announced.add(job.id)
                changes.append(JobFinished(job))

    def _track(self, job_id: str) -> JobTrack:
        track = self._tracks.get(job_id)
        if track is None:
            track = JobTrack(
                tail=self._new_tail(),
                events=deque(maxlen=self.max_events),
            )
            self._tracks[job_id] = track
        return track

    def _first_pages(self, job_id: str) -> int | None:
        """Pages of history to read on a first look: a job in the background needs only as
        many as it keeps."""
        if job_id == self.selected:
            return self.first_event_pages
        pages = -(-self.background_events // self.event_page_size)
        return pages if self.first_event_pages is None else min(pages, self.first_event_pages)

    def _new_tail(self) -> EventTail:
        return EventTail(page_size=self.event_page_size, remember=self.tail_memory)

    @staticmethod
    def _trim(track: JobTrack, keep: int) -> None:
        """Let go of the oldest events beyond ``keep``; the history can be read again."""
        if len(track.events) > keep:
            for _ in range(len(track.events) - keep):
                track.events.popleft()
            track.trimmed = True

    async def _poll_job_full(
        self,
        job_id: str,
        changes: list[Change],
        on_page: set[str],
        retrieve: bool = True,
        light: bool = False,
    ) -> None:
        """Read a job in full (its GET unless ``retrieve`` is false or the first page had it).
        ``light`` (the budget is short): a job in the background has only its newest page of
        events read."""
        track = self._track(job_id)
        if retrieve and job_id not in on_page:
            job = await self._guard(f"job:{job_id}", self.client.retrieve_job(job_id))
            if job is None and job_id not in self._jobs:
                return
            if job is not None:
                if job_id not in self._jobs:
                    self._jobs[job_id] = job
                    self._order = sorted(
                        self._jobs,
                        key=lambda i: (self._jobs[i].created_at or 0, i),
                        reverse=True,
                    )
                    self._note_status(job, changes)
                    changes.append(JobsChanged((job,), added=True))
                else:
                    self._merge_jobs([job], changes)
        job = self._jobs[job_id]
        ok = await self._guard(f"events:{job_id}", self._poll_events(job_id, track, changes, light))
        if ok is None:
            return
        if track.checkpoints_stale or not track.checkpoints_loaded:
            await self._guard(f"checkpoints:{job_id}", self._poll_checkpoints(job_id, changes))
        job = self._jobs[job_id]
        if reads.has_result(job) and not track.result_loaded:
            await self._guard(f"result:{job_id}", self._poll_result(job, changes))
        track.polls += 1
        if job.is_final and track.checkpoints_loaded and not track.checkpoints_stale:
            track.complete = track.result_loaded or not reads.has_result(job)

    async def _poll_events(
        self, job_id: str, track: JobTrack, changes: list[Change], light: bool = False
    ) -> bool:
        """Read the job's new events. ``light``: a job in the background has one page read,
        its newest (a job read seldom costs one request, not a page for every hundred events
        since); what that skips is read again if the job is selected."""
        # The selected job's history was let go while it was in the background: walk it
        # again with a fresh tail; only what the old tail never saw counts as new.
        reload = track.trimmed and job_id == self.selected
        tail = self._new_tail() if reload else track.tail
        first = tail.total_seen == 0
        held_before = len(track.events)

        unreadable = 0
        last_page: Page[FineTuningJobEvent] | None = None
        pages = 0
        met_known = False

        async def fetch(after: str | None) -> Any:
            nonlocal unreadable, last_page, pages, met_known
            # Once the history is loaded, a small newest page is enough for what arrived
            # since the last poll; a larger one follows only when that page is all new.
            small = not first and after is None
            limit = self.tail_page_size if small else self.event_page_size
            page = await self.client.list_events(job_id, after=after, limit=limit)
            self._fetched(f"events:{job_id}", done=False)
            unreadable += page.unreadable
            last_page = page
            pages += 1
            # Read before the walk ends: the tail takes in what it found only then.
            met_known = met_known or any(map(tail.is_known, page.data))
            return page

        light = light and not reload and job_id != self.selected
        max_pages = 1 if light else self._first_pages(job_id) if first else None
        asked_at = self.clock()  # every event written before this is in the answer
        got = await tail.poll(fetch, max_pages=max_pages)
        track.events_read_at = asked_at
        self._note_unreadable(f"events:{job_id}", unreadable)
        if first and job_id != self.selected and len(got) >= self.background_events:
            track.trimmed = True  # a background job's first look: its newest events only
        cut = (
            light
            and not met_known
            and max_pages is not None
            and pages >= max_pages
            and last_page is not None
            and last_page.next_after is not None
        )
        if cut:
            # Events between those held and those read were skipped: let the held ones go,
            # so what is held has no hole; the history is read again if it is selected.
            track.events.clear()
            track.trimmed = track.skipped = True
        if reload:
            new = _newer_than_known(got, track.tail)
            track.tail = tail
            track.events = deque(map(EventRecord.of, got), maxlen=self.max_events)
            track.trimmed = False
        else:
            new = got
            track.events.extend(map(EventRecord.of, new))
            self._trim(track, self.event_capacity(job_id))
        if first or reload:
            # A walk from the newest event stops at a known one only when there is one: here
            # it ran to the start of the history, or stopped at ``max_pages`` before it.
            older = last_page.next_after if last_page is not None else None
            track.has_older = older is not None
            track.older_after = older
        if len(track.events) < len(got if reload else new) + (0 if reload else held_before):
            # The oldest were let go to stay within the cap: they are older history now.
            track.has_older = True
            track.older_after = track.events[0].id if track.events else track.older_after
        if new:
            changes.append(EventsAppended(job_id, tuple(new)))
            grew = False
            for event in new:
                grew = track.series.add_event(event) or grew
                if "checkpoint" in (event.message or "").lower():
                    track.checkpoints_stale = True
            if grew:
                changes.append(MetricsChanged(job_id))
        if reload and track.skipped:
            # A light read skipped events: their points come with the history read again.
            track.skipped = False
            filled = False
            for event in got:
                filled = track.series.add_event(event) or filled
            if filled:
                changes.append(MetricsChanged(job_id))
        if reload:
            # After the appended events: a consumer that shows the history again has them all.
            changes.append(EventsReloaded(job_id))
        return True

    async def load_older_events(self, job_id: str, pages: int = 5) -> int:
        """Read up to ``pages`` pages of the selected job's events older than the oldest held,
        and put them at the front of ``events(job_id)``; returns how many were added.

        Never beyond ``max_events`` in all: the oldest that find no room are left on the server
        and ``has_older_events`` stays true. An event already held is not added again. What was
        added is published as one ``EventsPrepended`` (and ``MetricsChanged`` when the series
        gained points), also when a later page fails: the client's typed error is raised then,
        for the caller to show, and the next call goes on from the last page read.
        """
        async with self._older_events_lock:
            track = self._tracks.get(job_id)
            if track is None or not self.has_older_events(job_id):
                return 0
            added: list[EventRecord] = []  # newest first, as read
            grew = False
            try:
                for _ in range(max(1, pages)):
                    if not self.has_older_events(job_id) or not self.older_events_room(job_id):
                        break
                    cursor, held = track.older_after, track.events
                    page = await self.client.list_events(
                        job_id, after=cursor, limit=self.event_page_size
                    )
                    self._note_unreadable(f"older-events:{job_id}", page.unreadable)
                    if (
                        track.events is not held
                        or track.older_after != cursor
                        or not self.has_older_events(job_id)
                    ):
                        break  # read again or let go meanwhile: this page may not join it
                    known = {record.dedupe_key for record in held}
                    known_ids = {record.id for record in held if record.id}
                    fresh: list[FineTuningJobEvent] = []
                    for event in page.data:  # newest first
                        if event.dedupe_key in known or (event.id and event.id in known_ids):
                            continue
                        known.add(event.dedupe_key)
                        fresh.append(event)
                    # Measured after the wait: new events may have arrived meanwhile.
                    kept = fresh[: self.older_events_room(job_id)]
                    records = [EventRecord.of(event) for event in kept]
                    held.extendleft(records)  # newest first: the oldest ends up in front
                    added.extend(records)
                    for event in kept:
                        grew = track.series.add_event(event) or grew
                    if len(kept) < len(fresh):
                        # No room for the rest: they stay on the server, older than kept.
                        track.older_after = (kept[-1].id if kept else None) or cursor
                        break
                    following = page.next_after
                    track.has_older = following is not None and following != cursor
                    track.older_after = following if track.has_older else None
            finally:
                changes: list[Change] = []
                if added:
                    changes.append(EventsPrepended(job_id, len(added), tuple(reversed(added))))
                if grew:
                    changes.append(MetricsChanged(job_id))
                self._publish(changes)
            return len(added)

    async def _poll_checkpoints(self, job_id: str, changes: list[Change]) -> None:
        fresh = tuple(await reads.all_checkpoints(self.client, job_id))
        track = self._track(job_id)
        if fresh != track.checkpoints or not track.checkpoints_loaded:
            track.checkpoints = fresh
            changes.append(CheckpointsChanged(job_id, fresh))
        track.checkpoints_loaded = True
        track.checkpoints_stale = False

    async def _poll_result(self, job: FineTuningJob, changes: list[Change]) -> None:
        text = await reads.result_text(self.client, job)
        track = self._track(job.id)
        # A result file can hold 100k rows: parse it off the event loop, into a copy that
        # replaces the series once complete (nothing else writes this job's series meanwhile).
        track.series = await asyncio.to_thread(track.series.merged_with_csv, text)
        track.result_loaded = True
        changes.append(MetricsChanged(job.id, from_result_file=True))

    def _note_unreadable(self, endpoint: str, count: int) -> None:
        if count:
            self._unreadable[endpoint] = count
        else:
            self._unreadable.pop(endpoint, None)

    def _still_wanted(self, endpoint: str) -> bool:
        """Whether a failed fetch will be tried again: the list, or a job still followed."""
        if ":" not in endpoint:
            return True
        job_id = endpoint.split(":", 1)[1]
        if job_id == self.selected:
            return True
        job = self._jobs.get(job_id)
        return job is not None and not job.is_final

    def _forget_unwanted(self) -> None:
        """A fetch that will never be tried again (a finished job the cursor left) must not
        keep the status line saying "retrying" for good."""
        for endpoint in [e for e in self._errors if not self._still_wanted(e)]:
            self._errors.pop(endpoint, None)
            self._backoffs.pop(endpoint, None)
        for endpoint in [e for e in self._unreadable if not self._still_wanted(e)]:
            self._unreadable.pop(endpoint, None)

    def _after_cycle(self, changes: list[Change]) -> None:
        """Fold this cycle's errors into one health value; publish it if it changed."""
        now = self.clock()
        if self.paused:
            return
        self._forget_unwanted()
        if not self._errors and self._unreadable:
            count = sum(self._unreadable.values())
            health = Health(
                state="degraded",
                kind="unreadable",
                last_ok=self._last_ok or now,
                error=f"{count} item{'s' if count != 1 else ''} in the API's answers "
                "could not be read and were left out",
            )
        elif not self._errors:
            health = Health(state="ok", last_ok=self._last_ok or now)
        else:
            exc = next(iter(self._errors.values()))
            state = (
                "auth"
                if isinstance(exc, (errors.AuthenticationError, errors.PermissionDeniedError))
                else "failing"
            )
            retry_at = min((b.next_at for b in self._backoffs.values() if b.failures), default=None)
            health = Health(
                state=state,
                kind=exc.kind,
                status_code=exc.status_code,
                last_ok=self._last_ok,
                error=_short_error(exc),
                retry_at=retry_at,
                failures=max(b.failures for b in self._backoffs.values()),
            )
        if health.state != self.health.state or health.error != self.health.error:
            self.health = health
            changes.append(HealthChanged(health))
        else:
            self.health = health

    def _set_health(self, health: Health) -> None:
        self.health = health
        self._publish([HealthChanged(health)])

    # -- actions ---------------------------------------------------------------------------------

    async def act(self, action: str, job_id: str) -> FineTuningJob | None:
        """Cancel, pause or resume a job; the new job state is published, a failure too."""
        call = {
            "cancel": self.client.cancel_job,
            "pause": self.client.pause_job,
            "resume": self.client.resume_job,
        }[action]
        try:
            job = await call(job_id)
        except errors.FtmonApiError as exc:
            self._publish([ActionFailed(action, job_id, str(exc))])
            return None
        changes: list[Change] = []
        self._merge_jobs([job], changes)
        self._publish(changes)
        self.refresh_now()
        return job

    async def delete(self, job_id: str) -> bool:
        """Delete a finished job (Azure OpenAI) and forget it; True once it is gone (a 404:
        it was gone already). A failure is published as :class:`ActionFailed`."""
        try:
            await self.client.delete_job(job_id)
        except errors.NotFoundError:
            pass
        except errors.FtmonApiError as exc:
            self._publish([ActionFailed("delete", job_id, str(exc))])
            return False
        self.forget(job_id)
        return True

    def forget(self, job_id: str) -> None:
        """Drop a job the server no longer has: from the list, its details, its errors and
        backoffs; a ``JobsChanged(added=True)`` tells consumers to show the list afresh."""
        self._deleted.add(job_id)
        if self._jobs.pop(job_id, None) is None:
            return
        self._order = [i for i in self._order if i != job_id]
        self._tracks.pop(job_id, None)
        self._seen_active.discard(job_id)
        self._announced.discard(job_id)
        self._progress.pop(job_id, None)
        self._progress_failed.pop(job_id, None)
        self._fresh_at.pop(job_id, None)
        self._owed.pop(job_id, None)
        self._unlisted.discard(job_id)
        for endpoint in [e for e in {*self._errors, *self._backoffs, *self._unreadable}]:
            if endpoint.partition(":")[2] == job_id:
                self._errors.pop(endpoint, None)
                self._backoffs.pop(endpoint, None)
                self._unreadable.pop(endpoint, None)
        if self.selected == job_id:
            self.selected = None
        # A cursor at the job would name an id the server no longer knows.
        if self._older_cursor == job_id:
            self._older_cursor = self._order[-1] if self._order else None
        if self._list_after == job_id:
            self._list_after = None
        if self._walk is not None and job_id in {self._walk.after, *self._walk.targets}:
            self._walk = None
        self._publish([JobsChanged((), added=True)])


def _newer_than_known(
    events: list[FineTuningJobEvent], tail: EventTail
) -> list[FineTuningJobEvent]:
    """The events (oldest first) after the newest one ``tail`` already knows."""
    newer: list[FineTuningJobEvent] = []
    for event in reversed(events):
        if tail.is_known(event):
            break
        newer.append(event)
    newer.reverse()
    return newer


#: Errors of the API or the link as a whole, not of one request: over when any request succeeds.
OUTAGE_KINDS = frozenset({"server_error", "connection", "timeout"})


def _short_error(exc: errors.FtmonApiError) -> str:
    """``503 Service Unavailable`` style, for the status line."""
    if exc.status_code is not None:
        return str(exc)
    return exc.message
