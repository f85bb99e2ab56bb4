"""Archiving the big account: the simulator's ``big`` world (10,000 jobs, a job with 100,000
events, a reinforcement job of 100,000 steps) archived whole, then again (incremental), then
opened through the archive source with the engine.

Each phase runs in a child process of its own, so its peak RSS is its own. The simulator is
served in process (its httpx transport, as ``--demo`` and the tests serve it): the seeded world
on a frozen clock is built anew in each child, the same each time; its own memory is reported
beside the peak (``world``), and its CPU is in the seconds (it makes every answer, 100,000
metrics events of each big job included).

1. **first run**: an empty directory archived with an admin key (so every checkpoint's
   permissions are fetched too): requests (the simulator's count), bytes answered, bytes
   written, seconds, peak RSS;
2. **second run**: the same directory, the same world: what an incremental run costs (the list
   pages, and the jobs not yet final);
3. **open**: ``archive_client`` on the directory (the manifest checked, every file's size), the
   engine's first poll (the job list), then the 100,000-event job selected and polled (its
   newest events, its checkpoints): seconds to each, and peak RSS; beside them the same engine
   on the live (in-process) simulator;
4. **tui**: ``ftmon --archive DIR --job <the 100,000-event job>`` in a real 80x24 pty through
   ``bench/stall_launcher.py``, walked as ``bench/big.py`` walks the live simulator (the job
   shown, ``2`` and its newest events, the log paged, the job list walked to its end): time to
   the first paint, to the job and to its events, the longest loop stall from the first frame to
   quit, and peak RSS; beside them the same walk on the live simulator (``ftmon sim --scenario
   big`` over loopback, as ``bench/big.py`` runs it).

Numbers are printed, never asserted. Run: ``python bench/archive.py [--parallel 4] [--keep]
[--reuse DIR]`` (``--reuse``: an archive kept before, only the open and TUI figures);
``--smoke`` does it all on the simulator's default world (15 jobs), in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.common import Result, fmt_bytes, fmt_num, print_results, python_exe

ADMIN_KEY = "sk-admin-bench-00000000000000"
API_KEY = "sk-bench-0000000000000000"
BASE_URL = "http://ftmon-sim.invalid/v1"
#: The simulator's frozen start (``tests/support/simkit.py``'s ``SIM_START``).
SIM_START = 1_780_000_000
#: The job with 100,000 events (``SimWorld.BIG_EVENTS_JOB_ID``).
BIG_EVENTS_JOB = "ftjob-big-events"


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _Counting(httpx.AsyncBaseTransport):
    """The simulator's transport, counting the bytes of every answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bytes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = await self.inner.handle_async_request(request)
        body = await answer.aread()
        self.bytes += len(body)
        return httpx.Response(answer.status_code, headers=answer.headers, content=body)


#: The world archived: ``big``, or ``default`` for ``--smoke`` (set in each child from argv).
SCENARIO = "big"
#: The job the smoke run opens in the default world (a running job with metrics events).
SMOKE_JOB_KEY = "job:catalog-long"


def _world() -> Any:
    from ftmon.sim.clock import SimClock
    from ftmon.sim.world import SimWorld

    return SimWorld(seed=7, clock=SimClock(start=SIM_START, speed=0), scenario=SCENARIO)


def _events_job(world: Any) -> str:
    if SCENARIO == "big":
        return str(world.highlights["big_events_job"])
    return str(world.highlights[SMOKE_JOB_KEY])


def _live_transport(world: Any) -> _Counting:
    from ftmon.sim.app import create_app
    from ftmon.sim.transport import sim_transport

    return _Counting(sim_transport(create_app(world)))


async def _child_archive(directory: str, parallel: int) -> dict[str, Any]:
    from ftmon.api.client import FineTuningClient
    from ftmon.archive.writer import archive
    from ftmon.config import Secret, Settings

    world = _world()
    world_rss = _peak_rss()
    transport = _live_transport(world)
    settings = Settings(
        api_key=Secret(API_KEY), admin_key=Secret(ADMIN_KEY), base_url=BASE_URL, timeout=120
    )
    async with FineTuningClient(settings, transport=transport) as client:
        start = time.perf_counter()
        summary = await archive(client, directory, concurrency=parallel)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rss": _peak_rss(),
        "world_rss": world_rss,
        "requests": world.stats.total,
        "bytes_down": transport.bytes,
        "summary": summary.to_dict(),
    }


