"""The main screen: the job list and the selected job's panes, their keys, and the engine's
updates drawn onto them.

The engine (:class:`~ftmon.monitor.engine.Monitor`) does all the fetching in one worker owned by
the app; this screen subscribes to its typed changes, turns each batch into one message, and
updates only what changed: a row of the job list, new lines of the event log, the overview when
its fields differ. Nothing here ticks while all is well, so an idle screen writes nothing to the
terminal. Its keys are its own: a screen pushed on top (a form, compare) does not see them.
What a key does to a job is in :mod:`ftmon.tui.job_actions`, the other keys and the filter in
:mod:`ftmon.tui.main_keys`, the reading of older pages in :mod:`ftmon.tui.older_pages`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker

from ftmon.api.errors import FtmonApiError
from ftmon.api.models import FineTuningJob, normalise_status
from ftmon.api.status_rules import provider_rules
from ftmon.config import Settings
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
from ftmon.monitor.engine import Fetched, Monitor
from ftmon.monitor.health import Health
from ftmon.monitor.series import MetricSeries
from ftmon.present.doctor import flag_check, job_diagnosis, list_mark
from ftmon.present.fields import checkpoint_rows, job_fields, status_text
from ftmon.present.keep import KeepAdvice, keep_advice
from ftmon.present.rows import JobRow, job_row
from ftmon.text import one_line
from ftmon.tui.bindings import MAIN_BINDINGS
from ftmon.tui.job_actions import JobActions
from ftmon.tui.main_keys import MainKeys
from ftmon.tui.messages import Notice, message_log, say
from ftmon.tui.older_pages import OlderPages
from ftmon.tui.screens.event_detail import EventDetailScreen
from ftmon.tui.widgets.checkpoints import CheckpointTable
from ftmon.tui.widgets.chrome import TAB_NAMES, HeaderBar, Pulse, StatusLine, TabStrip
from ftmon.tui.widgets.event_log import EventLog
from ftmon.tui.widgets.hint_footer import HintFooter
from ftmon.tui.widgets.job_list import JobList, JobListHeader
from ftmon.tui.widgets.metrics import MetricsView
from ftmon.tui.widgets.overview import JobOverview
from ftmon.tui.worker_errors import report_failure

#: The smallest terminal that gets four panes side by side.
WIDE_SIZE = (120, 36)
#: How often ages and ETAs are recomputed; a row is repainted only when its text changed.
AGE_REFRESH = 30.0
#: How long the cursor must rest on a job before it is fetched in full and its panes drawn.
SELECT_DELAY = 0.15
#: How long a refusal ("read-only: cancel is off", an action the API refused) stays on the status
#: line.
FLASH_SECONDS = 4.0
ACTION_FAILED_SECONDS = 12.0
#: How long a job that just finished stays marked in the list.
RECENT_SECONDS = 600.0

#: Called with a finished job's title and body: a desktop notification through the terminal.
DesktopNotify = Callable[[str, str], None]


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


class EngineUpdate(Message):
    """One batch of changes from the engine, delivered on the screen's message queue."""

    def __init__(self, changes: list[Change]) -> None:
        super().__init__()
        self.changes = changes


