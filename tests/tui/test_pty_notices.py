"""Notices in a real pseudo-terminal (issue 15 point 2): a notice takes its own line above the
footer and covers nothing, leaves by itself, and ``H`` shows it again; a burst ``Hq`` closes the
history and does not quit.

The app is the frozen probe (``pty_probe.py``): nothing moves unless a key asks.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest
from support.pty import PtyProcess

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name != "posix", reason="needs a pty")]

PROBE = str(Path(__file__).with_name("pty_probe.py"))
WAIT = 20.0
JOB_ID = re.compile(r"ftjob-[A-Za-z0-9]{24}")


def start_probe() -> PtyProcess:
    run = PtyProcess(
        [sys.executable, PROBE], cols=80, rows=24, env=dict(os.environ), truecolor=True
    ).start()
    run.wait_for("jobs 15", WAIT)
    run.wait_quiet(0.8, WAIT)
    return run


def test_a_notice_covers_nothing_and_leaves_by_itself() -> None:
    run = start_probe()
    try:
        before = run.lines()
        rows_before = [line for line in before if JOB_ID.search(line)]
        assert rows_before
        run.send(b"y")  # copy the selected job's id: "Copied ftjob-…"
        run.wait_for("Copied ftjob-", WAIT)
        run.wait_quiet(0.3, WAIT)
        after = run.lines()
        said = [i for i, line in enumerate(after) if "Copied ftjob-" in line]
        # One line, the one above the footer; the header and the footer are where they were.
        assert said == [len(after) - 2], after
        assert after[0] == before[0] and after[-1] == before[-1]
        # Every job row still reads as it did (the panes gave up one row; nothing lies on them).
        rows_after = [line for line in after if JOB_ID.search(line) and "Copied" not in line]
        assert rows_after == rows_before[: len(rows_after)]
        assert len(rows_after) >= len(rows_before) - 1
        # A copy's notice stays 3 s, then the screen is as it was.
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and "Copied ftjob-" in run.text():
            time.sleep(0.2)
        run.wait_quiet(0.3, WAIT)
        assert run.lines() == before
    finally:
        run.close()


def test_h_shows_the_history_and_a_burst_hq_only_closes_it() -> None:
    run = start_probe()
    try:
        run.send(b"y")
        run.wait_for("Copied ftjob-", WAIT)
        run.send(b"H")
        run.wait_for("notices, newest first", WAIT)
        run.wait_quiet(0.3, WAIT)
        history = run.text()
        assert re.search(r"\d\d:\d\d:\d\d info Copied ftjob-", history), history
        run.send(b"\x1b")
        time.sleep(0.3)
        run.wait_quiet(0.3, WAIT)
        assert "notices, newest first" not in run.text()
        # Typed ahead in one write: q belongs to the history it opened, not to the main screen.
        run.send(b"Hq")
        time.sleep(0.5)
        run.wait_quiet(0.3, WAIT)
        assert not run.exited()
        assert "notices, newest first" not in run.text()
        assert "jobs 15" in run.text()
    finally:
        run.close()