async def _child_open(target: str) -> dict[str, Any]:
    """The engine's first list and the big job's events, on an archive (``target`` its
    directory) or live (``target`` is ``live``)."""
    from ftmon.api.client import FineTuningClient
    from ftmon.archive.source import archive_client
    from ftmon.config import Secret, Settings
    from ftmon.monitor.engine import Monitor

    world_rss = 0
    if target == "live":
        world = _world()
        world_rss = _peak_rss()
        job_id = _events_job(world)
    start = time.perf_counter()
    if target == "live":
        settings = Settings(api_key=Secret(API_KEY), base_url=BASE_URL, timeout=120)
        client = FineTuningClient(settings, transport=_live_transport(world))
    else:
        client = archive_client(Settings(), target)
        job_id = BIG_EVENTS_JOB if SCENARIO == "big" else _events_job(_world())
    opened = time.perf_counter() - start
    monitor = Monitor(client)
    await monitor.poll_once()
    listed = time.perf_counter() - start
    monitor.select(job_id)
    await monitor.poll_once()
    events = len(monitor.events(job_id))
    selected = time.perf_counter() - start
    await client.aclose()
    return {
        "opened": opened,
        "listed": listed,
        "selected": selected,
        "jobs": len(monitor.jobs()),
        "events": events,
        "rss": _peak_rss(),
        "world_rss": world_rss,
    }


