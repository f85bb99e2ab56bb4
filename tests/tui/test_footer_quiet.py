"""The footer is rebuilt only when what it shows changes (bytes over a slow link).

Textual's ``Footer`` recomposes on every refresh of the screen's bindings: a focus move, the
terminal's focus coming back, a screen popped, the main screen's own refreshes. Each rebuild
re-sends the footer's row (and more: a terminal's focus coming back cost 5.7 KB more at 80x24
with it). ``HintFooter`` compares the items it would show, and its width, with those it shows.
The footer's items are its ``FooterKey`` widgets: the same objects mean no rebuild.
"""

from __future__ import annotations

from textual import events
from textual.widgets._footer import FooterKey
from tuikit import build_app, footer_text, job_id, open_job, settle

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.widgets.hint_footer import HintFooter


def footer_keys(app: FtmonApp) -> list[FooterKey]:
    return list(app.screen.query_one(HintFooter).query(FooterKey))


def same_widgets(before: list[FooterKey], after: list[FooterKey]) -> bool:
    return len(before) == len(after) and all(a is b for a, b in zip(before, after, strict=True))


async def test_moves_and_refreshes_that_change_no_item_leave_the_footer_alone(
    world: SimWorld,
) -> None:
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        jobs = app.main.job_list
        # Down to the finished jobs at the list's end: their keys are the same ones.
        await pilot.press("end")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        keys, line = footer_keys(app), footer_text(app)
        assert "c cancel" not in line and "? help" in line
        for _ in range(3):
            await pilot.press("k")
            await settle(pilot)
            assert footer_text(app) == line
            assert same_widgets(keys, footer_keys(app))
        assert jobs.cursor == len(jobs.visible_ids) - 5
        # What Textual does besides: the screen's bindings refreshed, the terminal's focus back.
        app.screen.refresh_bindings()
        await settle(pilot)
        app.post_message(events.AppBlur())
        await settle(pilot)
        app.post_message(events.AppFocus())
        await settle(pilot)
        assert same_widgets(keys, footer_keys(app))
        assert footer_text(app) == line


async def test_a_change_of_items_rebuilds_the_footer_and_shows_the_new_one(
    world: SimWorld,
) -> None:
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        keys = footer_keys(app)
        assert "c cancel" not in footer_text(app)
        # A running job: it can be cancelled, so the footer says so.
        await open_job(pilot, job_id(world, "catalog-long"))
        assert "c cancel" in footer_text(app)
        assert not same_widgets(keys, footer_keys(app))
        # Polling paused: "resume polling" comes first.
        keys = footer_keys(app)
        await pilot.press("space")
        await settle(pilot)
        assert footer_text(app).startswith("space resume polling")
        assert not same_widgets(keys, footer_keys(app))
        await pilot.press("space")
        await settle(pilot)
        assert "resume polling" not in footer_text(app)


async def test_a_resize_still_refits_the_footer(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        wide = app.screen.query_one(HintFooter).shown
        keys = footer_keys(app)
        await pilot.resize_terminal(60, 24)
        await settle(pilot)
        await pilot.pause()
        narrow = app.screen.query_one(HintFooter).shown
        assert len(narrow) < len(wide) and narrow[-1] == "? help"
        assert not same_widgets(keys, footer_keys(app))
        assert sum(len(item) + 1 for item in narrow) - 1 <= 60
