"""The TUI tells the user's [[alerts]] when a job it watches ends, in the background."""

from __future__ import annotations

from pathlib import Path

from support.app import build_app
from support.sink import WebhookSink
from tuikit import settle

from ftmon.alerts import Alerter, DeliveryPolicy
from ftmon.config import AlertSpec, Secret
from ftmon.sim import SimWorld

QUICK = DeliveryPolicy(tries=2, timeout=1.0, backoff=0.01, backoff_cap=0.05, retry_after_cap=1.0)


async def test_a_job_that_finishes_while_the_app_runs_is_sent_once(
    world: SimWorld, tmp_path: Path
) -> None:
    ended = ("succeeded", "failed", "cancelled")
    live = {j["id"] for j in world.list_jobs(limit=100)[0] if j["status"] not in ended}
    with WebhookSink() as sink:
        hook = AlertSpec(kind="webhook", on=("succeeded",), url=Secret(sink.url))
        alerter = Alerter([hook], state_path=tmp_path / "alerts.json", policy=QUICK)
        app = build_app(world, alerter=alerter)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            for _ in range(30):  # the simulated clock moves until a running job succeeds
                world.clock.advance(600)
                app.monitor.refresh_now()
                await settle(pilot)
                if sink.bodies:
                    break
            finished = sink.wait_for(1)
        assert finished, "no alert reached the sink"
        assert all(body["event"] == "succeeded" for body in finished)
        # Only jobs that ended while watched: those over before the app started stay quiet.
        assert {body["job"]["id"] for body in finished} <= live
        # Each job's end once: no body repeats a job.
        ids = [body["job"]["id"] for body in sink.bodies]
        assert len(ids) == len(set(ids))
