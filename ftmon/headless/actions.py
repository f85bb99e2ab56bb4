"""``ftmon cancel|pause|resume|delete JOB``: change a job, after a confirmation or ``--yes``.

Refusals come before any request: read-only mode (exit 8), no way to confirm (exit 2), a
delete on a provider that has none (OpenAI: exit 7). What the provider's rules refuse for the
job's status (and, for a pause on Azure OpenAI, its trained steps) is refused before the
change is sent (exit 7); a delete always reads the job first, with ``--yes`` too.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from rich.text import Text

from ftmon import exits
from ftmon.api.status_rules import provider_rules
from ftmon.config import Settings
from ftmon.headless import prompt
from ftmon.headless.render import as_json, job_headline
from ftmon.headless.runner import Context
from ftmon.monitor import reads
from ftmon.present.fields import status_text
from ftmon.present.provider import DELETE_CONSEQUENCE, consequence, delete_refusal
from ftmon.text import one_line

VERBS = {"cancel": "cancelled", "pause": "paused", "resume": "resumed"}


def precheck(action: str) -> Callable[[argparse.Namespace, Settings], None]:
    def check(args: argparse.Namespace, settings: Settings) -> None:
        prompt.refuse_if_read_only(settings.read_only, f"{action} a job")
        prompt.require_way_to_confirm(args.yes, f"{action} {one_line(args.job)}")

    return check


def action_command(action: str) -> Callable[[Context], Awaitable[int]]:
    call_name = f"{action}_job"

    async def command(ctx: Context) -> int:
        job_id = ctx.args.job
        if not ctx.args.yes:
            job = await ctx.client.retrieve_job(job_id)
            suffix = one_line(job.display_suffix)
            what = f"{one_line(job.id)}{f' ({suffix})' if suffix else ''}"
            # The same table as the TUI's: what the provider would refuse is not even asked.
            rules = provider_rules(ctx.client.settings)
            steps = None
            if action == "pause" and rules.pause_needs_step and job.status_key == "running":
                steps = await _steps_done(ctx, job.id)
            refusal = rules.refusal(action, job.status, steps_done=steps)
            if refusal is not None:
                raise exits.CommandError(
                    f"cannot {action} {what}: {refusal}; nothing was sent", exits.REJECTED
                )
            prompt.ensure_confirmed(
                False,
                f"{action.capitalize()} job {what}, now {status_text(job.status)}? "
                f"{consequence(rules, action)}",
            )
        job = await getattr(ctx.client, call_name)(job_id)
        if ctx.out.json_mode:
            ctx.out.document(as_json(job))
        else:
            line = Text(f"{action} sent: ", style="bold")
            line.append_text(job_headline(job))
            ctx.out.fit(line)
        return 0

    command.__doc__ = f"{action.capitalize()} a fine-tuning job."
    return command


async def _steps_done(ctx: Context, job_id: str) -> int:
    """The job's last trained step, from its newest events (Azure's pause rule)."""
    latest = (await reads.recent_series(ctx.client, job_id, cap=20)).latest()
    return latest[0] if latest is not None else 0


def precheck_delete(args: argparse.Namespace, settings: Settings) -> None:
    """Before connecting: read-only, a provider with a job delete, a way to confirm."""
    prompt.refuse_if_read_only(settings.read_only, "delete a job")
    rules = provider_rules(settings)
    if not rules.deletes_jobs:
        raise exits.CommandError(
            f"{rules.label} has no job delete (Azure OpenAI has: --azure); nothing was sent",
            exits.REJECTED,
        )
    prompt.require_way_to_confirm(args.yes, f"delete {one_line(args.job)}")


async def delete_command(ctx: Context) -> int:
    """Delete a finished fine-tuning job (Azure OpenAI)."""
    job = await ctx.client.retrieve_job(ctx.args.job)
    suffix = one_line(job.display_suffix)
    what = f"{one_line(job.id)}{f' ({suffix})' if suffix else ''}"
    refusal = delete_refusal(provider_rules(ctx.client.settings), job.status)
    if refusal is not None:
        raise exits.CommandError(
            f"cannot delete {what}: {refusal}; nothing was sent", exits.REJECTED
        )
    model = f" Its model stays: {one_line(job.fine_tuned_model)}." if job.fine_tuned_model else ""
    prompt.ensure_confirmed(
        ctx.args.yes,
        f"Delete job {what}, {status_text(job.status)}? {DELETE_CONSEQUENCE}{model}",
    )
    await ctx.client.delete_job(job.id)
    if ctx.out.json_mode:
        ctx.out.document({"id": job.id, "object": "fine_tuning.job", "deleted": True})
    else:
        line = Text("deleted: ", style="bold")
        line.append(what)
        if job.fine_tuned_model:
            line.append(f" (its model {one_line(job.fine_tuned_model)} stays)")
        ctx.out.fit(line)
    return 0
