"""The fault soak, in process or over real TCP, engine alone or with the app on it.

Shared by the tests (short runs in CI, long ones marked slow) and ``scripts/reliability.py``.
Each run builds a fresh world of several jobs that train for hours, runs the same world once
without faults (the baseline: how many requests a clean run makes) and once through a seeded
fault plan, then compares every job's events with the simulator's own record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from relkit import (
    DrivenApp,
    Episode,
    Outage,
    Soak,
    SoakReport,
    add_long_job,
    fault_plan,
    sim_client,
)
from support.app import build_app
from support.simkit import new_world

from ftmon.monitor.engine import Monitor
from ftmon.sim.app import create_app
from ftmon.sim.server import running_sim, start_sim_in_thread
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld

INTERVAL = 5.0


@dataclass
class SoakSetup:
    hours: float
    seed: int = 3
    jobs: int = 3
    tui: bool = False
    tcp: bool = False
    spacing: float = 150.0
    timeouts: int = 12
    outages: int = 2
    timeout: float = 0.25
    #: Cursor moves in the app every this many cycles (0: never).
    move_every: int = 97
    #: The app's terminal size: wide draws all four panes (and costs more to render).
    size: tuple[int, int] = (160, 48)


@dataclass
class TuiSamples:
    """What the app's status line said during trouble and after it."""

    during_outage: list[str] = field(default_factory=list)
    after: str | None = None
    running: bool = True
    worker_errors: list[str] = field(default_factory=list)


def build_world(setup: SoakSetup) -> tuple[SimWorld, list[str]]:
    """Jobs of different lengths, so some finish during the run and some outlive it."""
    world = new_world(scenario="empty")
    ids = []
    for index in range(setup.jobs):
        share = 0.45 + 0.5 * index / max(1, setup.jobs - 1)
        ids.append(add_long_job(world, f"soak-{index}", hours=setup.hours * share))
    return world, ids


@contextlib.contextmanager
def transport_for(world: SimWorld, setup: SoakSetup) -> Iterator[tuple[Any, str, Any]]:
    """(transport, base URL, outage hooks): in process, or uvicorn on loopback."""
    if not setup.tcp:
        yield sim_transport(create_app(world)), "http://sim.test/v1", None
        return
    with running_sim(world=world) as sim:
        port = int(sim.base_url.rsplit(":", 1)[1].split("/", 1)[0])
        state: dict[str, Any] = {"stop": sim.stop}

        def stop() -> None:
            state["stop"]()
            state["stop"] = None

        def start() -> None:
            _, state["stop"] = start_sim_in_thread(port=port, world=world)

        transport = httpx.AsyncHTTPTransport(retries=0)
        try:
            yield transport, sim.base_url, (stop, start)
        finally:
            if state["stop"] is not None and state["stop"] is not sim.stop:
                state["stop"]()


async def run_engine(setup: SoakSetup, plan: list[Episode] | None) -> tuple[SoakReport, Any]:
    """One run of the engine alone; ``plan`` None for the clean baseline."""
    world, ids = build_world(setup)
    with transport_for(world, setup) as (transport, base_url, hooks):
        client, ledger = sim_client(world, transport, base_url=base_url, timeout=setup.timeout)
        monitor = Monitor(client, clock=world.clock.now, interval=INTERVAL)
        monitor.select(ids[0])
        outage = Outage(ledger, *hooks) if hooks else None
        name = "engine" + (" over TCP" if setup.tcp else " in process")
        soak = Soak(world, monitor, ledger, plan=plan, outage=outage, name=name)
        await soak.run(setup.hours)
        await soak.catch_up()
        report = soak.finish(ids)
        await client.aclose()
    return report, None


