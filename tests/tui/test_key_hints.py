"""Key hints complete and true (issue 15 point 5): the footer shows the keys of the focused screen
and pane that fit, each whole, ``?`` help always; help lists every key of every screen as the
user's keymap has them; the command palette holds ftmon's actions, not Textual's "Keys",
"Screenshot" or "Maximize".

The footer is read as a person sees it (the screenshot's last line) and as laid out (each key's
region within the screen); a pty run at 80 columns reads it from a real terminal.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable
from typing import Any

import pytest
from rich.console import Console
from support.pty import PtyProcess
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static
from textual.widgets._footer import FooterKey
from tuikit import build_app, footer_text, job_id, new_world, open_job, settle, settle_workers

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.bindings import MAIN_BINDINGS
from ftmon.tui.key_help import SHARED_IDS, app_screens, own_bindings, words
from ftmon.tui.keymap_check import keymap_problems, known_ids
from ftmon.tui.main_keys import PANES
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.widgets.event_log import EventLog
from ftmon.tui.widgets.hint_footer import Hint, HintFooter, fit_hints
from ftmon.tui.widgets.metrics import MetricsView

NARROW = (80, 24)
WIDE = (160, 48)
#: The keys of the focused pane on each tab (1-4 focus them at every size).
TABS = {"overview": "1", "events": "2", "metrics": "3", "checkpoints": "4"}


def shown(app: FtmonApp) -> list[str]:
    """The footer's items as it laid them out: ``key description`` each."""
    return list(app.screen.query_one(HintFooter).shown)


def assert_whole(app: FtmonApp) -> str:
    """Every item of the footer is on screen whole, within the screen's width, ``? help`` last;
    returns the footer line as a person reads it."""
    line = footer_text(app)
    items = shown(app)
    assert line == " ".join(items), (line, items)
    width = app.size.width
    keys = list(app.screen.query_one(HintFooter).query(FooterKey))
    assert len(keys) == len(items)
    for key in keys:
        assert key.region.right <= width, (key.key_display, key.region, width)
    assert items[-1] == "? help"
    return line


async def running_job(pilot: Any, world: SimWorld) -> None:
    await settle(pilot)
    await open_job(pilot, job_id(world, "catalog-long"))
    pilot.app.main.job_list.focus()
    await pilot.pause()


# -- the footer --------------------------------------------------------------------------------


