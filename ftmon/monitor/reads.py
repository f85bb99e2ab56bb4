"""One-shot reads of a job: every event, every checkpoint, and its metrics series.

What the engine reads of a job beside its event tail (the checkpoints, the result file), and what
an export or a headless command reads once, comes from here, so the screen, a script and an
export read a job the same way:

* :func:`all_events`: every event (or the newest ``cap``), oldest first, each once;
* :func:`all_checkpoints`: every checkpoint, newest step first;
* :func:`has_result` and :func:`result_text`: whether the job's result file is the record of its
  metrics, and its CSV text;
* :func:`job_series`: the job's metrics, from the result CSV when it has one, else from the
  metrics events; :func:`recent_series`: those of its newest events only (its progress, in
  one request of :data:`PROGRESS_EVENTS`).

Each read raises the client's typed errors (:mod:`ftmon.api.errors`); what to do with one is the
caller's to decide (the engine backs off, a command ends with an exit code). The metrics CSV
written from a series is :meth:`MetricSeries.write_csv`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import NamedTuple

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.api.pagination import iter_items, iter_pages
from ftmon.monitor.series import MetricSeries
from ftmon.text import one_line

#: Items a page of events or checkpoints asks for: the API's most.
PAGE_SIZE = 100
#: The newest events that give a job's progress (its last metrics event: a finished job's
#: last dozen events are its checkpoints, its model and its end), in one request: what the
#: engine reads of a finished job it shows but has not loaded, and ``ftmon jobs`` of each job.
PROGRESS_EVENTS = 20


async def all_events(
    client: FineTuningClient, job_id: str, *, cap: int | None = None
) -> list[FineTuningJobEvent]:
    """Every event of the job, oldest first, walking its pages from the newest.

    An event served twice (the same id, or the same time and message: ids have been unstable)
    is kept once. ``cap``: the newest ``cap`` events only, in pages of at most ``cap``, and no
    page read once that many are in (``cap=20``: one request for 20).
    """
    page_size = PAGE_SIZE if cap is None else max(1, min(cap, PAGE_SIZE))
    newest_first: list[FineTuningJobEvent] = []
    seen_ids: set[str] = set()
    seen_keys: set[tuple[int | None, str]] = set()
    async for page in iter_pages(
        lambda after: client.list_events(job_id, after=after, limit=page_size)
    ):
        for event in page.data:
            if (event.id and event.id in seen_ids) or event.dedupe_key in seen_keys:
                continue
            if event.id:
                seen_ids.add(event.id)
            seen_keys.add(event.dedupe_key)
            newest_first.append(event)
        if cap is not None and len(newest_first) >= cap:
            del newest_first[cap:]
            break
    newest_first.reverse()
    return newest_first


async def all_checkpoints(client: FineTuningClient, job_id: str) -> list[FineTuningJobCheckpoint]:
    """Every checkpoint of the job, newest step first (of one step, in the API's order).

    The one order of every reader: the engine (and so the TUI's checkpoints tab) and ``ftmon
    checkpoints``. An export lists them by step (:func:`ftmon.export.export_job`).
    """
    items = [
        c
        async for c in iter_items(
            lambda after: client.list_checkpoints(job_id, after=after, limit=PAGE_SIZE)
        )
    ]
    items.sort(key=lambda c: c.step_number or 0, reverse=True)
    return items


def has_result(job: FineTuningJob) -> bool:
    """Whether the job's result file is there to read: it succeeded, and names one."""
    return job.status_key == "succeeded" and bool(job.result_files)


async def result_text(client: FineTuningClient, job: FineTuningJob) -> str:
    """The job's result file (the first it names) as CSV text; see :func:`has_result`."""
    return await client.result_csv(job.result_files[0])


class SeriesRead(NamedTuple):
    """A job's metrics as :func:`job_series` read them."""

    series: MetricSeries
    #: ``result_file`` or ``events``.
    source: str
    #: What a person should know of the read: a result file that could not be read, series
    #: dropped over the cap.
    notes: list[str]


async def job_series(
    client: FineTuningClient,
    job: FineTuningJob,
    *,
    events: Sequence[FineTuningJobEvent] | None = None,
) -> SeriesRead:
    """The job's per-step metrics and where they came from.

    As the engine does: a succeeded job's result CSV is the complete record (parsed off the
    event loop: it can hold 100k rows); before that, or if the file cannot be read or holds no
    rows, the metrics events are. ``events``: the job's events, oldest first, when the caller
    has read them already; otherwise they are read here, and only if the result file will not
    do.
    """
    notes: list[str] = []
    if has_result(job):
        try:
            text = await result_text(client, job)
        except errors.FtmonApiError as exc:
            notes.append(f"result file unreadable ({one_line(exc)}); used the metrics events")
        else:
            series = MetricSeries()
            if await asyncio.to_thread(series.fill_from_csv, text):
                return _read(series, "result_file", notes)
    if events is None:
        events = await all_events(client, job.id)
    return _read(_from_events(events), "events", notes)


def _read(series: MetricSeries, source: str, notes: list[str]) -> SeriesRead:
    """The read, and the note of the series cap (``MAX_SERIES``) when it dropped any."""
    dropped = series.dropped_note()
    return SeriesRead(series, source, [*notes, dropped] if dropped else notes)


async def recent_series(client: FineTuningClient, job_id: str, *, cap: int) -> MetricSeries:
    """The metrics of the job's newest ``cap`` events: enough for its progress (the latest step
    and the total), in one request."""
    return _from_events(await all_events(client, job_id, cap=cap))


def series_of(events: Sequence[FineTuningJobEvent]) -> MetricSeries:
    """The metric series of these events (read already, e.g. for the doctor too)."""
    return _from_events(events)


def _from_events(events: Sequence[FineTuningJobEvent]) -> MetricSeries:
    series = MetricSeries()
    for event in events:
        series.add_event(event)
    return series
