"""``?``: the keys that apply now (as remapped by the user's keymap) and what the glyphs mean.

The glyphs are the status of each job, the mark of a job picked for comparison (``m``) and the
doctor's flags (``!stall``, ``!queue``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ftmon.present.doctor import LIST_MARKS
from ftmon.present.fields import STATUS_STYLE
from ftmon.present.rows import FLAG_STYLE
from ftmon.tui.widgets.job_list import MARK


def help_table(rows: Sequence[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style=Style(bold=True), no_wrap=True)
    table.add_column()
    for keys, description in rows:
        table.add_row(Text(keys), Text(description))
    return table


def legend_table(hide: frozenset[str] = frozenset()) -> Table:
    """The status glyphs, but for the statuses in ``hide`` (another provider's)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    for status, (glyph, colour) in STATUS_STYLE.items():
        if status in hide:
            continue
        table.add_row(Text(glyph, Style(color=colour)), Text(status))
    table.add_row(Text(MARK, Style(bold=True)), Text("marked for comparison (after the glyph)"))
    meaning = {
        "stalled": "no new step for many usual step times (in the eta column)",
        "long queue": "in the queue for longer than the [doctor] limit (in the eta column)",
    }
    for flag, mark in LIST_MARKS.items():
        table.add_row(Text(mark, FLAG_STYLE), Text(meaning[flag]))
    return table


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; any of ``esc``, ``q``, ``?`` closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: auto; max-width: 90%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen Static { width: auto; }
    HelpScreen .title { text-style: bold; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "close", id="close_help"),
    ]

    def __init__(
        self, rows: Sequence[tuple[str, str]], *, hide_statuses: frozenset[str] = frozenset()
    ) -> None:
        super().__init__()
        self.rows = list(rows)
        #: Statuses the provider never sends, left out of the legend.
        self.hide_statuses = hide_statuses

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Keys"), classes="title")
            yield Static(help_table(self.rows))
            yield Static(Text("Status"), classes="title")
            yield Static(legend_table(self.hide_statuses))
            yield Static(Text("ctrl+p opens the command palette with every action."))
        # Its own footer over the main screen's: under help, only help's keys apply.
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)
