"""Marks that survive a plain terminal: the cursor's row without colour, the sort mark in ASCII.

* ``NO_COLOR``: the cursor's row is reversed and bold, which a terminal that drops attributes (a
  serial console, a session's log) loses; the row also starts with ``>``, in one cell that every
  row and the headings keep before their columns (only without colour).
* ``--ascii``: the sorted column's heading reads ``age*``, not ``agev`` (the Unicode ``▾`` as a
  ``v`` glued to the word).
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from tuikit import build_app, new_world, screen_text, settle

from ftmon.tui.app import FtmonApp
from ftmon.tui.glyphs import to_ascii
from ftmon.tui.screens.help import legend_table
from ftmon.tui.widgets.job_list import CURSOR_MARK


def list_lines(app: FtmonApp) -> tuple[str, list[str]]:
    """The job list's heading and its rows as shown, each without the pane's left border."""
    lines = screen_text(app).splitlines()
    top = next(i for i, line in enumerate(lines) if "status" in line and " id " in line)
    rows = []
    for line in lines[top + 1 :]:
        if "ftjob-" not in line:
            break
        rows.append(line[1:])
    return lines[top][1:], rows


def marked(rows: list[str]) -> list[int]:
    return [i for i, row in enumerate(rows) if row.startswith(CURSOR_MARK)]


def selected_row(app: FtmonApp, rows: list[str]) -> int:
    selected = app.main.selected_id
    assert selected is not None
    return next(i for i, row in enumerate(rows) if selected in row)


async def test_no_color_marks_the_cursor_row_alone_and_the_mark_moves_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app(new_world())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        heading, rows = list_lines(app)
        assert marked(rows) == [0] == [selected_row(app, rows)]
        # One cell before the columns, on every row and over the headings: nothing moves.
        assert heading.startswith(" status ")
        assert all(row[0] in (CURSOR_MARK, " ") and row[1] != " " for row in rows)
        for step in (1, 2, 3):
            await pilot.press("j")
            await settle(pilot)
            _, rows = list_lines(app)
            assert marked(rows) == [step] == [selected_row(app, rows)]
        await pilot.press("k")
        await settle(pilot)
        _, rows = list_lines(app)
        assert marked(rows) == [2]
        # Another pane focused: the row the panes show keeps its mark.
        await pilot.press("2")
        await settle(pilot)
        _, rows = list_lines(app)
        assert marked(rows) == [2] == [selected_row(app, rows)]


async def test_with_colour_no_cell_is_added_and_no_row_is_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = build_app(new_world())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        heading, rows = list_lines(app)
        assert heading.startswith("status ")
        assert all(row[0] != " " and row[1] == " " for row in rows), rows
        assert app.main.job_list.mark_cells == 0


async def test_ascii_sort_mark_is_not_read_as_a_letter() -> None:
    app = build_app(new_world(), ascii=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        heading, _ = list_lines(app)
        assert heading.rstrip("| ").endswith(" age*") and "agev" not in heading
        plain = build_app(new_world(), ascii=False)
        # The same columns as in Unicode: the mark takes the cell the Unicode one does.
        async with plain.run_test(size=(80, 24)) as plain_pilot:
            await settle(plain_pilot)
            unicode_heading, _ = list_lines(plain)
        assert heading == to_ascii(unicode_heading) and "age▾" in unicode_heading
        await pilot.press("o")  # sorted by status
        await settle(pilot)
        heading, _ = list_lines(app)
        assert heading.startswith("status* ")


def test_ascii_help_legend_names_the_same_sort_mark() -> None:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    with console.capture() as captured:
        console.print(legend_table(width=80))
    legend = to_ascii(captured.get()).splitlines()
    line = next(line for line in legend if "the job list is sorted by this column" in line)
    assert line.split()[0] == "*", line
