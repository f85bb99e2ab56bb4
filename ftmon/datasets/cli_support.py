"""Headless ``ftmon create``, ``ftmon export`` and ``ftmon files``: arguments and commands.

The headless package only registers these (``register_dataset_commands(sub, add_options)``, or
each ``add_*_arguments`` with its ``run_*`` handler); they run through its runner, so connection,
``--demo``, exit codes, Ctrl-C and closed pipes behave as in every other command.

``create`` checks every field and every local file before anything is sent (problems on stderr,
``PATH:LINE: reason``, exit 2), has the API check a reinforcement grader (exit 7 if it refuses
it), uploads local files with progress, shows the exact request and asks
(``--yes`` for scripts), creates the job and prints its id, or its JSON with ``--json``;
``--watch`` then follows it like ``ftmon watch``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from pathlib import Path
from typing import Any

from rich.text import Text

from ftmon import exits
from ftmon.api.errors import FtmonApiError
from ftmon.api.models import FileObject
from ftmon.config import Settings
from ftmon.datasets.formats import METHODS
from ftmon.datasets.problems import DatasetReport
from ftmon.datasets.request import (
    CreateInput,
    build_body,
    check_grader_with_api,
    check_input,
    field_for_param,
    n_epochs_value,
)
from ftmon.datasets.summary import cost_line
from ftmon.datasets.upload import human_size, list_training_files, upload_with_progress
from ftmon.datasets.validate import MIN_EXAMPLES, check_file
from ftmon.export import default_directory, export_job
from ftmon.headless import prompt
from ftmon.headless.output import Output
from ftmon.headless.parsing import AddOptions, command_parser, epilog
from ftmon.headless.render import as_json
from ftmon.headless.runner import Context, handler
from ftmon.localread import read_text_capped
from ftmon.text import local_time, one_line

#: Form field -> the flag that fills it, for messages.
FLAGS = {
    "model": "--model",
    "training_file": "--training-file",
    "validation_file": "--validation-file",
    "method": "--method",
    "n_epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate_multiplier": "--learning-rate-multiplier",
    "beta": "--beta",
    "reasoning_effort": "--reasoning-effort",
    "compute_multiplier": "--compute-multiplier",
    "eval_interval": "--eval-interval",
    "eval_samples": "--eval-samples",
    "grader": "--grader",
    "suffix": "--suffix",
    "seed": "--seed",
    "metadata": "--metadata",
    "wandb_project": "--wandb-project",
    "wandb_name": "--wandb-name",
    "wandb_entity": "--wandb-entity",
    "wandb_tags": "--wandb-tag",
}

CREATE_CODES = [
    exits.OK,
    exits.JOB_FAILED,
    exits.USAGE,
    exits.JOB_CANCELLED,
    exits.AUTH,
    exits.UNREACHABLE,
    exits.REJECTED,
    exits.REFUSED,
    exits.INTERRUPTED,
]


# -- argument parsing ------------------------------------------------------------------------


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def add_create_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``ftmon create`` (the same fields as the TUI's form)."""
    parser.add_argument("--model", "-m", required=True, help="base model (or a fine-tuned model)")
    parser.add_argument(
        "--training-file",
        "-t",
        required=True,
        metavar="PATH_OR_ID",
        help="a local .jsonl file (checked, then uploaded) or an uploaded file's id",
    )
    parser.add_argument(
        "--validation-file",
        "-v",
        metavar="PATH_OR_ID",
        default="",
        help="optional: like --training-file, for validation metrics",
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="supervised",
        help="the fine-tuning method; the files are checked for its format (default supervised)",
    )
    hyper = parser.add_argument_group("hyperparameters (default: auto)")
    hyper.add_argument("--epochs", dest="n_epochs", metavar="N", default="", help="1 to 50")
    hyper.add_argument("--batch-size", metavar="N", default="", help="1 to 256")
    hyper.add_argument(
        "--learning-rate-multiplier", "--lr", metavar="X", default="", help="more than 0"
    )
    hyper.add_argument("--beta", metavar="X", default="", help="DPO only")
    hyper.add_argument(
        "--reasoning-effort", default="", help="reinforcement only: default, low, medium, high"
    )
    hyper.add_argument("--compute-multiplier", metavar="X", default="", help="reinforcement only")
    hyper.add_argument("--eval-interval", metavar="N", default="", help="reinforcement only")
    hyper.add_argument("--eval-samples", metavar="N", default="", help="reinforcement only")
    hyper.add_argument(
        "--grader",
        metavar="JSON_OR_@FILE",
        default="",
        help="reinforcement only: the grader as JSON, or @path to a JSON file",
    )
    parser.add_argument("--suffix", default="", help="up to 64 characters in the model's name")
    # Not ``dest="seed"``: ``ftmon --demo --seed N`` is the simulator's seed.
    parser.add_argument(
        "--seed", dest="job_seed", default="", metavar="N", help="the job's seed (default random)"
    )
    parser.add_argument(
        "--metadata", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    wandb = parser.add_argument_group("Weights & Biases")
    wandb.add_argument("--wandb-project", default="", help="send metrics to this W&B project")
    wandb.add_argument("--wandb-name", default="", help="the run's name (default: the job id)")
    wandb.add_argument("--wandb-entity", default="", help="team or user (default: the key's)")
    wandb.add_argument("--wandb-tag", action="append", default=[], metavar="TAG", help="repeatable")
    parser.add_argument(
        "--no-check", action="store_true", help="upload local files without checking them first"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check everything and print the request; upload and create nothing",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
    parser.add_argument("--watch", "-w", action="store_true", help="follow the new job to its end")
    parser.add_argument(
        "--give-up-after",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="with --watch: exit 6 after this long without a good answer (default 300)",
    )


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    parser.add_argument(
        "--out", "-o", type=Path, metavar="DIR", help="directory (default ./ftmon-export-JOB)"
    )


# -- create ------------------------------------------------------------------------------------


def input_from_args(args: argparse.Namespace) -> CreateInput:
    """The form's fields from ``ftmon create`` options (``--grader @file`` read here)."""
    grader = args.grader or ""
    if grader.startswith("@"):
        try:
            grader = read_text_capped(grader[1:])
        except UnicodeDecodeError:
            raise exits.CommandError(
                f"--grader: {one_line(grader[1:])} is not UTF-8 text", exits.USAGE
            ) from None
        except OSError as exc:
            raise exits.CommandError(
                f"--grader: cannot read {one_line(grader[1:])}: {exc.strerror}", exits.USAGE
            ) from None
    return CreateInput(
        model=args.model,
        training_file=args.training_file,
        validation_file=args.validation_file or "",
        method=args.method,
        n_epochs=args.n_epochs,
        batch_size=args.batch_size,
        learning_rate_multiplier=args.learning_rate_multiplier,
        beta=args.beta,
        reasoning_effort=args.reasoning_effort,
        compute_multiplier=args.compute_multiplier,
        eval_interval=args.eval_interval,
        eval_samples=args.eval_samples,
        grader=grader,
        suffix=args.suffix,
        seed=args.job_seed,
        metadata="\n".join(args.metadata or []),
        wandb_project=args.wandb_project,
        wandb_name=args.wandb_name,
        wandb_entity=args.wandb_entity,
        wandb_tags=",".join(args.wandb_tag or []),
    )


def precheck_create(args: argparse.Namespace, settings: Settings) -> None:
    if args.dry_run:
        return
    prompt.refuse_if_read_only(settings.read_only, "create a job")
    prompt.require_way_to_confirm(args.yes, "creating a job")


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


async def check_local(
    out: Output, path: Path, method: str, *, validation: bool = False
) -> DatasetReport:
    """Check one local file, with progress on a terminal; problems go to stderr."""
    progress = StderrProgress(out, f"checking {one_line(path.name)}")
    # Ctrl-C cancels the await, not the thread, and asyncio.run waits for the thread: told to
    # stop, it does within a MiB instead of checking the file to its end.
    stop = threading.Event()
    try:
        report = await asyncio.to_thread(
            check_file,
            path,
            method,
            min_examples=1 if validation else MIN_EXAMPLES,
            on_progress=progress,
            should_stop=stop.is_set,
        )
    except OSError as exc:
        raise exits.CommandError(
            f"cannot read {one_line(path)}: {exc.strerror}", exits.USAGE
        ) from None
    finally:
        stop.set()
        progress.end()
    for problem in report.problems:
        where = f"{problem.line}:" if problem.line is not None else ""
        out.stderr.write(f"{one_line(path)}:{where} {one_line(problem.reason)}\n")
    if report.more_problems:
        out.stderr.write(f"{one_line(path)}: … and {report.more_problems:,} more problems\n")
    return report


async def _send_file(ctx: Context, path: Path) -> FileObject:
    """Upload with a progress line on stderr; a file that cannot be read is a usage error."""
    progress = StderrProgress(ctx.out, f"uploading {one_line(path.name)}")
    try:
        return await upload_with_progress(ctx.client, path, on_progress=progress)
    except OSError as exc:
        raise exits.CommandError(
            f"cannot read {one_line(path)}: {exc.strerror}", exits.USAGE
        ) from None
    finally:
        progress.end()


async def _upload(ctx: Context, field: str, path: Path) -> FileObject:
    uploaded = await _send_file(ctx, path)
    if not ctx.out.json_mode:
        ctx.out.note(f"uploaded {one_line(path)} as {one_line(uploaded.id)} ({FLAGS[field]})")
    return uploaded


async def check_grader(ctx: Context, inp: CreateInput) -> None:
    """Ask the API about a reinforcement job's grader before anything is uploaded or created.

    A grader it refuses ends the command (exit 7, its reason on stderr); a dry run with no key
    to ask with says so and goes on.
    """
    if inp.method != "reinforcement":
        return
    if ctx.args.dry_run and not ctx.client.settings.api_key:
        ctx.out.note(f"{FLAGS['grader']}: not checked with the API (no API key)")
        return
    verdict = await check_grader_with_api(ctx.client, inp)
    if verdict.problem:
        raise exits.CommandError(
            f"{FLAGS['grader']}: {verdict.problem}; nothing was uploaded or created",
            exits.REJECTED,
        )
    if verdict.skipped:
        ctx.out.note(f"{FLAGS['grader']}: {verdict.skipped}")


async def create_command(ctx: Context) -> int:
    """Check, upload, confirm and create a fine-tuning job; print its id (or JSON)."""
    args, out = ctx.args, ctx.out
    inp = input_from_args(args)
    checked = check_input(inp)
    if not checked.ok:
        for name, reason in checked.errors.items():
            out.error(f"{FLAGS.get(name, name)}: {reason}")
        return exits.USAGE
    locals_ = checked.local_files()
    reports: dict[str, DatasetReport] = {}
    if not args.no_check:
        for name, path in locals_.items():
            report = await check_local(out, path, inp.method, validation=name == "validation_file")
            reports[name] = report
            if not report.ok:
                raise exits.CommandError(
                    f"{FLAGS[name]}: {report.problem_count:,} problem"
                    f"{'s' if report.problem_count != 1 else ''} in {one_line(path)}; "
                    "nothing was uploaded or created",
                    exits.USAGE,
                )
        train = reports.get("training_file")
        if train is not None:
            name = one_line(locals_["training_file"].name)
            out.note(f"{name}: {cost_line(train, n_epochs_value(inp))}")
    await check_grader(ctx, inp)
    if args.dry_run:
        out.document(build_body(inp))
        for name, path in locals_.items():
            out.note(f"{name} would be the id of the upload of {one_line(path)}")
        return exits.OK
    ids: dict[str, str] = {}
    for name, path in locals_.items():
        ids[name] = (await _upload(ctx, name, path)).id
    body = build_body(inp, ids)
    if not args.yes:
        out.stderr.write(json.dumps(body, indent=2, ensure_ascii=True) + "\n")
        if not prompt.confirm("Create this fine-tuning job?"):
            kept = ", ".join(ids.values())
            if kept:
                out.note(f"not created; the uploaded file(s) {kept} stay and can be reused")
            raise exits.CommandError("not confirmed: no job was created", exits.REFUSED)
    try:
        job = await ctx.client.create_job(body)
    except FtmonApiError as exc:
        field = field_for_param(exc.api_param)
        if field:  # say which option the API refused
            exc.message = f"{FLAGS.get(field, field)}: {exc.message}"
        raise
    if args.watch:
        from ftmon.headless.watch import watch_command

        if not out.json_mode:
            out.line(Text(one_line(job.id), style="bold"))
        ctx.args.job = job.id
        return await watch_command(ctx)
    if out.json_mode:
        out.document(as_json(job))
    else:
        out.line(one_line(job.id))
    return exits.OK


# -- export ------------------------------------------------------------------------------------


async def export_command(ctx: Context) -> int:
    """Write a job's JSON, events, metrics, checkpoints and loss plot to a directory."""
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
    ctx.out.line(
        f"exported {one_line(job_id)} to {one_line(result.directory)}: {result.events:,} events, "
        f"{result.steps:,} steps ({source}), {result.checkpoints} checkpoints"
    )
    for path in result.paths.values():
        ctx.out.line(f"  {one_line(path)}")
    for note in result.notes:
        ctx.out.note(note)
    return exits.OK


# -- files -------------------------------------------------------------------------------------


async def files_list_command(ctx: Context) -> int:
    """Uploaded files of purpose fine-tune, newest first."""
    files = await list_training_files(ctx.client, limit=10_000 if ctx.args.all else ctx.args.limit)
    if ctx.out.json_mode:
        ctx.out.document([as_json(f) for f in files])
        return exits.OK
    if not files:
        ctx.out.line("No training files uploaded.")
        return exits.OK
    for item in files:
        line = Text(one_line(item.id), style="bold")
        line.append(f"  {human_size(item.bytes):>8}  {local_time(item.created_at)}  ")
        line.append(one_line(item.filename, width=60))
        ctx.out.line(line)
    return exits.OK


def _path(text: str) -> Path:
    return Path(text).expanduser()


async def files_upload_command(ctx: Context) -> int:
    """Check a local JSONL file, then upload it with purpose fine-tune; print the file id."""
    path = _path(ctx.args.path)
    if not ctx.args.no_check:
        report = await check_local(ctx.out, path, ctx.args.method, validation=ctx.args.validation)
        if not report.ok:
            raise exits.CommandError(
                f"{report.problem_count:,} problems in {one_line(path)}; nothing was uploaded",
                exits.USAGE,
            )
        if not ctx.out.json_mode:
            ctx.out.note(f"{one_line(path.name)}: {cost_line(report, None)}")
    uploaded = await _send_file(ctx, path)
    if ctx.out.json_mode:
        ctx.out.document(as_json(uploaded))
    else:
        ctx.out.line(one_line(uploaded.id))
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


def _precheck_rm(args: argparse.Namespace, settings: Settings) -> None:
    prompt.refuse_if_read_only(settings.read_only, "delete a file")
    prompt.require_way_to_confirm(args.yes, "deleting a file")


def _precheck_upload(args: argparse.Namespace, settings: Settings) -> None:
    prompt.refuse_if_read_only(settings.read_only, "upload a file")


run_create = handler(create_command, precheck_create)
run_export = handler(export_command)
run_files_list = handler(files_list_command)
run_files_upload = handler(files_upload_command, _precheck_upload)
run_files_rm = handler(files_rm_command, _precheck_rm)


# -- registration ------------------------------------------------------------------------------


def _method_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", choices=METHODS, default="supervised")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="a validation file (no minimum number of examples)",
    )


def register_dataset_commands(sub: Any, add_connection_options: AddOptions | None) -> None:
    """Add ``create``, ``export`` and ``files list|upload|rm|check`` to ``sub``."""
    add = add_connection_options
    p = command_parser(
        sub,
        add,
        "create",
        help="create a fine-tuning job (local files are checked and uploaded first)",
        examples=[
            "ftmon create -m gpt-4.1-mini-2025-04-14 -t train.jsonl --yes",
            "ftmon create -m gpt-4.1-mini-2025-04-14 -t train.jsonl -v valid.jsonl "
            "--epochs 3 --suffix support --metadata team=search --dry-run",
            "ftmon create -m o4-mini-2025-04-16 -t file-abc --method reinforcement "
            "--grader @grader.json --yes --watch",
            'JOB=$(ftmon create -m gpt-4o-mini -t train.jsonl --yes) && ftmon watch "$JOB"',
        ],
        codes=CREATE_CODES,
        notes={
            exits.OK: "created (with --watch: the job succeeded)",
            exits.USAGE: "a field or a local file has problems (listed on stderr); "
            "or a confirmation was needed with no terminal and no --yes",
            exits.JOB_FAILED: "with --watch: the job failed",
            exits.JOB_CANCELLED: "with --watch: the job was cancelled",
            exits.REJECTED: "the API rejected the request (400, 409, 422...), or the grader "
            "(--grader is checked with the API before anything is uploaded or created)",
        },
        json_help="write the new job as the API returned it",
    )
    add_create_arguments(p)
    p.set_defaults(handler=run_create)

    p = command_parser(
        sub,
        add,
        "export",
        help="write a job's JSON, events, metrics CSV, checkpoints and loss plot to a directory",
        examples=["ftmon export ftjob-abc123", "ftmon export ftjob-abc123 --out runs/abc --json"],
        codes=[
            exits.OK,
            exits.USAGE,
            exits.NOT_FOUND,
            exits.AUTH,
            exits.UNREACHABLE,
            exits.REJECTED,
        ],
        notes={exits.USAGE: "bad arguments, or the directory cannot be written"},
        json_help="write where each file went, as one JSON object",
    )
    add_export_arguments(p)
    p.set_defaults(handler=run_export)

    files = sub.add_parser(
        "files",
        help="training files: list, upload (checked first), remove, check locally",
        description="Training files (purpose fine-tune): list, upload, remove; "
        "`check` reads a local file only.",
    )
    files_sub = files.add_subparsers(dest="files_command", metavar="ACTION", required=True)
    read = [exits.OK, exits.USAGE, exits.AUTH, exits.UNREACHABLE, exits.REJECTED]

    p = command_parser(
        files_sub,
        add,
        "list",
        help="uploaded training files, newest first",
        examples=["ftmon files list", "ftmon files list --all --json | jq -r '.[].id'"],
        codes=read,
        json_help="write the files as one JSON array",
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    size.add_argument("--all", action="store_true", help="every file")
    p.set_defaults(handler=run_files_list)

    p = command_parser(
        files_sub,
        add,
        "upload",
        help="check a local JSONL file, then upload it; prints the file id",
        examples=["ftmon files upload train.jsonl", "ftmon files upload prefs.jsonl --method dpo"],
        codes=[*read, exits.REFUSED],
        notes={exits.USAGE: "the file has problems (listed on stderr) or cannot be read"},
        json_help="write the uploaded file object",
    )
    p.add_argument("path", metavar="PATH")
    _method_options(p)
    p.add_argument("--no-check", action="store_true", help="upload without checking first")
    p.set_defaults(handler=run_files_upload)

    p = command_parser(
        files_sub,
        add,
        "rm",
        help="delete an uploaded file (asks first; --yes for scripts)",
        examples=["ftmon files rm file-abc123 --yes"],
        codes=[*read, exits.NOT_FOUND, exits.REFUSED],
        json_help="write the API's deletion answer",
    )
    p.add_argument("file_id", metavar="FILE_ID")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
    p.set_defaults(handler=run_files_rm)

    p = files_sub.add_parser(
        "check",
        help="check a local JSONL file for a method: every problem with its line; no network",
        description="Check a local JSONL file: every problem with its line number, the number "
        "of examples and an estimate of its tokens (≈4 characters a token; no tokenizer).",
        epilog=epilog(
            ["ftmon files check train.jsonl", "ftmon files check prefs.jsonl --method dpo --json"],
            [exits.OK, exits.USAGE],
            {exits.OK: "no problems", exits.USAGE: "problems found, or the file cannot be read"},
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", metavar="PATH")
    _method_options(p)
    p.add_argument("--json", action="store_true", help="write the report as one JSON object")
    p.set_defaults(handler=run_files_check)
