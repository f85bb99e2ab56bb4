"""``?``: every key of every screen (as remapped by the user's keymap) and what the glyphs mean.

The main screen's keys come first (those that apply: read-only mode leaves out the write
actions), then its panes' own, then each other screen's (:mod:`ftmon.tui.key_help`).

The glyphs are the status of each job, the mark of a job picked for comparison (``m``) and the
doctor's flags (``!stall``, ``!queue``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ftmon.present.doctor import LIST_MARKS
from ftmon.present.fields import STATUS_STYLE
from ftmon.present.rows import FLAG_STYLE, SORT_MARK
from ftmon.tui.widgets.job_list import MARK
from ftmon.tui.widgets.scrolling import KeyScroll

#: The widest the keys' column gets (a longer remapped list of keys wraps).
KEY_WIDTH = 20
#: The status legend's widest line; the help box's border, padding and scroll bar (2 each).
LEGEND_WIDTH = 72
CHROME = 6


def help_table(
    rows: Sequence[tuple[str, str]], *, key_width: int | None = None, width: int | None = None
) -> Table:
    """Keys and their words; the keys ``key_width`` wide (so that sections line up), the
    words wrapped to keep the table within ``width`` cells."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style=Style(bold=True), no_wrap=True, min_width=key_width)
    words_width = None if width is None else max(20, width - (key_width or 0) - 2)
    table.add_column(max_width=words_width)
    for keys, description in rows:
        table.add_row(Text(keys), Text(description))
    return table


def legend_table(hide: frozenset[str] = frozenset(), *, width: int | None = None) -> Table:
    """The status glyphs, but for the statuses in ``hide`` (another provider's); the words
    wrapped to keep the table within ``width`` cells."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(max_width=None if width is None else max(20, width - 8))
    for status, (glyph, colour) in STATUS_STYLE.items():
        if status in hide:
            continue
        table.add_row(Text(glyph, Style(color=colour)), Text(status))
    table.add_row(Text(MARK, Style(bold=True)), Text("marked for comparison (after the glyph)"))
    table.add_row(Text(SORT_MARK), Text("the job list is sorted by this column"))
    table.add_row(Text("…"), Text("cut: an id or a name loses its middle, never its end"))
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
        Binding("escape,q,question_mark,f1", "close", "close", id="close_help"),
    ]

    def __init__(
        self,
        rows: Sequence[tuple[str, str]],
        sections: Sequence[tuple[str, Sequence[tuple[str, str]]]] = (),
        *,
        hide_statuses: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.rows = list(rows)
        #: The other screens' keys: (title, rows) each.
        self.sections = list(sections)
        #: Statuses the provider never sends, left out of the legend.
        self.hide_statuses = hide_statuses

    def compose(self) -> ComposeResult:
        every = [*self.rows, *(row for _, rows in self.sections for row in rows)]
        key_width = min(KEY_WIDTH, max((cell_len(keys) for keys, _ in every), default=1))
        # As wide as the longest line, up to 90 % of the screen (Textual's auto width of a
        # scrolling box follows its last child, not its widest); the words wrap to fit.
        longest = max((cell_len(words) for _, words in every), default=0)
        natural = max(key_width + 2 + longest, LEGEND_WIDTH)
        box_width = min(int(self.app.size.width * 0.9), natural + CHROME)
        width = box_width - CHROME
        with KeyScroll() as box:  # j/k, g/G scroll it as in every list
            box.styles.width = box_width
            yield Static(Text("Keys of the main screen and its panes"), classes="title")
            yield Static(help_table(self.rows, key_width=key_width, width=width))
            for title, rows in self.sections:
                yield Static(Text(title), classes="title")
                yield Static(help_table(rows, key_width=key_width, width=width))
            yield Static(Text("Status"), classes="title")
            yield Static(legend_table(self.hide_statuses, width=width))
            yield Static(Text("ctrl+p opens the command palette with every action."))
        # Its own footer over the main screen's: under help, only help's keys apply.
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)
