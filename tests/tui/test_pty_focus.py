"""The terminal's focus going and coming back, at a real terminal: what it costs over SSH.

A terminal with focus reporting (Textual turns it on) sends ``ESC [ O`` when the user switches
to another window and ``ESC [ I`` when they come back. What changes on screen is the focused
pane (its border and its cursor row look unfocused while away); Textual re-sends that pane's
region whole. Measured on ``ftmon --demo --speed 0`` at 80x24, truecolor: a focus-out 3.2 KB
and a focus-in 3.2 KB, where each had repainted the whole screen (11.8 KB) before.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator

import pytest
from support.pty import PtyProcess

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name != "posix", reason="needs a pty")]

WAIT = 20.0
FOCUS_OUT, FOCUS_IN = b"\x1b[O", b"\x1b[I"
#: A focus-out and a focus-in together: the jobs pane twice (6.4 KB measured) and room to
#: spare; the whole screen even once (a full 80x24 frame is 5.6-7.4 KB) on top of it is over.
PAIR_BOUND = 9_000
OVERVIEW_ID = re.compile(r"│ id\s+(ftjob-[A-Za-z0-9]+)")


@pytest.fixture
def demo() -> Iterator[PtyProcess]:
    run = PtyProcess(
        [sys.executable, "-m", "ftmon", "--demo", "--speed", "0"],
        cols=80,
        rows=24,
        env=dict(os.environ),
        truecolor=True,
    ).start()
    try:
        run.wait_for("jobs 15", WAIT)
        run.wait_quiet(0.8, WAIT)
        yield run
    finally:
        run.close()


def send_and_settle(run: PtyProcess, data: bytes) -> int:
    """Bytes the terminal received in answer to ``data``."""
    start = time.monotonic()
    run.send(data)
    run.wait_output_after(start, WAIT)  # a loaded machine may answer late: wait for it
    run.wait_quiet(0.4, WAIT)
    return run.bytes_between(start)


def corner_colour(run: PtyProcess) -> str:
    """The foreground colour of the jobs pane's top-left corner (its focus shows there)."""
    return str(run.screen.buffer[1][0].fg)


def test_a_focus_out_and_in_costs_the_focused_pane_and_the_focus_comes_back(
    demo: PtyProcess,
) -> None:
    assert b"\x1b[?1004h" in demo.raw_output()  # focus reporting asked of the terminal
    before, focused_colour = demo.lines(), corner_colour(demo)
    pairs = []
    for _ in range(3):
        out = send_and_settle(demo, FOCUS_OUT)
        # Away: the pane shows it has lost the focus; its words are unchanged.
        assert corner_colour(demo) != focused_colour
        assert demo.lines() == before
        back = send_and_settle(demo, FOCUS_IN)
        assert corner_colour(demo) == focused_colour
        assert demo.lines() == before
        pairs.append((out, back))
    assert all(0 < out and 0 < back and out + back < PAIR_BOUND for out, back in pairs), pairs
    # The focus is back on the list: j moves its cursor to the next job.
    match = OVERVIEW_ID.search(demo.text())
    assert match, demo.text()
    send_and_settle(demo, b"j")
    moved = OVERVIEW_ID.search(demo.text())
    assert moved and moved.group(1) != match.group(1), demo.text()
