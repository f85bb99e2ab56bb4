"""The ftmon Textual app: panes, keys and the glue between the engine and the screen.

The engine (:class:`~ftmon.monitor.engine.Monitor`) does all the fetching in one long-lived worker;
the app subscribes to its typed changes, turns each batch into one message, and updates only what
changed: a row of the job list, new lines of the event log, the overview when its fields differ.
Nothing here ticks while all is well, so an idle screen writes nothing to the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import rich
from rich.segment import Segments
from rich.text import Text
from rich.traceback import Traceback
from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from ftmon.api import errors
from ftmon.api.models import FineTuningJob, normalise_status
from ftmon.api.status_rules import CONSEQUENCES, StatusRules, rules_for
from ftmon.config import Settings
from ftmon.datasets.request import CreateInput, input_from_job
from ftmon.export import compare_series, default_directory, export_job, job_title
from ftmon.monitor.changes import (
    ActionFailed,
    CheckpointsChanged,
    EventsAppended,
    EventsPrepended,
    EventsReloaded,
    HealthChanged,
    JobFinished,
    JobsChanged,
    MetricsChanged,
)
from ftmon.monitor.engine import Monitor
from ftmon.monitor.health import Health
from ftmon.monitor.series import MetricSeries
from ftmon.present import checkpoint_rows, job_fields, status_text
from ftmon.text import one_line
from ftmon.tui.bindings import (
    APP_BINDINGS,
    MOVE_BINDINGS,
    PAN_BINDINGS,
    SCREEN_BINDINGS,
    WRITE_ACTIONS,
    expand_keymap,
)
from ftmon.tui.filtering import matches
from ftmon.tui.hangup import watch_terminal_hangup
from ftmon.tui.keygate import KeyGate, KeyHandled
from ftmon.tui.notify import desktop_notification
from ftmon.tui.palette import PALETTE
from ftmon.tui.parts import (
    CompareScreen,
    ConfirmScreen,
    CreateJobScreen,
    MetricsView,
    PermissionsScreen,
)
from ftmon.tui.rows import JobRow, job_row
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.widgets.checkpoints import CheckpointTable
from ftmon.tui.widgets.chrome import TAB_NAMES, HeaderBar, StatusLine, TabStrip
from ftmon.tui.widgets.event_log import EventLog
from ftmon.tui.widgets.job_list import JobList, JobListHeader
from ftmon.tui.widgets.overview import JobOverview

#: The smallest terminal that gets four panes side by side.
WIDE_SIZE = (120, 36)
#: How often ages and ETAs are recomputed; a row is repainted only when its text changed.
AGE_REFRESH = 30.0
#: How long the cursor must rest on a job before it is fetched in full and its panes drawn.
SELECT_DELAY = 0.15
#: Jobs a page while a filter searches the older ones (the API's largest page).
SEARCH_PAGE_SIZE = 100
#: The exit status after a SIGTERM, as a shell reports a process it ended (128 + 15).
TERMINATED = 128 + 15
#: Pause before restarting an engine that stopped on an unexpected error.
ENGINE_RESTART = 5.0
#: Keys of the main screen that still apply while another full screen (create, compare) is on top:
#: none. ``q`` on a form must never quit and lose what was typed; compare and permissions close
#: on ``q`` themselves, and ``ctrl+q`` quits from anywhere.
ANYWHERE: frozenset[str] = frozenset()
#: How long a refusal ("read-only: cancel is off", an action the API refused) stays on the status
#: line.
FLASH_SECONDS = 4.0
ACTION_FAILED_SECONDS = 12.0
#: The main screen's own actions: on a full screen pushed over it they would act unseen.
MAIN_ONLY = frozenset(b.action.split("(")[0] for b in APP_BINDINGS) - ANYWHERE


def _displayed(widget: Widget) -> bool:
    """True when neither the widget nor any container of it is ``display: none``."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def _filter_input() -> Input:
    field = Input(
        id="filter",
        placeholder="filter: id, model, suffix, status, metadata",
        select_on_focus=False,
    )
    field.cursor_blink = False  # a blinking cursor writes to the terminal twice a second
    return field


def compare_label(job: FineTuningJob) -> str:
    """A run in the comparison's legend: its suffix first, as ids all look alike when cut."""
    suffix = one_line(job.display_suffix, width=40)
    return f"{suffix} · {one_line(job.id)}" if suffix else one_line(job.id)


class EngineUpdate(Message):
    """One batch of changes from the engine, delivered on the app's message queue."""

    def __init__(self, changes: list[Any]) -> None:
        super().__init__()
        self.changes = changes


