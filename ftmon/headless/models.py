"""``ftmon models``: the organisation's fine-tuned models joined with their jobs; ``ftmon models
rm MODEL``: delete one, after a confirmation or ``--yes``.

What the listing costs, in requests: one ``GET /models`` (the API sends every model in one
answer), every page of ``GET /fine_tuning/jobs`` once (100 jobs a page), and one
``GET .../checkpoints`` (one page: a job keeps 3 or 4) for each job that needs it (a succeeded job
with a listed model, for its best checkpoint; a job that may have made a listed checkpoint model),
newest first, at most :data:`CHECKPOINT_READS` of them, 8 at a time. Past that cap the older
jobs show no best checkpoint (their checkpoint models still join by name, see
:mod:`ftmon.present.models`); a note says how many were left unread. The simulator's big world
(10,000 jobs, 21,364 models): 301 requests, about 3.5 s over loopback.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from rich.text import Text

from ftmon import exits
from ftmon.api import errors
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint
from ftmon.api.pagination import iter_items, iter_pages
from ftmon.api.status_rules import provider_rules
from ftmon.config import Settings
from ftmon.headless import prompt
from ftmon.headless.render import as_json, short_model
from ftmon.headless.runner import Context
from ftmon.monitor import reads
from ftmon.present.models import (
    MODEL_GONE,
    MODEL_GONE_WHY,
    UNKNOWN_JOB,
    UNKNOWN_JOB_WHY,
    Inventory,
    JobModels,
    ModelRow,
    build_inventory,
    checkpoint_jobs,
    inventory_json,
    is_base_model,
    is_fine_tuned,
)
from ftmon.present.provider import NO_CHECKPOINT_SHARING
from ftmon.text import local_time, one_line

#: The most jobs whose checkpoints one ``ftmon models`` reads (one request each).
CHECKPOINT_READS = 200
PARALLEL = 8
#: The most models whose sharing ``--shared`` reads (one request each, admin key).
SHARE_READS = 200

#: The created time's width (``2026-12-04 23:48:10``) and the gap between columns.
CREATED_WIDTH = 19
GAP = 2
#: In the step column, beside a job's final model that is no longer listed.
MODEL_GONE_STEP = "gone"


async def _all_jobs(ctx: Context) -> list[FineTuningJob]:
    jobs: dict[str, FineTuningJob] = {}
    async for page in iter_pages(lambda after: ctx.client.list_jobs(after=after, limit=100)):
        for job in page.data:
            jobs.setdefault(job.id, job)
    return list(jobs.values())


async def _checkpoints(
    ctx: Context, jobs: Sequence[FineTuningJob]
) -> dict[str, list[FineTuningJobCheckpoint]]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(job: FineTuningJob) -> tuple[str, list[FineTuningJobCheckpoint] | None]:
        async with gate:
            try:
                return job.id, await reads.all_checkpoints(ctx.client, job.id)
            except errors.NotFoundError:
                return job.id, None

    pairs = await asyncio.gather(*(one(job) for job in jobs))
    return {job_id: found for job_id, found in pairs if found is not None}


async def _shared(ctx: Context, rows: Sequence[ModelRow]) -> None:
    """Each model's projects (``--shared``, admin key): one request per model, 8 at a time."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(row: ModelRow) -> None:
        async with gate:
            try:
                row.shared = [
                    one_line(p.project_id)
                    async for p in iter_items(
                        lambda after: ctx.client.list_permissions(
                            row.model.id, after=after, limit=100
                        )
                    )
                ]
            except errors.NotFoundError:
                row.shared = None

    await asyncio.gather(*(one(row) for row in rows))


async def inventory(ctx: Context) -> Inventory:
    """The join, read with the requests the module's docstring counts."""
    try:
        models = (await ctx.client.list_models()).data
    except errors.NotFoundError:
        # An archive keeps no model list; the azure flavour of the simulator serves none.
        where = "an archive" if getattr(ctx.args, "archive", None) else "this API"
        raise exits.CommandError(
            f"{where} has no model list (GET /models answered 404); nothing to join",
            exits.REJECTED,
        ) from None
    jobs = await _all_jobs(ctx)
    wanted = checkpoint_jobs(models, jobs)
    read = await _checkpoints(ctx, wanted[:CHECKPOINT_READS])
    unread = max(0, len(wanted) - CHECKPOINT_READS)
    found = build_inventory(models, jobs, read, unread=unread)
    if getattr(ctx.args, "shared", False):
        await _shared(ctx, found.rows[:SHARE_READS])
    return found


def _step_text(row: ModelRow) -> str:
    step = "final" if row.step is None else f"{row.step:,}"
    return f"{step} ★" if row.best else step


def _job_line(group: JobModels, width: int) -> Text:
    job = group.job
    line = Text(one_line(job.id), style="bold")
    line.append(f"  {short_model(job.model)}")
    suffix = one_line(job.display_suffix)
    if suffix:
        line.append(f"  {suffix}")
    if group.gone:
        line.append(f"  {MODEL_GONE}", style="bold red")
    if group.best is not None:
        line.append(f"  {group.best.words}", style="dim")
    return line


