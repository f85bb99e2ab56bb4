"""``ftmon archive DIR``: every job (or ``--job ID ...``, ``--since DATE``, ``--status S ...``)
archived into a directory as the API sent it, incrementally; ``--verify`` checks an archive.

The whole command is here so that wiring it is two lines: :func:`add_arguments` on a parser
that already has ``--json`` and the connection options, and :func:`run` as its coroutine
(``run(ctx.client, ctx.args, ctx.out)``). ``out`` is the headless output object: ``line``,
``note``, ``document``, ``json_mode`` and ``stderr`` (:class:`Out`).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Protocol

from ftmon import exits
from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import normalise_status
from ftmon.archive.layout import ArchiveError, UnsafeIdError, safe_id
from ftmon.archive.verify import verify
from ftmon.archive.writer import ArchiveSummary, Progress, Selection, archive
from ftmon.text import human_size, one_line

HELP = "archive every job (events, checkpoints, permissions, files) into a directory, as sent"
EXAMPLES = [
    "ftmon archive runs-archive",
    "ftmon archive runs-archive --since 2026-01-01 --status succeeded failed",
    "ftmon archive runs-archive --job ftjob-abc123 --json",
    "ftmon archive runs-archive --verify",
]
CODES = [
    exits.OK,
    exits.USAGE,
    exits.NOT_FOUND,
    exits.AUTH,
    exits.UNREACHABLE,
    exits.REJECTED,
]
NOTES = {
    exits.USAGE: "bad arguments; the directory is not an archive, cannot be written, or does "
    "not match its manifest",
    exits.NOT_FOUND: "a job given with --job does not exist (the others are archived)",
    exits.UNREACHABLE: "the API could not be reached or kept failing: what was archived before "
    "is kept, and the next run goes on from there",
    exits.REJECTED: "the API refused a job's reads, or sent an id that cannot name a file: the "
    "rest is archived, and the next run tries that job again",
}
JSON_HELP = "no progress; write what the run did as one JSON object"


class Out(Protocol):
    """What :func:`run` writes through (``ftmon.headless.output.Output`` is one)."""

    json_mode: bool
    stderr: IO[str]

    def line(self, text: str = "") -> None: ...

    def note(self, message: str) -> None: ...

    def document(self, data: Any) -> None: ...


def since_date(text: str) -> float:
    """``--since``: a date (``2026-01-31``, UTC) or an ISO 8601 time; seconds since the epoch."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r} (like 2026-01-31 or 2026-01-31T12:00:00Z)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", type=Path, help="the archive's directory")
    parser.add_argument(
        "--job",
        dest="jobs",
        metavar="ID",
        nargs="+",
        action="extend",
        default=[],
        help="only these jobs (ftjob-...)",
    )
    parser.add_argument(
        "--since", type=since_date, metavar="DATE", help="only jobs created since DATE (UTC)"
    )
    parser.add_argument(
        "--status",
        dest="statuses",
        metavar="S",
        nargs="+",
        action="extend",
        default=[],
        help="only jobs of these statuses (succeeded, failed, cancelled, running...)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=4,
        metavar="N",
        help="jobs fetched at once (default 4)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="fetch nothing: check every file of the archive against its manifest",
    )


