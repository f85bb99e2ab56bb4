"""One-shot reads (ftmon.monitor.reads): what each asks of the API, and what it hands back."""

from __future__ import annotations

import io
from typing import Any, cast

import pytest

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent, Page
from ftmon.monitor import reads
from ftmon.monitor.engine import Monitor
from ftmon.monitor.series import MetricSeries
from ftmon.sim.world import SimWorld


def event(n: int, *, step: int | None = None, id: str | None = None) -> FineTuningJobEvent:
    data = {"step": step, "train_loss": 1.0 / (step + 1), "total_steps": 50} if step else None
    return FineTuningJobEvent.model_validate(
        {"id": id or f"ev-{n}", "created_at": 1000 + n, "message": f"event {n}", "data": data}
    )


def checkpoint(n: int, step: int) -> FineTuningJobCheckpoint:
    return FineTuningJobCheckpoint.model_validate(
        {"id": f"cp-{n}", "step_number": step, "created_at": 2000 + n}
    )


class Paged:
    """A client over fixed lists (newest first), noting each request."""

    def __init__(
        self,
        events: list[FineTuningJobEvent] | None = None,
        checkpoints: list[FineTuningJobCheckpoint] | None = None,
        result: str | Exception | None = None,
    ) -> None:
        self.events = events or []
        self.checkpoints = checkpoints or []
        self.result = result
        self.calls: list[tuple[str, str | None, int | None]] = []

    @staticmethod
    def _page(items: list[Any], after: str | None, limit: int | None) -> Page[Any]:
        start = next((i + 1 for i, item in enumerate(items) if item.id == after), 0)
        chunk = items[start : start + (limit or 20)]
        return Page(data=chunk, has_more=start + len(chunk) < len(items))

    async def list_events(
        self, job_id: str, *, after: str | None = None, limit: int | None = None
    ) -> Page[FineTuningJobEvent]:
        self.calls.append(("events", after, limit))
        return self._page(self.events, after, limit)

    async def list_checkpoints(
        self, job_id: str, *, after: str | None = None, limit: int | None = None
    ) -> Page[FineTuningJobCheckpoint]:
        self.calls.append(("checkpoints", after, limit))
        return self._page(self.checkpoints, after, limit)

    async def result_csv(self, file_id: str) -> str:
        self.calls.append(("result", file_id, None))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result or ""


def client_of(paged: Paged) -> FineTuningClient:
    return cast(FineTuningClient, paged)


def job(status: str = "running", result_files: tuple[str, ...] = ()) -> FineTuningJob:
    return FineTuningJob.model_validate(
        {"id": "ftjob-1", "status": status, "result_files": list(result_files)}
    )


async def test_all_events_walks_every_page_oldest_first_each_event_once() -> None:
    newest_first = [event(n) for n in range(250, 0, -1)]
    # The same event served again on the next page, once by id and once by time and message.
    newest_first.insert(101, newest_first[99])
    newest_first.insert(150, event(120, id="ev-other-id"))
    paged = Paged(events=newest_first)
    got = await reads.all_events(client_of(paged), "ftjob-1")
    assert [e.id for e in got] == [f"ev-{n}" for n in range(1, 251)]
    assert [limit for _, _, limit in paged.calls] == [100, 100, 100]


@pytest.mark.parametrize(("cap", "requests"), [(20, [20]), (100, [100]), (150, [100, 100])])
async def test_all_events_with_a_cap_reads_no_page_past_it(cap: int, requests: list[int]) -> None:
    paged = Paged(events=[event(n) for n in range(500, 0, -1)])
    got = await reads.all_events(client_of(paged), "ftjob-1", cap=cap)
    assert [e.id for e in got] == [f"ev-{n}" for n in range(500 - cap + 1, 501)]
    assert [limit for _, _, limit in paged.calls] == requests


