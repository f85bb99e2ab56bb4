"""``ftmon files list|upload|rm|check``, and the local-file output ``ftmon create`` shares.

``upload`` checks the file first (every problem on stderr, ``PATH:LINE: reason``, exit 2), then
uploads it through the client with a progress line on a terminal; ``check`` is local only (no
key, no network) and is not run by the runner.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.text import Text

from ftmon import exits
from ftmon.config import Settings
from ftmon.create.files import check_local_file, list_training_files
from ftmon.datasets.formats import METHODS
from ftmon.datasets.problems import DatasetReport
from ftmon.datasets.summary import cost_line
from ftmon.datasets.validate import MIN_EXAMPLES, check_file
from ftmon.headless import prompt
from ftmon.headless.output import Output
from ftmon.headless.render import as_json
from ftmon.headless.runner import Context
from ftmon.headless.tables import render
from ftmon.present.columns import Column
from ftmon.text import age, human_size, one_line


class StderrProgress:
    """``uploading train.jsonl  45%`` redrawn in place, only on a terminal (never in a pipe)."""

    def __init__(self, out: Output, label: str) -> None:
        self.out = out
        self.label = label
        self.shown = -1
        try:
            self.live = bool(out.stderr.isatty()) and not out.json_mode
        except (AttributeError, ValueError):
            self.live = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self.live or not total:
            return
        percent = int(done * 100 / total)
        if percent != self.shown:
            self.shown = percent
            line = f"\r{self.label}  {percent:3d}%  {human_size(done)} of {human_size(total)}"
            self.out.stderr.write(line)
            self.out.stderr.flush()

    def end(self) -> None:
        if self.live and self.shown >= 0:
            self.out.stderr.write("\n")
            self.out.stderr.flush()


def write_problems(out: Output, path: Path, report: DatasetReport) -> None:
    """Each problem of a checked file on stderr, ``PATH:LINE: reason``."""
    for problem in report.problems:
        where = f"{problem.line}:" if problem.line is not None else ""
        out.stderr.write(f"{one_line(path)}:{where} {one_line(problem.reason)}\n")
    if report.more_problems:
        out.stderr.write(f"{one_line(path)}: … and {report.more_problems:,} more problems\n")


def unreadable(path: Path, error: OSError | None) -> exits.CommandError:
    """A local file that cannot be read is a usage error."""
    reason = error.strerror if error is not None else "unreadable"
    return exits.CommandError(f"cannot read {one_line(path)}: {reason}", exits.USAGE)


def add_method_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", choices=METHODS, default="supervised")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="a validation file (no minimum number of examples)",
    )


#: ``files list``: the id whole (to pass to ``create``), the file name cut first.
FILE_COLUMNS = (
    Column("id"),
    Column("size", right=True),
    Column("age", right=True),
    Column("file name", min=12),
)


async def files_list_command(ctx: Context) -> int:
    """Uploaded files of purpose fine-tune, newest first."""
    files = await list_training_files(ctx.client, limit=10_000 if ctx.args.all else ctx.args.limit)
    if ctx.out.json_mode:
        ctx.out.document([as_json(f) for f in files])
        return exits.OK
    if not files:
        ctx.out.note("no training files uploaded")  # stderr: stdout holds only rows
        return exits.OK
    now = ctx.conn.now()
    rows = [
        [
            Text(one_line(item.id), style="bold"),
            Text(human_size(item.bytes)),
            Text(age(item.created_at, now), style="dim"),
            Text(one_line(item.filename)),
        ]
        for item in files
    ]
    ctx.out.lines(render(FILE_COLUMNS, rows, ctx.out.width))
    return exits.OK


def _path(text: str) -> Path:
    return Path(text).expanduser()


async def files_upload_command(ctx: Context) -> int:
    """Check a local JSONL file, then upload it with purpose fine-tune; print the file id."""
    out = ctx.out
    path = _path(ctx.args.path)
    if not ctx.args.no_check:
        progress = StderrProgress(out, f"checking {one_line(path.name)}")
        try:
            report = await check_local_file(
                path, ctx.args.method, validation=ctx.args.validation, on_progress=progress
            )
        except OSError as exc:
            raise unreadable(path, exc) from None
        finally:
            progress.end()
        write_problems(out, path, report)
        if not report.ok:
            raise exits.CommandError(
                f"{report.problem_count:,} problems in {one_line(path)}; nothing was uploaded",
                exits.USAGE,
            )
        if not out.json_mode:
            out.note(f"{one_line(path.name)}: {cost_line(report, None)}")
    progress = StderrProgress(out, f"uploading {one_line(path.name)}")
    try:
        uploaded = await ctx.client.upload_file(path, on_progress=progress)
    except OSError as exc:
        raise unreadable(path, exc) from None
    finally:
        progress.end()
    if out.json_mode:
        out.document(as_json(uploaded))
    else:
        out.line(one_line(uploaded.id))
    return exits.OK


async def files_rm_command(ctx: Context) -> int:
    """Delete an uploaded file (asks first; --yes for scripts)."""
    file_id = ctx.args.file_id
    if not ctx.args.yes:
        item = await ctx.client.retrieve_file(file_id)
        name = one_line(item.filename, width=60)
        prompt.ensure_confirmed(False, f"Delete file {one_line(item.id)} ({name})?")
    deleted = await ctx.client.delete_file(file_id)
    if ctx.out.json_mode:
        ctx.out.document(as_json(deleted))
    else:
        ctx.out.line(f"deleted {one_line(deleted.id)}")
    return exits.OK


def run_files_check(args: argparse.Namespace, settings: Settings) -> int:
    """``ftmon files check PATH``: local only, no key and no network needed."""
    out = Output(sys.stdout, sys.stderr, json_mode=bool(getattr(args, "json", False)))
    path = Path(args.path).expanduser()
    try:
        report = check_file(path, args.method, min_examples=1 if args.validation else MIN_EXAMPLES)
    except OSError as exc:
        out.error(f"cannot read {one_line(path)}: {exc.strerror}")
        return exits.USAGE
    if out.json_mode:
        out.document({"path": str(path), **report.to_dict()})
        return exits.OK if report.ok else exits.USAGE
    for problem in report.problems:
        where = f"{problem.line}:" if problem.line is not None else ""
        out.line(f"{one_line(path)}:{where} {one_line(problem.reason)}")
    if report.more_problems:
        out.line(f"{one_line(path)}: … and {report.more_problems:,} more problems")
    summary = cost_line(report, None)
    if report.ok:
        out.line(f"{one_line(path)}: ok · {summary}")
        return exits.OK
    out.line(f"{one_line(path)}: {report.problem_count:,} problems · {summary}")
    return exits.USAGE


def precheck_rm(args: argparse.Namespace, settings: Settings) -> None:
    prompt.refuse_if_read_only(settings.read_only, "delete a file")
    prompt.require_way_to_confirm(args.yes, "deleting a file")


def precheck_upload(args: argparse.Namespace, settings: Settings) -> None:
    prompt.refuse_if_read_only(settings.read_only, "upload a file")
