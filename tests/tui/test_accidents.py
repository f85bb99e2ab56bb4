"""Nothing happens by accident: typed-ahead keys, dialogs, forms, refused and read-only actions.

The pty tests (``tests/e2e/test_bursts.py``) write bursts to a real terminal; these post a burst
of key events in one go, as Textual's input thread does with one read, and look at the app.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.dialogs import confirm, wait_shown
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input
from tuikit import build_app, footer_text, job_id, new_world, open_job, screen_text, settle

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.keygate import typed_before_shown
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.create import CreateJobScreen

WIDE = (120, 36)
CHANGES = ("POST", "DELETE")


def changes(world: SimWorld) -> dict[str, int]:
    routes: dict[str, int] = world.stats.snapshot()["routes"]
    return {r: n for r, n in routes.items() if r.split(" ", 1)[0] in CHANGES}


def key_event(char: str) -> events.Key:
    if char == "→":
        return events.Key("right", None)
    names = {"\t": "tab", "\r": "enter", "\x1b": "escape", "\x15": "ctrl+u"}
    if char in names:
        return events.Key(names[char], char)
    return events.Key(char if char.isalnum() else _character_to_key(char), char)


async def burst(pilot: Any, keys: str) -> None:
    """``keys`` posted at once (one read of a terminal), then wait until all are handled."""
    app: FtmonApp = pilot.app
    for char in keys:
        app.post_message(key_event(char))
    for _ in range(500):
        await pilot.pause(0.01)
        if not app.key_gate.busy and app._message_queue.empty():
            break
    await pilot.pause()


@pytest.fixture
def world() -> SimWorld:
    return new_world()


async def test_slash_then_main_screen_keys_type_into_the_filter(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await burst(pilot, "/policy")
        assert app.query_one("#filter", Input).value == "policy"
        assert app.screen is app.screen_stack[0]
        await burst(pilot, "\x15\r/cyzqe")
        assert app.query_one("#filter", Input).value == "cyzqe"
        assert app.is_running and app.screen is app.screen_stack[0]
    assert changes(world) == {}
    assert world.get_job(job)["status"] == "running"


async def test_a_dialog_drops_the_keys_of_the_burst_that_opened_it(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await burst(pilot, "cy→\r")  # c, y, right, enter: all typed before the dialog showed
        assert isinstance(app.screen, ConfirmScreen)
        assert app.key_gate.dropped == 3
        await confirm(pilot)  # read, then answered
        await settle(pilot)
    assert list(changes(world)) == ["POST /v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel"]


def test_typed_before_shown_is_judged_by_the_key_s_own_time() -> None:
    screen = ConfirmScreen("Cancel?")
    key = events.Key("enter", "\r")
    assert typed_before_shown(screen, key)  # not shown yet
    screen.shown_at = key.time + 0.001
    assert typed_before_shown(screen, key)
    screen.shown_at = key.time - 0.001
    assert not typed_before_shown(screen, key)
    assert not typed_before_shown(object(), key)  # other screens take every key


async def test_dialogs_name_the_job_its_state_and_the_consequence(world: SimWorld) -> None:
    app = build_app(world)
    paused = job_id(world, "contracts")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, paused)
        for key, title, keep in (("c", "Cancel job", "Keep it paused"), ("z", "Resume job", "")):
            await pilot.press(key)
            dialog = await wait_shown(pilot)
            text = screen_text(app)
            assert f"{title} {paused} (contracts), now paused?" in text
            assert ("cannot be resumed" if key == "c" else "continues from where it paused") in text
            if keep:
                assert keep in text
            # The footer is the dialog's own: none of the main screen's keys.
            footer = footer_text(app)
            assert "answer" in footer and "choose" in footer
            assert "copy" not in footer and "filter" not in footer and "cancel" not in footer
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is not dialog
    assert changes(world) == {}


@pytest.mark.parametrize("key", ["intent-classifier", "legal-summarizer", "translator-de"])
async def test_pause_is_offered_only_for_a_running_job(world: SimWorld, key: str) -> None:
    """OpenAI refuses to pause a job that is validating, queued or already pausing (400)."""
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, key))
        assert "pause job" not in footer_text(app)
        assert not app.main.check_action("pause_job", ())
        await pilot.press("z")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        await open_job(pilot, job_id(world, "catalog-long"))
        assert "pause job" in footer_text(app)
    assert changes(world) == {}


async def test_a_refused_action_is_said_on_the_status_line(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("z")
        await wait_shown(pilot)
        world.pause_job(job)  # someone else paused it meanwhile: the API now refuses
        await confirm(pilot)
        await settle(pilot)
        assert app.main.status_line.text.startswith(f"could not pause {job}: ")
        assert "Cannot pause" in app.main.status_line.text
        assert not app._notifications  # no stack of toasts


async def test_read_only_says_which_action_is_off(world: SimWorld) -> None:
    app = build_app(world, read_only=True)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "catalog-long"))
        for key, action in (("c", "cancel"), ("z", "pause job"), ("n", "new job"), ("N", "new")):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.screen_stack[0]
            assert app.main.status_line.text.startswith(f"read-only: {action}"), (
                app.main.status_line.text
            )
            assert app.main.status_line.text in screen_text(app)
        # y still copies: a key that works says nothing of read-only.
        app.main.status_line._clear_note()
        await pilot.press("y")
        assert not app.main.status_line.text.startswith("read-only")
    assert changes(world) == {}


async def test_the_form_keeps_what_was_typed(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        # n opens the form; the keys after it fill it in order, tab moving between fields.
        await burst(pilot, "ngpt-x\tfile-abc")
        form = app.screen
        assert isinstance(form, CreateJobScreen)
        assert form.read_input().model == "gpt-x"
        assert form.read_input().training_file == "file-abc"
        # q with focus off the text fields never quits.
        form.query_one("#create-cancel").focus()
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and app.screen is form
        # esc with changes asks; "Keep editing" (focused) keeps the form.
        await pilot.press("escape")
        await wait_shown(pilot)
        assert "What you typed is kept" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        # Closing it keeps a draft; n opens it again as it was left.
        await pilot.press("escape")
        await confirm(pilot)
        await settle(pilot)
        assert app.screen is app.screen_stack[0]
        await pilot.press("n")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, CreateJobScreen) and again is not form
        assert again.read_input().model == "gpt-x"
        assert again.read_input().training_file == "file-abc"
        assert "Reopened as you left it." in screen_text(app)
        # An unchanged form closes at once, and the draft stays.
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.screen_stack[0]
        assert app.main.create_draft is not None and app.main.create_draft.model == "gpt-x"
    assert changes(world) == {}
