"""The headless subcommands' arguments and help; ``ftmon.cli`` calls :func:`register_commands`.

Each command gets the connection options, ``--json``, and an epilog with examples and its exit
codes. The connection options also work before the command (``ftmon --demo jobs``): their
defaults here are suppressed so that they do not overwrite what the main parser read.
"""

from __future__ import annotations

import argparse
from typing import Any

from ftmon import exits
from ftmon.archive import command as archive_cmd
from ftmon.headless.actions import action_command, delete_command, precheck_delete
from ftmon.headless.actions import precheck as action_precheck
from ftmon.headless.create import (
    CREATE_CODES,
    add_create_arguments,
    create_command,
    precheck_create,
)
from ftmon.headless.detail import checkpoints_command, metrics_command, show_command
from ftmon.headless.events import events_command
from ftmon.headless.export_cmd import add_export_arguments, export_command
from ftmon.headless.files import (
    add_method_options,
    files_list_command,
    files_rm_command,
    files_upload_command,
    precheck_rm,
    precheck_upload,
    run_files_check,
)
from ftmon.headless.follow import DEFAULT_GIVE_UP
from ftmon.headless.graders import run_command as grader_run_command
from ftmon.headless.graders import validate_command as grader_validate_command
from ftmon.headless.listing import jobs_command, parse_metadata, precheck_jobs
from ftmon.headless.models import models_command, models_rm_command
from ftmon.headless.models import precheck_list as precheck_models
from ftmon.headless.models import precheck_rm as precheck_model_rm
from ftmon.headless.parsing import AddOptions, command_parser, epilog, seconds
from ftmon.headless.perms import (
    perms_add_command,
    perms_list_command,
    perms_rm_command,
    precheck_change,
    precheck_list,
)
from ftmon.headless.runner import Context, handler
from ftmon.headless.watch import HISTORY, watch_command

READ = [exits.OK, exits.USAGE, exits.NOT_FOUND, exits.AUTH, exits.UNREACHABLE, exits.REJECTED]
CHANGE = [*READ, exits.REFUSED]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _give_up(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--give-up-after",
        type=seconds,
        default=DEFAULT_GIVE_UP,
        metavar="SECONDS",
        help="exit 6 after this long without a good answer from the API "
        f"(default {DEFAULT_GIVE_UP:g})",
    )


async def _archive(ctx: Context) -> int:
    """``ftmon archive DIR``: the logic is the archive package's."""
    return await archive_cmd.run(ctx.client, ctx.args, ctx.out)


