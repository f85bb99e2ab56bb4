"""``ftmon export JOB``: a job's JSON, events, metrics, checkpoints and plot (``loss.svg``, a
reinforcement job's ``reward.svg``), written to a directory by :func:`ftmon.export.export_job` (as
the TUI's ``e`` does)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.text import Text

from ftmon import exits
from ftmon.export import default_directory, export_job
from ftmon.headless.runner import Context
from ftmon.text import one_line


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    parser.add_argument(
        "--out", "-o", type=Path, metavar="DIR", help="directory (default ./ftmon-export-JOB)"
    )


async def export_command(ctx: Context) -> int:
    """Write a job's JSON, events, metrics, checkpoints and loss (or reward) plot to a directory."""
    job_id = ctx.args.job
    directory = ctx.args.out or default_directory(job_id)
    try:
        result = await export_job(ctx.client, job_id, directory)
    except OSError as exc:
        raise exits.CommandError(
            f"cannot write to {one_line(directory)}: {exc.strerror or exc}", exits.USAGE
        ) from None
    if ctx.out.json_mode:
        ctx.out.document(result.to_dict())
        return exits.OK
    source = "result file" if result.metrics_source == "result_file" else "metrics events"
    ctx.out.fit(
        Text(
            f"exported {one_line(job_id)} to {one_line(result.directory)}: "
            f"{result.events:,} events, {result.steps:,} steps ({source}), "
            f"{result.checkpoints} checkpoints"
        )
    )
    for path in result.paths.values():
        ctx.out.line(f"  {one_line(path)}")
    for note in result.notes:
        ctx.out.note(note)
    return exits.OK
