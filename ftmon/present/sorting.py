"""The job list's sort orders: created (newest first, as the API lists jobs), status, progress,
ETA. Pure, no Textual; each order is stable, so jobs that tie stay newest first."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ftmon.api.models import FineTuningJob, normalise_status
from ftmon.present.rows import JobRow

#: The orders a key cycles through, the first the default.
SORTS: tuple[str, ...] = ("created", "status", "progress", "eta")

#: Status order: what moves first, then what waits, then what ended (failures before successes).
STATUS_ORDER: dict[str, int] = {
    name: rank
    for rank, name in enumerate(
        (
            "running",
            "resuming",
            "pausing",
            "cancelling",
            "validating_files",
            "queued",
            "pending",
            "created",
            "paused",
            "failed",
            "cancelled",
            "succeeded",
        )
    )
}


def sort_ids(
    ids: Sequence[str],
    sort: str,
    jobs: Mapping[str, FineTuningJob],
    row_of: Callable[[str], JobRow],
) -> list[str]:
    """``ids`` (newest first) in the order ``sort`` names:

    - ``status``: running jobs first, then those that wait, then those that ended;
    - ``progress``: the furthest along first, jobs with no known progress last;
    - ``eta``: the soonest to finish first, jobs with no ETA (finished ones too) last.
    """
    if sort == "status":
        last = len(STATUS_ORDER)
        return sorted(ids, key=lambda i: STATUS_ORDER.get(normalise_status(jobs[i].status), last))
    if sort == "progress":

        def by_progress(job_id: str) -> tuple[int, float]:
            fraction = row_of(job_id).fraction
            return (1, 0.0) if fraction is None else (0, -fraction)

        return sorted(ids, key=by_progress)
    if sort == "eta":

        def by_eta(job_id: str) -> tuple[int, float]:
            job = jobs[job_id]
            finish = job.estimated_finish
            if finish is None or job.is_final:
                return (1, 0.0)
            return (0, float(finish))

        return sorted(ids, key=by_eta)
    return list(ids)
