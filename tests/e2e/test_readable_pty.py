"""Readable at 80x24, 120x36 and 160x48, and ``o`` in a burst, checked on a real terminal.

What the pty receives is what a person sees: every job id whole in the list, a heading over
every column, status words; ``o`` typed ahead with moves sorts first and the moves then go
through the sorted list, the cursor staying on the job it was on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from support.pty import PtyProcess

from bench.common import SimProcess, tui_env

pytestmark = pytest.mark.e2e

ID = re.compile(r"ftjob-[A-Za-z0-9]{24}")


@pytest.fixture
def start(sim: SimProcess, ftmon_script: str) -> Iterator[object]:
    running: list[PtyProcess] = []

    def launch(cols: int, rows: int) -> PtyProcess:
        term = PtyProcess([ftmon_script], cols=cols, rows=rows, env=tui_env(sim.base_url))
        term.start()
        running.append(term)
        term.wait_for(re.compile(r"jobs 15"), timeout=30)
        term.wait_for(re.compile(r"│ id\s+ftjob-"), timeout=30)
        term.wait_quiet(0.4)
        return term

    yield launch
    for term in running:
        term.close()


def _list_rows(term: PtyProcess) -> list[str]:
    """The job list's rows as shown: lines between its heading and its bottom border."""
    lines = term.lines()
    top = next(i for i, line in enumerate(lines) if "status" in line and " id " in line)
    rows = []
    for line in lines[top + 1 :]:
        if line.startswith("╰"):
            break
        rows.append(line)
    return rows


def _overview_id(term: PtyProcess) -> str:
    match = re.search(r"│ id\s+(ftjob-[A-Za-z0-9]+)", term.text())
    assert match, term.text()
    return match.group(1)


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (160, 48)])
def test_ids_whole_columns_headed_statuses_in_words(start: object, size: tuple[int, int]) -> None:
    term = start(*size)  # type: ignore[operator]
    lines = term.lines()
    header = next(line for line in lines if "status" in line and " id " in line)
    for heading in ("status", "id", "suffix", "eta", "age▾"):
        assert heading in header, header
    assert "progress" in header if size[0] >= 160 else "%" in header
    rows = _list_rows(term)
    assert len(rows) >= 6
    for row in rows:
        if "ftjob" not in row:
            continue
        assert ID.search(row), row  # the whole id, never cut
        assert re.search(
            r"(running|queued|validating|paused|pausing|failed|succeeded|cancelled)", row
        )


def test_o_in_a_burst_sorts_then_the_moves_follow_the_sorted_list(start: object) -> None:
    term = start(80, 24)  # type: ignore[operator]
    began = time.monotonic()
    term.send("jj")
    term.wait_output_after(began)
    term.wait_quiet(0.5)
    chosen = _overview_id(term)
    # One write: sort by status, then one move down in the sorted list.
    term.send("oj")
    term.wait_for(lambda text: "status▾" in text, timeout=10)
    term.wait_quiet(0.5)
    rows = [ID.search(row) for row in _list_rows(term)]
    shown = [match.group() for match in rows if match]
    assert chosen in shown
    # The cursor stayed on its job through the sort, then moved one row down in the new order.
    expected = shown[shown.index(chosen) + 1] if shown.index(chosen) + 1 < len(shown) else None
    if expected is not None:
        assert _overview_id(term) == expected
    assert not term.exited()


def test_bytes_of_a_move_at_80x24(start: object, capsys: pytest.CaptureFixture[str]) -> None:
    """What one ``j`` costs over SSH once the overview has seen a few jobs (reported, not
    asserted: it depends on the other panes too)."""
    term = start(80, 24)  # type: ignore[operator]
    for _ in range(6):
        began = time.monotonic()
        term.send("j")
        term.wait_output_after(began)
        term.wait_quiet(0.4)
    sizes = []
    for key in "jjjkkk":
        began = time.monotonic()
        term.send(key)
        term.wait_output_after(began)
        term.wait_quiet(0.4)
        sizes.append(term.bytes_between(began))
    sizes.sort()
    with capsys.disabled():
        print(f"\nbytes per j/k at 80x24: median {sizes[len(sizes) // 2]}, all {sizes}")
    assert all(size > 0 for size in sizes)
