"""What the parts of the main screen share: its state and the few methods each part reads.

:class:`~ftmon.tui.main_screen.MainScreen` is built from parts, each a class of its own module:
the job actions (:mod:`ftmon.tui.job_actions`), the other keys and the filter
(:mod:`ftmon.tui.main_keys`), the reading of older pages (:mod:`ftmon.tui.older_pages`) and the
screen itself. This base declares, once, what they read of
one another, so that each part type-checks alone; the screen provides the real thing.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from ftmon.api.models import FineTuningJob
from ftmon.api.status_rules import StatusRules
from ftmon.create.request import CreateInput
from ftmon.monitor.engine import Monitor
from ftmon.monitor.series import MetricSeries
from ftmon.tui.widgets.checkpoints import CheckpointTable
from ftmon.tui.widgets.event_log import EventLog
from ftmon.tui.widgets.job_list import JobList
from ftmon.tui.widgets.overview import JobOverview


class MainBase(Screen[None]):
    """The main screen's shared state, and the methods its parts call on one another."""

    #: The focused widget. Textual 8.2.8 declares ``Screen.focused`` a ``Reactive(None)`` that
    #: repaints the whole screen whenever the focus moves (a pane switched, the terminal's focus
    #: gone or back): a full frame (5.6-7.4 KB at 80x24) over SSH. What a focus move shows is
    #: repainted already: the widgets that gain and lose the focus refresh themselves, and the
    #: ``:focus``/``:focus-within`` restyle refreshes what it changes. tests/tui/test_app_focus.py
    #: fails if Textual's declaration changes (then this line may be stale).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    monitor: Monitor
    read_only: bool
    #: What the provider's API accepts for each status (one table for every front end).
    rules: StatusRules
    #: What was typed in a create form that was closed unsent: ``n`` reopens it.
    create_draft: CreateInput | None
    #: A job to put the cursor on once the list has it (``--job``, a job just created).
    pending_job: str | None
    #: The job the panes show (the cursor may have moved on, see ``_selected_job``).
    selected_id: str | None

    @property
    def job_list(self) -> JobList:
        raise NotImplementedError

    @property
    def overview(self) -> JobOverview:
        raise NotImplementedError

    @property
    def event_log(self) -> EventLog:
        raise NotImplementedError

    @property
    def checkpoint_table(self) -> CheckpointTable:
        raise NotImplementedError

    def _selected_job(self) -> FineTuningJob | None:
        raise NotImplementedError

    def _series(self, job_id: str) -> MetricSeries | None:
        raise NotImplementedError

    def _panes_ready(self) -> bool:
        raise NotImplementedError

    def flash(self, text: str, seconds: float = 4.0) -> None:
        raise NotImplementedError

    def action_clear_filter(self) -> None:
        raise NotImplementedError

    def _update_jobs_title(self) -> None:
        raise NotImplementedError

    def _update_events_title(self) -> None:
        raise NotImplementedError

    def _search_older(self) -> None:
        raise NotImplementedError

    def _allows(self, action: str, job: FineTuningJob) -> bool:
        raise NotImplementedError

    def _refresh_bindings_if_changed(self) -> None:
        raise NotImplementedError

    def _keys_of(self, binding: Binding) -> str:
        raise NotImplementedError

    def _key_for(self, binding_id: str) -> str:
        raise NotImplementedError