async def run_tui(setup: SoakSetup, plan: list[Episode]) -> tuple[SoakReport, TuiSamples]:
    """The app (headless) on the engine, both on the faulty simulator."""
    world, ids = build_world(setup)
    samples = TuiSamples()
    with transport_for(world, setup) as (transport, base_url, hooks):
        client, ledger = sim_client(world, transport, base_url=base_url, timeout=setup.timeout)
        monitor = Monitor(client, clock=world.clock.now, interval=INTERVAL)
        app = build_app(world, monitor=monitor, app_class=DrivenApp, select_delay=0)
        outage = Outage(ledger, *hooks) if hooks else None
        async with app.run_test(size=setup.size) as pilot:
            published = {"batches": 0, "seen": 0}
            monitor.subscribe(
                lambda changes: published.__setitem__("batches", published["batches"] + 1)
            )

            async def settle() -> None:
                # Let the app handle what the engine published (no idle-waiting: pause(0)).
                if published["batches"] != published["seen"]:
                    published["seen"] = published["batches"]
                    await pilot.pause(0)
                else:
                    await asyncio.sleep(0)

            cycles = {"n": 0}

            async def on_cycle(elapsed: float) -> None:
                cycles["n"] += 1
                if soak._current is not None and soak._current.shape == "outage":
                    samples.during_outage.append(app.main.status_line.text)
                if setup.move_every and cycles["n"] % setup.move_every == 0:
                    # Move among the jobs still training (a finished one is another test).
                    key = "j" if (cycles["n"] // setup.move_every) % 2 else "k"
                    await pilot.press(key)
                    job = monitor.job(app.main.selected_id or "")
                    if job is not None and job.is_final:
                        await pilot.press("k" if key == "j" else "j")

            name = "engine + app" + (" over TCP" if setup.tcp else " in process")
            soak = Soak(
                world,
                monitor,
                ledger,
                plan=plan,
                outage=outage,
                settle=settle,
                on_cycle=on_cycle,
                name=name,
            )
            await soak.run(setup.hours)
            await soak.catch_up()
            await pilot.pause()
            report = soak.finish(ids, app)
            samples.after = app.main.status_line.text
            samples.running = app.is_running and app.return_code is None
            samples.worker_errors = [
                f"{w.name}: {w.error!r}" for w in app.workers if w.error is not None
            ]
        await client.aclose()
    return report, samples


async def fault_soak(setup: SoakSetup) -> tuple[SoakReport, TuiSamples | None]:
    """The baseline (engine, no faults), then the faulty run; the report holds both counts."""
    # Request counts do not depend on the transport: the baseline always runs in process.
    baseline, _ = await run_engine(replace(setup, tcp=False), None)
    plan = fault_plan(
        setup.seed,
        setup.hours,
        spacing=setup.spacing,
        timeouts=setup.timeouts,
        outages=setup.outages,
    )
    if setup.tui:
        report, samples = await run_tui(setup, plan)
    else:
        report, samples = await run_engine(setup, plan)
    report.baseline_requests = baseline.requests
    return report, samples


def check(report: SoakReport, cap: float) -> list[str]:
    """Every way the run failed the issue's promises; empty when it kept them all."""
    problems = []
    if report.crashed:
        problems.append(f"the run crashed: {report.crashed}")
    if report.lost or report.duplicated or report.published_twice:
        problems.append(
            f"events lost {report.lost}, duplicated {report.duplicated}, "
            f"published twice {report.published_twice}"
        )
    if report.events_published != report.events_expected:
        problems.append(
            f"engine published {report.events_published} of {report.events_expected} events"
        )
    if report.events_engine != report.events_held_expected:
        problems.append(
            f"engine holds {report.events_engine} of the newest {report.events_held_expected}"
        )
    for episode in report.unrecovered():
        problems.append(f"never recovered from {episode.label()}")
    slow = [e for e in report.episodes if e.recovery is not None and e.recovery > cap + 1.0]
    for episode in slow:
        problems.append(f"recovery from {episode.label()} took {episode.recovery:.1f}s > {cap}s")
    return problems