class MainScreen(Screen[None]):
    """The default screen; only here so that ``tab`` has an id and can be remapped."""

    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)

    def on_screen_resume(self) -> None:
        # Back from a full screen (create, compare): the footer shows the main keys again.
        app = self.app
        if isinstance(app, FtmonApp) and app._panes_ready():
            app._refresh_bindings_if_changed()


class FtmonApp(App[int]):
    """Job list, detail, event log, metrics and checkpoints of one API endpoint."""

    # Absolute, so that subclasses elsewhere (tests, tools) find it too.
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "ftmon"
    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)

    def __init__(
        self,
        monitor: Monitor,
        *,
        settings: Settings | None = None,
        clock: Callable[[], float] = time.time,
        job_id: str | None = None,
        real_terminal: bool = False,
        handle_hangup: bool = False,
        age_refresh: float = AGE_REFRESH,
        select_delay: float = SELECT_DELAY,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.settings = settings or monitor.client.settings
        self.clock = clock
        self.read_only = self.settings.read_only
        self.real_terminal = real_terminal
        self.handle_hangup = handle_hangup
        self.age_refresh = age_refresh
        self.select_delay = select_delay
        self.engine_restart = ENGINE_RESTART
        self._select_timer: Timer | None = None
        self.selected_id: str | None = None
        self.pending_job: str | None = job_id
        self.layout_name = ""
        self.part = TAB_NAMES[0]
        self.announced: list[str] = []
        self.animation_level = "none"
        self._unsubscribe: Callable[[], None] | None = None
        self._loading_older = False
        #: The job whose older events are being read (the events pane says so), if any.
        self._loading_older_events: str | None = None
        #: Older pages are being read because a filter is typed: the filter finds every job.
        self._searching_older = False
        self._bindings_state: tuple[Any, ...] = ()
        self._hangup_installed = False
        #: What the provider's API accepts for each status (one table for every front end).
        self.rules: StatusRules = rules_for(self.settings.base_url, self.settings.auth_header)
        #: What was typed in a create form that was closed unsent: ``n`` reopens it.
        self.create_draft: CreateInput | None = None
        #: Serialises keys so that a burst goes where each key sends focus.
        self.key_gate = KeyGate(self, super().on_event)
        self.set_keymap(expand_keymap(self.settings.keymap))

    # -- keys ------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # A raw key from the terminal goes through the gate: one at a time, in the order typed.
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.key_gate.receive(event)
            return
        await super().on_event(event)

    def on_key_handled(self, message: KeyHandled) -> None:
        self.key_gate.settled(message.serial)

    def on_key(self, event: events.Key) -> None:
        """A key of an action that read-only mode hides says so, instead of doing nothing."""
        if not self.read_only or self.screen is not self.screen_stack[0]:
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.enabled:
            return
        for binding in APP_BINDINGS:
            name = binding.action.split("(")[0]
            if name in WRITE_ACTIONS and event.key in self._bound_keys(binding):
                self.flash(f"read-only: {binding.description} is off")
                event.prevent_default()
                return

    def _bound_keys(self, binding: Binding) -> list[str]:
        """The keys of ``binding`` as the user's keymap has them."""
        keys = self._keymap.get(binding.id or "", binding.key)
        return [key.strip() for key in keys.split(",")]

    def flash(self, text: str, seconds: float = FLASH_SECONDS) -> None:
        """A short note on the status line (it covers nothing and leaves by itself)."""
        if self._panes_ready():
            self.status_line.flash(text, seconds)

    # -- building the screen -------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield HeaderBar(self.settings.describe_endpoint(), read_only=self.read_only, id="header")
        with Container(id="body", classes="-narrow -tab-overview"):
            with Vertical(id="jobs-pane"):
                job_list = JobList(self._row_for, id="jobs")
                yield JobListHeader(job_list, id="jobs-header")
                yield job_list
                yield _filter_input()
            yield TabStrip(id="tabs")
            yield JobOverview(id="overview")
            yield EventLog(id="events", max_lines=self.monitor.max_events)
            with Vertical(id="charts"):
                yield MetricsView(id="metrics")
                yield CheckpointTable(id="checkpoints")
        yield StatusLine(self.clock, id="status")
        yield Footer(id="footer", compact=True, show_command_palette=False)

    @property
    def job_list(self) -> JobList:
        return self.query_one("#jobs", JobList)

    @property
    def overview(self) -> JobOverview:
        return self.query_one("#overview", JobOverview)

    @property
    def event_log(self) -> EventLog:
        return self.query_one("#events", EventLog)

    @property
    def metrics_view(self) -> MetricsView:
        return self.query_one("#metrics", MetricsView)

    @property
    def checkpoint_table(self) -> CheckpointTable:
        return self.query_one("#checkpoints", CheckpointTable)

    @property
    def status_line(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def on_mount(self) -> None:
        self.query_one("#jobs-pane").border_title = Content("jobs")
        self.overview.border_title = Content("overview")
        self.event_log.border_title = Content("events")
        self.metrics_view.border_title = Content("metrics")
        self.checkpoint_table.border_title = Content("checkpoints")
        self.query_one("#filter", Input).display = False
        self.query_one(TabStrip).set_keys(self._tab_keys())
        self._apply_layout(self.size)
        self.job_list.focus()
        self._unsubscribe = self.monitor.subscribe(self._on_engine_changes)
        self.status_line.set_health(self.monitor.health)
        if self.pending_job:
            self.overview.show_message(f"opening {one_line(self.pending_job)}…")
            self.monitor.select(self.pending_job)
        self._start_engine()
        if self.age_refresh > 0:
            self.set_interval(self.age_refresh, self._refresh_ages, name="ages")
        if self.handle_hangup:
            self._install_hangup()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._hangup_installed:
            for signum in (signal.SIGHUP, signal.SIGTERM):
                with contextlib.suppress(Exception):
                    asyncio.get_running_loop().remove_signal_handler(signum)

    def _install_hangup(self) -> None:
        """The SSH link dropping must end the app, not leave it spinning on a dead terminal; a
        SIGTERM (``kill``, a service manager) ends it as cleanly, giving the terminal back (the
        alternate screen left, the cursor shown, the modes Textual turned on turned off) with
        the exit status a shell expects of it (143)."""
        loop = asyncio.get_running_loop()
        if hasattr(signal, "SIGHUP"):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, self.exit, 0)
                loop.add_signal_handler(signal.SIGTERM, partial(self.exit, return_code=TERMINATED))
                self._hangup_installed = True
        watch_terminal_hangup(loop, partial(self.exit, 0))

    def _fatal_error(self) -> None:
        """A crash report without local variables: they can hold request headers with the key.

        Textual's own report shows every frame's locals; under a request that includes the
        ``Authorization`` header. Everything else about the report is Textual's.
        """
        self.bell()
        report = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    # -- the engine ----------------------------------------------------------------------------

    def _start_engine(self) -> None:
        self.run_worker(
            self.monitor.run(),
            name="engine",
            group="engine",
            exclusive=True,
            exit_on_error=False,
        )

    def _on_engine_changes(self, changes: list[Any]) -> None:
        """Called by the engine (same event loop): hand the batch to the message queue."""
        self.post_message(EngineUpdate(list(changes)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if not self._panes_ready():
            return
        worker = event.worker
        if event.state != WorkerState.ERROR:
            if worker.group == "engine" and event.state == WorkerState.RUNNING:
                self.status_line.set_extra("")
            return
        error = worker.error
        if worker.group == "engine":
            # A bug, not an API error (those are health): say so and start again.
            self.status_line.set_extra(
                f"polling stopped ({type(error).__name__}); restarting in {self.engine_restart:g}s"
            )
            self.set_timer(self.engine_restart, self._start_engine)
        else:
            self.notify(
                one_line(error) or type(error).__name__,
                title="Something went wrong",
                severity="error",
                markup=False,
            )

    def _panes_ready(self) -> bool:
        """False once the app is closing: a late timer or engine batch finds no panes to draw."""
        try:
            self.query_one("#jobs", JobList)
        except NoMatches:
            return False
        return True

    def on_engine_update(self, message: EngineUpdate) -> None:
        if not self._panes_ready():
            return
        selected = self.selected_id
        touched_selected = False
        touched_events = False
        for change in message.changes:
            if isinstance(change, JobsChanged):
                if change.added:
                    self.job_list.set_jobs(self.monitor.jobs())
                    self._update_jobs_title()
                else:
                    self.job_list.update_jobs(change.changed)
                if any(job.id == selected for job in change.changed):
                    touched_selected = True
            elif isinstance(change, EventsAppended):
                if change.job_id == selected:
                    self.event_log.append(change.job_id, change.events)
                    touched_events = True
            elif isinstance(change, EventsReloaded):
                if change.job_id == selected:
                    self.event_log.show_job(selected, self.monitor.events(selected))
                    touched_events = True
            elif isinstance(change, EventsPrepended):
                if change.job_id == selected:
                    self.event_log.prepend(change.job_id, change.events)
                    touched_events = True
            elif isinstance(change, MetricsChanged):
                self.job_list.refresh_rows([change.job_id])
                if change.job_id == selected:
                    self.metrics_view.update_series(self._series(change.job_id))
                    touched_selected = True
            elif isinstance(change, CheckpointsChanged):
                if change.job_id == selected:
                    self.checkpoint_table.show_rows(checkpoint_rows(change.checkpoints))
                    self._update_checkpoints_title()
            elif isinstance(change, JobFinished):
                self._announce_finished(change.job)
            elif isinstance(change, HealthChanged):
                self.status_line.set_health(change.health)
                self._give_up_pending_job(change.health)
            elif isinstance(change, ActionFailed):
                self.flash(
                    f"could not {change.action} {one_line(change.job_id)}: "
                    f"{one_line(change.message)}",
                    ACTION_FAILED_SECONDS,
                )
        if self.pending_job is not None and self.job_list.select_job(self.pending_job):
            self.pending_job = None
        if touched_events:
            self._update_events_title()
        if selected is not None:
            if touched_selected:
                self._show_overview()
            if self.monitor.is_loaded(selected) and not self.event_log.line_count:
                self.event_log.empty_text = "no events yet"
                self.event_log.refresh()
        self._refresh_bindings_if_changed()

    def _give_up_pending_job(self, health: Health) -> None:
        """``--job`` named a job the server does not know: say so and show the list instead."""
        job = self.pending_job
        if job is None or health.status_code != 404 or self.monitor.job(job) is not None:
            return
        self.pending_job = None
        self.notify(
            f"No job {one_line(job)} on this server.",
            title="Job not found",
            severity="error",
            markup=False,
            timeout=10,
        )
        self._select(self.job_list.selected_id)
        self.monitor.refresh_now()  # a poll without the unknown job clears its error at once

    def _series(self, job_id: str) -> MetricSeries | None:
        """The job's metric series once loaded; asking earlier would make the engine track it."""
        return self.monitor.series(job_id) if self.monitor.is_loaded(job_id) else None

    def _row_for(self, job: FineTuningJob) -> JobRow:
        return job_row(job, self._series(job.id), self.clock())

    def _refresh_ages(self) -> None:
        """Ages and ETAs move with time: repaint the rows (and fields) whose text changed."""
        if not self._panes_ready():
            return
        self.job_list.refresh_rows()
        if self.selected_id is not None:
            self._show_overview()

    # -- the selected job ------------------------------------------------------------------------

    @on(JobList.Highlighted)
    def _on_highlighted(self, event: JobList.Highlighted) -> None:
        if self.pending_job is not None and not event.by_user:
            return  # still opening the job asked for with --job
        self.pending_job = None
        # The first job shown is drawn at once; later moves wait for the cursor to rest.
        self._select(event.job_id, at_once=self.selected_id is None)

    def _select(self, job_id: str | None, *, at_once: bool = True) -> None:
        """Show ``job_id``: its fields at once; the rest once the cursor rests.

        Holding ``j`` passes over many jobs: only the one it stops on is fetched in full and has
        its events, metrics and checkpoints drawn.
        """
        self.selected_id = job_id
        self._show_overview()
        self._refresh_bindings_if_changed()
        if self._select_timer is not None:
            self._select_timer.stop()
            self._select_timer = None
        if at_once or self.select_delay <= 0:
            self._follow_selected()
        else:
            self._select_timer = self.set_timer(
                self.select_delay, self._follow_selected, name="select"
            )

    @property
    def selection_settled(self) -> bool:
        """False while the cursor has just moved and the panes still show the job before."""
        return self._select_timer is None

    def _follow_selected(self) -> None:
        self._select_timer = None
        if not self._panes_ready():
            return
        job_id = self.selected_id
        self.monitor.select(job_id)
        loaded = job_id is not None and self.monitor.is_loaded(job_id)
        self.event_log.show_job(
            job_id,
            self.monitor.events(job_id) if job_id else (),
            empty=("no events yet" if loaded else "loading events…") if job_id else "",
        )
        self.metrics_view.update_series(self._series(job_id) if job_id else None)
        self.checkpoint_table.show_rows(
            checkpoint_rows(self.monitor.checkpoints(job_id)) if job_id else []
        )
        self._update_checkpoints_title()
        self._update_events_title()
        self._refresh_bindings_if_changed()

    def _selected_job(self) -> FineTuningJob | None:
        """The job under the cursor now (what a key acts on), even before the panes caught up."""
        job_id = self.job_list.selected_id
        return self.monitor.job(job_id) if job_id else None

    def _shown_job(self) -> FineTuningJob | None:
        """The job the panes show."""
        return self.monitor.job(self.selected_id) if self.selected_id else None

    def _show_overview(self) -> None:
        job = self._shown_job()
        if job is None:
            self.overview.show_message("no job selected")
            return
        self.overview.show_fields(job_fields(job, self.clock(), self._series(job.id)))

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
        self.run_worker(
            self._load_older_events(job_id),
            name=f"older events {job_id}",
            group="older-events",
            exclusive=True,
            exit_on_error=False,
        )

    async def _load_older_events(self, job_id: str) -> None:
        try:
            await self.monitor.load_older_events(job_id)
        except errors.FtmonApiError as exc:
            self.notify(
                one_line(exc),
                title="Could not load older events",
                severity="warning",
                markup=False,
            )
        finally:
            if self._loading_older_events == job_id:
                self._loading_older_events = None
            if self._panes_ready():
                self._update_events_title()

    def _update_checkpoints_title(self) -> None:
        count = len(self.checkpoint_table.models)
        loaded = self.selected_id is not None and self.monitor.is_loaded(self.selected_id)
        title = f"checkpoints {count}" if count else "checkpoints · none" if loaded else ""
        self.checkpoint_table.border_title = Content(title or "checkpoints")

    @on(JobList.NearEnd)
    def _on_near_end(self) -> None:
        if self.monitor.has_more_jobs and not self._loading_older:
            self._loading_older = True
            self.run_worker(
                self._load_older(),
                name="older",
                group="older",
                exclusive=True,
                exit_on_error=False,
            )

    async def _load_older(self) -> None:
        try:
            await self.monitor.load_older_jobs()
        except errors.FtmonApiError as exc:
            self.notify(
                one_line(exc), title="Could not load older jobs", severity="warning", markup=False
            )
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
            self.run_worker(
                self._load_all_older(),
                name="search-older",
                group="search-older",
                exclusive=True,
                exit_on_error=False,
            )

    async def _load_all_older(self) -> None:
        try:
            while self.job_list.query_text.strip() and self.monitor.has_more_jobs:
                if not await self.monitor.load_older_jobs(limit=SEARCH_PAGE_SIZE):
                    break  # a page with nothing new: the cursor is stuck, do not spin
        except errors.FtmonApiError as exc:
            self.notify(
                one_line(exc), title="Could not search older jobs", severity="warning", markup=False
            )
        finally:
            self._searching_older = False
            if self._panes_ready():
                self._update_jobs_title()

    # -- finished jobs ---------------------------------------------------------------------------

    def _announce_finished(self, job: FineTuningJob) -> None:
        """Once per job: a toast, the bell, and a desktop notification through the terminal."""
        status = status_text(job.status)
        suffix = one_line(job.display_suffix, width=40)
        body = one_line(job.id) + (f" ({suffix})" if suffix else "")
        severity: SeverityLevel = "information"
        if normalise_status(job.status) == "failed":
            severity = "error"
        elif normalise_status(job.status) == "cancelled":
            severity = "warning"
        self.announced.append(job.id)
        self.notify(body, title=f"Job {status}", severity=severity, markup=False, timeout=10)
        self.bell()
        if self.real_terminal and not self.is_headless and self._driver is not None:
            self._driver.write(
                desktop_notification(
                    f"ftmon: job {status}", body, tmux=bool(os.environ.get("TMUX"))
                )
            )
            self._driver.flush()

    # -- layout ----------------------------------------------------------------------------------

    def on_resize(self, event: Any) -> None:
        self._apply_layout(event.size)

    def _apply_layout(self, size: Size) -> None:
        wide = size.width >= WIDE_SIZE[0] and size.height >= WIDE_SIZE[1]
        name = "wide" if wide else "narrow"
        if name == self.layout_name:
            return
        self.layout_name = name
        body = self.query_one("#body")
        body.set_class(wide, "-wide")
        body.set_class(not wide, "-narrow")
        self.call_after_refresh(self._keep_focus_visible)

    def _keep_focus_visible(self) -> None:
        focused = self.screen_stack[0].focused
        if focused is not None and not _displayed(focused):
            self.job_list.focus()

    def _set_part(self, name: str) -> None:
        body = self.query_one("#body")
        body.set_class(False, f"-tab-{self.part}")
        self.part = name
        body.set_class(True, f"-tab-{name}")
        self.query_one(TabStrip).set_active(name)

    def _part_widget(self, name: str) -> Widget:
        return {
            "overview": self.overview,
            "events": self.event_log,
            "metrics": self.metrics_view,
            "checkpoints": self.checkpoint_table,
        }[name]

    def _tab_keys(self) -> dict[str, str]:
        keys = {}
        for binding in APP_BINDINGS:
            if binding.id and binding.id.startswith("show_"):
                key = self._keys_of(binding).split(",")[0]
                keys[binding.id.removeprefix("show_")] = key
        return keys

    # -- actions -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        screen = self.screen
        if action in MAIN_ONLY and screen is not self.screen_stack[0] and not screen.is_modal:
            # A full screen over the main one (a modal keeps the app's keys out by itself).
            return False
        return self._applies(action)

    def _applies(self, action: str) -> bool | None:
        """Whether a main-screen action applies now (the palette asks this from its own screen)."""
        if action in WRITE_ACTIONS and self.read_only:
            return False
        if self._filter_focused() and action not in ("clear_filter", "next_pane", "previous_pane"):
            return False
        job = self._selected_job()
        if action in ("cancel_job", "pause_job", "resume_job"):
            return job is not None and self._allows(action.removesuffix("_job"), job)
        if action == "pause_polling":
            return not self.monitor.paused
        if action == "resume_polling":
            return self.monitor.paused
        if action == "clear_filter":
            return bool(self.job_list.query_text) or self._filter_open()
        if action == "permissions":
            # Offered while the job's checkpoints load, so that a quick P says so.
            return job is not None and (
                not self.monitor.is_loaded(job.id) or bool(self.monitor.checkpoints(job.id))
            )
        if action in ("copy", "create_like", "export_job", "mark_job"):
            return job is not None
        return True

    def _bindings_signature(self) -> tuple[Any, ...]:
        return tuple(
            self.check_action(binding.action.split("(")[0], ())
            for binding in APP_BINDINGS
            if binding.show
        )

    def _refresh_bindings_if_changed(self) -> None:
        """The footer recomposes on every refresh_bindings(): only when something applies anew."""
        state = self._bindings_signature()
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(0)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows()))

    def help_rows(self) -> list[tuple[str, str]]:
        """Every key, as the user's keymap has it; read-only mode leaves out the write actions."""
        rows: list[tuple[str, str]] = []
        for binding in MOVE_BINDINGS:
            rows.append((self._keys_of(binding), f"move {binding.description}"))
        for binding in PAN_BINDINGS:
            rows.append((self._keys_of(binding), f"events: long lines {binding.description}"))
        first = next(b for b in MOVE_BINDINGS if b.id == "first")
        rows.append((self._keys_of(first), "events: at the top, load older events"))
        rows.append(("tab, shift+tab", "next / previous pane"))
        rows.append(("ctrl+p", "command palette"))
        for binding in APP_BINDINGS:
            name = binding.action.split("(")[0]
            if name in WRITE_ACTIONS and self.read_only:
                continue
            rows.append((self._keys_of(binding), binding.description))
        return rows

    def _keys_of(self, binding: Binding) -> str:
        return ", ".join(
            self.get_key_display(binding.with_key(key)) for key in self._bound_keys(binding)
        )

    def action_refresh(self) -> None:
        self.monitor.refresh_now()

    def action_pause_polling(self) -> None:
        self.monitor.set_paused(True)
        self._refresh_bindings_if_changed()

    def action_resume_polling(self) -> None:
        self.monitor.set_paused(False)
        self._refresh_bindings_if_changed()

    # filter

    def _filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    def _filter_open(self) -> bool:
        return bool(self._filter_input().display)

    def _filter_focused(self) -> bool:
        try:
            return self._filter_input().has_focus
        except NoMatches:
            return False

    def _focus_now(self, widget: Widget) -> None:
        """Move focus before this handler returns (``Widget.focus`` waits for a callback), so the
        next key of a burst already finds it where it was sent (:mod:`ftmon.tui.keygate`)."""
        self.screen_stack[0].set_focus(widget)

    def action_filter(self) -> None:
        field = self._filter_input()
        field.display = True
        self._focus_now(field)
        self._refresh_bindings_if_changed()

    def action_clear_filter(self) -> None:
        field = self._filter_input()
        field.value = ""
        field.display = False
        self.job_list.set_filter("")
        self._update_jobs_title()
        self._focus_now(self.job_list)
        self._refresh_bindings_if_changed()

    @on(Input.Changed, "#filter")
    def _on_filter_changed(self, event: Input.Changed) -> None:
        self.job_list.set_filter(event.value)
        self._update_jobs_title()
        if event.value.strip():
            self._search_older()

    @on(Input.Submitted, "#filter")
    def _on_filter_submitted(self, event: Input.Submitted) -> None:
        field = self._filter_input()
        field.display = False
        self._focus_now(self.job_list)
        self._refresh_bindings_if_changed()

    def on_descendant_focus(self) -> None:
        if self.screen_stack:  # not while the app closes
            self._refresh_bindings_if_changed()

    # job actions

    def action_cancel_job(self) -> None:
        self._confirm_and_act("cancel")

    def action_pause_job(self) -> None:
        self._confirm_and_act("pause")

    def action_resume_job(self) -> None:
        self._confirm_and_act("resume")

    def _steps_done(self, job: FineTuningJob) -> int | None:
        """The job's last trained step, when its metrics are loaded (Azure's pause rule)."""
        series = self._series(job.id)
        if series is None:
            return None
        latest = series.latest()
        return latest[0] if latest is not None else 0

    def _allows(self, action: str, job: FineTuningJob) -> bool:
        return self.rules.allows(action, job.status, steps_done=self._steps_done(job))

    def _confirm_and_act(self, action: str) -> None:
        job = self._selected_job()
        if job is None or self.read_only:
            return
        refusal = self.rules.refusal(action, job.status, steps_done=self._steps_done(job))
        if refusal is not None:
            self.flash(f"cannot {action} {one_line(job.id)}: {refusal}")
            return
        job_id = job.id
        question = Text()
        question.append(f"{action.capitalize()} job ")
        question.append(one_line(job_id), style="bold")
        suffix = one_line(job.display_suffix, width=40)
        if suffix:
            question.append(f" ({suffix})")
        question.append(f", now {status_text(job.status)}?")
        question.append(f"\n{CONSEQUENCES[action]}")
        labels = (f"{action.capitalize()} job", self.rules.keep_label(job.status))

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(
                    self._act(action, job_id),
                    name=f"{action} {job_id}",
                    group="actions",
                    exit_on_error=False,
                )

        self.push_screen(ConfirmScreen(question, yes_label=labels[0], no_label=labels[1]), answered)

    async def _act(self, action: str, job_id: str) -> None:
        job = await self.monitor.act(action, job_id)
        if job is not None:
            self.notify(
                f"{one_line(job_id)} is now {status_text(job.status)}",
                title=f"{action.capitalize()} requested",
                markup=False,
            )

    def action_permissions(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        checkpoints = self.monitor.checkpoints(job.id)
        if not checkpoints:
            loading = not self.monitor.is_loaded(job.id)
            message = "Loading this job's checkpoints…" if loading else "No checkpoints yet."
            self.notify(message, markup=False, timeout=3)
            return
        if not self.monitor.client.settings.admin_key:
            self.notify(
                "Checkpoint permissions need an admin key: set OPENAI_ADMIN_KEY or admin_key "
                "in the config file.",
                title="No admin key",
                severity="warning",
                markup=False,
                timeout=10,
            )
            return
        self.push_screen(
            PermissionsScreen(self.monitor.client, checkpoints, read_only=self.read_only)
        )

    def copy_target(self) -> str | None:
        """What ``y`` copies: the checkpoint or fine-tuned model in focus, else the job id."""
        job = self._selected_job()
        if job is None:
            return None
        focused = self.screen.focused
        if focused is self.checkpoint_table and self.checkpoint_table.selected_model:
            return self.checkpoint_table.selected_model
        if focused is self.overview and job.fine_tuned_model:
            return one_line(job.fine_tuned_model)
        return one_line(job.id)

    def action_copy(self) -> None:
        text = self.copy_target()
        if not text:
            return
        self.copy_to_clipboard(text)
        self.notify(f"Copied {text}", markup=False, timeout=3)

    # create, export, compare

    def action_create_job(self) -> None:
        """A new form, or the one closed unsent, as it was left."""
        draft = self.create_draft
        note = "Reopened as you left it." if draft is not None else ""
        self._open_create(draft, note)

    def action_create_like(self) -> None:
        job = self._selected_job()
        if job is not None:
            self._open_create(input_from_job(job))

    def _open_create(self, initial: CreateInput | None, note: str = "") -> None:
        if self.read_only:
            return
        screen = CreateJobScreen(
            self.monitor.client, initial=initial, on_submit=self._submit_job, opening_note=note
        )
        self.push_screen(screen, partial(self._create_closed, screen))

    def _create_closed(self, screen: CreateJobScreen, body: dict[str, Any] | None) -> None:
        """Keep what was typed in a form closed unsent (``n`` reopens it); forget it once sent."""
        if body is not None:
            self.create_draft = None
        elif screen.draft is not None:
            self.create_draft = screen.draft

    async def _submit_job(self, body: dict[str, Any]) -> None:
        """Send the form's request (an API refusal is marked in the form, which stays open)."""
        job = await self.monitor.client.create_job(body)
        self._follow_new_job(job)

    def _follow_new_job(self, job: FineTuningJob) -> None:
        """Select the new job now and put the cursor on it as soon as the list has it."""
        self.notify(job_title(job), title="Job created", markup=False, timeout=8)
        if not self._panes_ready():
            return
        self.monitor.select(job.id)
        if self.job_list.query_text and not matches(job, self.job_list.query_text):
            self.action_clear_filter()  # the filter would hide the new job
        if self.job_list.select_job(job.id):
            return
        # Like --job: the next list poll brings the job and on_engine_update moves the cursor.
        self.pending_job = job.id
        self.overview.show_message(f"opening {one_line(job.id)}…")
        self.monitor.refresh_now()

    def action_export_job(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        self.notify(f"Exporting {one_line(job.id)}…", markup=False, timeout=3)
        self.run_worker(
            self._export(job.id),
            name=f"export {job.id}",
            group="export",
            exit_on_error=False,
        )

    async def _export(self, job_id: str) -> None:
        title = f"Could not export {one_line(job_id, width=40)}"
        try:
            result = await export_job(self.monitor.client, job_id, default_directory(job_id))
        except errors.FtmonApiError as exc:
            self.notify(one_line(exc), title=title, severity="error", markup=False, timeout=10)
            return
        except OSError as exc:
            where = f": {one_line(exc.filename)}" if exc.filename else ""
            reason = one_line(exc.strerror or exc) or type(exc).__name__
            self.notify(reason + where, title=title, severity="error", markup=False, timeout=10)
            return
        notes = "".join(f"\n{one_line(note)}" for note in result.notes)
        self.notify(result.summary() + notes, title="Exported", markup=False, timeout=10)

    def action_mark_job(self) -> None:
        job_id = self.job_list.selected_id
        if job_id is None:
            return
        self.job_list.toggle_mark(job_id)
        self._update_jobs_title()

    def action_compare(self) -> None:
        ids = [i for i in self.job_list.marked_ids if self.monitor.job(i) is not None]
        if len(ids) < 2:
            mark = self._key_for("mark_job")
            compare = self._key_for("compare")
            self.notify(
                f"Mark two or more jobs with {mark} to compare them, then press {compare}.",
                title="Compare runs",
                markup=False,
                timeout=5,
            )
            return
        self.run_worker(
            self._compare(ids),
            name="compare",
            group="compare",
            exclusive=True,
            exit_on_error=False,
        )

    async def _compare(self, ids: list[str]) -> None:
        """The engine's series of the jobs it has loaded; the others fetched once, here."""
        jobs = [job for job in map(self.monitor.job, ids) if job is not None]
        missing = [job for job in jobs if not self.monitor.is_loaded(job.id)]
        fetched: dict[str, tuple[str, MetricSeries]] = {}
        if missing:
            count = len(missing)
            self.notify(
                f"Loading the metrics of {count} job{'s' if count != 1 else ''}…",
                markup=False,
                timeout=3,
            )
            try:
                fetched = await compare_series(self.monitor.client, missing)
            except errors.FtmonApiError as exc:
                self.notify(
                    one_line(exc),
                    title="Could not load the runs to compare",
                    severity="error",
                    markup=False,
                    timeout=10,
                )
                return
        runs = {
            job.id: (
                compare_label(job),
                fetched[job.id][1] if job.id in fetched else self.monitor.series(job.id),
            )
            for job in jobs
        }
        if self._panes_ready():
            self.push_screen(CompareScreen(runs))

    def _key_for(self, binding_id: str) -> str:
        """The first key of a binding as the user's keymap has it, for hints."""
        binding = next(b for b in APP_BINDINGS if b.id == binding_id)
        return self._keys_of(binding).split(",")[0]

    def action_show_part(self, name: str) -> None:
        if name not in TAB_NAMES:
            return
        focus_below = self.screen.focused not in (self.job_list, None)
        self._set_part(name)
        widget = self._part_widget(name)
        if self.layout_name == "wide" or focus_below:
            if widget.focusable:
                self.call_after_refresh(widget.focus)

    def action_next_pane(self) -> None:
        self.screen.focus_next()

    def action_previous_pane(self) -> None:
        self.screen.focus_previous()

    # -- command palette ---------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.screen_stack[0]:
            return
        for action, title, help_text, params in PALETTE:
            if self._applies(action):
                yield SystemCommand(title, help_text, partial(self._run_command, action, params))
        jobs = self.job_list
        yield SystemCommand("Next job", "Move down the job list", partial(jobs.action_move, 1))
        yield SystemCommand("Previous job", "Move up the job list", partial(jobs.action_move, -1))
        yield SystemCommand("Newest job", "The top of the job list", jobs.action_first)
        yield SystemCommand("Oldest job", "The bottom of the job list", jobs.action_last)

    def _run_command(self, action: str, params: tuple[object, ...]) -> None:
        getattr(self, f"action_{action}")(*params)
