"""The models view (``M``) on a big organisation: ``ftmon sim --scenario big`` (10,000 jobs,
21,364 models) over loopback, ftmon in a real 80x24 pty through ``bench/stall_launcher.py``.

The job list is shown and left to settle; then ``M`` opens the models view, which reads every
model, every page of jobs and up to 200 jobs' checkpoints, joins them and words the listing.
Reported: the longest event-loop stall from pressing ``M`` until the listing is shown and the
screen is quiet (what the user feels as a frozen screen while the view reads), the same for the
settled list before ``M`` (the noise of the machine), the seconds until the view said it was
reading and until its rows were shown, and peak RSS. A second open closes the view (``escape``)
while its read is under way, waits, and checks the program still answers a key (a read that
arrives after its screen is gone must not end the program).

The reference is the minimal Textual app through the same watchdog. Numbers are printed, never
asserted. ``BENCH_PROFILE=out.prof`` profiles ftmon's run (cProfile), to see what blocked.

Run: ``python bench/models_view.py [--settle 2] [--scenario big] [--linger 6]``
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.big import launch, max_between, read_report, ref_session, stall_result, worst_stalls
from bench.common import Result, SimProcess, fmt_bytes, fmt_num, print_results, tui_env
from tests.support.pty import PtyProcess

#: The view's status line once its rows are shown: ``21364 fine-tuned models; ...``.
ROWS_SHOWN = re.compile(r"\d+ fine-tuned models?\b")
#: What the view shows while it reads.
READING = re.compile(r"[Rr]eading the models")


def models_session(sim: SimProcess, out: Path, settle: float, linger: float) -> dict[str, Any]:
    env = tui_env(sim.base_url)
    argv = launch(out, "ftmon", "--interval", "5")
    with PtyProcess(argv, cols=80, rows=24, env=env) as term:
        frame = term.wait_for("ftmon ·", timeout=60)
        term.wait_quiet(settle, timeout=180)
        settled = time.monotonic()
        term.wait_quiet(settle, timeout=180)  # a quiet spell measured as the noise
        pressed = time.monotonic()
        term.press("M")
        reading = term.wait_for(READING, timeout=60)
        shown = term.wait_for(ROWS_SHOWN, timeout=180)
        term.wait_quiet(settle, timeout=180)
        term.press("j", "j", "pagedown", "G", "g", gap=0.1)
        term.wait_quiet(settle, timeout=60)
        done = time.monotonic()
        # Opened again and closed while it reads: the late answer must be dropped quietly.
        term.press("escape")
        term.wait_gone(ROWS_SHOWN, timeout=30)
        term.press("M")
        term.wait_for(READING, timeout=60)
        term.press("escape")
        term.wait_gone(READING, timeout=30)
        time.sleep(linger)  # the read it left behind (about 3 s on big) has ended by now
        term.press("M")
        again = term.wait_for(READING, timeout=60)
        alive = not term.exited()
        term.wait_for(ROWS_SHOWN, timeout=180)
        term.wait_quiet(settle, timeout=180)
        quit_at = time.monotonic()
        code = term.close()
    report = read_report(out)
    report.update(
        first_frame_at=frame,
        settled=settled,
        pressed=pressed,
        reading=reading - pressed,
        shown=shown - pressed,
        done=done,
        again=again,
        alive=alive,
        quit_at=quit_at,
        code=code,
    )
    return report


def run(settle: float = 2.0, scenario: str = "big", linger: float = 6.0) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        with SimProcess(speed=0.0, scenario=scenario) as sim:
            jobs = sim.stats()["jobs"]
            mine = models_session(sim, Path(tmp) / "ftmon.json", settle, linger)
        ref = ref_session(Path(tmp) / "ref.json")
    ref_after = max_between(ref, ref["first_frame_at"], ref["quit_at"])
    opening = max_between(mine, mine["pressed"], mine["done"])
    noise = max_between(mine, mine["settled"], mine["pressed"])
    return [
        stall_result(
            "models_view",
            "longest loop stall, M until rows shown and walked",
            opening,
            ref_after,
            f"{jobs} jobs; worst: {worst_stalls(mine, mine['pressed'], mine['done'])}",
        ),
        Result(
            "models_view",
            "longest loop stall, the settled list before M",
            fmt_num(noise * 1000, " ms", 0),
            fmt_num(ref_after * 1000, " ms", 0),
            note="the machine's noise",
        ),
        Result(
            "models_view",
            "time to 'reading' / to the rows",
            f"{mine['reading']:.2f} s / {mine['shown']:.2f} s",
            "-",
            note="from pressing M",
        ),
        Result(
            "models_view",
            "closed mid-read, then M again",
            "answers" if mine["alive"] else "EXITED",
            "-",
            note=f"exit code at quit {mine['code']}",
        ),
        Result(
            "models_view",
            "peak RSS",
            fmt_bytes(mine["peak_rss"]),
            fmt_bytes(ref["peak_rss"]),
            note=f"CPU {mine['cpu_seconds']:.1f} s",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=2.0, help="quiet seconds between steps")
    parser.add_argument("--scenario", default="big", help="the simulator's world (default: big)")
    parser.add_argument(
        "--linger", type=float, default=6.0, help="seconds after closing the view mid-read"
    )
    args = parser.parse_args(argv)
    print_results(f"models view: M on the {args.scenario} world (80x24)", run(**vars(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
