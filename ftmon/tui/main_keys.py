"""The main screen's keys: which apply now (the footer, the palette and Textual all ask
:meth:`MainKeys.check_action`), read-only mode saying so, the keys as the user's keymap has them
(for help and hints), the palette's entries, and the filter field that ``/`` opens.

A part of :class:`~ftmon.tui.main_screen.MainScreen` (see :mod:`ftmon.tui.main_base`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual import events, on
from textual.app import SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Input

from ftmon.api.models import normalise_status
from ftmon.api.status_rules import BEFORE_TRAINING
from ftmon.present.fields import AZURE_STATUSES
from ftmon.present.provider import NO_CHECKPOINT_SHARING, delete_refusal
from ftmon.text import one_line
from ftmon.tui.bindings import MAIN_BINDINGS, MOVE_BINDINGS, PAN_BINDINGS, WRITE_ACTIONS
from ftmon.tui.key_help import bound_keys, keys_as_mapped, pane_rows, screen_sections, words
from ftmon.tui.main_base import MainBase
from ftmon.tui.messages import message_log
from ftmon.tui.palette import PALETTE
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.screens.messages import MessagesScreen
from ftmon.tui.screens.models import ModelsScreen
from ftmon.tui.widgets.checkpoints import CheckpointTable
from ftmon.tui.widgets.event_log import EventLog
from ftmon.tui.widgets.job_list import JobList
from ftmon.tui.widgets.metrics import MetricsView
from ftmon.tui.widgets.overview import JobOverview

#: The main screen's panes whose own keys help lists, by the name help gives them.
PANES: tuple[tuple[str, type[Widget]], ...] = (
    ("job list", JobList),
    ("overview", JobOverview),
    ("events", EventLog),
    ("metrics", MetricsView),
    ("checkpoints", CheckpointTable),
)


#: The main screen's actions that still apply while the job filter has the focus.
FILTER_KEEPS = frozenset({"clear_filter", "next_pane", "previous_pane", "help"})


class MainKeys(MainBase):
    """What the main screen's keys do that is not about one job."""

    _bindings_state: tuple[Any, ...] = ()

    # -- which keys apply --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Whether a key of this screen applies now (the palette asks this too)."""
        if action in WRITE_ACTIONS and self.read_only:
            return False
        # Typing in the filter: only its own keys, and help (on f1 there: ? is typed).
        if self._filter_focused() and action not in FILTER_KEEPS:
            return False
        job = self._selected_job()
        if action in ("cancel_job", "pause_job", "resume_job"):
            return job is not None and self._allows(action.removesuffix("_job"), job)
        if action == "delete_job":
            return job is not None and delete_refusal(self.rules, job.status) is None
        if action == "pause_polling":
            return not self.monitor.paused
        if action == "resume_polling":
            return self.monitor.paused
        if action == "clear_filter":
            return bool(self.job_list.query_text) or self._filter_open()
        if action == "permissions":
            if not self.rules.shares_checkpoints:
                return False  # Azure: a press says why (on_key)
            # Whether it has a place in the footer follows from the job's status alone, so no
            # key moves as the job loads: none before training (no checkpoint can exist yet),
            # else offered while the checkpoints load (a quick P says so) and greyed in the same
            # place once they are known to be none.
            if job is None or normalise_status(job.status) in BEFORE_TRAINING:
                return False
            if self.monitor.is_loaded(job.id) and not self.monitor.checkpoints(job.id):
                return None
            return True
        if action in ("copy", "create_like", "export_job", "mark_job"):
            return job is not None
        return True

    def _bindings_signature(self) -> tuple[Any, ...]:
        applies = tuple(
            self.check_action(binding.action.split("(")[0], ())
            for binding in MAIN_BINDINGS
            if binding.show
        )
        return (*applies, self.footer_urgent())

    def footer_urgent(self) -> frozenset[str]:
        """Keys the footer keeps before the others now (:mod:`ftmon.tui.widgets.hint_footer`):
        compare, once two jobs are marked; a new job like this one, on a failed job (what
        comes next is mostly the same run with its file or settings fixed). By status, never by
        what is still loading, so the footer does not change under a job as it loads."""
        try:
            marked = len(self.job_list.marked_ids)
        except NoMatches:  # not composed yet
            return frozenset()
        urgent = {"compare"} if marked >= 2 else set()
        job = self._selected_job()
        if job is not None and normalise_status(job.status) == "failed":
            urgent.add("create_like")
        return frozenset(urgent)

    def _refresh_bindings_if_changed(self) -> None:
        """The footer recomposes on every refresh_bindings(): only when something applies anew."""
        state = self._bindings_signature()
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def on_descendant_focus(self) -> None:
        if self.app.screen_stack:  # not while the app closes
            self._refresh_bindings_if_changed()

    def on_key(self, event: events.Key) -> None:
        """A key of an action that read-only mode or the provider hides says why, instead of
        doing nothing: read-only mode, checkpoint sharing on Azure, a delete refused."""
        if not self.read_only and self.rules.shares_checkpoints and not self.rules.deletes_jobs:
            return  # OpenAI, not read-only: every key that applies runs, the others are none
        active = self.active_bindings.get(event.key)
        if active is not None and active.enabled:
            return
        for binding in MAIN_BINDINGS:
            name = binding.action.split("(")[0]
            if event.key not in bound_keys(self.app, binding):
                continue
            reason = self._hidden_because(name, binding)
            if reason is not None:
                self.flash(reason)
                event.prevent_default()
                return

    def _hidden_because(self, action: str, binding: Binding) -> str | None:
        """Why a key of the screen that does nothing now does nothing, when a person should be
        told (None: it is simply not a key here, as delete is not on OpenAI)."""
        if action == "delete_job" and not self.rules.deletes_jobs:
            return None
        if action in WRITE_ACTIONS and self.read_only:
            return f"read-only: {words(binding)} is off"
        if action == "permissions" and not self.rules.shares_checkpoints:
            return NO_CHECKPOINT_SHARING
        if action == "delete_job":
            job = self._selected_job()
            refusal = delete_refusal(self.rules, job.status) if job is not None else None
            if job is not None and refusal is not None:
                return f"cannot delete {one_line(job.id)}: {refusal}"
        return None

    # -- keys as the user's keymap has them --------------------------------------------------------

    def _keys_of(self, binding: Binding) -> str:
        """The keys of ``binding`` as the user's keymap has them, as help writes them."""
        return keys_as_mapped(self.app, binding)

    def _key_for(self, binding_id: str) -> str:
        """The first key of a binding as the user's keymap has it, for hints."""
        binding = next(b for b in MAIN_BINDINGS if b.id == binding_id)
        return self._keys_of(binding).split(",")[0]

    def help_rows(self) -> list[tuple[str, str]]:
        """Every key, as the user's keymap has it; read-only mode leaves out the write actions."""
        rows: list[tuple[str, str]] = []
        for binding in MOVE_BINDINGS:
            rows.append((self._keys_of(binding), f"move {binding.description}"))
        for binding in PAN_BINDINGS:
            rows.append((self._keys_of(binding), f"events: long lines {binding.description}"))
        first = next(b for b in MOVE_BINDINGS if b.id == "first")
        rows.append((self._keys_of(first), "events: at the top, load older events"))
        last = next(b for b in MOVE_BINDINGS if b.id == "last")
        rows.append((self._keys_of(last), "events: the newest line, and follow new ones again"))
        panes = [b for b in MAIN_BINDINGS if b.id in ("next_pane", "previous_pane")]
        rows.append((", ".join(map(self._keys_of, panes)), "next / previous pane"))
        rows.append(("ctrl+p", "command palette"))
        for binding in MAIN_BINDINGS:
            name = binding.action.split("(")[0]
            if (name in WRITE_ACTIONS and self.read_only) or name.endswith("_pane"):
                continue
            if name == "delete_job" and not self.rules.deletes_jobs:
                continue  # OpenAI deletes no jobs
            rows.append((self._keys_of(binding), self._help_words(name, binding)))
        # The keys of one pane, after the screen's (a short help box shows these last).
        rows += pane_rows(PANES, self._keys_of)
        rows.append(("enter", "models: close the view and show the model's job"))
        if not self.read_only:
            rows.append(("D", "models: delete the model (asks first)"))
        return rows

    def help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The keys of every other screen (permissions, compare, the form...), as remapped."""
        return screen_sections(self._keys_of)

    def _help_words(self, action: str, binding: Binding) -> str:
        """A key's words in help: the provider's limits said where they apply."""
        if action == "permissions" and not self.rules.shares_checkpoints:
            return f"{words(binding)} (OpenAI only: {self.rules.label} shares no checkpoints)"
        if action == "delete_job":
            return f"delete a finished job ({self.rules.label}; asks first)"
        return words(binding)

    def palette_commands(self) -> Iterator[SystemCommand]:
        """This screen's entries of the command palette: those that apply now."""
        for action, title, help_text, params in PALETTE:
            if self.check_action(action, params):
                yield SystemCommand(title, help_text, partial(self._run_command, action, params))
        jobs = self.job_list
        yield SystemCommand("Next job", "Move down the job list", partial(jobs.action_move, 1))
        yield SystemCommand("Previous job", "Move up the job list", partial(jobs.action_move, -1))
        yield SystemCommand("Newest job", "The top of the job list", jobs.action_first)
        yield SystemCommand("Oldest job", "The bottom of the job list", jobs.action_last)

    def _run_command(self, action: str, params: tuple[object, ...]) -> None:
        getattr(self, f"action_{action}")(*params)

    # -- plain actions -----------------------------------------------------------------------------

    def action_quit(self) -> None:
        self.app.exit(0)

    def action_models(self) -> None:
        """The models view; ``enter`` there comes back with a job to show."""
        client = self.monitor.client
        archive = client.settings.base_url.startswith("file:")
        screen = ModelsScreen(
            client,
            read_only=self.read_only,
            archive=archive,
            shares_checkpoints=self.rules.shares_checkpoints,
        )
        self.app.push_screen(screen, self._show_model_job)

    def _show_model_job(self, job_id: str | None) -> None:
        """The cursor on ``job_id``: at once when the list shows it, else once it is read."""
        if not job_id or not self._panes_ready():
            return
        if self.job_list.query_text and job_id not in self.job_list.visible_ids:
            self.action_clear_filter()  # the filter hides it
        self._focus_now(self.job_list)
        if self.job_list.select_job(job_id):
            return
        # Older than the pages loaded: like --job, the engine reads it and the list gains it.
        self.pending_job = job_id
        self.overview.show_message(f"opening {one_line(job_id)}…")
        self.flash(f"{one_line(job_id)} is not among the jobs loaded: reading it")
        self.monitor.select(job_id)

    def action_help(self) -> None:
        hide = frozenset() if self.rules.provider == "azure" else AZURE_STATUSES
        help_screen = HelpScreen(self.help_rows(), self.help_sections(), hide_statuses=hide)
        self.app.push_screen(help_screen)

    def action_messages(self) -> None:
        """The notices so far, newest first, with their times (the status line shows each once)."""
        log = message_log(self)
        self.app.push_screen(MessagesScreen(log.notices if log is not None else ()))

    def action_sort_jobs(self) -> None:
        """The job list's next order (created, status, progress, ETA); its header marks it
        (no note on the status line: it would cover one that matters, typed-ahead keys too)."""
        self.job_list.cycle_sort()

    def action_next_series(self) -> None:
        """The metrics tab's next series (its own ``s``), from anywhere on the screen."""
        self.query_one(MetricsView).action_next_series()

    def action_refresh(self) -> None:
        self.monitor.refresh_now()

    def action_pause_polling(self) -> None:
        self.monitor.set_paused(True)
        self._refresh_bindings_if_changed()

    def action_resume_polling(self) -> None:
        self.monitor.set_paused(False)
        self._refresh_bindings_if_changed()

    # -- the filter --------------------------------------------------------------------------------

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
        self.set_focus(widget)

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
