"""The overview of the selected job: every field in plain words, from ``ftmon.present``.

The same :func:`~ftmon.present.job_fields` feeds ``ftmon show``, so the screen and the headless
command never disagree. Values are already cleaned there and reach the screen as ``Text``; the
widget repaints only when the fields actually differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from ftmon.present.fields import Field
from ftmon.tui.bindings import MOVE_BINDINGS


def fields_table(fields: Sequence[Field]) -> Table:
    """Labels on the left, values (wrapped) on the right."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, style=Style(dim=True))
    table.add_column(ratio=1, overflow="fold")
    for item in fields:
        style = Style.parse(item.style) if item.style else Style()
        table.add_row(Text(item.label), Text(item.value, style=style))
    return table


ERROR_LABELS = ("error code", "error", "error param")


def error_first(fields: Sequence[Field]) -> list[Field]:
    """The same fields with the error (if any) moved up under the status line.

    A failed job's error is what a person opens it for; in a short pane it must not be below
    the fold. Only the order differs from ``ftmon show``.
    """
    errors = [f for f in fields if f.label in ERROR_LABELS]
    if not errors:
        return list(fields)
    rest = [f for f in fields if f.label not in ERROR_LABELS]
    return rest[:1] + errors + rest[1:]


def fields_plain(fields: Sequence[Field]) -> str:
    """The fields as lines of text (for tests and the copy action)."""
    width = max((len(f.label) for f in fields), default=0)
    return "\n".join(f"{f.label:<{width}} {f.value}" for f in fields)


class JobOverview(VerticalScroll, can_focus=True):
    """A scrollable list of the job's fields."""

    BINDINGS: ClassVar[list[BindingType]] = list(MOVE_BINDINGS)
    DEFAULT_CSS = """
    JobOverview { scrollbar-size-vertical: 1; }
    JobOverview > Static { width: 1fr; }
    JobOverview > .-placeholder { color: $text-muted; text-style: italic; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fields: tuple[Field, ...] = ()
        self.message = "no job selected"
        self._body = Static(Text(self.message), classes="-placeholder")

    def compose(self) -> ComposeResult:
        yield self._body

    @property
    def plain(self) -> str:
        return fields_plain(self.fields) if self.fields else self.message

    def show_fields(self, fields: Sequence[Field]) -> bool:
        """Show these fields; False (and no repaint) when nothing differs."""
        fields = tuple(error_first(fields))
        if fields == self.fields:
            return False
        self.fields = fields
        self._body.set_class(False, "-placeholder")
        self._body.update(fields_table(fields))
        return True

    def show_message(self, message: str) -> None:
        """A placeholder (no job selected, loading…), never API text."""
        if not self.fields and message == self.message:
            return
        self.fields = ()
        self.message = message
        self._body.set_class(True, "-placeholder")
        self._body.update(Text(message))

    def action_move(self, step: int) -> None:
        self.scroll_to(y=self.scroll_y + step, animate=False)

    def action_page(self, direction: int) -> None:
        self.scroll_to(y=self.scroll_y + direction * max(1, self.size.height), animate=False)

    def action_first(self) -> None:
        self.scroll_home(animate=False)

    def action_last(self) -> None:
        self.scroll_end(animate=False)