def child(argv: list[str]) -> None:
    global SCENARIO
    SCENARIO, argv = argv[0], argv[1:]
    kind = argv[0]
    if kind == "archive":
        result = asyncio.run(_child_archive(argv[1], int(argv[2])))
    else:
        result = asyncio.run(_child_open(argv[1]))
    print(json.dumps(result))


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [python_exe(), __file__, "--child", SCENARIO, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def du(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def archive_results(directory: Path, parallel: int) -> list[Result]:
    """The first and the second run into ``directory``."""
    results: list[Result] = []
    runs = []
    for name in ("first run", "second run"):
        out = run_child("archive", str(directory), str(parallel))
        summary = out["summary"]
        runs.append(out)
        world = f"world {fmt_bytes(out['world_rss'])}"
        results += [
            Result(name, "requests", f"{out['requests']:,}"),
            Result(name, "bytes answered", fmt_bytes(out["bytes_down"])),
            Result(name, "bytes written", fmt_bytes(summary["bytes_written"])),
            Result(name, "seconds", fmt_num(out["seconds"], " s", 1), note="simulator's too"),
            Result(name, "peak RSS", fmt_bytes(out["rss"]), note=f"of which the {world}"),
            Result(
                name,
                "jobs fetched / unchanged",
                f"{summary['jobs']['fetched']:,} / {summary['jobs']['unchanged']:,}",
                note=f"{summary['events_added']:,} events added",
            ),
        ]
        if summary["failed"] or summary["skipped"]:
            counts = f"{len(summary['failed'])} / {len(summary['skipped'])}"
            results.append(Result(name, "jobs failed / skipped", counts))
        if summary["error"]:
            results.append(Result(name, "error", str(summary["error"])[:80]))
    first, second = runs
    results.append(
        Result(
            "second run",
            "share of the first",
            f"{second['requests'] / max(1, first['requests']):.1%} of requests, "
            f"{second['bytes_down'] / max(1, first['bytes_down']):.1%} of bytes, "
            f"{second['seconds'] / max(1e-9, first['seconds']):.1%} of the time",
        )
    )
    return results


def open_results(directory: Path) -> list[Result]:
    """The archive opened with the engine, beside the live simulator."""
    results = [Result("archive", "size on disk", fmt_bytes(du(directory)))]
    live = run_child("open", "live")
    opened = run_child("open", str(directory))
    for key, label in (
        ("opened", "archive checked, client ready"),
        ("listed", "engine's first list"),
        ("selected", "big job's events shown"),
    ):
        results.append(
            Result(
                "open",
                label,
                fmt_num(opened[key], " s", 2),
                reference=fmt_num(live[key], " s", 2) + " live",
            )
        )
    results.append(
        Result(
            "open",
            "jobs listed / events",
            f"{opened['jobs']} / {opened['events']:,}",
            reference=f"{live['jobs']} / {live['events']:,} live",
        )
    )
    results.append(
        Result(
            "open",
            "peak RSS",
            fmt_bytes(opened["rss"]),
            reference=f"{fmt_bytes(live['rss'])} live",
            note=f"live: of which the world {fmt_bytes(live['world_rss'])}",
        )
    )
    return results


def tui_results(directory: Path, settle: float, gap: float) -> list[Result]:
    """``ftmon --archive DIR`` in a pty, walked as ``bench/big.py`` walks the live simulator,
    and that walk on the live simulator beside it."""
    from bench.big import STALL_GOAL, big_session, max_between, worst_stalls
    from bench.common import SimProcess

    job_id = BIG_EVENTS_JOB if SCENARIO == "big" else _events_job(_world())
    with tempfile.TemporaryDirectory() as tmp:
        source = ("--archive", str(directory))
        mine = big_session(None, job_id, Path(tmp) / "archive.json", settle, gap, source=source)
        with SimProcess(speed=0.0, scenario=SCENARIO) as sim:
            live = big_session(sim, job_id, Path(tmp) / "live.json", settle, gap)

    def stall(report: dict[str, Any]) -> float:
        return max_between(report, report["first_frame_at"], report["quit_at"])

    worst = worst_stalls(mine, mine["first_frame_at"], mine["quit_at"])
    return [
        Result(
            "tui",
            "first paint",
            fmt_num(mine["frame"], " s", 2),
            reference=fmt_num(live["frame"], " s", 2) + " live",
            note="ftmon --archive DIR in an 80x24 pty, from its start",
        ),
        Result(
            "tui",
            "the job / its events shown",
            f"{mine['shown']:.2f} s / {mine['events']:.2f} s",
            reference=f"{live['shown']:.2f} s / {live['events']:.2f} s live",
        ),
        Result(
            "tui",
            "longest loop stall, first frame to quit",
            fmt_num(stall(mine) * 1000, " ms", 0),
            reference=fmt_num(stall(live) * 1000, " ms", 0) + " live",
            goal="< 100 ms",
            met=round(stall(mine) * 1000) < STALL_GOAL * 1000,
            note=f"worst: {worst}",
        ),
        Result(
            "tui",
            "longest loop stall, whole run",
            fmt_num(mine["max_stall"] * 1000, " ms", 0),
            reference=fmt_num(live["max_stall"] * 1000, " ms", 0) + " live",
            note=f"at {mine['max_at'] - mine['started']:.1f} s; start-up and exit included",
        ),
        Result(
            "tui",
            "peak RSS",
            fmt_bytes(mine["peak_rss"]),
            reference=fmt_bytes(live["peak_rss"]) + " live",
            note=f"CPU {mine['cpu_seconds']:.1f} s (live {live['cpu_seconds']:.1f} s); "
            f"exit {mine['code']}",
        ),
    ]


def run(
    parallel: int = 4,
    *,
    smoke: bool = False,
    settle: float = 3.0,
    gap: float = 0.2,
    reuse: str | None = None,
    keep: bool = False,
) -> list[Result]:
    """Every phase; ``smoke``: on the default world (15 jobs), in seconds."""
    global SCENARIO
    SCENARIO = "default" if smoke else "big"
    work = Path(tempfile.mkdtemp(prefix="ftmon-bench-archive-"))
    directory = Path(reuse) if reuse else work / "archive"
    results: list[Result] = []
    try:
        if not reuse:
            results += archive_results(directory, parallel)
        results += open_results(directory)
        results += tui_results(directory, settle, gap)
    finally:
        if keep and not reuse:
            print(f"archive kept in {directory}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parallel", type=int, default=4, help="jobs fetched at once")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the archive directory")
    parser.add_argument("--reuse", metavar="DIR", help="an archive kept before: open it only")
    parser.add_argument("--smoke", action="store_true", help="the default world, in seconds")
    parser.add_argument("--settle", type=float, default=3.0, help="quiet seconds before quit")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    title = "archive: the default world (smoke)" if args.smoke else "archive: the big account"
    results = run(
        args.parallel,
        smoke=args.smoke,
        settle=0.5 if args.smoke else args.settle,
        gap=0.05 if args.smoke else 0.2,
        reuse=args.reuse,
        keep=args.keep,
    )
    print_results(title, results)


if __name__ == "__main__":
    main()
