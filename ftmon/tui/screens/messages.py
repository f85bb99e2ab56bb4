"""``H``: the session's notices with their times, newest first, to read again what went by.

The notices are clean one-line texts already (:mod:`ftmon.tui.messages`); they are drawn as
plain ``Text``, never markup. The severity is a word as well as a colour, so it reads without
colour too.
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
from textual.widgets import Static

from ftmon.text import local_time
from ftmon.tui.bindings import HELP_BINDING
from ftmon.tui.key_help import open_help
from ftmon.tui.messages import Notice
from ftmon.tui.widgets.hint_footer import HintFooter

#: How each severity reads in the history: a word and its colour.
SEVERITY_WORDS: dict[str, tuple[str, str]] = {
    "information": ("info", "cyan"),
    "warning": ("warn", "yellow"),
    "error": ("error", "red"),
}


def notices_table(notices: Sequence[Notice]) -> Table | Text:
    """Newest first: ``14:03:07  info  Job succeeded: ftjob-… (suffix)``."""
    if not notices:
        return Text("No notices yet.", Style(italic=True))
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for notice in reversed(notices):
        word, colour = SEVERITY_WORDS.get(notice.severity, ("info", "cyan"))
        line = Text()
        if notice.title:
            line.append(notice.title, Style(bold=True))
            if notice.text:
                line.append(": ")
        line.append(notice.text)
        table.add_row(Text(local_time(notice.at)[11:]), Text(word, Style(color=colour)), line)
    return table


class MessagesScreen(ModalScreen[None]):
    """A modal list of the session's notices; ``esc``, ``q`` or ``H`` closes it."""

    DEFAULT_CSS = """
    MessagesScreen { align: center middle; }
    MessagesScreen > VerticalScroll {
        width: 90%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    MessagesScreen Static { width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,H", "close", "close", id="close_messages"),
        Binding("j,down", "scroll(1)", "down", show=False),
        Binding("k,up", "scroll(-1)", "up", show=False),
        HELP_BINDING,
    ]

    def __init__(self, notices: Sequence[Notice]) -> None:
        super().__init__()
        self.notices = tuple(notices)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "notices, newest first"
            scroll.can_focus = True
            yield Static(notices_table(self.notices))
        yield HintFooter()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_scroll(self, step: int) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.scroll_to(y=scroll.scroll_y + step, animate=False, immediate=True)

    def action_help(self) -> None:
        open_help(self)

    def action_close(self) -> None:
        self.dismiss(None)
