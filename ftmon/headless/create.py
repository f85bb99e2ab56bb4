"""``ftmon create``: check, upload, confirm and create a fine-tuning job, as the TUI's form does.

It runs :class:`ftmon.create.flow.CreateFlow` and says what it does on stderr: every field and
every local file is checked before anything is sent (problems on stderr, ``PATH:LINE: reason``,
exit 2), the API checks a reinforcement grader (exit 7 if it refuses it), local files are uploaded
with progress, the exact request is shown and confirmed (``--yes`` for scripts), and the job's id
is printed, or its JSON with ``--json``; ``--watch`` then follows it like ``ftmon watch``.
"""

from __future__ import annotations

import argparse
import json

from rich.text import Text

from ftmon import exits
from ftmon.api.errors import FtmonApiError
from ftmon.api.models import FileObject
from ftmon.api.status_rules import provider_rules
from ftmon.config import Settings
from ftmon.create.flow import Callbacks, CreateFlow, Refusal, Stage
from ftmon.create.request import (
    CreateInput,
    check_input,
    field_for_param,
    n_epochs_value,
)
from ftmon.datasets.formats import METHODS
from ftmon.datasets.summary import cost_line
from ftmon.headless import prompt
from ftmon.headless.files import StderrProgress, unreadable, write_problems
from ftmon.headless.output import Output
from ftmon.headless.parsing import seconds
from ftmon.headless.render import as_json
from ftmon.headless.runner import Context
from ftmon.headless.watch import watch_command
from ftmon.localread import read_text_capped
from ftmon.present.provider import CREATION_CLOSED, creation_closed
from ftmon.text import one_line

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
        type=seconds,
        default=300.0,
        metavar="SECONDS",
        help="with --watch: exit 6 after this long without a good answer (default 300)",
    )


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


class _Reporter:
    """What the flow does, on stderr: a progress line while a file is checked or uploaded,
    each upload's id, and refusals as the command's last line (raised)."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.bar: StderrProgress | None = None

    def callbacks(self) -> Callbacks:
        return Callbacks(
            on_stage=self.stage,
            on_progress=self.progress,
            on_stage_end=self.end,
            on_uploaded=self.uploaded,
        )

    def stage(self, stage: Stage) -> None:
        if stage.path is not None:
            self.bar = StderrProgress(self.out, f"{stage.verb} {one_line(stage.path.name)}")

    def progress(self, stage: Stage, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar(done, total)

    def end(self, stage: Stage) -> None:
        if self.bar is not None:
            self.bar.end()
            self.bar = None

    def uploaded(self, stage: Stage, uploaded: FileObject) -> None:
        if not self.out.json_mode and stage.path is not None and stage.field is not None:
            self.out.note(
                f"uploaded {one_line(stage.path)} as {one_line(uploaded.id)} ({FLAGS[stage.field]})"
            )


def refused(out: Output, refusal: Refusal | None) -> exits.CommandError:
    """The error that ends the command at a refusal (a file's problems listed first)."""
    path = refusal.path if refusal is not None else None
    if refusal is None or path is None:  # stopped: only Ctrl-C stops the command
        return exits.CommandError("stopped: nothing was created", exits.INTERRUPTED)
    if refusal.kind == "problems" and refusal.report is not None:
        write_problems(out, path, refusal.report)
        return exits.CommandError(
            f"{FLAGS[refusal.field]}: {refusal.reason} in {one_line(path)}; "
            "nothing was uploaded or created",
            exits.USAGE,
        )
    return unreadable(path, refusal.error)


async def check_grader(ctx: Context, flow: CreateFlow) -> None:
    """Ask the API about a reinforcement job's grader before anything is uploaded or created.

    A grader it refuses ends the command (exit 7, its reason on stderr); a dry run with no key
    to ask with says so and goes on.
    """
    if flow.inp.method != "reinforcement":
        return
    if ctx.args.dry_run and ctx.client.settings.missing_credentials():
        ctx.out.note(f"{FLAGS['grader']}: not checked with the API (no credentials)")
        return
    verdict = await flow.check_grader()
    if verdict is None:
        reason = flow.refusal.reason if flow.refusal is not None else "not checked"
        raise exits.CommandError(
            f"{FLAGS['grader']}: {reason}; nothing was uploaded or created", exits.REJECTED
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
    local = checked.local_files()
    flow = CreateFlow(ctx.client, inp, local, _Reporter(out).callbacks())
    if not args.no_check:
        if await flow.check_files() is None:
            raise refused(out, flow.refusal)
        train = flow.reports.get("training_file")
        if train is not None:
            name = one_line(local["training_file"].name)
            out.note(f"{name}: {cost_line(train, n_epochs_value(inp))}")
    await check_grader(ctx, flow)
    if args.dry_run:
        out.document(flow.body())
        for name, path in local.items():
            out.note(f"{name} would be the id of the upload of {one_line(path)}")
        return exits.OK
    ids = await flow.upload_files()
    if ids is None:
        raise refused(out, flow.refusal)
    body = flow.body(ids)
    if not args.yes:
        out.stderr.write(json.dumps(body, indent=2, ensure_ascii=True) + "\n")
        if not prompt.confirm("Create this fine-tuning job?"):
            kept = ", ".join(ids.values())
            if kept:
                out.note(f"not created; the uploaded file(s) {kept} stay and can be reused")
            raise exits.CommandError("not confirmed: no job was created", exits.REFUSED)
    try:
        job = await flow.create(body)
    except FtmonApiError as exc:
        if creation_closed(exc, provider_rules(ctx.client.settings)):
            # OpenAI's wind-down: the API's words, then what they mean (7: a new key won't do).
            out.error(str(exc))
            kept = ", ".join(ids.values())
            if kept:
                out.note(f"the uploaded file(s) {kept} stay")
            raise exits.CommandError(CREATION_CLOSED, exits.REJECTED) from None
        field = field_for_param(exc.api_param)
        if field:  # say which option the API refused
            exc.message = f"{FLAGS.get(field, field)}: {exc.message}"
        raise
    if args.watch:
        if not out.json_mode:
            out.line(Text(one_line(job.id), style="bold"))
        ctx.args.job = job.id
        return await watch_command(ctx)
    if out.json_mode:
        out.document(as_json(job))
    else:
        out.line(one_line(job.id))
    return exits.OK
