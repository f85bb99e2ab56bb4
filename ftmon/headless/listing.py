"""``ftmon jobs``: the job list, newest first, as a table that fits the terminal or as JSON."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Sequence

from ftmon import exits
from ftmon.api import errors
from ftmon.api.models import FineTuningJob, FineTuningJobEvent, Page, is_final, normalise_status
from ftmon.api.pagination import iter_pages
from ftmon.api.status_rules import BEFORE_TRAINING, StatusRules, provider_rules
from ftmon.config import Settings
from ftmon.headless.render import as_json, jobs_table
from ftmon.headless.runner import Context
from ftmon.monitor import reads
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import MetricSeries
from ftmon.present.doctor import FLAGGABLE, flag_brief, flag_check
from ftmon.text import one_line

#: Jobs whose progress a human listing reads at most (one request each, 8 at a time): ``--all``
#: on an account of thousands of jobs must not send thousands of requests for a column.
PROGRESS_READS = 100


def parse_metadata(text: str) -> tuple[str, str]:
    """``key=value`` for ``--metadata``."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def status_filter(values: Sequence[str] | None) -> set[str]:
    """``--status running,queued --status failed`` as one set; ``active`` means not finished."""
    wanted: set[str] = set()
    for value in values or ():
        wanted |= {normalise_status(s) for s in value.split(",") if s.strip()}
    return wanted


def known_statuses(rules: StatusRules) -> list[str]:
    """The statuses ``--status`` accepts for a provider (its rules' statuses), in lifecycle
    order, and ``active``."""
    return [*rules.statuses(), "active"]


def precheck_jobs(args: argparse.Namespace, settings: Settings) -> None:
    """Before connecting: an unknown ``--status`` is a usage error naming the valid ones (a
    typo would otherwise read as "no jobs match")."""
    rules = provider_rules(settings)
    valid = known_statuses(rules)
    unknown = sorted(status_filter(args.status) - set(valid))
    if unknown:
        raise exits.CommandError(
            f"unknown --status {', '.join(repr(one_line(s, width=40)) for s in unknown)}; "
            f"{rules.label}'s are: {', '.join(valid)}",
            exits.USAGE,
        )


def matches(job: FineTuningJob, wanted: set[str]) -> bool:
    if not wanted:
        return True
    return job.status_key in wanted or ("active" in wanted and not is_final(job.status))


def has_metadata(job: FineTuningJob, metadata: dict[str, str]) -> bool:
    """True when the job carries every ``key=value`` asked for.

    The API is asked to filter too, but a provider may ignore the filter (Azure OpenAI's list
    may): what is shown as a match must be one, so the answer is filtered here as well.
    """
    held = job.metadata or {}
    return all(key in held and str(held[key]) == value for key, value in metadata.items())


async def jobs_command(ctx: Context) -> int:
    """List fine-tuning jobs, newest first."""
    args = ctx.args
    wanted = status_filter(args.status)
    metadata = dict(args.metadata or [])
    limit = None if args.all else args.limit
    # With a filter of ours, a page may hold few matches: ask for the most each time. OpenAI
    # honours the metadata filter (what it sends all match); Azure OpenAI's list may not.
    trusted = provider_rules(ctx.client.settings).provider == "openai"
    filtered = bool(wanted or (metadata and not trusted))
    page_size = 100 if limit is None or filtered else max(1, min(limit, 100))

    def fetch(after: str | None) -> Awaitable[Page[FineTuningJob]]:
        return ctx.client.list_jobs(after=after, limit=page_size, metadata=metadata or None)

    jobs: list[FineTuningJob] = []
    seen: set[str] = set()
    more = False
    async for page in iter_pages(fetch):
        # A page served twice (a cursor that repeats, a list that shifted) prints nothing twice.
        fresh = [job for job in page.data if job.id not in seen]
        seen.update(job.id for job in fresh)
        matching = [job for job in fresh if matches(job, wanted) and has_metadata(job, metadata)]
        room = None if limit is None else limit - len(jobs)
        if room is not None and len(matching) >= room:
            jobs += matching[:room]
            # With a filter, whether later pages match is unknown without fetching them.
            more = len(matching) > room or (page.has_more and not filtered)
            break
        jobs += matching

    if ctx.out.json_mode:
        ctx.out.document([as_json(job) for job in jobs])
        return 0
    if not jobs:
        # On stderr: stdout holds only the table, so a script reading it sees no rows.
        ctx.out.note("no jobs match" if wanted or metadata else "no jobs")
        return 0
    recent = await _recent_events(ctx, jobs[:PROGRESS_READS])
    now = ctx.conn.now()
    series: dict[str, MetricSeries] = {}
    flags: dict[str, str] = {}
    for job in jobs:
        if job.id not in recent:
            continue
        series[job.id] = reads.series_of(recent[job.id])
        records = [EventRecord.of(event) for event in recent[job.id]]
        found = flag_check(job, records, series[job.id], now, ctx.settings.doctor)
        flags[job.id] = flag_brief(found)
    ctx.out.lines(jobs_table(jobs, series, now, ctx.out.width, flags))
    if len(jobs) > PROGRESS_READS:
        ctx.out.note(f"progress read for the newest {PROGRESS_READS} jobs only")
    if more:
        ctx.out.note(f"{len(jobs)} shown; more with --limit N or --all")
    return 0


async def _recent_events(
    ctx: Context, jobs: Sequence[FineTuningJob]
) -> dict[str, list[FineTuningJobEvent]]:
    """The newest events of each job that has trained a step (or is queued: the doctor), as
    the engine reads them: its latest step, so the TUI's list and this table show the same
    progress (:func:`ftmon.present.rows.progress_text`), and what the doctor flags.

    Best effort: a job whose events cannot be read shows no progress rather than failing the list.
    """
    gate = asyncio.Semaphore(8)

    async def one(job: FineTuningJob) -> tuple[str, list[FineTuningJobEvent]]:
        async with gate:
            try:
                return job.id, await reads.all_events(ctx.client, job.id, cap=reads.PROGRESS_EVENTS)
            except errors.FtmonApiError:
                return job.id, []

    def wanted(job: FineTuningJob) -> bool:
        # No step before training: no request for its progress (the doctor's queued ones are
        # read all the same, ``present.doctor.FLAGGABLE``).
        return job.status_key not in BEFORE_TRAINING or job.status_key in FLAGGABLE

    pairs = await asyncio.gather(*(one(j) for j in jobs if wanted(j)))
    return dict(pairs)
