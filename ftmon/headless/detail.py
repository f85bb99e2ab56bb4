"""``ftmon show``, ``ftmon checkpoints`` and ``ftmon metrics``: one job, read once."""

from __future__ import annotations

import csv

from ftmon.api import errors
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint
from ftmon.api.pagination import iter_items
from ftmon.headless.render import as_json, checkpoint_lines, field_lines, metrics_table
from ftmon.headless.runner import Context
from ftmon.monitor.series import MetricSeries
from ftmon.present.fields import job_fields
from ftmon.text import one_line

#: Newest events read by ``show`` for the job's progress (the latest metrics event is enough).
SHOW_EVENTS = 100


async def show_command(ctx: Context) -> int:
    """Every field of one job, as the TUI's detail pane shows it."""
    job = await ctx.client.retrieve_job(ctx.args.job)
    if ctx.out.json_mode:
        ctx.out.document(as_json(job))
        return 0
    series = await _recent_series(ctx, job)
    ctx.out.lines(field_lines(job_fields(job, ctx.conn.now(), series)))
    return 0


async def _recent_series(ctx: Context, job: FineTuningJob) -> MetricSeries | None:
    """Progress from the newest metrics events; none (rather than an error) if unreadable."""
    try:
        page = await ctx.client.list_events(job.id, limit=SHOW_EVENTS)
    except errors.FtmonApiError:
        return None
    series = MetricSeries()
    for event in reversed(page.data):
        series.add_event(event)
    return series


async def fetch_checkpoints(ctx: Context, job_id: str) -> list[FineTuningJobCheckpoint]:
    """Every checkpoint, newest step first, the way the engine orders them."""
    items = [
        c
        async for c in iter_items(
            lambda after: ctx.client.list_checkpoints(job_id, after=after, limit=100)
        )
    ]
    items.sort(key=lambda c: c.step_number or 0, reverse=True)
    return items


async def checkpoints_command(ctx: Context) -> int:
    """A job's checkpoints: step, model name (for ``ftmon perms``) and metrics."""
    items = await fetch_checkpoints(ctx, ctx.args.job)
    if ctx.out.json_mode:
        ctx.out.document([as_json(c) for c in items])
        return 0
    if not items:
        ctx.out.line("No checkpoints.")
        return 0
    ctx.out.lines(checkpoint_lines(tuple(items), ctx.out.width))
    return 0


async def load_series(ctx: Context, job: FineTuningJob) -> tuple[MetricSeries, str]:
    """The job's per-step metrics and where they came from: ``result_file`` or ``events``.

    As the engine does: a succeeded job's result CSV is the complete record; before that (or if
    the file cannot be read) the metrics events are.
    """
    series = MetricSeries()
    if job.status_key == "succeeded" and job.result_files:
        try:
            text = await ctx.client.result_csv(job.result_files[0])
        except errors.FtmonApiError as exc:
            if not ctx.out.json_mode:
                ctx.out.note(f"result file unreadable ({exc}); using the metrics events")
        else:
            if series.fill_from_csv(text):
                return series, "result_file"
    events = [
        e
        async for e in iter_items(
            lambda after: ctx.client.list_events(job.id, after=after, limit=100)
        )
    ]
    for event in reversed(events):
        series.add_event(event)
    return series, "events"


async def metrics_command(ctx: Context) -> int:
    """A job's per-step metrics series."""
    job = await ctx.client.retrieve_job(ctx.args.job)
    series, source = await load_series(ctx, job)
    if ctx.out.json_mode:
        ctx.out.document(
            {
                "job_id": job.id,
                "status": job.status,
                "source": source,
                "complete": series.complete,
                "total_steps": series.total_steps,
                "names": series.names(),
                "steps": series.rows(),
            }
        )
        return 0
    if ctx.args.csv:
        writer = csv.writer(ctx.out.stdout, lineterminator="\n")
        names = series.names()
        writer.writerow(["step", *names])
        for row in series.rows():
            writer.writerow([row["step"], *(row.get(n, "") for n in names)])
        return 0
    if not len(series):
        ctx.out.line("No metrics yet.")
        return 0
    where = "the result file" if source == "result_file" else "metrics events"
    total = f" of {series.total_steps}" if series.total_steps else ""
    ctx.out.line(f"{one_line(job.id)}: {len(series)} steps{total}, from {where}")
    ctx.out.lines(metrics_table(series, ctx.out.width))
    return 0
