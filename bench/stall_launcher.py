"""Run a Textual program with an event-loop watchdog, in whatever terminal it is started in.

``python bench/stall_launcher.py OUT.json ftmon [ftmon args...]`` runs ftmon's own entry point;
``python bench/stall_launcher.py OUT.json ref [ref_apps args...]`` runs a reference app. Neither
is changed: the launcher installs an event-loop policy whose loops start, besides the program's
own work, a task that sleeps 10 ms at a time and records how late each wake-up is. Lateness is
the time the loop spent running something else without yielding: what the user feels as a
frozen screen. At exit the stalls, peak RSS and CPU time are written to OUT.json.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

TICK = 0.010
#: Stalls longer than this are listed one by one, with when they ended (all count in the max).
LIST_OVER = 0.002


class Watchdog:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.max_stall = 0.0
        self.max_at = 0.0
        self.stalls: list[tuple[float, float]] = []
        self.ticks = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK)
            late = loop.time() - before - TICK
            self.ticks += 1
            now = time.monotonic()
            if late > self.max_stall:
                self.max_stall, self.max_at = late, now
            if late > LIST_OVER:
                self.stalls.append((now, late))

    def report(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "started": self.started,
            "max_stall": self.max_stall,
            "max_at": self.max_at,
            "stalls": self.stalls,
            "ticks": self.ticks,
            "peak_rss": usage.ru_maxrss * 1024,  # Linux reports KiB
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
        }


def install(out: Path) -> Watchdog:
    """Every event loop created from now on runs the watchdog; the report is written at exit."""
    watchdog = Watchdog()
    base = asyncio.get_event_loop_policy()

    class WatchedPolicy(type(base)):  # type: ignore[misc]
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            loop = super().new_event_loop()
            loop.call_soon(lambda: loop.create_task(watchdog.run()))
            return loop

    asyncio.set_event_loop_policy(WatchedPolicy())

    def write() -> None:
        out.write_text(json.dumps(watchdog.report()))

    atexit.register(write)
    return watchdog


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[2] not in ("ftmon", "ref"):
        print(__doc__, file=sys.stderr)
        return 2
    install(Path(argv[1]))
    args = argv[3:]
    if argv[2] == "ftmon":
        from ftmon.cli import main as ftmon_main

        return ftmon_main(args)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ref_apps import main as ref_main

    return ref_main(args)


def profiled(argv: list[str], path: str) -> int:
    """``BENCH_PROFILE=out.prof``: the same run under cProfile, to find what blocked the loop.

    A reference app's profile goes to ``out.prof.ref``, so ftmon's is not overwritten."""
    import cProfile

    profile = cProfile.Profile()
    try:
        return profile.runcall(main, argv)
    finally:
        profile.dump_stats(path)


if __name__ == "__main__":
    profile_to = os.environ.get("BENCH_PROFILE")
    if profile_to and len(sys.argv) > 2 and sys.argv[2] == "ref":
        # A benchmark runs ftmon and then the reference: keep ftmon's profile, not the last one.
        profile_to += ".ref"
    code = profiled(sys.argv, profile_to) if profile_to else main(sys.argv)
    sys.stdout.flush()
    sys.exit(code)
