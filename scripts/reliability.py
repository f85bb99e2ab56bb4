"""Run the long reliability checks and print the summary table docs/reliability.md quotes.

    .venv/bin/python scripts/reliability.py            # everything: about 15 minutes
    .venv/bin/python scripts/reliability.py --quick    # the same checks, shorter runs

What it runs (the same code as ``tests/reliability``, whose slow tests assert on it):

* the fault soak, 6 simulated hours, engine and app, in process and then over real TCP
  (uvicorn on loopback, the server stopped and restarted for outages);
* a simulated day of watching four training jobs, in its own process (RSS, CPU, tasks...);
* the hostile corpus through client and engine (outcome of every payload), and through a real
  pty (the bytes on the wire judged against ftmon's own escape vocabulary);
* terminal loss: SIGHUP, the pty closing, and the pty closing with no SIGHUP at all.

It prints one Markdown table (and ``--json FILE`` writes every number). The exit status is 1
when a promise was broken (each listed under the table), else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "reliability"
sys.path[:0] = [str(SUITE), str(ROOT / "tests"), str(ROOT)]

MB = 1024 * 1024
CAP = 120.0


@dataclass
class Row:
    area: str
    measure: str
    value: str
    promise: str = ""
    ok: bool = True


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, area: str, measure: str, value: str, promise: str = "", ok: bool = True) -> None:
        self.rows.append(Row(area, measure, value, promise, ok))
        mark = "" if ok else "  <-- BROKEN"
        print(f"  {area}: {measure} = {value}{mark}", flush=True)

    def table(self) -> str:
        lines = ["| area | measured | value | promise | kept |", "| --- | --- | --- | --- | --- |"]
        for row in self.rows:
            kept = "yes" if row.ok else "**no**"
            lines.append(f"| {row.area} | {row.measure} | {row.value} | {row.promise} | {kept} |")
        return "\n".join(lines)

    def broken(self) -> list[Row]:
        return [row for row in self.rows if not row.ok]


# -- faults ------------------------------------------------------------------------------------


def fault_runs(results: Results, hours: float, tcp: bool) -> None:
    """The >= 1,000 faults promise is for the full six hours; shorter runs scale it down."""
    from soaks import SoakSetup, check, fault_soak

    setups = [("in process", SoakSetup(hours=hours, tui=True, jobs=4))]
    if tcp:
        setups.append(
            (
                "real TCP",
                SoakSetup(hours=hours, tui=True, jobs=4, tcp=True, timeout=1.0, timeouts=8),
            )
        )
    for label, setup in setups:
        print(f"fault soak, {label}: {hours:g} simulated hours...", flush=True)
        report, samples = asyncio.run(fault_soak(setup))
        area = f"faults ({label})"
        problems = check(report, CAP)
        kinds = Counter(report.outcomes)
        kinds.pop("ok", None)
        results.data[area] = {
            "summary": report.summary(),
            "outcomes": report.outcomes,
            "recoveries": report.recoveries,
            "problems": problems,
        }
        results.add(
            area, "simulated time / real time", f"{hours:g} h / {report.real_seconds:.0f} s"
        )
        wanted = round(1000 * min(1.0, hours / 6))
        results.add(
            area,
            "faults injected",
            f"{report.faults:,} in {len(report.recoveries)} episodes",
            f">= {wanted:,}",
            report.faults >= wanted,
        )
        results.add(area, "by outcome", ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
        results.add(
            area,
            "requests: with faults / clean run",
            f"{report.requests:,} / {report.baseline_requests:,} "
            f"({report.failed_requests:,} failed; net {report.cost:+,})",
        )
        results.add(
            area,
            "recovery after a fault ended",
            f"worst {report.worst_recovery:.0f} s, median "
            f"{sorted(report.recoveries)[len(report.recoveries) // 2]:.0f} s",
            f"<= one backoff cap ({CAP:.0f} s)",
            not report.unrecovered() and report.worst_recovery <= CAP + 1,
        )
        results.add(
            area,
            "events lost / shown twice",
            f"{report.lost} / {report.duplicated + report.published_twice} of "
            f"{report.events_expected:,}",
            "0 / 0",
            not (report.lost or report.duplicated or report.published_twice),
        )
        alive = bool(samples and samples.running and not samples.worker_errors)
        results.add(
            area,
            "crash",
            "none" if alive and not report.crashed else "CRASHED",
            "none",
            alive and not report.crashed,
        )
        if problems:
            results.data[area]["problems"] = problems


# -- a day -------------------------------------------------------------------------------------


def day_run(results: Results, hours: float) -> None:
    print(f"long run: {hours:g} simulated hours, 4 jobs...", flush=True)
    argv = [
        sys.executable,
        str(SUITE / "longrun.py"),
        "--hours",
        str(hours),
        "--jobs",
        "4",
        "--warmup",
        str(min(2.0, hours / 6)),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        results.add("long run", "run", "FAILED: " + done.stderr[-300:], "", False)
        return
    day = json.loads(done.stdout.strip().splitlines()[-1])
    results.data["long run"] = day
    area = f"long run ({hours:g} h, 4 jobs)"
    growth = day["rss_growth"] / MB
    first, last = day["samples"][0], day["samples"][-1]
    results.add(
        area,
        "RSS after warm-up -> end",
        f"{first['rss'] / MB:.0f} -> {last['rss'] / MB:.0f} MB (+{growth:.1f} MB)",
        "< +10 MB",
        growth < 10,
    )
    results.add(area, "events held by the engine at the end", f"{last['events_held']:,}")
    ftmon_cpu = day["cpu_per_hour_total"] - day["cpu_per_hour_sim"]
    results.add(
        area,
        "CPU per simulated hour",
        f"{ftmon_cpu:.1f} s ftmon (+{day['cpu_per_hour_sim']:.1f} s simulator)",
    )
    results.add(area, "requests per hour", f"{day['requests_per_hour']:,.0f}")
    results.add(
        area,
        "tasks / timers / widgets / workers",
        f"{last['tasks']} / {last['timers']} / {last['widgets']} / {last['workers']}"
        + (f" (grew: {day['grew']})" if day["grew"] else " (no growth)"),
        "no growth",
        not day["grew"],
    )


# -- hostile input -----------------------------------------------------------------------------


def hostile_runs(results: Results) -> None:
    from corpus import build_corpus
    from test_rel_hostile import run_payload

    print("hostile corpus through client and engine...", flush=True)
    corpus = build_corpus()

    async def all_outcomes() -> list[Any]:
        return [await run_payload(payload) for payload in corpus]

    outcomes = asyncio.run(all_outcomes())
    verdicts = Counter(o.verdict for o in outcomes)
    results.data["hostile"] = {o.name: o.verdict for o in outcomes}
    bad = {k: v for k, v in verdicts.items() if k not in ("shown", "marked-unreadable")}
    kinds = ", ".join(f"{k} {v}" for k, v in Counter(p.kind for p in corpus).items())
    results.add(
        "hostile input",
        "payloads (jobs, events, checkpoints, errors, pages)",
        f"{len(corpus)} ({kinds})",
        ">= 200",
        len(corpus) >= 200,
    )
    results.add(
        "hostile input",
        "outcome",
        ", ".join(f"{k} {v}" for k, v in verdicts.items()),
        "shown safely or marked unreadable; no crash",
        not bad,
    )
    print("hostile corpus in a real pty...", flush=True)
    verdict, written = hostile_pty()
    results.add(
        "hostile input",
        "bytes on the pty / foreign sequences",
        f"{written:,} B / {len(verdict.foreign)}",
        "only ftmon's own",
        not verdict.problems(max_bells=len(verdict.notifications) // 2),
    )


def hostile_pty() -> tuple[Any, int]:
    from support.pty import PtyProcess
    from terminal_bytes import judge

    from bench.common import tui_env

    argv = [sys.executable, str(SUITE / "probe.py"), "hostile"]
    with PtyProcess(argv, env=tui_env(TZ="UTC"), cols=160, rows=48) as term:
        term.wait_for(lambda text: "jobs " in text and "loading jobs" not in text, timeout=60)
        jobs = int(term.line_with("╭─ jobs ").split("jobs ", 1)[1].split()[0])
        for _ in range(jobs):
            term.press("j", gap=0.02)
        term.wait_quiet(0.3, timeout=60)
        os.kill(term.pid, signal.SIGUSR1)
        term.wait_for("Job succeeded", timeout=30)
        term.wait_quiet(0.5, timeout=60)
        term.press("q")
        term.wait_exit(10)
        raw = term.raw_output()
    return judge(raw), len(raw)


# -- terminal loss -----------------------------------------------------------------------------


def terminal_runs(results: Results) -> None:
    from support.pty import PtyProcess, close_pty_without_sighup

    from bench.common import tui_env

    print("terminal loss...", flush=True)
    argv = [sys.executable, str(SUITE / "probe.py"), "sim", "--speed", "60", "--interval", "0.2"]
    for how in ("SIGHUP", "pty closed"):
        with PtyProcess(argv, env=tui_env(TZ="UTC")) as term:
            term.wait_for("jobs 15", timeout=30)
            start = time.monotonic()
            if how == "SIGHUP":
                term.signal(signal.SIGHUP)
            else:
                term.hang_up()
            code = term.wait_exit(5)
            took = time.monotonic() - start
        ok = code is not None and took < 1.0
        results.add("terminal loss", f"{how}: exit after", f"{took * 1000:.0f} ms", "< 1 s", ok)
    took, busy = close_pty_without_sighup(
        argv, tui_env(TZ="UTC", COLUMNS="100", LINES="30"), ready=b"jobs 15", wait=5.0
    )
    results.add(
        "terminal loss",
        "pty closed, no SIGHUP at all: exit after",
        f"{took * 1000:.0f} ms" if took is not None else f"never ({busy:.2f} s CPU/s)",
        "< 1 s, no busy loop",
        took is not None and took < 1.0,
    )


# -- main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    parser.add_argument("--no-tcp", action="store_true", help="skip the fault soak over TCP")
    parser.add_argument("--json", type=Path, help="write every number to this file")
    args = parser.parse_args()
    os.environ["TZ"] = "UTC"
    time.tzset()
    results = Results()
    started = time.monotonic()
    fault_runs(results, 1.0 if args.quick else 6.0, tcp=not args.no_tcp)
    day_run(results, 3.0 if args.quick else 24.0)
    hostile_runs(results)
    terminal_runs(results)
    elapsed = time.monotonic() - started
    today = dt.date.today().isoformat()
    print()
    print(
        f"Measured {today} on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}), in {elapsed / 60:.1f} min"
        + (" (--quick)" if args.quick else "")
    )
    print()
    print(results.table())
    broken = results.broken()
    for row in broken:
        print(f"BROKEN: {row.area}: {row.measure} = {row.value} (promise: {row.promise})")
    for area, data in results.data.items():
        for problem in data.get("problems", []) if isinstance(data, dict) else []:
            print(f"  {area}: {problem}")
    if args.json:
        payload = {
            "date": today,
            "quick": args.quick,
            "rows": [r.__dict__ for r in results.rows],
            "data": results.data,
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
