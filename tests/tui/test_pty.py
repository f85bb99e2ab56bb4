"""ftmon in a real pseudo-terminal: idle is silent, a changed row costs one line, hang-up ends it.

These measure what ``run_test()`` cannot: the bytes the terminal receives (what travels over SSH)
and how the process behaves when the terminal goes away.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator

import pytest
from ptykit import REPO, PtyRun, ftmon_argv, probe_argv

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from bench.pty_harness import close_pty_without_sighup

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name != "posix", reason="needs a pty")]


@pytest.fixture
def demo() -> Iterator[PtyRun]:
    """``ftmon --demo`` with the simulated clock stopped: nothing in the world moves."""
    run = PtyRun(ftmon_argv("--demo", "--speed", "0"), cols=80, rows=24)
    try:
        run.wait_for("jobs 15")
        run.wait_quiet(0.8)
        yield run
    finally:
        run.close()


def start_probe(*args: str, cols: int = 80, rows: int = 24) -> PtyRun:
    run = PtyRun(probe_argv(*args), cols=cols, rows=rows)
    run.wait_for("jobs 15")
    run.wait_quiet(0.8)
    return run


def measure(run: PtyRun, signum: int) -> int:
    """Bytes written in answer to one signal to the probe."""
    start = time.monotonic()
    os.kill(run.pid, signum)
    time.sleep(0.3)
    run.wait_quiet(0.4)
    return run.bytes_since(start)


def test_the_demo_starts_without_a_key_and_an_idle_screen_writes_nothing(demo: PtyRun) -> None:
    text = demo.text()
    assert "demo · http://ftmon-sim.invalid/v1" in text
    assert "sk-" not in text
    start = time.monotonic()
    time.sleep(2.5)
    assert demo.bytes_since(start) == 0
    # Mouse reporting stays off: no "report all motion" request was ever sent.
    raw = demo.output_since(0)
    assert b"\x1b[?1003h" not in raw and b"\x1b[?1000h" not in raw
    # No blinking cursor, no clock: still nothing after a key that changes nothing.
    start = time.monotonic()
    demo.send(b"k")  # already on the first row
    time.sleep(0.8)
    assert demo.bytes_since(start) == 0


def test_q_quits_with_status_0(demo: PtyRun) -> None:
    demo.send(b"q")
    assert demo.wait_exit(5) == 0


def test_sighup_exits_within_a_second(demo: PtyRun) -> None:
    start = time.monotonic()
    os.kill(demo.pid, signal.SIGHUP)
    assert demo.wait_exit(1.0) is not None
    assert time.monotonic() - start < 1.0


def test_a_closed_terminal_ends_the_app() -> None:
    run = PtyRun(ftmon_argv("--demo", "--speed", "0"), cols=80, rows=24)
    try:
        run.wait_for("jobs 15")
        start = time.monotonic()
        os.close(run.fd)  # the SSH link drops: the kernel hangs up the session
        assert run.wait_exit(2.0) is not None
        assert time.monotonic() - start < 2.0
    finally:
        run.close()


def test_one_changed_row_repaints_one_line_not_the_table() -> None:
    run = start_probe()
    try:
        sizes = [measure(run, signal.SIGUSR2) for _ in range(3)]
        # One 80-cell line with its colours is a few hundred bytes; a whole-table repaint
        # (what DataTable.update_cell does) is over 6 KB at this size.
        assert all(0 < size < 800 for size in sizes), sizes
    finally:
        run.close()


def test_a_poll_repaints_only_what_moved() -> None:
    run = start_probe(cols=160, rows=48)
    try:
        sizes = [measure(run, signal.SIGUSR1) for _ in range(4)]
        # Running jobs' rows (and the selected job's panes, if it moved) only: far from the
        # ~25 KB of a full 160x48 frame.
        assert max(sizes) < 6000, sizes
        start = time.monotonic()
        time.sleep(1.5)
        assert run.bytes_since(start) == 0
    finally:
        run.close()


def test_a_finished_job_rings_and_sends_a_desktop_notification() -> None:
    run = start_probe("--step", "1800")
    try:
        start = time.monotonic()
        os.kill(run.pid, signal.SIGUSR1)
        run.wait_for("Job succeeded")
        run.wait_quiet(0.5)
        raw = run.output_since(start)
        assert b"\x1b]9;ftmon: job succeeded: ftjob-" in raw
        assert b"\x1b]777;notify;ftmon: job succeeded;ftjob-" in raw
        assert b"\x07" in raw
    finally:
        run.close()


def test_a_closed_terminal_that_sends_no_sighup_still_ends_the_app() -> None:
    """A supervisor's pty that is not the controlling terminal: no SIGHUP when it goes."""
    env = dict(os.environ, TERM="xterm-256color", TZ="UTC", PYTHONPATH=str(REPO))
    env["FTMON_CONFIG"] = str(REPO / "tests" / "tui" / "no-such-config.toml")
    took, busy = close_pty_without_sighup(
        ftmon_argv("--demo", "--speed", "60", "--interval", "0.5"), env, ready=b"jobs 15", wait=2.0
    )
    assert took is not None, f"still running after its pty closed; {busy:.2f} s CPU in 1 s"
    assert took < 2.0


def test_a_crash_report_shows_no_local_variables() -> None:
    """Textual's report lists every frame's locals (request headers with the key among them)."""
    code = (
        f"import sys; sys.path[:0] = [{str(REPO / 'tests' / 'tui')!r}, {str(REPO / 'tests')!r}];"
        "from tuikit import build_app, new_world, SECRET_KEY;"
        "app = build_app(new_world());"
        "secret = SECRET_KEY;"
        "app.call_later(lambda: 1 / 0);"
        "app.run(mouse=False);"
        "sys.exit(app.return_code)"
    )
    run = PtyRun([sys.executable, "-c", code], cols=100, rows=30)
    try:
        assert run.wait_exit(20) == 1
        time.sleep(0.2)
        raw = run.output_since(0)
        assert b"ZeroDivisionError" in raw
        assert b"SECRET" not in raw and b"locals" not in raw
    finally:
        run.close()
