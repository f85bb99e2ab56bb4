"""A yes/no question in a modal, with the safe answer in focus.

Destructive actions (cancel a paid run, revoke a project's access) are one key away in a monitor
people leave open for days, so the dialog opens on "No": an idle ``enter`` changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ftmon.text import clean


class ConfirmScreen(ModalScreen[bool]):
    """Ask ``question``; dismisses with ``True`` for yes, ``False`` for no, esc or ``n``.

    ``question`` may hold API text (a job id, a suffix): a ``str`` is cleaned and shown as plain
    text, never parsed as markup; a ``Text`` is shown as given.
    """

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > #confirm-dialog {
        width: auto;
        min-width: 40;
        max-width: 90%;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    ConfirmScreen.-danger > #confirm-dialog {
        border: thick $error;
    }
    ConfirmScreen #confirm-question {
        width: auto;
        max-width: 100%;
        height: auto;
        margin-bottom: 1;
    }
    ConfirmScreen #confirm-buttons {
        width: 100%;
        height: auto;
        align-horizontal: right;
    }
    ConfirmScreen #confirm-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", show=True),
        Binding("n", "answer(False)", "No", show=True),
        Binding("escape", "answer(False)", "No", show=False),
        Binding("left", "move(-1)", "Previous button", show=False),
        Binding("right", "move(1)", "Next button", show=False),
    ]

    AUTO_FOCUS = "#no"

    def __init__(
        self,
        question: str | Text,
        *,
        yes_label: str = "Yes",
        no_label: str = "No",
        danger: bool = True,
    ) -> None:
        super().__init__(classes="-danger" if danger else None)
        self._question = (
            question if isinstance(question, Text) else Text(clean(question, multiline=True))
        )
        self._yes_label = yes_label
        self._no_label = no_label
        self._danger = danger
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self._question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(Content(self._no_label), id="no", variant="default")
                yield Button(
                    Content(self._yes_label),
                    id="yes",
                    variant="error" if self._danger else "primary",
                )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Dismiss once: a second key press in the same frame must not pop another screen."""
        if self._answered:
            return
        self._answered = True
        self.dismiss(bool(yes))

    def action_move(self, step: int) -> None:
        if step < 0:
            self.focus_previous()
        else:
            self.focus_next()
