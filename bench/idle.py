"""Idle cost: ftmon watching a running job that has no new events, beside a minimal Textual app.

The simulator's clock is stopped (``--speed 0``), so every poll answers the same thing. ftmon is
opened on a running job (``--job``), left to settle, then watched untouched for ``--seconds``:
CPU % of its process tree and bytes written to the terminal. The reference is a Textual app
showing one Static, in the same 80x24 pty for the same time. Goals: under 0.5 % CPU, 0 bytes.

ftmon keeps polling while idle (the engine's interval, 5 s by default): the CPU column includes
those polls, and the requests column says how many there were. It also recomputes ages and ETAs
every 30 s and repaints the rows whose text changed (the wall clock moves even when the
simulator's does not): those bytes count, and the note says when each repaint began.

Run: ``python bench/idle.py [--seconds 60] [--interval 5]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Result,
    SimProcess,
    fmt_bytes,
    fmt_num,
    ftmon_exe,
    print_results,
    ref_app_argv,
    sim_request_count,
    tui_env,
)
from tests.support.pty import PtyProcess, Window

CPU_GOAL = 0.5  # percent
SETTLE = 2.0  # seconds without output before the window starts


def running_job(sim: SimProcess) -> dict:
    jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
    return next(j for j in jobs if j["status"] == "running")


def watch_idle(
    argv: list[str],
    env: dict[str, str],
    ready: str,
    seconds: float,
    count: Callable[[], int] = lambda: 0,
    settle: float = SETTLE,
) -> tuple[Window, int, list[float]]:
    """Start ``argv`` in a pty, wait for ``ready`` and quiet, then measure ``seconds`` idle.

    Returns the window, how much ``count()`` (the simulator's request count) grew in it, and
    when (seconds into the window) each repaint in it began.
    """
    with PtyProcess(argv, cols=80, rows=24, env=env) as term:
        term.wait_for(ready, timeout=30)
        term.wait_quiet(settle, timeout=60)
        before = count()
        start = time.monotonic()
        window = term.measure(seconds)
        chunks = [c.at for c in term.chunks_since(start) if c.at < start + window.seconds]
        return window, count() - before, repaint_starts(chunks, start)


def repaint_starts(times: list[float], start: float, gap: float = 0.2) -> list[float]:
    """Group output chunks closer than ``gap`` into one repaint; when each began."""
    starts: list[float] = []
    last = None
    for at in times:
        if last is None or at - last > gap:
            starts.append(at - start)
        last = at
    return starts


def run(seconds: float = 60.0, interval: float = 5.0, settle: float = SETTLE) -> list[Result]:
    with SimProcess(speed=0.0) as sim:
        job = running_job(sim)
        env = tui_env(sim.base_url)
        argv = [ftmon_exe(), "--job", job["id"], "--interval", f"{interval:g}"]
        ftmon, requests, repaints = watch_idle(
            argv, env, job["id"], seconds, lambda: sim_request_count(sim.stats()), settle
        )
    ref, _, _ = watch_idle(ref_app_argv("hello"), env, "ref-ready", seconds, settle=settle)
    window = f"{ftmon.seconds:.0f} s window, poll every {interval:g} s"
    return [
        Result(
            "idle",
            "CPU % (process tree)",
            fmt_num(ftmon.cpu_percent, " %"),
            fmt_num(ref.cpu_percent, " %"),
            f"< {CPU_GOAL} %",
            ftmon.cpu_percent < CPU_GOAL,
            window,
        ),
        Result(
            "idle",
            "bytes to terminal / min",
            fmt_bytes(ftmon.bytes_per_minute),
            fmt_bytes(ref.bytes_per_minute),
            "0 B",
            ftmon.bytes == 0,
            f"{ftmon.bytes} B in {len(repaints)} repaints"
            + (f" at {', '.join(f'{t:.0f}' for t in repaints[:6])} s" if repaints else ""),
        ),
        Result(
            "idle",
            "RSS",
            fmt_bytes(ftmon.rss),
            fmt_bytes(ref.rss),
            note="after the window",
        ),
        Result(
            "idle",
            "API requests / min",
            fmt_num(60.0 * requests / ftmon.seconds, "", 1),
            "0 (no network)",
            note=f"{requests} in the window",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60)")
    parser.add_argument("--interval", type=float, default=5.0, help="ftmon poll interval")
    args = parser.parse_args(argv)
    print_results("idle: watching a running job with no new events (80x24)", run(**vars(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
