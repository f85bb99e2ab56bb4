"""Helpers of the engine tests: a monitor on the simulator, and a recorder of what it publishes."""

from __future__ import annotations

from typing import Any

from ftmon.api.client import FineTuningClient
from ftmon.monitor.engine import Monitor
from ftmon.sim.world import SimWorld


def make_monitor(client: FineTuningClient, world: SimWorld, **kwargs: Any) -> Monitor:
    kwargs.setdefault("interval", 5.0)
    return Monitor(client, clock=world.clock.now, **kwargs)


class Recorder:
    """Collects every published change."""

    def __init__(self, monitor: Monitor) -> None:
        self.changes: list[Any] = []
        monitor.subscribe(self.changes.extend)

    def of(self, kind: type) -> list[Any]:
        return [c for c in self.changes if isinstance(c, kind)]


def job_with_status(world: SimWorld, status: str) -> str:
    jobs, _ = world.list_jobs(limit=100)
    return next(j["id"] for j in jobs if j["status"] == status)


def sim_messages(world: SimWorld, job_id: str) -> list[tuple[Any, str]]:
    record = world.events_record(job_id)["data"]
    return [(e["created_at"], e["message"]) for e in record]