class MainScreen(MainKeys, OlderPages, JobActions):
    """Job list, detail, event log, metrics and checkpoints of one API endpoint."""

    BINDINGS: ClassVar[list[BindingType]] = list(MAIN_BINDINGS)

    def __init__(
        self,
        monitor: Monitor,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        job_id: str | None = None,
        age_refresh: float = AGE_REFRESH,
        select_delay: float = SELECT_DELAY,
        desktop_notify: DesktopNotify | None = None,
    ) -> None:
        super().__init__(id="_default")
        self.monitor = monitor
        self.settings = settings
        self.clock = clock
        self.read_only = settings.read_only
        self.age_refresh = age_refresh
        self.select_delay = select_delay
        self.desktop_notify = desktop_notify
        self.rules = provider_rules(settings)
        self.create_draft = None
        self.pending_job = job_id
        self.selected_id: str | None = None
        self.layout_name = ""
        self.shown_tab = TAB_NAMES[0]
        self.announced: list[str] = []
        #: The advice on the shown job's checkpoints (which to keep), if it has any.
        self.keep: KeepAdvice | None = None
        self._select_timer: Timer | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_notices: Callable[[], None] | None = None

    # -- building --------------------------------------------------------------------------------

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
        yield StatusLine(self.clock, probe=self.monitor, pulse=self._set_pulse, id="status")
        yield HintFooter(id="footer")

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
        self._apply_layout(self.app.size)
        self.job_list.focus()
        self._unsubscribe = self.monitor.subscribe(self._on_engine_changes)
        log = message_log(self)
        if log is not None:
            self._unsubscribe_notices = log.subscribe(self._show_notice)
        self.status_line.set_health(self.monitor.health)
        # The client's retries within a poll reach the status line as they happen, and the
        # header's pulse moves as each fetch ends (with the poll's own repaint, not a tick later).
        self._chain_retry_hook()
        self._chain_fetch_hook()
        if self.pending_job:
            self.overview.show_message(f"opening {one_line(self.pending_job)}…")
            self.monitor.select(self.pending_job)
        if self.age_refresh > 0:
            self.set_interval(self.age_refresh, self._refresh_ages, name="ages")
        # The app starts the engine as it mounts, so the first poll runs while this screen is
        # built; what it found before the subscription above is drawn now, nothing is lost.
        if self.monitor.jobs():
            self._on_engine_changes([JobsChanged(tuple(self.monitor.jobs()), added=True)])

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._unsubscribe_notices is not None:
            self._unsubscribe_notices()
            self._unsubscribe_notices = None

    def _chain_retry_hook(self) -> None:
        client = getattr(self.monitor, "client", None)
        if client is None or not hasattr(client, "on_retry"):
            return
        before = client.on_retry

        def on_retry(error: FtmonApiError, delay: float, attempt: int) -> None:
            if before is not None:
                before(error, delay, attempt)
            if self._panes_ready():
                self.status_line.note_retry(error, delay, attempt)

        client.on_retry = on_retry

    def _chain_fetch_hook(self) -> None:
        monitor = self.monitor
        if not hasattr(monitor, "on_fetch"):
            return
        before = monitor.on_fetch

        def on_fetch(fetched: Fetched) -> None:
            if before is not None:
                before(fetched)
            if self._panes_ready():
                self.status_line.sync()

        monitor.on_fetch = on_fetch

    def _show_notice(self, notice: Notice) -> None:
        """The newest notice on the status line (it covers nothing and leaves by itself)."""
        if self._panes_ready():
            self.status_line.show_notice(notice)

    def _set_pulse(self, timestamp: float | None) -> None:
        """The header's "updated hh:mm": when the API last answered."""
        try:
            self.query_one("#pulse", Pulse).set_time(timestamp)
        except NoMatches:
            pass

    @on(EventLog.Opened)
    def _on_event_opened(self, event: EventLog.Opened) -> None:
        """The event under the cursor, whole, as the engine keeps it."""
        job_id = event.job_id
        if job_id is None:
            return
        record = next((r for r in self.monitor.events(job_id) if r.dedupe_key == event.key), None)
        if record is None:
            self.flash("that event is no longer held; it is in ftmon events or an export")
            return
        series = self._series(job_id)
        values = series.at(record.step) if series is not None and record.step is not None else None
        self.app.push_screen(EventDetailScreen(record, values))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

    def on_screen_resume(self) -> None:
        # Back from a full screen (create, compare): the footer shows the main keys again.
        if self._panes_ready():
            self._refresh_bindings_if_changed()

    def _panes_ready(self) -> bool:
        """False once the app is closing: a late timer or engine batch finds no panes to draw."""
        try:
            self.query_one("#jobs", JobList)
        except NoMatches:
            return False
        return True

    def flash(self, text: str, seconds: float = FLASH_SECONDS) -> None:
        """A short note (a refusal) on the status line, kept in the notices' history too."""
        if message_log(self) is None:
            if self._panes_ready():
                self.status_line.flash(text, seconds)
            return
        say(self, text, "warning", seconds=seconds)

    # -- the engine's updates ----------------------------------------------------------------------

    def _on_engine_changes(self, changes: list[Change]) -> None:
        """Called by the engine (same event loop): hand the batch to the message queue."""
        self.post_message(EngineUpdate(list(changes)))

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
                    self._show_metrics(change.job_id)
                    touched_selected = True
            elif isinstance(change, CheckpointsChanged):
                if change.job_id == selected:
                    self._show_checkpoints(selected)
            elif isinstance(change, JobFinished):
                self._announce_finished(change.job)
            elif isinstance(change, HealthChanged):
                self.status_line.set_health(change.health)
                self._give_up_pending_job(change.health)
            elif isinstance(change, ActionFailed):
                say(
                    self,
                    f"could not {change.action} {one_line(change.job_id)}: "
                    f"{one_line(change.message)}",
                    "error",
                    seconds=ACTION_FAILED_SECONDS,
                )
        if self.pending_job is not None and self.job_list.select_job(self.pending_job):
            self.pending_job = None
        if touched_events:
            self._update_events_title()
        if selected is not None:
            if touched_selected:
                self._show_overview()
            if self.monitor.is_loaded(selected):
                if not self.event_log.line_count and self.event_log.empty_text != "no events yet":
                    self.event_log.empty_text = "no events yet"
                    self.event_log.refresh()
                # "loading…" in the metrics and checkpoints becomes "none" once the API said so.
                self._show_metrics(selected)
                self._update_checkpoints_title()
        self._refresh_bindings_if_changed()

    def _give_up_pending_job(self, health: Health) -> None:
        """``--job`` named a job the server does not know: say so and show the list instead."""
        job = self.pending_job
        if job is None or health.status_code != 404 or self.monitor.job(job) is not None:
            return
        self.pending_job = None
        say(self, f"No job {one_line(job)} on this server.", "error", title="Job not found")
        self._select(self.job_list.selected_id)
        self.monitor.refresh_now()  # a poll without the unknown job clears its error at once

    def _announce_finished(self, job: FineTuningJob) -> None:
        """Once per job: a notice, its row marked a while, the bell, and a desktop notification
        through the terminal."""
        status = status_text(job.status)
        suffix = one_line(job.display_suffix, width=40)
        body = one_line(job.id) + (f" ({suffix})" if suffix else "")
        severity: SeverityLevel = "information"
        if normalise_status(job.status) == "failed":
            severity = "error"
        elif normalise_status(job.status) == "cancelled":
            severity = "warning"
        self.announced.append(job.id)
        # The same key as the notice of the cancel asked for: one event, one notice.
        say(self, body, severity, title=f"Job {status}", key=f"job:{job.id}")
        self.job_list.mark_recent(job.id, True)
        self.set_timer(RECENT_SECONDS, partial(self.job_list.mark_recent, job.id, False))
        self.app.bell()
        if self.desktop_notify is not None:
            self.desktop_notify(f"ftmon: job {status}", body)

    def _series(self, job_id: str) -> MetricSeries | None:
        """The job's metric series once loaded; asking earlier would make the engine track it."""
        return self.monitor.series(job_id) if self.monitor.is_loaded(job_id) else None

    def _row_for(self, job: FineTuningJob) -> JobRow:
        # The doctor's flag is read with the row: on the engine's changes and the age tick,
        # never on a timer of its own; the row repaints only when its text changes.
        now, series = self.clock(), self._series(job.id)
        flag = ""
        if series is not None:  # loaded: its events are held
            monitor = self.monitor
            found = flag_check(
                job,
                monitor.events(job.id),
                series,
                now,
                self.settings.doctor,
                monitor.events_read_at(job.id),
            )
            flag = list_mark(found)
        # Progress also of a finished job never loaded (the engine reads its newest events once):
        # the words `ftmon jobs` shows for it.
        return job_row(job, self.monitor.progress_series(job.id), now, flag)

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
        self._show_metrics(job_id)
        self._show_checkpoints(job_id)
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
        now, series = self.clock(), self._series(job.id)
        found = None
        if series is not None:
            events, read_at = self.monitor.events(job.id), self.monitor.events_read_at(job.id)
            found = job_diagnosis(job, events, series, now, self.settings.doctor, read_at)
        self.overview.show_fields(job_fields(job, now, series, found))

    def _show_metrics(self, job_id: str | None) -> None:
        """The job's metrics, charted by its method, with the headline number in the title."""
        job = self.monitor.job(job_id) if job_id else None
        method = job.method_type if job is not None else "supervised"
        view = self.metrics_view
        # "no metrics" only once the API said so: until the job is read, it is loading.
        if job is None:
            empty = "no job selected"
        elif job_id is None or not self.monitor.is_loaded(job_id):
            empty = "loading metrics…"
        else:
            empty = "no metrics" if job.is_final else "no metrics yet"
        view.update_series(self._series(job_id) if job_id else None, method=method, empty=empty)
        headline = view.headline
        view.border_title = Content(f"metrics · {headline}" if headline else "metrics")

    def _show_checkpoints(self, job_id: str | None) -> None:
        """The job's checkpoints, the one to keep marked, and the advice in the pane's border."""
        checkpoints = self.monitor.checkpoints(job_id) if job_id else ()
        job = self.monitor.job(job_id) if job_id else None
        advice = None
        if job is not None and checkpoints and job_id is not None:
            advice = keep_advice(job.method_type, checkpoints, self._series(job_id))
        best = advice.best.id if advice is not None and advice.best is not None else None
        self.checkpoint_table.show_rows(checkpoint_rows(tuple(checkpoints), best=best))
        self.keep = advice
        self._update_checkpoints_title()

    def _update_checkpoints_title(self) -> None:
        count = len(self.checkpoint_table.models)
        loaded = self.selected_id is not None and self.monitor.is_loaded(self.selected_id)
        title = f"checkpoints {count}" if count else "checkpoints · none" if loaded else ""
        if not title and self.selected_id is not None:
            title = "checkpoints · loading…"
        advice = self.keep
        if count and advice is not None and advice.best is not None:
            title += f" · keep step {advice.best.step_number:,}"
        self.checkpoint_table.border_title = Content(title or "checkpoints")
        notes: list[str] = []
        if advice is not None and count:
            notes = [n for n in (advice.overfitting, advice.gap) if n]
            if advice.best is not None:
                notes.append(f"best: {advice.rule}")
        self.checkpoint_table.border_subtitle = Content(" · ".join(notes))

    # -- layout and tabs ---------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
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
        focused = self.focused
        if focused is not None and not _displayed(focused):
            self.job_list.focus()

    def _set_tab(self, name: str) -> None:
        body = self.query_one("#body")
        body.set_class(False, f"-tab-{self.shown_tab}")
        self.shown_tab = name
        body.set_class(True, f"-tab-{name}")
        self.query_one(TabStrip).set_active(name)

    def _tab_widget(self, name: str) -> Widget:
        return {
            "overview": self.overview,
            "events": self.event_log,
            "metrics": self.metrics_view,
            "checkpoints": self.checkpoint_table,
        }[name]

    def _tab_keys(self) -> dict[str, str]:
        keys = {}
        for binding in MAIN_BINDINGS:
            if binding.id and binding.id.startswith("show_"):
                key = self._keys_of(binding).split(",")[0]
                keys[binding.id.removeprefix("show_")] = key
        return keys

    def action_show_tab(self, name: str) -> None:
        if name not in TAB_NAMES:
            return
        self._set_tab(name)
        widget = self._tab_widget(name)
        if not _displayed(widget):
            # On a narrow screen the tab's pane was hidden: apply the new classes now (Textual
            # would at its next idle) so that it can take focus before the next key of a burst.
            body = self.query_one("#body")
            self.app.stylesheet.update_nodes(body.walk_children(with_self=True), animate=False)
        # Choosing a tab focuses it, at every size (j and k then move in what it shows; tab and
        # shift+tab go back to the list).
        if widget.focusable and _displayed(widget):
            # At once, so that the next key of a burst (2 then enter) already goes there.
            self.set_focus(widget)
        elif widget.can_focus:
            self.call_after_refresh(widget.focus)  # shown by the tab switch, next frame

    # -- the event log from the palette (its own keys do the same while it has focus) ---------

    def action_search_events(self) -> None:
        """Show and focus the event log, then type the query there."""
        self.action_show_tab("events")
        self.set_focus(self.event_log)
        self.event_log.action_search()

    def action_cycle_event_level(self) -> None:
        self.event_log.action_cycle_level()

    def action_follow_events(self) -> None:
        """The newest event, and follow new ones again."""
        self.action_show_tab("events")
        self.event_log.action_last()

    def action_next_pane(self) -> None:
        self.focus_next()

    def action_previous_pane(self) -> None:
        self.focus_previous()
