"""Typed-ahead keys: what one key costs when several arrive in one read, ftmon beside Textual.

ftmon lets one key through at a time, each only once what the key before it started has landed
(``ftmon/tui/keygate.py``), so a burst after ``/`` goes into the filter and not to the job list.
That costs time per key. Measured in a 120x36 pty against a frozen ``ftmon sim``: a burst of
``/`` and N letters written in one ``write()``, timed until the filter's title shows them all;
beside it, the same N letters written to a bare Textual app with one focused ``Input``.

Goal: a burst of 40 keys lands within 1 s (a person types some 10 keys a second; a slow link
delivers what was typed in the last round trip at once).

Run: ``python bench/typeahead.py [--keys 40] [--runs 3]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Result,
    SimProcess,
    ftmon_exe,
    median,
    print_results,
    ref_app_argv,
    tui_env,
)
from tests.support.pty import PtyProcess

GOAL = 1.0  # seconds for a burst of 40 keys
CTRL_U = "\x15"


def _word(keys: int, run: int) -> str:
    """Letters no job matches, different each run, ending in a mark the screen can wait for."""
    body = ("burst" * (keys // 5 + 1))[: max(0, keys - 2)]
    return body + f"{run % 10}q"


def time_ftmon(keys: int, runs: int) -> list[float]:
    times: list[float] = []
    with SimProcess(speed=0.0) as sim:
        env = tui_env(sim.base_url)
        with PtyProcess([ftmon_exe()], cols=120, rows=36, env=env) as term:
            term.wait_for("jobs ", timeout=60)
            term.wait_quiet(0.5, timeout=30)
            for run in range(runs):
                word = _word(keys, run)
                start = time.monotonic()
                term.send("/" + word)
                term.wait_for(word, timeout=60)  # the field shows it (the title cuts it)
                times.append(time.monotonic() - start)
                term.send(CTRL_U + "\r")
                term.wait_for(lambda text: "filter:" not in text, timeout=30)
                term.wait_quiet(0.3, timeout=30)
    return times


def time_reference(keys: int, runs: int) -> list[float]:
    times: list[float] = []
    with PtyProcess(ref_app_argv("input"), cols=120, rows=36, env=tui_env()) as term:
        term.wait_for("ref-ready", timeout=60)
        term.wait_quiet(0.3, timeout=30)
        for run in range(runs):
            word = _word(keys, run)
            start = time.monotonic()
            term.send(word)
            term.wait_for(f"typed {word}", timeout=60)
            times.append(time.monotonic() - start)
            term.send(CTRL_U)
            term.wait_quiet(0.3, timeout=30)
    return times


def run(keys: int = 40, runs: int = 3) -> list[Result]:
    ftmon = median(time_ftmon(keys, runs))
    ref = median(time_reference(keys, runs))
    per_key = ftmon / (keys + 1) * 1000
    return [
        Result(
            "typeahead",
            f"burst of / + {keys} keys lands",
            f"{ftmon:.2f} s ({per_key:.0f} ms/key)",
            f"{ref:.2f} s bare Input",
            f"< {GOAL:.0f} s",
            ftmon < GOAL,
            note=f"median of {runs}; 120x36 pty",
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print_results("typeahead", run(args.keys, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
