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
from pathlib import Path

import pytest
from support.pty import PtyProcess, close_pty_without_sighup

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name != "posix", reason="needs a pty")]

#: The app on a frozen world that changes only when a signal asks (see its docstring).
PROBE = str(Path(__file__).with_name("pty_probe.py"))
WAIT = 20.0  # for the first screen and for quiet: a busy machine starts Python slowly


def ftmon_argv(*args: str) -> list[str]:
    """The installed package, run by this interpreter."""
    return [sys.executable, "-m", "ftmon", *args]


def pty_run(argv: list[str], *, cols: int = 80, rows: int = 24, **env: str) -> PtyProcess:
    """``argv`` started on a truecolor terminal (what these byte counts were measured on)."""
    return PtyProcess(argv, cols=cols, rows=rows, env={**os.environ, **env}, truecolor=True).start()


@pytest.fixture
def demo() -> Iterator[PtyProcess]:
    """``ftmon --demo`` with the simulated clock stopped: nothing in the world moves."""
    run = pty_run(ftmon_argv("--demo", "--speed", "0"))
    try:
        run.wait_for("jobs 15", WAIT)
        run.wait_quiet(0.8, WAIT)
        yield run
    finally:
        run.close()


def start_probe(*args: str, cols: int = 80, rows: int = 24) -> PtyProcess:
    run = pty_run([sys.executable, PROBE, *args], cols=cols, rows=rows)
    run.wait_for("jobs 15", WAIT)
    run.wait_quiet(0.8, WAIT)
    return run


def measure(run: PtyProcess, signum: int) -> int:
    """Bytes written in answer to one signal to the probe."""
    start = time.monotonic()
    os.kill(run.pid, signum)
    time.sleep(0.3)
    run.wait_quiet(0.4, WAIT)
    return run.bytes_between(start)


def test_the_demo_starts_without_a_key_and_an_idle_screen_writes_nothing(demo: PtyProcess) -> None:
    text = demo.text()
    assert "demo · http://ftmon-sim.invalid/v1" in text
    assert "sk-" not in text
    start = time.monotonic()
    time.sleep(2.5)
    assert demo.bytes_between(start) == 0
    # Mouse reporting stays off: no "report all motion" request was ever sent.
    raw = demo.raw_output()
    assert b"\x1b[?1003h" not in raw and b"\x1b[?1000h" not in raw
    # No blinking cursor, no clock: still nothing after a key that changes nothing.
    start = time.monotonic()
    demo.send(b"k")  # already on the first row
    time.sleep(0.8)
    assert demo.bytes_between(start) == 0


def test_q_quits_with_status_0(demo: PtyProcess) -> None:
    demo.send(b"q")
    assert demo.wait_exit(5) == 0


def test_sighup_exits_cleanly_through_the_app(demo: PtyProcess) -> None:
    os.kill(demo.pid, signal.SIGHUP)
    # 0 is the app's own exit: not the signal's default (-1), not the stuck-loop exit (129)
    # that the hang-up watcher forces after its grace. A bound on seconds here failed at high load.
    assert demo.wait_exit(WAIT) == 0


def test_a_closed_terminal_ends_the_app() -> None:
    run = pty_run(ftmon_argv("--demo", "--speed", "0"))
    try:
        run.wait_for("jobs 15", WAIT)
        run.hang_up()  # the SSH link drops: the kernel hangs up the session
        assert run.wait_exit(WAIT) == 0  # the app's own exit, not a signal's nor the watcher's
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
        assert run.bytes_between(start) == 0
    finally:
        run.close()


def test_a_finished_job_rings_and_sends_a_desktop_notification() -> None:
    run = start_probe("--step", "1800")
    try:
        start = time.monotonic()
        os.kill(run.pid, signal.SIGUSR1)
        run.wait_for("Job succeeded", WAIT)
        run.wait_quiet(0.5, WAIT)
        raw = run.output_since(start)
        assert b"\x1b]9;ftmon: job succeeded: ftjob-" in raw
        assert b"\x1b]777;notify;ftmon: job succeeded;ftjob-" in raw
        assert b"\x07" in raw
    finally:
        run.close()


def test_a_closed_terminal_that_sends_no_sighup_still_ends_the_app() -> None:
    """A supervisor's pty that is not the controlling terminal: no SIGHUP when it goes."""
    env = dict(os.environ, TERM="xterm-256color")
    took, busy = close_pty_without_sighup(
        ftmon_argv("--demo", "--speed", "60", "--interval", "0.5"), env, ready=b"jobs 15", wait=2.0
    )
    assert took is not None, f"still running after its pty closed; {busy:.2f} s CPU in 1 s"
    assert took < 2.0


def test_a_crash_report_shows_no_local_variables() -> None:
    """Textual's report lists every frame's locals (request headers with the key among them)."""
    code = (
        "import sys;"
        "from support.app import build_app, SECRET_KEY;"
        "from support.simkit import new_world;"
        "app = build_app(new_world());"
        "secret = SECRET_KEY;"
        "app.call_later(lambda: 1 / 0);"
        "app.run(mouse=False);"
        "sys.exit(app.return_code)"
    )
    # The tests' import roots, as pytest's `pythonpath` has them, for the support.* imports.
    tests = Path(__file__).resolve().parents[1]
    path = os.pathsep.join([str(tests.parent), str(tests)])
    run = pty_run([sys.executable, "-c", code], cols=100, rows=30, PYTHONPATH=path)
    try:
        assert run.wait_exit(20) == 1
        time.sleep(0.2)
        raw = run.raw_output()
        assert b"ZeroDivisionError" in raw
        assert b"SECRET" not in raw and b"locals" not in raw
    finally:
        run.close()