def inventory_lines(found: Inventory, width: int) -> list[Text]:
    """Each job (newest first) over its models, then the models whose job is unknown.

    A model id is never cut while the terminal can hold it (an id cut short cannot be copied):
    the created time is shown only when there is room after the id and the step (★: the job's
    best checkpoint by the rule of ``ftmon checkpoints --best``).
    """
    rows = found.rows
    gone = [one_line(g.job.fine_tuned_model) for g in found.gone]
    model_width = max([len(one_line(r.model.id)) for r in rows] + [len(n) for n in gone] + [5])
    step_width = max([len("step"), len(MODEL_GONE_STEP)] + [len(_step_text(r)) for r in rows])
    indent = "  "
    used = len(indent) + model_width + GAP + step_width
    dated = used + GAP + CREATED_WIDTH <= width

    def model_line(row: ModelRow) -> Text:
        line = Text(indent + one_line(row.model.id).ljust(model_width))
        line.append(
            " " * GAP + _step_text(row).rjust(step_width), style="green" if row.best else ""
        )
        if dated:
            line.append(" " * GAP + local_time(row.model.created), style="dim")
        return line

    def model_lines(row: ModelRow) -> list[Text]:
        if not row.shared:
            return [model_line(row)]
        shared = Text(f"{indent}  shared with {', '.join(row.shared)}", style="cyan")
        return [model_line(row), shared]

    header = Text(indent + "model".ljust(model_width) + " " * GAP + "step".rjust(step_width))
    if dated:
        header.append(" " * GAP + "created")
    header.stylize("bold")
    lines = [header]
    for group in found.groups:
        lines.append(_job_line(group, width))
        if group.gone:
            name = one_line(group.job.fine_tuned_model).ljust(model_width)
            lines.append(Text(f"{indent}{name}{' ' * GAP}{MODEL_GONE_STEP:>{step_width}}", "red"))
        lines += [line for row in group.rows for line in model_lines(row)]
    if found.unknown:
        head = Text(UNKNOWN_JOB, style="bold yellow")
        head.append(f": {UNKNOWN_JOB_WHY}", style="dim")
        lines.append(head)
        lines += [line for row in found.unknown for line in model_lines(row)]
    for line in lines:
        line.rstrip()
        if line.cell_len > width:
            line.truncate(width, overflow="ellipsis")
    return lines


async def models_command(ctx: Context) -> int:
    """List the organisation's fine-tuned models joined with their jobs and checkpoints."""
    found = await inventory(ctx)
    if ctx.out.json_mode:
        ctx.out.document(inventory_json(found))
        return exits.OK
    if not found.groups and not found.unknown:
        ctx.out.line("No fine-tuned models.")
        return exits.OK
    ctx.out.lines(inventory_lines(found, ctx.out.width))
    models = sum(len(g.rows) for g in found.groups) + len(found.unknown)
    summary = f"{models} fine-tuned model{'s' if models != 1 else ''}"
    if found.unknown:
        summary += f"; {len(found.unknown)} {UNKNOWN_JOB}"
    if found.gone:
        count = len(found.gone)
        summary += f"; {count} job{'s' if count != 1 else ''} with its {MODEL_GONE}: "
        summary += MODEL_GONE_WHY
    ctx.out.note(summary)
    if found.unread:
        ctx.out.note(
            f"checkpoints read for the newest {CHECKPOINT_READS} jobs only: {found.unread} "
            "older ones show no best checkpoint"
        )
    return exits.OK


def precheck_list(args: argparse.Namespace, settings: Settings) -> None:
    """Before connecting, with ``--shared``: a provider that shares checkpoints, an admin key."""
    if not getattr(args, "shared", False):
        return
    if not provider_rules(settings).shares_checkpoints:
        raise exits.CommandError(f"{NO_CHECKPOINT_SHARING}; nothing was sent", exits.REJECTED)
    if not getattr(args, "demo", False) and not settings.admin_key:
        raise exits.CommandError(
            "--shared reads checkpoint permissions, which need an admin key: set "
            "OPENAI_ADMIN_KEY or admin_key in the config file",
            exits.AUTH,
        )


# -- ftmon models rm ---------------------------------------------------------------------------


def precheck_rm(args: argparse.Namespace, settings: Settings) -> None:
    """Before connecting: read-only (an archive too), OpenAI's own model, a way to confirm."""
    prompt.refuse_if_read_only(settings.read_only, "delete a model")
    if is_base_model(args.model):
        raise exits.CommandError(
            f"{one_line(args.model)} is one of OpenAI's models, not a fine-tuned one: only "
            "fine-tuned models (ft:...) can be deleted; nothing was sent",
            exits.REJECTED,
        )
    prompt.require_way_to_confirm(args.yes, f"delete {one_line(args.model)}")


async def models_rm_command(ctx: Context) -> int:
    """Delete a fine-tuned model (asks first; --yes for scripts)."""
    name = ctx.args.model
    if not ctx.args.yes:
        model = await ctx.client.retrieve_model(name)
        if not is_fine_tuned(model):
            raise exits.CommandError(
                f"{one_line(model.id)} is owned by {one_line(model.owned_by)}, not a fine-tuned "
                "model of yours; nothing was sent",
                exits.REJECTED,
            )
        prompt.ensure_confirmed(
            False,
            f"Delete model {one_line(model.id)}, created {local_time(model.created)}? "
            "It stops answering at once and cannot be brought back; its job stays.",
        )
    deleted = await ctx.client.delete_model(name)
    if ctx.out.json_mode:
        ctx.out.document(as_json(deleted))
    else:
        ctx.out.line(Text(f"deleted {one_line(deleted.id)}"))
    return exits.OK
