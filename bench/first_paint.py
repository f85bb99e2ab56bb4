"""Time to first paint: the installed ``ftmon`` against ``ftmon sim`` beside a minimal Textual app.

Each run starts a fresh process in an 80x24 pty and times, from the moment it is started:

* first frame: the screen first shows ftmon's header (the app is up, no data yet);
* job list: the screen first shows the newest job's id (the first poll has answered and the
  list is drawn), the paint a user waits for;

and the same for a Textual app with one Static. Runs alternate between the two; the median is
reported. Goal: the job list within 0.5 s of the minimal app's first paint. The imports alone
(``import ftmon.tui.app`` against ``import textual.app``) are timed too, to say where time goes.

Run: ``python bench/first_paint.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Result,
    SimProcess,
    fmt_num,
    ftmon_exe,
    median,
    print_results,
    python_exe,
    ref_app_argv,
    tui_env,
)
from tests.support.pty import PtyProcess

GOAL = 0.5  # seconds more than the minimal app
ID_SHOWN = 20


def time_to(argv: list[str], env: dict[str, str], *marks: str) -> list[float]:
    """Seconds from start until the screen first shows each of ``marks``, in order."""
    with PtyProcess(argv, cols=80, rows=24, env=env) as term:
        return [term.wait_for(mark, timeout=60) - term.started_at for mark in marks]


def import_time(module: str) -> float:
    start = time.perf_counter()
    subprocess.run([python_exe(), "-c", f"import {module}"], check=True)
    return time.perf_counter() - start


def run(runs: int = 7, import_runs: int = 3) -> list[Result]:
    ftmon_frame: list[float] = []
    ftmon_list: list[float] = []
    ref: list[float] = []
    with SimProcess(speed=0.0) as sim:
        newest = sim.api("fine_tuning/jobs", limit=1)["data"][0]["id"][:ID_SHOWN]
        env = tui_env(sim.base_url)
        for _ in range(runs):
            frame, listed = time_to([ftmon_exe()], env, "ftmon ·", newest)
            ftmon_frame.append(frame)
            ftmon_list.append(listed)
            ref.extend(time_to(ref_app_argv("hello"), env, "ref-ready"))
    imports = [
        (import_time("ftmon.tui.app"), import_time("textual.app")) for _ in range(import_runs)
    ]
    ftmon_import = median([a for a, _ in imports])
    textual_import = median([b for _, b in imports])

    base = median(ref)
    listed = median(ftmon_list)
    spread = f"{runs} runs, min {min(ftmon_list):.2f} max {max(ftmon_list):.2f} s"
    return [
        Result(
            "first_paint",
            "first frame (header)",
            fmt_num(median(ftmon_frame), " s"),
            fmt_num(base, " s"),
            note=f"{runs} runs, median",
        ),
        Result(
            "first_paint",
            "job list shown",
            fmt_num(listed, " s"),
            fmt_num(base, " s"),
            f"< ref + {GOAL} s",
            listed - base < GOAL,
            f"+{listed - base:.2f} s; {spread}",
        ),
        Result(
            "first_paint",
            "python -c 'import ...'",
            fmt_num(ftmon_import, " s"),
            fmt_num(textual_import, " s"),
            note="ftmon.tui.app vs textual.app",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each (median)")
    args = parser.parse_args(argv)
    print_results("first paint at 80x24 (ftmon against ftmon sim on loopback)", run(**vars(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
