"""Reading what the first page left on the server: older jobs (the list scrolled to its end, or a
filter that must find a job however old) and older events (the event log at its top), with the
pane titles that say how much is shown and what a key would bring.

A part of :class:`~ftmon.tui.main_screen.MainScreen` (see :mod:`ftmon.tui.main_base`).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.content import Content

from ftmon.text import one_line
from ftmon.tui.bindings import MOVE_BINDINGS
from ftmon.tui.main_base import MainBase
from ftmon.tui.widgets.event_log import EventLog
from ftmon.tui.widgets.job_list import JobList

#: Jobs a page while a filter searches the older ones (the API's largest page).
SEARCH_PAGE_SIZE = 100
#: What each worker does, as its failure notice says it ("Could not load older jobs"): an API
#: error ends the worker and :mod:`ftmon.tui.worker_errors` says so.
LOAD_EVENTS = "load older events"
LOAD_JOBS = "load older jobs"
SEARCH_JOBS = "search older jobs"


class OlderPages(MainBase):
    """Older jobs and events, read in workers of the screen."""

    _loading_older = False
    #: The job whose older events are being read (the events pane says so), if any.
    _loading_older_events: str | None = None
    #: Older pages are being read because a filter is typed: the filter finds every job.
    _searching_older = False

    # -- titles ------------------------------------------------------------------------------------

    def _update_jobs_title(self) -> None:
        jobs = self.job_list
        title = Text("jobs ")
        if jobs.query_text:
            title.append(f"{len(jobs.visible_ids)}/{jobs.total}")
            title.append(" · filter: ")
            title.append(one_line(jobs.query_text, width=30))
        else:
            title.append(str(jobs.total))
        if self._searching_older:
            title.append(" · searching older jobs…")
        elif self.monitor.has_more_jobs:
            title.append(" · more below")
        marked = len(jobs.marked_ids)
        if marked:
            title.append(f" · {marked} marked")
        self.query_one("#jobs-pane").border_title = Content.from_rich_text(title)

    def _update_events_title(self) -> None:
        """``events``, and while older events are left on the server, how to read them."""
        job_id = self.selected_id
        title = "events"
        loading = job_id is not None and self._loading_older_events == job_id
        if job_id is not None and (loading or self.monitor.has_older_events(job_id)):
            title += f" · {self.event_log.line_count:,} newest"
            if loading:
                title += " · loading older…"
            elif self.monitor.older_events_room(job_id):
                key = self._keys_of(next(b for b in MOVE_BINDINGS if b.id == "first"))
                title += f" · {key.split(',')[0]} at the top: load older"
            else:
                title += " (the most kept)"
        self.event_log.border_title = Content(title)

    # -- older events ------------------------------------------------------------------------------

    @on(EventLog.ReachedTop)
    def _on_events_top(self, event: EventLog.ReachedTop) -> None:
        job_id = event.job_id
        if (
            job_id is None
            or job_id != self.selected_id
            or self._loading_older_events == job_id
            or not self.monitor.has_older_events(job_id)
            or not self.monitor.older_events_room(job_id)
        ):
            return
        self._loading_older_events = job_id
        self._update_events_title()
        self._load_older_events(job_id)

    @work(group="older-events", exclusive=True, exit_on_error=False, description=LOAD_EVENTS)
    async def _load_older_events(self, job_id: str) -> None:
        try:
            await self.monitor.load_older_events(job_id)
        finally:
            if self._loading_older_events == job_id:
                self._loading_older_events = None
            if self._panes_ready():
                self._update_events_title()

    # -- older jobs --------------------------------------------------------------------------------

    @on(JobList.NearEnd)
    def _on_near_end(self) -> None:
        if self.monitor.has_more_jobs and not self._loading_older:
            self._loading_older = True
            self._load_older()

    @work(group="older", exclusive=True, exit_on_error=False, description=LOAD_JOBS)
    async def _load_older(self) -> None:
        try:
            await self.monitor.load_older_jobs()
        finally:
            self._loading_older = False
            if self._panes_ready():
                self._update_jobs_title()

    def _search_older(self) -> None:
        """A filter is typed and the list has older pages: read them all (the API has no
        search), so the filter finds a job however old. Clearing the filter stops it."""
        if self.monitor.has_more_jobs and not self._searching_older:
            self._searching_older = True
            self._update_jobs_title()
            self._load_all_older()

    @work(group="search-older", exclusive=True, exit_on_error=False, description=SEARCH_JOBS)
    async def _load_all_older(self) -> None:
        try:
            while self.job_list.query_text.strip() and self.monitor.has_more_jobs:
                if not await self.monitor.load_older_jobs(limit=SEARCH_PAGE_SIZE):
                    break  # a page with nothing new: the cursor is stuck, do not spin
        finally:
            self._searching_older = False
            if self._panes_ready():
                self._update_jobs_title()
