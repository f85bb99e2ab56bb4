"""Bugs the reliability runs found in code this suite does not own, each pinned by one test.

Each began as a strict xfail naming the bug and its fix (docs/reliability.md, "Found"); the fixes
have landed, so these now stand guard against the bug coming back. The single-payload crashes
(F1-F4) are pinned per payload in ``test_rel_hostile.py``, the crash report and the lost
terminal (F5, F6) in ``test_rel_pty.py``.
"""

from __future__ import annotations

import httpx
from hostile_api import NOW
from relkit import settings_for, sim_client
from support.simkit import new_world

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.monitor.engine import Monitor
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport


def _events_api(events: list[object]) -> httpx.MockTransport:
    job = {"id": "ftjob-a", "status": "running", "created_at": NOW}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(200, json={"object": "list", "data": events, "has_more": False})
        if request.url.path.endswith("/checkpoints"):
            return httpx.Response(200, json={"object": "list", "data": [], "has_more": False})
        if request.url.path.endswith("/jobs"):
            return httpx.Response(200, json={"object": "list", "data": [job], "has_more": False})
        return httpx.Response(200, json=job)

    return httpx.MockTransport(handle)


async def test_one_malformed_event_does_not_hide_the_others() -> None:
    """F4: one event whose message is an object made the whole events page unreadable."""
    good = [
        {"id": f"ev-{i}", "created_at": NOW - i, "message": f"Step {i}/9", "level": "info"}
        for i in (1, 3)
    ]
    bad = {"id": "ev-2", "created_at": NOW - 2, "message": {"text": "an object"}}
    client = FineTuningClient(
        settings_for("http://hostile.test/v1", max_retries=0),
        transport=_events_api([good[0], bad, good[1]]),
        retry=RetryPolicy(max_attempts=1),
    )
    monitor = Monitor(client, interval=5, clock=lambda: float(NOW))
    monitor.select("ftjob-a")
    await monitor.poll_once()
    shown = [e.id for e in monitor.events("ftjob-a")]
    assert "ev-1" in shown and "ev-3" in shown


async def test_health_recovers_after_visiting_a_finished_job_during_an_outage() -> None:
    """F7: a finished job selected during an outage kept its failed fetch in the health for
    good once the cursor left it (never polled again): "retrying" forever."""
    world = new_world(scenario="default")
    client, ledger = sim_client(world, sim_transport(create_app(world)))
    monitor = Monitor(client, clock=world.clock.now, interval=5)
    await monitor.poll_once()
    finished = next(j for j in monitor.jobs() if j.is_final)
    running = next(j for j in monitor.jobs() if not j.is_final)
    ledger.down = True  # the server goes away...
    monitor.select(finished.id)  # ...while the user rests on a finished job
    await monitor.poll_once()
    assert monitor.health.state == "failing"
    monitor.select(running.id)
    ledger.down = False  # back, for good
    for _ in range(60):  # five simulated minutes
        world.clock.advance(monitor.seconds_to_next_poll())
        await monitor.poll_once()
    assert monitor.health.state == "ok", monitor.health.describe(world.clock.now())


async def test_a_backed_off_fetch_is_retried_when_its_backoff_ends() -> None:
    """F8: a job that lost the selection while backed off was retried only on its slower turn
    (every ``active_every`` cycles), so recovery could take a backoff cap plus two intervals."""
    world = new_world(scenario="empty")
    from relkit import add_long_job

    first = add_long_job(world, "first", hours=2)
    second = add_long_job(world, "second", hours=2)
    client, _ = sim_client(world, sim_transport(create_app(world)))
    monitor = Monitor(client, clock=world.clock.now, interval=5, active_every=3)
    monitor.select(first)
    await monitor.poll_once()  # cycle 1: every job
    # Four 503s: every try of the next request for the first job's events fails.
    world.faults.add("503", count=4, route=f"/fine_tuning/jobs/{first}/events")
    world.clock.advance(5)
    await monitor.poll_once()  # cycle 2: the selected job only; its events fail
    assert monitor.health.state == "failing"
    monitor.select(second)
    # Past the first job's backoff, the server fine again; cycle 3 is not a slow turn.
    world.clock.advance(monitor.backoff_cap)
    await monitor.poll_once()
    assert monitor.health.state == "ok", monitor.health.describe(world.clock.now())