class _Meter:
    """Progress on a terminal, one line rewritten in place, at most ten times a second."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream
        self.last = 0.0
        self.shown = False

    def __call__(self, progress: Progress, *, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        last = not progress.listing and progress.jobs_done >= progress.jobs_total
        if not (force or last) and now - self.last < 0.1:
            return
        self.last = now
        if progress.listing:
            text = f"listing jobs: {progress.jobs_total:,} to archive"
        else:
            text = (
                f"archived {progress.jobs_done:,}/{progress.jobs_total:,} jobs · "
                f"{human_size(progress.bytes)} written"
            )
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.stream is not None and self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _terminal(stream: IO[str]) -> IO[str] | None:
    try:
        return stream if stream.isatty() else None
    except (AttributeError, ValueError):
        return None


async def run(client: FineTuningClient, args: argparse.Namespace, out: Out) -> int:
    """Archive into ``args.directory`` (or verify it); the exit code."""
    directory: Path = args.directory
    if getattr(args, "verify", False):
        return _verify(directory, out)
    try:
        job_ids = [safe_id("job", job_id) for job_id in args.jobs or []]
    except UnsafeIdError as exc:
        raise exits.CommandError(f"--job: {exc.message}", exits.USAGE) from None
    selection = Selection(
        job_ids=job_ids,
        since=args.since,
        statuses=frozenset(normalise_status(s) for s in args.statuses or []),
    )
    meter = _Meter(None if out.json_mode else _terminal(out.stderr))
    try:
        summary = await archive(
            client,
            directory,
            selection,
            on_progress=meter,
            concurrency=max(1, int(getattr(args, "parallel", 4) or 4)),
        )
    except ArchiveError as exc:
        raise exits.CommandError(exc.message, exits.USAGE) from None
    except OSError as exc:
        raise exits.CommandError(
            f"cannot write to {one_line(directory)}: {exc.strerror or exc}", exits.USAGE
        ) from None
    finally:
        meter.done()
    _report(summary, out)
    return _code(summary)


def _code(summary: ArchiveSummary) -> int:
    error = summary.error
    if isinstance(error, errors.FtmonApiError):
        return exits.code_for(error)
    if error is not None:
        return exits.USAGE
    if summary.failures:
        return exits.code_for(summary.failures[0])
    if summary.not_found:
        return exits.NOT_FOUND
    if summary.skipped:
        return exits.REJECTED
    return exits.OK


def _report(summary: ArchiveSummary, out: Out) -> None:
    if out.json_mode:
        out.document(summary.to_dict())
        return
    out.line(
        f"archive {one_line(summary.directory)}: {summary.jobs_listed:,} jobs listed, "
        f"{summary.jobs_fetched:,} fetched, {summary.jobs_unchanged:,} unchanged; "
        f"{summary.events_added:,} events added, {summary.files_written:,} files written "
        f"({human_size(summary.bytes_written)})"
    )
    out.line(
        f"  {summary.jobs_archived:,} jobs in the archive, {summary.jobs_final:,} of them final "
        "and complete"
    )
    for refusal in summary.refusals:
        status = refusal.get("status")
        out.note(
            f"{refusal['file']}: not downloaded ({status or 'refused'}): "
            f"{one_line(refusal.get('message'))}"
        )
    for skipped in summary.skipped:
        out.note(f"job {skipped['job']} skipped: {skipped['reason']}")
    for failed, exc in zip(summary.failed, summary.failures, strict=False):
        out.note(f"{one_line(failed['job'])}: not archived this time: {one_line(exc)}")
    for job_id in summary.not_found:
        out.note(f"{one_line(job_id)}: no such job")
    for note in summary.notes:
        out.note(note)
    if summary.error is not None:
        why = summary.error.message if isinstance(summary.error, ArchiveError) else summary.error
        out.note(f"stopped: {one_line(why)}; what was archived is kept: run it again to go on")


def _verify(directory: Path, out: Out) -> int:
    try:
        report = verify(directory)
    except ArchiveError as exc:
        raise exits.CommandError(exc.message, exits.USAGE) from None
    if out.json_mode:
        out.document(report.to_dict())
    else:
        verdict = "verifies" if report.ok else f"does NOT verify ({len(report.problems)} problems)"
        out.line(
            f"archive {one_line(directory)} {verdict}: {report.files:,} files, "
            f"{human_size(report.bytes)}"
        )
        for problem in report.problems:
            out.note(problem)
        for tail in report.tails:
            out.note(f"{tail}: a tail past the manifest (an interrupted run; the next cuts it)")
    return exits.OK if report.ok else exits.USAGE
