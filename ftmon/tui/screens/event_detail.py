"""``enter`` on an event: the whole event, its ``data`` too (moderation checks, grader errors).

Everything shown is API text and goes through the one sanitiser line by line; the data is laid
out as indented JSON. A metrics event's numbers were not kept with it (they are the job's
series): its detail shows the series' values at its step instead, one name and number a line
(``ftmon events --json`` has the data as sent).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

from ftmon.monitor.records import EventRecord
from ftmon.text import clean, one_line
from ftmon.tui.bindings import HELP_BINDING
from ftmon.tui.key_help import open_help
from ftmon.tui.widgets.event_log import event_stamp
from ftmon.tui.widgets.hint_footer import HintFooter
from ftmon.tui.widgets.scrolling import KeyScroll

#: The most lines of data shown (the data kept is already capped in size).
MAX_LINES = 400


def detail_text(record: EventRecord, step_values: dict[str, float] | None) -> Text:
    """The event as lines of plain, cleaned text."""
    text = Text()
    rows = [
        ("time", event_stamp(record.created_at)),
        ("level", one_line(record.level) or "info"),
        ("type", one_line(record.type) or "—"),
        ("id", one_line(record.id) or "—"),
    ]
    if record.step is not None:
        rows.append(("step", str(record.step)))
    for name, value in rows:
        text.append(f"{name:<8}", style="bold")
        text.append(f"{value}\n")
    text.append("\n")
    text.append(clean(record.message or "") + "\n")
    data: Any = record.data
    if data is None and step_values:
        # Not the data as sent (``ftmon events --json`` has that): the job's series here.
        text.append("\nmetrics at this step\n", style="bold")
        # The number first, in a fixed column: a long name wraps on its own at any width.
        for series_name, number in list(step_values.items())[:MAX_LINES]:
            text.append(f"{number:<14.10g}  {one_line(series_name, width=200)}\n")
    elif data:
        text.append("\ndata\n", style="bold")
        lines = json.dumps(data, indent=2, ensure_ascii=False, default=str).splitlines()
        for line in lines[:MAX_LINES]:
            text.append(one_line(line, width=500) + "\n")
        if len(lines) > MAX_LINES:
            text.append(f"… {len(lines) - MAX_LINES:,} more lines\n", style="dim")
    return text


class EventDetailScreen(ModalScreen[None]):
    """One event, whole; ``esc`` closes."""

    DEFAULT_CSS = """
    EventDetailScreen { align: center middle; }
    EventDetailScreen > VerticalScroll {
        width: 90%;
        max-width: 120;
        height: 80%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "close", id="event_detail.close"),
        Binding("q", "dismiss", "close", show=False),
        HELP_BINDING,
    ]

    def __init__(self, record: EventRecord, step_values: dict[str, float] | None = None) -> None:
        super().__init__()
        self.record = record
        self.text = detail_text(record, step_values)

    def compose(self) -> ComposeResult:
        with KeyScroll() as box:  # j/k, g/G scroll it as in every list
            box.border_title = "event"
            yield Static(self.text, markup=False)
        yield HintFooter()

    def action_help(self) -> None:
        open_help(self)
