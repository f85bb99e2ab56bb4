"""``ftmon cancel|pause|resume JOB``: change a job, after a confirmation or ``--yes``.

Refusals come before any request: read-only mode (exit 8), or no way to confirm (exit 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from rich.text import Text

from ftmon import exits
from ftmon.api.status_rules import CONSEQUENCES, provider_rules
from ftmon.config import Settings
from ftmon.headless import prompt
from ftmon.headless.render import as_json, job_headline
from ftmon.headless.runner import Context
from ftmon.present.fields import status_text
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
            refusal = rules.refusal(action, job.status)
            if refusal is not None:
                raise exits.CommandError(
                    f"cannot {action} {what}: {refusal}; nothing was sent", exits.REJECTED
                )
            prompt.ensure_confirmed(
                False,
                f"{action.capitalize()} job {what}, now {status_text(job.status)}? "
                f"{CONSEQUENCES[action]}",
            )
        job = await getattr(ctx.client, call_name)(job_id)
        if ctx.out.json_mode:
            ctx.out.document(as_json(job))
        else:
            line = Text(f"{action} sent: ", style="bold")
            line.append_text(job_headline(job))
            ctx.out.line(line)
        return 0

    command.__doc__ = f"{action.capitalize()} a fine-tuning job."
    return command
