"""Bytes written to the terminal per changed job row and per new event line, at 80x24.

The simulator's clock is stopped, every job that could move is cancelled, and one job of our own
runs (one metrics event per 10 simulated seconds). Each ``POST /_sim/advance`` of 10 s then makes
exactly one thing happen: that job reaches the next step. We measure the bytes of ftmon's next
repaint (from the advance until the output goes quiet) and which screen lines changed:

* row: another job is selected, so only the running job's row changes;
* event line, pane full: the running job is selected on the Events tab with a full pane, so the
  log scrolls by one line (and the job's row changes too);
* event line, pane not full: a fresh job whose few events leave room at the bottom.

References, in the same pty: a ``DataTable`` of the same rows in a box of the same height with
one ``update_cell``, and Textual's ``Log`` appending one line (full, and not full). Goal: under
1 KB per change.

Run: ``python bench/repaint.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_KEY,
    Result,
    SimProcess,
    fmt_bytes,
    ftmon_exe,
    median,
    print_results,
    ref_app_argv,
    tui_env,
)
from tests.support.pty import PtyProcess

GOAL = 1024
STEP_SECONDS = 10.0
FINAL = ("succeeded", "failed", "cancelled")
#: ftmon's job list at 80x24: border, header, six rows, border.
LIST_BOX_HEIGHT = 9
#: ftmon's detail pane at 80x24: border, ten lines, border.
LOG_BOX_HEIGHT = 12


@dataclass
class Repaint:
    bytes: int
    changed_lines: int


def measure_change(term: PtyProcess, make_change: Callable[[], object], wait: float) -> Repaint:
    """Bytes written from ``make_change()`` until the output goes quiet, and lines changed."""
    term.wait_quiet(0.5, timeout=30)
    before = term.lines()
    start = time.monotonic()
    make_change()
    term.wait_output_after(start, timeout=wait)
    term.wait_quiet(0.4, timeout=30)
    after = term.lines()
    changed = sum(1 for a, b in zip(before, after, strict=True) if a != b)
    return Repaint(term.bytes_between(start), changed)


def summary(repaints: list[Repaint]) -> tuple[float, float]:
    return median([r.bytes for r in repaints]), median([r.changed_lines for r in repaints])


def _cut(text: str, width: int) -> str:
    """Cut as ftmon's job list cuts a cell, so the reference table holds the same text."""
    return text if len(text) <= width else text[: width - 1] + "…"


# -- the simulated world ------------------------------------------------------------------------


def cancel_active(sim: SimProcess) -> None:
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    for job in sim.api("fine_tuning/jobs", limit=100)["data"]:
        if job["status"] not in FINAL:
            httpx.post(
                f"{sim.base_url}/fine_tuning/jobs/{job['id']}/cancel", headers=headers
            ).raise_for_status()


def add_running_job(sim: SimProcess, suffix: str, age: float) -> str:
    """A job created ``age`` simulated seconds ago that makes one step per 10 s."""
    now = sim.stats()["now"]
    job = sim.post(
        "/_sim/jobs",
        {
            "suffix": suffix,
            "created_at": now - age,
            "lifecycle": {
                "total_steps": 5000,
                "n_epochs": 1,
                "seconds_per_step": STEP_SECONDS,
                "validate_seconds": 1,
                "queue_seconds": 1,
                "metrics_every": 1,
            },
        },
    )
    return job["id"]


def ftmon_repaints(
    sim: SimProcess,
    select: str,
    tab: str | None,
    repeats: int,
    interval: float,
    settle: float = 1.0,
) -> list[Repaint]:
    argv = [ftmon_exe(), "--job", select, "--interval", f"{interval:g}"]
    with PtyProcess(argv, cols=80, rows=24, env=tui_env(sim.base_url)) as term:
        term.wait_for(select, timeout=30)
        if tab:
            term.press(tab)
            term.wait_for("╭─ events", timeout=10)
        term.wait_quiet(settle, timeout=30)
        return [
            measure_change(term, lambda: sim.advance(STEP_SECONDS), interval + 10)
            for _ in range(repeats)
        ]