async def test_footer_at_80_columns_keeps_the_keys_of_the_moment_whole(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await running_job(pilot, world)
        line = assert_whole(app)
        # The job's actions, the filter, a new job and the tabs come first...
        for item in ("c cancel", "z pause job", "/ filter", "n new job", "1-4 tabs", "? help"):
            assert item in shown(app), line
        # ...and what does not fit is left out whole, not cut mid-word (help lists it).
        assert len(line) <= 80
        for name, key in TABS.items():
            await pilot.press(key)
            await pilot.pause()
            line = assert_whole(app)
            assert "? help" in line, name
        # The events pane's own keys replace the screen's on the same key: / searches the log.
        await pilot.press("2")
        await pilot.pause()
        assert "/ search" in shown(app) and "/ filter" not in shown(app)
        assert "n new job" not in shown(app)  # n is the next match there
        # The metrics pane shows its series key.
        await pilot.press("3")
        await pilot.pause()
        assert any(item.startswith("s ") for item in shown(app)), shown(app)


async def test_footer_at_160_columns_shows_every_key_of_the_main_screen(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await running_job(pilot, world)
        line = assert_whole(app)
        for item in (
            "c cancel",
            "z pause job",
            "/ filter",
            "n new job",
            "N like this",
            "1-4 tabs",
            "y copy",
            "e export",
            "m mark",
            "C compare",
            "tab pane",
            "r refresh",
            "q quit",
        ):
            assert item in shown(app), (item, line)
        for key in TABS.values():
            await pilot.press(key)
            await pilot.pause()
            assert_whole(app)


async def test_footer_at_80_columns_offers_compare_once_two_jobs_are_marked(
    world: SimWorld,
) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await running_job(pilot, world)
        assert "C compare" not in shown(app)  # no room, and nothing to compare yet
        await pilot.press("m", "j", "m")
        await pilot.pause()
        assert len(app.main.job_list.marked_ids) == 2
        line = assert_whole(app)
        assert "C compare" in shown(app), line
        await pilot.press("m")  # one marked again
        await pilot.pause()
        assert "C compare" not in shown(app)
        assert_whole(app)


async def test_footer_refits_when_the_terminal_narrows(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await running_job(pilot, world)
        assert "q quit" in shown(app)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await pilot.pause()
        line = assert_whole(app)
        assert "q quit" not in shown(app) and len(line) <= 80


async def test_footer_of_a_finished_job_offers_no_cancel_and_keeps_help(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "support-bot"))
        app.main.job_list.focus()
        await pilot.pause()
        assert_whole(app)
        assert not any(item.startswith(("c ", "z ")) for item in shown(app))


async def test_footer_says_remapped_keys_as_remapped(world: SimWorld) -> None:
    app = build_app(world, keymap={"cancel_job": "x", "help": "f1", "show_overview": "5"})
    async with app.run_test(size=NARROW) as pilot:
        await running_job(pilot, world)
        line = footer_text(app)
        assert "x cancel" in shown(app) and "c cancel" not in line
        assert shown(app)[-1] == "f1 help"
        # Tabs on 5 2 3 4 are no longer a run: each key said.
        assert "5234 tabs" in shown(app)


def test_fit_keeps_the_most_important_whole_and_shows_them_in_rank_order() -> None:
    def hint(key: str, words: str, rank: int) -> Hint:
        return Hint(key, key, words, key, True, "", rank, rank * 1000)

    hints = [hint("?", "help", -1), hint("a", "aaaa", 0), hint("b", "bbbbbbbbbb", 1)]
    hints[0] = Hint("?", "?", "help", "help", True, "", -1, 10**8)
    # 6 + 1 + 6 = 13 cells: help and a; b (12 cells) would be cut, so it is left out.
    assert [h.key for h in fit_hints(hints, 13)] == ["a", "?"]
    assert [h.key for h in fit_hints(hints, 26)] == ["a", "b", "?"]
    # Too narrow for anything but help: help.
    assert [h.key for h in fit_hints(hints, 6)] == ["?"]


# -- help --------------------------------------------------------------------------------------


def help_text(app: FtmonApp) -> str:
    """Everything the help box holds, scrolled or not."""
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    console = Console(width=200, record=True, file=io.StringIO())
    for static in screen.query(Static):
        console.print(static.content)
    return console.export_text()


def rows_text(rows: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{keys}  {words}" for keys, words in rows]


async def test_help_lists_every_screen_and_pane_with_remapped_keys(world: SimWorld) -> None:
    keymap = {
        "cancel_job": "x",
        "compare.axis": "X",
        "permissions.add": "A",
        "create.review": "ctrl+r",
        "metrics.next_series": "S",
        "event_detail.close": "w",
    }
    app = build_app(world, keymap=keymap)
    async with app.run_test(size=WIDE) as pilot:
        await running_job(pilot, world)
        rows = app.main.help_rows()
        assert ("x", "cancel the job") in rows
        assert ("S", "metrics: next series") in rows
        # Every key of the main screen is there (movement, tabs, the pane keys).
        listed = {words for _, words in rows}
        for binding in MAIN_BINDINGS:
            if binding.id not in ("next_pane", "previous_pane", "delete_job"):
                assert words(binding) in listed, binding.id
        for pane, cls in (("events", EventLog), ("metrics", MetricsView)):
            for binding in own_bindings(cls):
                if binding.id not in SHARED_IDS:
                    assert f"{pane}: {words(binding)}" in listed, binding.id
        sections = dict(app.main.help_sections())
        for title in (
            "Checkpoint permissions",
            "Compare runs",
            "New job form",
            "Review before creating a job",
            "One event, whole",
            "Every question (cancel, pause, delete...)",
        ):
            assert title in sections, sorted(sections)
        assert ("A", "add project ids") in sections["Checkpoint permissions"]
        assert ("X", "x axis: step or % of the run") in sections["Compare runs"]
        assert ("^r", "review the request, then create") in sections["New job form"]
        assert ("w, q", "close") in sections["One event, whole"]
        await pilot.press("question_mark")
        await pilot.pause()
        text = help_text(app)
        for needle in ("x ", "cancel the job", "add project ids", "x axis: step or % of the run"):
            assert needle in text, needle
        assert "Compare runs" in text and "One event, whole" in text


@pytest.mark.parametrize("size", [NARROW, WIDE])
async def test_help_wraps_its_words_instead_of_cutting_them(
    world: SimWorld, size: tuple[int, int]
) -> None:
    app = build_app(world)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        box = screen.query_one(VerticalScroll)
        assert box.region.right <= size[0]
        inside = box.scrollable_content_region.width  # less its border, padding, scroll bar
        for static in screen.query(Static):
            # Each table no wider than the box shows: its words wrap, none is cut.
            assert static.size.width <= inside, (static.size, inside)
        assert "load older events" in help_text(app)


def test_every_key_help_lists_with_an_id_can_be_remapped() -> None:
    """What help lists, the keymap check knows: a ``[keymap]`` entry for it is not refused as
    an unknown action (the event detail, the request review and the notices were)."""
    known = set(known_ids())
    listed = [*MAIN_BINDINGS, *(b for _, cls in PANES for b in own_bindings(cls))]
    for cls in app_screens():
        listed += own_bindings(cls)
    missing = sorted({b.id for b in listed if b.id} - known)
    assert not missing
    assert not keymap_problems({"event_detail.close": "w", "close_messages": "x"})


# -- the command palette -----------------------------------------------------------------------


TEXTUAL_ONLY = ("Keys", "Screenshot", "Maximize", "Minimize")


async def test_palette_holds_our_actions_not_textuals_keys_screenshot_maximize(
    world: SimWorld,
) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await running_job(pilot, world)
        # The events pane can be maximised: Textual would offer "Maximize" here.
        await pilot.press("2")
        await pilot.pause()
        for screen in (app.screen,):
            titles = [c.title for c in app.get_system_commands(screen)]
            for title in TEXTUAL_ONLY:
                assert title not in titles
            assert "Theme" in titles and "Quit" in titles
            for ours in ("Cancel the selected job", "Filter jobs", "Help: keys", "Show the events"):
                assert ours in titles
        # A screen on top (help) offers none of Textual's either.
        await pilot.press("question_mark")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not set(TEXTUAL_ONLY) & set(titles)
        await pilot.press("escape")
        # Through the palette as a person opens it: typing "screenshot" finds nothing of it.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"screenshot")
        await pilot.pause(0.3)
        assert "Save an SVG" not in footer_text(app)
        text = "\n".join(str(w.render()) for w in app.screen.query("CommandList"))
        assert "Screenshot" not in text
        await pilot.press("escape")


# -- snapshots ---------------------------------------------------------------------------------

SIZES = [pytest.param(NARROW, id="80x24"), pytest.param(WIDE, id="160x48")]


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_footer_on_a_running_job(snap_compare: Any, size: tuple[int, int]) -> None:
    world = new_world()
    app = build_app(world, job_id=job_id(world, "catalog-long"))
    assert snap_compare(app, terminal_size=size, run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_help(snap_compare: Any, size: tuple[int, int]) -> None:
    world = new_world()
    app = build_app(world, job_id=job_id(world, "catalog-long"))
    assert snap_compare(app, terminal_size=size, press=["question_mark"], run_before=settle_workers)


# -- a real terminal ---------------------------------------------------------------------------


def footer_items() -> set[str]:
    """Every item the main screen's footer can show: ``key description``."""
    from ftmon.tui.widgets.checkpoints import CheckpointTable
    from ftmon.tui.widgets.job_list import JobList
    from ftmon.tui.widgets.overview import JobOverview

    items = {"1-4 tabs"}
    for cls in (EventLog, MetricsView, CheckpointTable, JobList, JobOverview):
        for binding in own_bindings(cls):
            items |= _items(binding)
    for binding in MAIN_BINDINGS:
        items |= _items(binding)
    return items


def _items(binding: Binding) -> set[str]:
    from textual.keys import format_key

    if not binding.show:
        return set()
    keys = {
        {"question_mark": "?", "slash": "/", "escape": "esc"}.get(k, format_key(k))
        for k in binding.key.split(",")
    }
    return {f"{key} {binding.description}" for key in keys}


def parses_whole(line: str, items: set[str]) -> bool:
    """Whether ``line`` is known footer items one space apart, none cut."""
    line = line.rstrip()
    ordered = sorted(items, key=len, reverse=True)
    at = 0
    while at < len(line):
        match = next((i for i in ordered if line.startswith(i, at)), None)
        if match is None:
            return False
        at += len(match)
        if at < len(line):
            if line[at] != " ":
                return False
            at += 1
    return True


@pytest.mark.e2e
@pytest.mark.skipif(os.name != "posix", reason="needs a pty")
def test_pty_footer_reads_whole_at_80_columns() -> None:
    """In a real 80x24 terminal the footer line is whole items only, help last, on each pane."""
    argv = [sys.executable, "-m", "ftmon", "--demo", "--speed", "0"]
    items = footer_items()
    with PtyProcess(argv, cols=80, rows=24, env=dict(os.environ)) as run:
        run.wait_for("jobs 15", 30)
        run.wait_quiet(0.8, 30)
        for key in ("", "2", "3", "4", "1", "\t"):
            if key:
                run.send(key)
                run.wait_quiet(0.5, 20)
            footer = run.lines()[-1].rstrip()
            assert footer.endswith("? help"), (key, footer)
            assert len(footer) <= 80
            assert parses_whole(footer, items), (key, footer)