async def test_all_checkpoints_come_newest_step_first_in_one_order() -> None:
    listed = [checkpoint(1, 30), checkpoint(2, 10), checkpoint(3, 30), checkpoint(4, 20)]
    paged = Paged(checkpoints=listed)
    got = await reads.all_checkpoints(client_of(paged), "ftjob-1")
    # Newest step first; of one step, as the API listed them.
    assert [c.id for c in got] == ["cp-1", "cp-3", "cp-4", "cp-2"]
    assert paged.calls == [("checkpoints", None, 100)]


async def test_a_succeeded_jobs_series_is_its_result_file_and_no_event_is_read() -> None:
    paged = Paged(events=[event(1, step=1)], result="step,train_loss\n1,0.5\n2,0.25\n")
    read = await reads.job_series(client_of(paged), job("succeeded", ("file-r",)))
    assert (read.source, read.notes) == ("result_file", [])
    assert read.series.rows() == [{"step": 1, "train_loss": 0.5}, {"step": 2, "train_loss": 0.25}]
    assert read.series.complete
    assert paged.calls == [("result", "file-r", None)]


async def test_an_unreadable_result_file_falls_back_to_the_events_with_a_note() -> None:
    failing = errors.ServerError("503 Service Unavailable", status_code=503)
    paged = Paged(events=[event(2, step=2), event(1, step=1)], result=failing)
    read = await reads.job_series(client_of(paged), job("succeeded", ("file-r",)))
    assert read.source == "events"
    assert read.notes == [
        "result file unreadable (503 Service Unavailable); used the metrics events"
    ]
    assert read.series.steps() == [1, 2] and read.series.total_steps == 50
    assert [kind for kind, _, _ in paged.calls] == ["result", "events"]


async def test_a_result_file_without_rows_falls_back_to_the_events_given() -> None:
    paged = Paged(result="step,train_loss\n")
    given = [event(1, step=1), event(2, step=2)]
    read = await reads.job_series(client_of(paged), job("succeeded", ("f",)), events=given)
    assert (read.source, read.series.steps(), read.notes) == ("events", [1, 2], [])
    assert [kind for kind, _, _ in paged.calls] == ["result"]  # the events were given


async def test_a_running_jobs_series_is_its_events() -> None:
    paged = Paged(events=[event(3, step=3), event(2), event(1, step=1)], result="unused")
    read = await reads.job_series(client_of(paged), job("running", ("f",)))
    assert (read.source, read.series.steps()) == ("events", [1, 3])
    assert [kind for kind, _, _ in paged.calls] == ["events"]


async def test_recent_series_is_the_newest_events_in_one_request() -> None:
    paged = Paged(events=[event(n, step=n) for n in range(60, 0, -1)])
    series = await reads.recent_series(client_of(paged), "ftjob-1", cap=20)
    assert series.steps() == list(range(41, 61))
    assert paged.calls == [("events", None, 20)]


def test_the_metrics_csv_has_step_and_our_names_empty_where_a_step_has_none() -> None:
    series = MetricSeries()
    series.add(1, {"loss": 0.5, "valid_loss": 0.75})
    series.add(2, {"train_loss": 0.1 + 0.2})
    out = io.StringIO()
    series.write_csv(out)
    assert out.getvalue() == "step,train_loss,valid_loss\n1,0.5,0.75\n2,0.30000000000000004,\n"


async def test_the_engine_and_the_reads_agree_on_a_succeeded_job(
    client: FineTuningClient, sim_world: SimWorld
) -> None:
    """What the TUI shows of a finished job is what ``ftmon checkpoints`` and ``metrics`` print."""
    jobs, _ = sim_world.list_jobs(limit=100)
    job_id = next(j["id"] for j in jobs if j["status"] == "succeeded" and j.get("result_files"))
    monitor = Monitor(client, clock=sim_world.clock.now, watch_list=False)
    monitor.select(job_id)
    await monitor.poll_once()
    assert monitor.is_complete(job_id)
    finished = monitor.job(job_id)
    assert finished is not None
    assert list(monitor.checkpoints(job_id)) == await reads.all_checkpoints(client, job_id)
    read = await reads.job_series(client, finished)
    assert read.source == "result_file"
    assert read.series.rows() == monitor.series(job_id).rows()