def reference_repaints(argv: list[str], repeats: int) -> list[Repaint]:
    with PtyProcess(argv, cols=80, rows=24) as term:
        term.wait_for("ref-ready", timeout=30)
        term.wait_quiet(0.5, timeout=30)
        return [measure_change(term, lambda: term.press("u"), 10) for _ in range(repeats)]


# -- the benchmark ------------------------------------------------------------------------------


def run(
    repeats: int = 5, interval: float = 0.5, settle: float = 1.0, room: bool = True
) -> list[Result]:
    """``room=False`` skips the pane-not-full case (for the smoke run)."""
    with SimProcess(speed=0.0) as sim:
        cancel_active(sim)
        busy = add_running_job(sim, "bench-busy", age=2000)
        sim.advance(120)  # the cancelled jobs settle; the busy job has ~200 events
        jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
        other = next(j["id"] for j in jobs if j["id"] != busy)
        rows = [
            [
                _cut(j["id"], 21),
                _cut(j["model"], 14),
                _cut(j.get("user_provided_suffix") or "", 12),
                j["status"],
                "",
            ]
            for j in jobs
        ]
        busy_index = next(i for i, j in enumerate(jobs) if j["id"] == busy)

        row = ftmon_repaints(sim, other, None, repeats, interval, settle)
        full = ftmon_repaints(sim, busy, "2", repeats, interval, settle)
        roomy: list[Repaint] = []
        if room:
            # A fresh job, alone in moving: its few events leave room in the pane.
            httpx.post(
                f"{sim.base_url}/fine_tuning/jobs/{busy}/cancel",
                headers={"Authorization": f"Bearer {BENCH_KEY}"},
            ).raise_for_status()
            fresh = add_running_job(sim, "bench-fresh", age=0)
            sim.advance(5)
            roomy = ftmon_repaints(sim, fresh, "2", min(repeats, 4), interval, settle)

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(rows, fh)
    try:
        table_argv = ref_app_argv(
            "table",
            "--rows-json",
            fh.name,
            "--height",
            str(LIST_BOX_HEIGHT),
            "--changed-row",
            str(min(busy_index, 5)),
        )
        ref_row = reference_repaints(table_argv, repeats)
    finally:
        Path(fh.name).unlink()
    ref_full = reference_repaints(
        ref_app_argv("log", "--lines", "200", "--height", str(LOG_BOX_HEIGHT)), repeats
    )
    ref_roomy = (
        reference_repaints(
            ref_app_argv("log", "--lines", "3", "--height", str(LOG_BOX_HEIGHT)), min(repeats, 4)
        )
        if room
        else []
    )

    results = []
    row_bytes, _ = summary(row)
    for metric, mine, ref, extra in (
        ("bytes per changed job row", row, ref_row, "DataTable.update_cell"),
        ("bytes per new event line, pane full", full, ref_full, "Log.write_line, full"),
        ("bytes per new event line, room left", roomy, ref_roomy, "Log.write_line, room"),
    ):
        if not mine:
            continue
        value, lines = summary(mine)
        ref_value, ref_lines = summary(ref)
        note = f"{lines:g} lines changed; ref {extra}: {ref_lines:g} lines"
        if mine is not row:
            note += f"; incl. the job's row (~{fmt_bytes(row_bytes)})"
        results.append(
            Result(
                "repaint",
                metric,
                fmt_bytes(value),
                fmt_bytes(ref_value),
                "< 1 KB",
                value < GOAL,
                note,
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="changes per case (median)")
    parser.add_argument("--interval", type=float, default=0.5, help="ftmon poll interval")
    args = parser.parse_args(argv)
    print_results("repaint: one change at 80x24, median of each case", run(**vars(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
