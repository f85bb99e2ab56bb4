"""What the modules that build jobs for a world (the seeded scenarios, ``POST /_sim/jobs``) may
use of it: a protocol, so that they need not import :mod:`ftmon.sim.world`, which uses them.
"""

from __future__ import annotations

from typing import Protocol

from ftmon.sim.files import FileRecord, FileStore
from ftmon.sim.jobs import JobHost, SimJob


class WorldView(JobHost, Protocol):
    """The part of :class:`~ftmon.sim.world.SimWorld` a job builder sees (it hosts the jobs)."""

    BIG_EVENTS_JOB_ID: str
    BIG_REWARDS_JOB_ID: str
    seed: int
    organization_id: str
    org_slug: str
    highlights: dict[str, str]
    files: FileStore

    def now(self) -> float: ...

    def has_job(self, job_id: str) -> bool: ...

    def new_job_id(self) -> str: ...

    def new_seed(self, job_id: str) -> int: ...

    def register(self, job: SimJob, *, keep_sorted: bool = True) -> SimJob: ...

    def make_training_file(
        self,
        owner: str,
        created_at: float,
        *,
        examples: int = 20,
        method: str = "supervised",
        filename: str | None = None,
        file_id: str | None = None,
    ) -> FileRecord: ...