def register_commands(sub: Any, add_connection_options: AddOptions) -> None:
    """Add ``jobs show events watch checkpoints metrics cancel pause resume delete models perms
    grader create export files``."""
    add = add_connection_options

    p = command_parser(
        sub,
        add,
        "jobs",
        help="list fine-tuning jobs, newest first",
        examples=[
            "ftmon jobs",
            "ftmon jobs --status running,queued --limit 5",
            "ftmon jobs --metadata team=search --all --json | jq -r '.[].id'",
        ],
        codes=[exits.OK, exits.USAGE, exits.AUTH, exits.UNREACHABLE, exits.REJECTED],
        json_help="write the jobs as one JSON array, as the API sent them",
    )
    p.add_argument(
        "--status",
        action="append",
        metavar="S[,S...]",
        help="only jobs with these statuses (repeatable; 'active' = not finished; another "
        "is a usage error that lists the provider's)",
    )
    p.add_argument(
        "--metadata",
        action="append",
        type=parse_metadata,
        metavar="KEY=VALUE",
        help="only jobs with this metadata (repeatable; filtered by the API, and here too "
        "for a provider that ignores the filter)",
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="at most N jobs (default 20)"
    )
    size.add_argument("--all", action="store_true", help="every job, fetched page by page")
    p.set_defaults(handler=handler(jobs_command, precheck_jobs))

    p = command_parser(
        sub,
        add,
        "show",
        help="every field of one job, as the TUI's detail shows it",
        examples=["ftmon show ftjob-abc123", "ftmon show ftjob-abc123 --json | jq .status"],
        codes=READ,
        json_help="write the job as the API sent it",
    )
    p.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    p.set_defaults(handler=handler(show_command))

    p = command_parser(
        sub,
        add,
        "events",
        help="a job's events, oldest first",
        examples=[
            "ftmon events ftjob-abc123",
            "ftmon events ftjob-abc123 --follow",
            "ftmon events ftjob-abc123 --since ftevent-xyz --json | jq -r '.[].message'",
            "ftmon events ftjob-abc123 --follow --json | jq -r .message",
        ],
        codes=READ,
        notes={exits.OK: "done; with --follow: the job ended (whatever its outcome)"},
        json_help="one JSON array of events; with --follow, one event object per line",
    )
    p.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    p.add_argument(
        "--follow", "-f", action="store_true", help="keep printing new events until the job ends"
    )
    p.add_argument("--since", metavar="ID", help="only events after this event id")
    _give_up(p)
    p.set_defaults(handler=handler(events_command))

    p = command_parser(
        sub,
        add,
        "watch",
        help="follow a job until it ends; exit 0 only if it succeeded",
        examples=[
            'ftmon watch "$JOB" && echo trained',
            "ftmon watch ftjob-abc123 --json | jq -c 'select(.type==\"progress\")'",
        ],
        codes=[
            exits.OK,
            exits.JOB_FAILED,
            exits.JOB_CANCELLED,
            exits.USAGE,
            exits.NOT_FOUND,
            exits.AUTH,
            exits.UNREACHABLE,
            exits.REJECTED,
            exits.STALLED,
        ],
        notes={
            exits.OK: "the job succeeded",
            exits.UNREACHABLE: "no good answer from the API for --give-up-after seconds",
        },
        json_help="one JSON object per line and change: type job, event, progress, "
        "checkpoint, status, health, stall (a doctor's flag started or cleared), and last end "
        "(with exit_code)",
    )
    p.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    _give_up(p)
    p.add_argument(
        "--stall-exit",
        action="store_true",
        help="end with exit 9 when the job stalls (no new step for [doctor] stall_factor times "
        "its usual step time, and at least stall_min_minutes)",
    )
    p.add_argument(
        "--history",
        type=int,
        default=HISTORY,
        metavar="N",
        help=f"show the newest N events from before the watch (default {HISTORY}; -1: all), "
        "then a progress line; --json has every event",
    )
    p.set_defaults(handler=handler(watch_command))

    p = command_parser(
        sub,
        add,
        "checkpoints",
        help="a job's checkpoints: step, model name and metrics",
        examples=[
            "ftmon checkpoints ftjob-abc123",
            "ftmon checkpoints ftjob-abc123 --best    # the model name of the one to keep",
            "ftmon checkpoints ftjob-abc123 --json | jq -r '.[0].fine_tuned_model_checkpoint'",
        ],
        codes=READ,
        json_help="write the checkpoints as one JSON array, newest step first (with --best: "
        "that checkpoint's record)",
    )
    p.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    p.add_argument(
        "--best",
        action="store_true",
        help="print only the model name of the checkpoint to keep: lowest full validation loss "
        "(else validation loss); highest validation reward for reinforcement",
    )
    p.set_defaults(handler=handler(checkpoints_command))

    p = command_parser(
        sub,
        add,
        "metrics",
        help="a job's per-step metrics (the result file once it succeeded, else its events)",
        examples=[
            "ftmon metrics ftjob-abc123",
            "ftmon metrics ftjob-abc123 --csv > metrics.csv",
            "ftmon metrics ftjob-abc123 --json | jq '.steps[-1].train_loss'",
        ],
        codes=READ,
        json_help=(
            "one JSON object: job_id, status, source, complete, total_steps, names, "
            "dropped_series, steps"
        ),
    )
    p.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    p.add_argument(
        "--csv", action="store_true", help="write CSV (step and one column a metric series)"
    )
    p.set_defaults(handler=handler(metrics_command))

    for action, what in (
        ("cancel", "cancel a running or queued job"),
        ("pause", "pause a running job"),
        ("resume", "resume a paused job"),
    ):
        p = command_parser(
            sub,
            add,
            action,
            help=f"{what} (asks to confirm; --yes for scripts)",
            examples=[f"ftmon {action} ftjob-abc123", f"ftmon {action} ftjob-abc123 --yes --json"],
            codes=CHANGE,
            json_help="write the job as the API returned it",
        )
        p.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
        p.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
        p.set_defaults(handler=handler(action_command(action), action_precheck(action)))

    p = command_parser(
        sub,
        add,
        "delete",
        help="delete a finished job: Azure OpenAI only; the fine-tuned model stays "
        "(asks to confirm; --yes for scripts)",
        examples=["ftmon --azure delete ftjob-abc123", "ftmon --azure delete ftjob-abc123 --yes"],
        codes=CHANGE,
        notes={
            exits.REJECTED: "the job is not finished, the provider has no job delete (OpenAI), "
            "or the API rejected the request; nothing was deleted",
        },
        json_help='write {"id", "object", "deleted": true} once deleted',
    )
    p.add_argument("job", metavar="JOB", help="the job id (ftjob-...)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
    p.set_defaults(handler=handler(delete_command, precheck_delete))

    p = command_parser(
        sub,
        add,
        "models",
        help="the organisation's fine-tuned models with the jobs and checkpoints that made them; "
        "`models rm MODEL` deletes one",
        examples=[
            "ftmon models",
            "ftmon models --json | jq -r '.models[] | select(.job_unknown) | .model'",
            "ftmon models --json | jq -r '.jobs_whose_model_is_gone[].job_id'",
            "ftmon models --shared    # and the projects each is shared with (admin key)",
            "ftmon models rm ft:gpt-4o-mini-2024-07-18:acme::abc123 --yes",
        ],
        codes=[exits.OK, exits.USAGE, exits.AUTH, exits.UNREACHABLE, exits.REJECTED],
        json_help='write {"models": [...], "jobs_whose_model_is_gone": [...], '
        '"checkpoints_unread": N}',
    )
    p.add_argument(
        "--shared",
        action="store_true",
        help="also list the projects each model is shared with (checkpoint permissions: "
        "needs OPENAI_ADMIN_KEY; one request a model, the first 200)",
    )
    p.set_defaults(handler=handler(models_command, precheck_models))
    models_sub = p.add_subparsers(dest="models_command", metavar="ACTION", required=False)
    p = command_parser(
        models_sub,
        add,
        "rm",
        help="delete a fine-tuned model (asks to confirm; --yes for scripts); it stops answering "
        "at once, its job stays",
        examples=[
            "ftmon models rm ft:gpt-4o-mini-2024-07-18:acme:bot:abc123",
            "ftmon models rm ft:gpt-4o-mini-2024-07-18:acme:bot:abc123 --yes --json",
        ],
        codes=CHANGE,
        notes={
            exits.AUTH: "no key, or the API refused the delete with 403 (it needs the Owner "
            "role in the organisation)",
            exits.REJECTED: "the model is one of OpenAI's (refused before sending), or the API "
            "rejected the request; nothing was deleted",
        },
        json_help='write {"id", "object": "model", "deleted": true} once deleted',
    )
    p.add_argument("model", metavar="MODEL", help="the model's id (ft:...)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
    p.set_defaults(handler=handler(models_rm_command, precheck_model_rm))

    perms = sub.add_parser(
        "perms",
        help="share checkpoints with projects (needs OPENAI_ADMIN_KEY)",
        description="List, add or remove the projects a checkpoint is shared with. "
        "CHECKPOINT is the checkpoint's model name (ft:...:ckpt-step-N) from "
        "`ftmon checkpoints JOB`. These calls use the admin key, OPENAI_ADMIN_KEY.",
    )
    perms_sub = perms.add_subparsers(dest="perms_command", metavar="ACTION", required=True)

    p = command_parser(
        perms_sub,
        add,
        "list",
        help="projects a checkpoint is shared with",
        examples=["ftmon perms list ft:gpt-4o-mini-2024-07-18:org::abc123:ckpt-step-300"],
        codes=READ,
        json_help="write the permissions as one JSON array",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT")
    p.add_argument("--project-id", help="only this project")
    p.set_defaults(handler=handler(perms_list_command, precheck_list))

    p = command_parser(
        perms_sub,
        add,
        "add",
        help="share a checkpoint with projects",
        examples=["ftmon perms add ft:...:ckpt-step-300 proj_abc proj_def --yes"],
        codes=CHANGE,
        json_help="write the new permissions as one JSON array",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT")
    p.add_argument("project_ids", metavar="PROJECT", nargs="+")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
    p.set_defaults(handler=handler(perms_add_command, precheck_change("share a checkpoint")))

    p = command_parser(
        perms_sub,
        add,
        "rm",
        help="stop sharing a checkpoint with a project (its id, as `perms add` takes it; "
        "or a cp_ permission id from `perms list`)",
        examples=[
            "ftmon perms rm ft:...:ckpt-step-300 proj_abc --yes",
            "ftmon perms rm ft:...:ckpt-step-300 cp_abc123 --yes",
        ],
        codes=CHANGE,
        json_help="write the API's deletion answer",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT")
    p.add_argument(
        "target",
        metavar="PROJECT",
        help="the project to stop sharing with (proj_...), or a permission id (cp_...)",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
    p.set_defaults(handler=handler(perms_rm_command, precheck_change("remove a permission")))

    grader = sub.add_parser(
        "grader",
        help="check a reinforcement grader with the API before a job uses it",
        description="Validate a grader, or run it on one model sample, with the API's own "
        "grader endpoints (alpha). FILE is the grader as JSON (as --grader takes it for "
        "`ftmon create --method reinforcement`), or - for stdin.",
    )
    grader_sub = grader.add_subparsers(dest="grader_command", metavar="ACTION", required=True)
    grader_codes = [exits.OK, exits.USAGE, exits.AUTH, exits.UNREACHABLE, exits.REJECTED]
    grader_notes = {
        exits.USAGE: "bad arguments, or FILE (or --item) cannot be read or is not a JSON object",
        exits.REJECTED: "the API found the grader invalid (its reason on stderr), "
        "or rejected the request",
    }

    p = command_parser(
        grader_sub,
        add,
        "validate",
        help="ask the API whether a grader is valid",
        examples=[
            "ftmon grader validate grader.json",
            "jq .method.reinforcement.grader job.json | ftmon grader validate -",
        ],
        codes=grader_codes,
        notes={exits.OK: "the grader is valid", **grader_notes},
        json_help="write the API's answer: the grader as it read it",
    )
    p.add_argument("file", metavar="FILE", help="the grader as JSON; - for stdin")
    p.set_defaults(handler=handler(grader_validate_command))

    p = command_parser(
        grader_sub,
        add,
        "run",
        help="grade one model sample with a grader: the reward and how it came",
        examples=[
            "ftmon grader run grader.json --sample 'Paris' --item '{\"answer\": \"Paris\"}'",
            'ftmon grader run grader.json --sample "$(cat answer.txt)" --item @item.json --json '
            "| jq .reward",
        ],
        codes=grader_codes,
        notes={exits.OK: "the grader ran (whatever the reward)", **grader_notes},
        json_help="write the API's answer: reward, metadata, sub_rewards...",
    )
    p.add_argument("file", metavar="FILE", help="the grader as JSON; - for stdin")
    p.add_argument("--sample", required=True, metavar="TEXT", help="the model's output to grade")
    p.add_argument(
        "--item",
        metavar="JSON_OR_@FILE",
        help="the dataset item the grader's {{item.*}} templates read: a JSON object, "
        "or @path to a file holding one",
    )
    p.set_defaults(handler=handler(grader_run_command))

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
            "(--grader is checked with the API before anything is uploaded or created); or "
            "OpenAI no longer lets the organisation create jobs (a 403: its wind-down of "
            "fine-tuning; Azure OpenAI continues)",
        },
        json_help="write the new job as the API returned it",
    )
    add_create_arguments(p)
    p.set_defaults(handler=handler(create_command, precheck_create))

    p = command_parser(
        sub,
        add,
        "export",
        help="write a job's JSON, events, metrics CSV, checkpoints and loss (or reward) plot to a "
        "directory",
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
    p.set_defaults(handler=handler(export_command))

    p = command_parser(
        sub,
        add,
        "archive",
        help=archive_cmd.HELP,
        examples=archive_cmd.EXAMPLES,
        codes=archive_cmd.CODES,
        notes=archive_cmd.NOTES,
        json_help=archive_cmd.JSON_HELP,
    )
    archive_cmd.add_arguments(p)
    p.set_defaults(handler=handler(_archive))

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
    p.set_defaults(handler=handler(files_list_command))

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
    add_method_options(p)
    p.add_argument("--no-check", action="store_true", help="upload without checking first")
    p.set_defaults(handler=handler(files_upload_command, precheck_upload))

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
    p.set_defaults(handler=handler(files_rm_command, precheck_rm))

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
    add_method_options(p)
    p.add_argument("--json", action="store_true", help="write the report as one JSON object")
    p.set_defaults(handler=run_files_check)
