"""``ftmon show``, ``ftmon checkpoints`` and ``ftmon metrics``: one job, read once.

The reads are :mod:`ftmon.monitor.reads`', as the engine's and an export's.
"""

from __future__ import annotations

import io

from ftmon import exits
from ftmon.api import errors
from ftmon.api.models import FineTuningJobCheckpoint
from ftmon.headless.render import as_json, checkpoint_lines, field_lines, metrics_table
from ftmon.headless.runner import Context
from ftmon.monitor import reads
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import MetricSeries
from ftmon.present.doctor import job_diagnosis
from ftmon.present.fields import job_fields
from ftmon.present.keep import KeepAdvice, keep_advice
from ftmon.text import one_line, redact_secrets

#: Newest events read by ``show`` (one request): the job's progress and pace, and its phases
#: when they reach back to its start (else the phases say from when they are read).
SHOW_EVENTS = 100


async def show_command(ctx: Context) -> int:
    """Every field of one job, as the TUI's detail pane shows it."""
    job = await ctx.client.retrieve_job(ctx.args.job)
    if ctx.out.json_mode:
        ctx.out.document(as_json(job))
        return 0
    series: MetricSeries | None
    found = None
    now = ctx.conn.now()
    try:  # the progress, the phases and the pace, from the newest events
        events = await reads.all_events(ctx.client, job.id, cap=SHOW_EVENTS)
    except errors.FtmonApiError:
        series = None  # no progress rather than an error
    else:
        series = reads.series_of(events)
        records = [EventRecord.of(event) for event in events]
        found = job_diagnosis(job, records, series, now, ctx.settings.doctor)
    fields = job_fields(job, now, series, found)
    gutter = max((len(f.label) for f in fields), default=0) + 2
    for line in field_lines(fields):
        # On a terminal a long value goes on under itself, or whole on the next line (a model
        # name) when it would not fit beside the labels; never folded mid-token.
        longest = max((len(word) for word in line.plain[gutter:].split()), default=0)
        ctx.out.fit(line, indent=gutter if longest <= ctx.out.width - gutter else 4)
    return 0


async def checkpoints_command(ctx: Context) -> int:
    """A job's checkpoints, newest step first as the TUI lists them: step, model name (for
    ``ftmon perms``) and metrics, the one to keep marked (:mod:`ftmon.present.keep`).
    ``--best``: that checkpoint's model name alone (``--json``: its whole record), for scripts;
    exit 4 when there is none to choose."""
    best_only = getattr(ctx.args, "best", False)
    items = await reads.all_checkpoints(ctx.client, ctx.args.job)
    if ctx.out.json_mode and not best_only:
        ctx.out.document([as_json(c) for c in items])
        return 0
    if not items:
        if best_only:
            raise exits.CommandError(
                f"{one_line(ctx.args.job)} has no checkpoints", exits.NOT_FOUND
            )
        ctx.out.note("no checkpoints")
        return 0
    advice = await keep_for(ctx, items)
    if best_only:
        if advice.best is None:
            raise exits.CommandError(f"no checkpoint to keep: {advice.rule}", exits.NOT_FOUND)
        if ctx.out.json_mode:
            ctx.out.document(as_json(advice.best))
        else:
            ctx.out.line(
                one_line(advice.best.fine_tuned_model_checkpoint) or one_line(advice.best.id)
            )
        return 0
    ctx.out.lines(checkpoint_lines(tuple(items), ctx.out.width, advice=advice))
    return 0


async def keep_for(ctx: Context, items: list[FineTuningJobCheckpoint]) -> KeepAdvice:
    """Which checkpoint to keep: by the checkpoints' own metrics when they settle it, else with
    the job's metrics series too (read as ``ftmon metrics`` reads it)."""
    job = await ctx.client.retrieve_job(ctx.args.job)
    advice = keep_advice(job.method_type, items, None)
    if advice.best is None or job.method_type == "reinforcement":
        try:
            series = (await reads.job_series(ctx.client, job)).series
        except errors.FtmonApiError as exc:
            ctx.out.note(f"metrics unreadable ({one_line(exc)}); chose by the checkpoints alone")
        else:
            advice = keep_advice(job.method_type, items, series)
    return advice


async def metrics_command(ctx: Context) -> int:
    """A job's per-step metrics series."""
    job = await ctx.client.retrieve_job(ctx.args.job)
    # As the engine reads them: a succeeded job's result CSV, else (or if it cannot be read)
    # the metrics events.
    series, source, notes = await reads.job_series(ctx.client, job)
    for note in notes:  # on stderr, whatever the output
        ctx.out.note(note)
    if ctx.out.json_mode:
        # Every series, named as the API names it (the supervised ones as ftmon always has),
        # in the order of MetricSeries.names().
        ctx.out.document(
            {
                "job_id": job.id,
                "status": job.status,
                "source": source,
                "complete": series.complete,
                "total_steps": series.total_steps,
                "names": series.names(),
                "dropped_series": series.dropped,
                "steps": series.rows(),
            }
        )
        return 0
    if ctx.args.csv:
        # The names are API text: written as data, but never with a key a server echoed.
        text = io.StringIO()
        series.write_csv(text)
        ctx.out.stdout.write(redact_secrets(text.getvalue()))
        ctx.out.stdout.flush()
        return 0
    if not len(series):
        ctx.out.note("no metrics yet")
        return 0
    where = "the result file" if source == "result_file" else "metrics events"
    total = f" of {series.total_steps}" if series.total_steps else ""
    ctx.out.line(f"{one_line(job.id)}: {len(series)} steps{total}, from {where}")
    lines, left_out = metrics_table(series, ctx.out.width)
    ctx.out.lines(lines)
    if left_out:
        ctx.out.note(
            f"{left_out} more series left out at {ctx.out.width} columns: "
            "--csv or --json carry every one"
        )
    return 0
