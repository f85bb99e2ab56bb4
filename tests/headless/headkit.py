"""Helpers for the headless tests: a command's result, the simulator hooks, small jobs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ftmon.sim.world import SimWorld


@dataclass
class Run:
    """What a command left behind: its exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def records(self) -> list[dict[str, Any]]:
        """JSON Lines: one object per line, every line one object."""
        return [json.loads(line) for line in self.out.splitlines()]


@dataclass
class Sim:
    """Hooks a test sets on the in-process connection."""

    world: SimWorld
    #: Called with the world after each sleep of a command (to inject faults, cancel, ...).
    on_sleep: list[Callable[[SimWorld], None]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    connects: int = 0


def lifecycle_job(world: SimWorld, suffix: str, **plan: Any) -> str:
    """A small job that validates, queues, runs 30 steps and ends within ~3 simulated minutes."""
    settings = {
        "total_steps": 30,
        "n_epochs": 3,
        "seconds_per_step": 2,
        "validate_seconds": 10,
        "queue_seconds": 10,
        "finalize_seconds": 10,
        **plan,
    }
    return world.add_job({"suffix": suffix, "lifecycle": settings})["id"]
