"""The event log's cursor line without colour: it starts with ``>``, as the job list's row does.

Under ``NO_COLOR`` the cursor's line is reversed only, which a terminal that drops attributes (a
serial console, a session's log) loses. Every line keeps one cell at the log's left edge for the
mark, only without colour: the cursor's line has ``>`` there, the others a space, and the cell
stays put when long lines pan. With colour no cell is added.
"""

from __future__ import annotations

import re

import pytest
from tuikit import build_app, new_world, screen_text, settle

from ftmon.tui.app import FtmonApp
from ftmon.tui.widgets.job_list import CURSOR_MARK

#: An event line as shown: ``11-26 14:03:07 info  ...`` after the optional mark cell.
STAMP = re.compile(r"\d\d-\d\d \d\d:\d\d:\d\d ")


def log_lines(app: FtmonApp) -> list[str]:
    """The event log's lines as shown, each without the pane's left border."""
    log = app.main.event_log
    region = log.content_region
    lines = screen_text(app).splitlines()
    return [lines[y][region.x : region.right] for y in range(region.y, region.bottom)]


def event_lines(app: FtmonApp) -> list[str]:
    return [line for line in log_lines(app) if STAMP.search(line[:20])]


def marked(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.startswith(CURSOR_MARK)]


async def test_no_color_marks_the_cursor_line_alone_and_the_mark_stays_when_lines_pan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app(new_world())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        await pilot.press("j", "j", "j")  # a running job: a log longer than the pane
        await settle(pilot)
        await pilot.press("2")  # the events tab, the log focused
        await settle(pilot)
        log = app.main.event_log
        assert app.screen.focused is log
        lines = event_lines(app)
        assert len(lines) >= 3
        # One cell before every line: the mark or a space, then the time stamp.
        assert all(line[0] in (CURSOR_MARK, " ") and STAMP.match(line[1:]) for line in lines)
        at = marked(lines)
        assert len(at) == 1
        for step in (1, 2):
            await pilot.press("k")
            await settle(pilot)
            assert marked(event_lines(app)) == [at[0] - step]
        # Long lines pan; the mark's cell does not.
        before = log_lines(app)
        await pilot.press("l")
        await settle(pilot)
        assert log.scroll_x > 0
        panned = log_lines(app)
        assert panned != before
        assert [line[0] for line in panned] == [line[0] for line in before]
        # Another pane focused: the log shows no cursor, so no mark.
        await pilot.press("tab")
        await settle(pilot)
        assert app.screen.focused is not log
        assert not marked(log_lines(app))


async def test_with_colour_no_cell_is_added_and_no_line_is_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = build_app(new_world())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.no_color
        await pilot.press("2")
        await settle(pilot)
        lines = event_lines(app)
        assert lines and all(STAMP.match(line) for line in lines)
