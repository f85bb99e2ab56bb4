"""What following one running job costs the API: requests and bytes per minute.

Three followers of the same running job, one after the other, against one ``ftmon sim`` over
TCP, each through a byte-counting TCP proxy (so every client pays the same HTTP framing):

* ftmon's engine (``Monitor``) with ``watch_list=True``, as the TUI runs it (the job list and the
  other active jobs are kept fresh too);
* the engine with ``watch_list=False``, as the headless ``watch``/``events --follow`` run it;
* the usual script with the official ``openai`` package: ``jobs.retrieve`` and
  ``jobs.list_events(limit=20)`` every interval.

All poll at the same interval. To keep the run short the simulator runs ``--speed`` times faster
than real time and the interval is ``5 / speed`` seconds, so each run of ``--seconds`` stands for
``speed`` times as long at a 5 s interval; the numbers are scaled to one minute of that. Requests
are counted by the simulator (``/_sim/stats``), bytes by the proxy. The engine's first poll
(the job's event history, checkpoints, the job list) is reported apart, as a one-off cost.

Run: ``python bench/follow_cost.py [--seconds 20] [--speed 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openai import OpenAI

from bench.common import (
    BENCH_KEY,
    CountingProxy,
    Result,
    SimProcess,
    fmt_bytes,
    fmt_num,
    print_results,
    sim_request_count,
)
from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings
from ftmon.monitor.engine import Monitor

REAL_INTERVAL = 5.0  # the interval the numbers are scaled to


@dataclass
class Cost:
    requests: int
    down: int
    up: int
    seconds: float

    def per_minute(self, speed: float) -> tuple[float, float, float]:
        """Requests, bytes down, bytes up per minute at the 5 s interval this run stands for."""
        minutes = self.seconds * speed / 60.0
        return self.requests / minutes, self.down / minutes, self.up / minutes


class Counter:
    """Requests (from the simulator) and bytes (from the proxy) since the last ``start()``."""

    def __init__(self, sim: SimProcess, proxy: CountingProxy) -> None:
        self.sim, self.proxy = sim, proxy

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.r0 = sim_request_count(self.sim.stats())
        self.up0, self.down0, _ = self.proxy.counts.snapshot()

    def stop(self) -> Cost:
        up, down, _ = self.proxy.counts.snapshot()
        requests = sim_request_count(self.sim.stats()) - self.r0
        return Cost(requests, down - self.down0, up - self.up0, time.monotonic() - self.t0)


async def follow_with_engine(
    base_url: str, job_id: str, interval: float, seconds: float, watch_list: bool, count: Counter
) -> tuple[Cost, Cost]:
    """(first load, steady following) of the engine following ``job_id``."""
    settings = Settings(api_key=Secret(BENCH_KEY), base_url=base_url, interval=interval)
    client = FineTuningClient(settings)
    monitor = Monitor(client, interval=interval, watch_list=watch_list)
    monitor.select(job_id)
    count.start()
    await monitor.poll_once()  # the first load, on its own
    first = await asyncio.to_thread(count.stop)
    await asyncio.to_thread(count.start)
    task = asyncio.create_task(monitor.run())
    try:
        await asyncio.sleep(seconds)
        steady = await asyncio.to_thread(count.stop)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.aclose()
    return first, steady


def follow_with_openai(
    base_url: str, job_id: str, interval: float, seconds: float, count: Counter
) -> Cost:
    """The script people write: retrieve the job and its 20 newest events, sleep, repeat."""
    client = OpenAI(api_key=BENCH_KEY, base_url=base_url, max_retries=0)
    seen: set[str] = set()
    count.start()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            job = client.fine_tuning.jobs.retrieve(job_id)
            events = client.fine_tuning.jobs.list_events(fine_tuning_job_id=job_id, limit=20)
            seen.update(e.id for e in events.data)
            if job.status in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(interval)
        return count.stop()
    finally:
        client.close()


def run(seconds: float = 20.0, speed: float = 10.0) -> list[Result]:
    interval = REAL_INTERVAL / speed
    with SimProcess(speed=speed) as sim, CountingProxy(sim.port) as proxy:
        jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
        job = next(j for j in jobs if j["status"] == "running")
        count = Counter(sim, proxy)
        url = proxy.url("/v1")
        on_first, on = asyncio.run(
            follow_with_engine(url, job["id"], interval, seconds, True, count)
        )
        off_first, off = asyncio.run(
            follow_with_engine(url, job["id"], interval, seconds, False, count)
        )
        sdk = follow_with_openai(url, job["id"], interval, seconds, count)

    results = []
    sdk_req, sdk_down, sdk_up = sdk.per_minute(speed)
    for label, cost, first in (
        ("engine, watch_list on", on, on_first),
        ("engine, watch_list off", off, off_first),
    ):
        req, down, up = cost.per_minute(speed)
        results.append(
            Result(
                "follow_cost",
                f"requests / min, {label}",
                fmt_num(req, "", 1),
                fmt_num(sdk_req, "", 1),
                note=f"openai retrieve+list_events(20) every {REAL_INTERVAL:g} s",
            )
        )
        results.append(
            Result(
                "follow_cost",
                f"downloaded / min, {label}",
                fmt_bytes(down),
                fmt_bytes(sdk_down),
                note=f"up {fmt_bytes(up)} vs {fmt_bytes(sdk_up)}; first load "
                f"{first.requests} req, {fmt_bytes(first.down)}",
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="real seconds per follower")
    parser.add_argument("--speed", type=float, default=10.0, help="simulator speed-up")
    args = parser.parse_args(argv)
    title = f"follow cost: one running job, per minute at a {REAL_INTERVAL:g} s interval"
    print_results(title, run(**vars(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
