"""ConfirmScreen: the safe answer is in focus, keys answer, API text is never markup."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Button, Static

from ftmon.tui.screens.confirm import ConfirmScreen


class Host(App[None]):
    """A tiny app that asks one question on mount and records the answers."""

    def __init__(self, question: str | Text = "Cancel job ftjob-abc?", **kwargs: object) -> None:
        super().__init__()
        self.question = question
        self.kwargs = kwargs
        self.answers: list[bool | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(ConfirmScreen(self.question, **self.kwargs), self.answers.append)


async def _open(app: Host, pilot) -> ConfirmScreen:
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return screen


async def test_no_is_focused_and_enter_answers_no() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = await _open(app, pilot)
        assert isinstance(screen.focused, Button) and screen.focused.id == "no"
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == [False]
        assert not isinstance(app.screen, ConfirmScreen)


async def test_no_letter_answers_only_enter_on_a_button() -> None:
    """``y`` copies and ``n`` starts a job on the screen beneath: in the dialog they do nothing."""
    app = Host()
    async with app.run_test() as pilot:
        screen = await _open(app, pilot)
        await pilot.press("y", "n", "Y", "N", "space", "q")
        await pilot.pause()
        assert app.answers == []
        assert app.screen is screen
        await pilot.press("right", "enter")
        await pilot.pause()
        assert app.answers == [True]


async def test_escape_answers_no() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await _open(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.answers == [False]


async def test_footer_lists_the_dialogs_keys_only() -> None:
    app = Host(no_label="Keep it paused")
    async with app.run_test() as pilot:
        screen = await _open(app, pilot)
        shown = {
            key: active.binding.description
            for key, active in screen.active_bindings.items()
            if active.binding.show
        }
        assert shown == {"enter": "answer", "escape": "keep it paused", "left": "choose"}


async def test_arrows_move_between_buttons_and_enter_presses_focused() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = await _open(app, pilot)
        await pilot.press("right")
        assert screen.focused is not None and screen.focused.id == "yes"
        await pilot.press("left")
        assert screen.focused is not None and screen.focused.id == "no"
        await pilot.press("tab")
        assert screen.focused is not None and screen.focused.id == "yes"
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == [True]


async def test_two_answers_in_one_frame_dismiss_once() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = await _open(app, pilot)
        host_screen = app.screen_stack[0]
        # Two keys handled before the screen is gone (a key repeat over a slow link).
        screen.action_answer(True)
        screen.action_answer(False)
        await pilot.pause()
        assert app.answers == [True]
        assert app.screen is host_screen


async def test_markup_in_question_is_shown_as_typed() -> None:
    question = "Cancel ftjob-1 (suffix [/bold][@click=app.quit]x[/])?"
    app = Host(question, yes_label="Cancel [b]job[/b]")
    async with app.run_test(size=(100, 20)) as pilot:
        screen = await _open(app, pilot)
        assert str(screen.query_one("#confirm-question", Static).render()) == question
        assert str(screen.query_one("#yes", Button).label) == "Cancel [b]job[/b]"
        assert app.is_running


async def test_control_characters_are_removed_from_a_str_question() -> None:
    app = Host("Delete \x1b]52;c;ZXZpbA==\x07perm-1?")
    async with app.run_test() as pilot:
        screen = await _open(app, pilot)
        shown = str(screen.query_one("#confirm-question", Static).render())
        assert "\x1b" not in shown and "\x07" not in shown
        assert shown.startswith("Delete ") and shown.endswith("perm-1?")


async def test_text_question_keeps_its_styles() -> None:
    question = Text.assemble("Cancel ", ("ftjob-9", "bold"), "?")
    app = Host(question, danger=False)
    async with app.run_test() as pilot:
        screen = await _open(app, pilot)
        assert str(screen.query_one("#confirm-question", Static).render()) == "Cancel ftjob-9?"
        assert screen.query_one("#yes", Button).variant == "primary"
