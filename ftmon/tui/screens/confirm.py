"""A yes/no question in a modal, with the safe answer in focus.

Destructive actions (cancel a paid run, revoke a project's access) are one key away in a monitor
people leave open for days, so the dialog opens on "No": an idle ``enter`` changes nothing. The
action happens only on ``enter`` (or a click) on its own button: no letter answers, since every
letter means something on the screen beneath (``y`` copies, ``n`` starts a new job). Keys typed
before the dialog was on show (a burst that opened it) are dropped, never taken as the answer
(:mod:`ftmon.tui.keygate`). The dialog's own footer lists its own keys only.
"""

from __future__ import annotations

from dataclasses import replace
from time import monotonic
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from ftmon.text import clean


class ConfirmScreen(ModalScreen[bool]):
    """Ask ``question``; dismisses with ``True`` for the action's button, ``False`` for the
    other one or esc.

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
        Binding("escape", "answer(False)", "no", id="confirm.no"),
        Binding("left", "move(-1)", "choose", key_display="←→", id="confirm.left"),
        Binding("right", "move(1)", "choose", show=False, id="confirm.right"),
        # Priority, so that the footer shows it over the focused button's own (hidden) enter.
        Binding("enter", "press_focused", "answer", priority=True, id="confirm.press"),
    ]

    AUTO_FOCUS = "#no"
    #: Keys typed before the dialog showed never answer it (:mod:`ftmon.tui.keygate`).
    drops_typed_ahead = True

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
        #: When the dialog was first drawn (monotonic); keys typed before it are dropped.
        self.shown_at: float | None = None
        # The footer says what esc keeps ("esc keep it running"), not a bare "no".
        escape = self._bindings.key_to_bindings.get("escape", [])
        self._bindings.key_to_bindings["escape"] = [
            replace(b, description=no_label.lower()) if b.action == "answer(False)" else b
            for b in escape
        ]

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
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.call_after_refresh(self._mark_shown)

    def _mark_shown(self) -> None:
        self.shown_at = monotonic()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Dismiss once: a second key press in the same frame must not pop another screen."""
        if self._answered:
            return
        self._answered = True
        self.dismiss(bool(yes))

    def action_press_focused(self) -> None:
        """``enter`` answers with the button in focus ("no" unless the user moved to "yes")."""
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()

    def action_move(self, step: int) -> None:
        if step < 0:
            self.focus_previous()
        else:
            self.focus_next()
