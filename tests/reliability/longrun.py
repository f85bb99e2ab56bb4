"""A day of watching, in simulated time: does anything grow that should not?

Run as its own process (so its memory is only ftmon's, the simulator's and the app's), it prints
one JSON report. The app (headless) watches several jobs that train all day on the simulator,
the engine polling every 5 simulated seconds as it would live; every 30 simulated seconds the
rows' ages are redrawn as the app's own timer does; the cursor visits another job every hour.
After a warm-up, every simulated hour it records RSS, asyncio tasks, Textual timers, widgets
and workers, the engine's stores, and the CPU spent (ftmon's part apart from the simulator's,
which runs in this process too).

``python tests/reliability/longrun.py --hours 24 --jobs 4 [--max-events N]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

# A script (run by tests/reliability/test_rel_long.py, scripts/reliability.py or by hand): the
# tests' import roots, as pytest's `pythonpath` has them, after its own directory.
ROOT = Path(__file__).resolve().parents[2]
sys.path[1:1] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402
import psutil  # noqa: E402
from relkit import DrivenApp, add_long_job, sim_client  # noqa: E402
from support.app import build_app  # noqa: E402
from support.simkit import new_world  # noqa: E402

from ftmon.monitor.engine import Monitor  # noqa: E402
from ftmon.sim.app import create_app  # noqa: E402
from ftmon.sim.transport import sim_transport  # noqa: E402

INTERVAL = 5.0
AGES_EVERY = 30.0


class Metered(httpx.AsyncBaseTransport):
    """The simulator's share of the CPU: time spent answering, measured around each call."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.cpu = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = time.process_time()
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.cpu += time.process_time() - start


def census(app: Any) -> dict[str, int]:
    """Things that must not pile up: tasks, timers, widgets, workers, screens.

    The footer's keys and the scrollbars are left out, with their message-pump tasks: they come
    and go with what applies now (``P`` once the selected job has checkpoints, a scrollbar once
    the event log outgrows its pane), which is not growth.
    """
    from textual.scrollbar import ScrollBar
    from textual.widgets._footer import FooterKey

    transient = (FooterKey, ScrollBar)
    nodes = [app, *app.screen_stack]
    for screen in app.screen_stack:
        nodes += list(screen.walk_children(with_self=False))
    nodes = [node for node in nodes if not isinstance(node, transient)]
    return {
        "tasks": sum(not isinstance(_owner(t), transient) for t in asyncio.all_tasks()),
        "timers": sum(len(node._timers) for node in nodes),
        "widgets": len(nodes) - 1 - len(app.screen_stack),
        "workers": len(app.workers),
        "screens": len(app.screen_stack),
    }


def _owner(task: asyncio.Task[Any]) -> Any:
    """The object whose method the task runs (a widget's message pump), if any."""
    frame = getattr(task.get_coro(), "cr_frame", None)
    return frame.f_locals.get("self") if frame is not None else None


async def day(
    hours: float, jobs: int, warmup: float, max_events: int | None = None
) -> dict[str, Any]:
    world = new_world(scenario="empty")
    ids = [
        add_long_job(world, f"day-{i}", hours=hours + 2, seconds_per_step=20, metrics_every=1)
        for i in range(jobs)
    ]
    metered = Metered(sim_transport(create_app(world)))
    client, ledger = sim_client(world, metered, timeout=5.0, keep=False)
    extra = {} if max_events is None else {"max_events": max_events}
    monitor = Monitor(client, clock=world.clock.now, interval=INTERVAL, **extra)
    app = build_app(world, monitor=monitor, app_class=DrivenApp, select_delay=0)
    process = psutil.Process()
    samples: list[dict[str, Any]] = []
    async with app.run_test(size=(160, 48)) as pilot:
        start = world.clock.now()
        next_ages = start + AGES_EVERY
        next_sample = start + warmup * 3600
        # The first move falls inside the warm-up: what a move first builds is not growth.
        next_move = start + min(3600.0, warmup * 1800)
        last = {"cpu": time.process_time(), "sim": metered.cpu}

        async def sample(elapsed: float) -> dict[str, Any]:
            await pilot.pause()
            gc.collect()
            cpu, sim = time.process_time(), metered.cpu
            taken = {
                "hour": round(elapsed / 3600, 2),
                "rss": process.memory_info().rss,
                "cpu_total": cpu - last["cpu"],
                "cpu_sim": sim - last["sim"],
                **census(app),
                "events_held": sum(len(monitor.events(i)) for i in ids),
                "event_log_lines": app.main.event_log.line_count,
                "requests": ledger.count(),
            }
            last.update(cpu=cpu, sim=sim)
            return taken

        while world.clock.now() - start < hours * 3600:
            await monitor.poll_once()
            await pilot.pause(0)
            now = world.clock.now()
            if now >= next_ages:
                app.main._refresh_ages()  # what the app's 30 s timer calls
                next_ages = now + AGES_EVERY
            if now >= next_move:
                await pilot.press("j" if int((now - start) // 3600) % 2 else "k")
                next_move = now + 3600
            if now >= next_sample:
                samples.append(await sample(now - start))
                next_sample = now + 3600
            world.clock.advance(monitor.seconds_to_next_poll())
        samples.append(await sample(world.clock.now() - start))
        running = app.is_running
        errors = [f"{w.name}: {w.error!r}" for w in app.workers if w.error is not None]
    first, final = samples[0], samples[-1]
    span = max(1e-9, final["hour"] - first["hour"])
    after = samples[1:]
    return {
        "hours": hours,
        "jobs": jobs,
        "warmup_hours": warmup,
        "samples": samples,
        "rss_growth": final["rss"] - first["rss"],
        "cpu_per_hour_total": sum(s["cpu_total"] for s in after) / span,
        "cpu_per_hour_sim": sum(s["cpu_sim"] for s in after) / span,
        "requests_per_hour": (final["requests"] - first["requests"]) / span,
        "events_recorded": sum(world.events_record(i)["count"] for i in ids),
        "grew": {
            key: [first[key], final[key]]
            for key in ("tasks", "timers", "widgets", "workers", "screens")
            if final[key] > first[key]
        },
        "running": running,
        "worker_errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--max-events", type=int, help="events the engine keeps per job (default: its own)"
    )
    args = parser.parse_args()
    report = asyncio.run(day(args.hours, args.jobs, args.warmup, args.max_events))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
