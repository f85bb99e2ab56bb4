"""``ftmon events JOB [--follow] [--since ID]``: a job's events, oldest first."""

from __future__ import annotations

from collections.abc import Sequence

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.api.pagination import iter_items
from ftmon.headless.follow import Follower
from ftmon.headless.render import as_json, event_indent, event_line
from ftmon.headless.runner import Context
from ftmon.monitor.health import Health
from ftmon.present.fields import Progress


async def read_events(ctx: Context, job_id: str, since: str | None) -> list[FineTuningJobEvent]:
    """Every event newer than ``since`` (all without it), oldest first, each once.

    Pages are walked newest first, lazily, stopping at ``since``; an event seen twice (a page
    that shifted while being read) is kept once, by id and by (time, message) as the tail does.
    """
    found = since is None
    events: list[FineTuningJobEvent] = []
    ids: set[str] = set()
    keys: set[tuple[int | None, str]] = set()
    async for event in iter_items(
        lambda after: ctx.client.list_events(job_id, after=after, limit=100)
    ):
        if since is not None and event.id == since:
            found = True
            break
        if (event.id is not None and event.id in ids) or event.dedupe_key in keys:
            continue
        if event.id is not None:
            ids.add(event.id)
        keys.add(event.dedupe_key)
        events.append(event)
    if not found:
        ctx.out.note(f"event {since} is not among the job's events; showing all")
    events.reverse()
    return events


class EventPrinter:
    """Reports only events: a line each, or one JSON object per line with ``--json``."""

    def __init__(self, ctx: Context) -> None:
        self.out = ctx.out

    def job_seen(self, job: FineTuningJob) -> None:
        pass

    def events(
        self, job: FineTuningJob, events: Sequence[FineTuningJobEvent], *, history: bool = False
    ) -> None:
        for event in events:
            if self.out.json_mode:
                self.out.record(as_json(event))
            else:
                line = event_line(event)
                self.out.fit(line, indent=event_indent(line, self.out.width))

    def skipped(self, job: FineTuningJob, events: int, checkpoints: int) -> None:
        pass  # every event is printed: no history is left out

    def progress(self, job: FineTuningJob, progress: Progress) -> None:
        pass

    def checkpoints(
        self, job: FineTuningJob, checkpoints: Sequence[FineTuningJobCheckpoint]
    ) -> None:
        pass

    def status(self, job: FineTuningJob, previous: str | None) -> None:
        pass

    def health(self, health: Health, text: str) -> None:
        if health.state != "ok":
            self.out.note(text or health.state)


async def events_command(ctx: Context) -> int:
    """A job's events, oldest first; ``--follow`` tails new ones until the job ends."""
    args = ctx.args
    if args.follow:
        follower = Follower(
            ctx, args.job, EventPrinter(ctx), give_up_after=args.give_up_after, since=args.since
        )
        await follower.run()
        return 0
    events = await read_events(ctx, args.job, args.since)
    if ctx.out.json_mode:
        ctx.out.document([as_json(e) for e in events])
    else:
        for event in events:
            line = event_line(event)
            ctx.out.fit(line, indent=event_indent(line, ctx.out.width))
    return 0
