"""The terminal's focus going and coming back (``ESC [ O`` / ``ESC [ I``, a window switch).

Textual takes the focus away on a blur and gives it back to the same widget on a focus; the
pane that had it shows the change. ftmon keeps that and pays for nothing else: Textual 8.2.8
repainted the whole screen twice over (``App.app_focus`` and ``Screen.focused`` repaint) and
restyled every node (scrollbars and tables repaint even when no style changed). The bytes are
measured at a pty (``test_pty_focus.py``); here, what a user sees and relies on, and a guard
that fails when Textual's declarations that ftmon overrides change.
"""

from __future__ import annotations

import inspect

from textual import events
from textual.app import App
from textual.color import Color
from textual.reactive import Reactive
from textual.screen import Screen
from tuikit import build_app, settle

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.main_base import MainBase


async def blur_and_focus_back(app: App, pilot) -> None:  # type: ignore[no-untyped-def,type-arg]
    app.post_message(events.AppBlur())
    await settle(pilot)
    assert app.screen.focused is None
    app.post_message(events.AppFocus())
    await settle(pilot)


async def test_the_focus_comes_back_to_the_list_and_j_moves_it(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        jobs = app.main.job_list
        assert app.screen.focused is jobs
        app.post_message(events.AppBlur())
        await settle(pilot)
        # Away: nothing has the focus, the list's pane no longer looks focused.
        assert app.screen.focused is None and not app.app_focus
        assert not app.main.query_one("#jobs-pane").has_focus_within
        app.post_message(events.AppFocus())
        await settle(pilot)
        assert app.app_focus and app.screen.focused is jobs
        assert app.main.query_one("#jobs-pane").has_focus_within
        before = jobs.cursor
        await pilot.press("j")
        await settle(pilot)
        assert jobs.cursor == before + 1


async def test_the_focus_comes_back_to_the_event_log_it_left(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        log = app.main.event_log
        log.focus()
        await settle(pilot)
        assert app.screen.focused is log
        await blur_and_focus_back(app, pilot)
        assert app.screen.focused is log
        # Keys go where the focus came back: j moves the log's cursor, not the list's.
        list_cursor, log_cursor = app.main.job_list.cursor, log.cursor
        await pilot.press("k")
        await settle(pilot)
        assert app.main.job_list.cursor == list_cursor
        assert log.cursor != log_cursor


async def test_a_key_while_away_brings_the_focus_back(world: SimWorld) -> None:
    """A terminal that sends no focus-in (or loses it) still works: a key is the focus back."""
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        jobs = app.main.job_list
        app.post_message(events.AppBlur())
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert app.app_focus and app.screen.focused is jobs


class BlurRule(FtmonApp):
    """An app with a rule on the app's own focus (as Textual's ``App:blur HeaderTitle``)."""

    CSS = "FtmonApp:blur JobList { background: red; }"


async def test_a_rule_on_the_apps_focus_still_restyles_what_it_styles(world: SimWorld) -> None:
    app = build_app(world, app_class=BlurRule)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        jobs = app.main.job_list
        assert jobs.styles.background != Color.parse("red")
        app.post_message(events.AppBlur())
        await settle(pilot)
        assert jobs.styles.background == Color.parse("red")
        app.post_message(events.AppFocus())
        await settle(pilot)
        assert jobs.styles.background != Color.parse("red")


async def test_only_rules_that_can_match_make_a_focus_change_restyle(world: SimWorld) -> None:
    """ftmon's own look reads no app focus; Textual's ``App:blur HeaderTitle`` has no header
    title to style here: a focus change restyles nothing screen-wide. A rule that can match
    does (the test above shows its effect)."""
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app._styled_by_app_focus(app.screen)  # type: ignore[attr-defined]
    ruled = build_app(world, app_class=BlurRule)
    async with ruled.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert ruled._styled_by_app_focus(ruled.screen)  # type: ignore[attr-defined]


def test_textual_still_declares_what_ftmon_overrides() -> None:
    """If one of these fails, Textual changed under ftmon: look again at ``FtmonApp.app_focus``,
    ``FtmonApp._watch_app_focus`` / ``update_styles`` and ``MainBase.focused`` (each says why
    it exists), and drop what is no longer needed."""
    app_focus = App.__dict__["app_focus"]
    assert isinstance(app_focus, Reactive) and app_focus._repaint and app_focus._default is True
    focused = Screen.__dict__["focused"]
    assert isinstance(focused, Reactive) and focused._repaint and focused._default is None
    watcher = inspect.getsource(App._watch_app_focus)
    assert "self.screen.update_node_styles()" in watcher
    assert "_last_focused_on_app_blur" in watcher
    assert "update_styles" in App.__dict__
    # ftmon's declarations are Textual's, less the repaint.
    ours = FtmonApp.__dict__["app_focus"]
    assert not ours._repaint and ours._default is True and not ours._run_compute
    assert not MainBase.__dict__["focused"]._repaint
