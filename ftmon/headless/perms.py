"""``ftmon perms list|add|rm CHECKPOINT``: which projects a checkpoint is shared with.

These endpoints take the admin key (``OPENAI_ADMIN_KEY``), never the API key; without one the
command stops before sending anything (exit 5). Azure OpenAI has no such endpoints: there the
command says so and stops before sending anything (exit 7, as other refusals). ``CHECKPOINT``
is the checkpoint's model name (``ft:...:ckpt-step-N``, as ``ftmon checkpoints JOB`` lists),
not its ``ftckpt_`` id. ``rm`` takes a project id, as ``add`` does (the permission is found by
listing the checkpoint's, one request a page of 100), or a permission's ``cp_`` id.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rich.text import Text

from ftmon import exits
from ftmon.api.models import CheckpointPermission
from ftmon.api.pagination import iter_items
from ftmon.api.status_rules import provider_rules
from ftmon.config import Settings
from ftmon.headless import prompt
from ftmon.headless.render import as_json
from ftmon.headless.runner import Context
from ftmon.headless.tables import render
from ftmon.present.columns import Column
from ftmon.present.provider import NO_CHECKPOINT_SHARING
from ftmon.text import local_time, one_line

#: The ids whole (to copy); the time gives way first (its date kept).
PERM_COLUMNS = (Column("id"), Column("project"), Column("created", min=11))


def _check_common(args: argparse.Namespace, settings: Settings, change: str | None = None) -> None:
    """Before connecting: a provider that shares checkpoints, the checkpoint's form, read-only
    for a change, then the admin key."""
    if not provider_rules(settings).shares_checkpoints:
        raise exits.CommandError(f"{NO_CHECKPOINT_SHARING}; nothing was sent", exits.REJECTED)
    if one_line(args.checkpoint).startswith("ftckpt"):
        raise exits.CommandError(
            "CHECKPOINT is the checkpoint's model name (ft:...:ckpt-step-N), not its ftckpt_ id; "
            "`ftmon checkpoints JOB` lists them",
            exits.USAGE,
        )
    if change is not None:
        prompt.refuse_if_read_only(settings.read_only, change)
    if not getattr(args, "demo", False) and not settings.admin_key:
        raise exits.CommandError(
            "checkpoint permissions need an admin key: set OPENAI_ADMIN_KEY "
            "or admin_key in the config file",
            exits.AUTH,
        )


def precheck_list(args: argparse.Namespace, settings: Settings) -> None:
    _check_common(args, settings)


def precheck_change(what: str) -> Callable[[argparse.Namespace, Settings], None]:
    def check(args: argparse.Namespace, settings: Settings) -> None:
        _check_common(args, settings, what)
        prompt.require_way_to_confirm(args.yes, what)

    return check


def _table(perms: list[CheckpointPermission], ctx: Context) -> list[Text]:
    rows = [
        [
            Text(one_line(p.id)),
            Text(one_line(p.project_id) or "—"),
            Text(local_time(p.created_at), style="dim"),
        ]
        for p in perms
    ]
    return render(PERM_COLUMNS, rows, ctx.out.width)


async def perms_list_command(ctx: Context) -> int:
    """Projects a checkpoint is shared with."""
    args = ctx.args
    perms = [
        p
        async for p in iter_items(
            lambda after: ctx.client.list_permissions(
                args.checkpoint, project_id=args.project_id, after=after, limit=100
            )
        )
    ]
    if ctx.out.json_mode:
        ctx.out.document([as_json(p) for p in perms])
    elif not perms:
        ctx.out.note("not shared with any project")
    else:
        ctx.out.lines(_table(perms, ctx))
    return 0


async def perms_add_command(ctx: Context) -> int:
    """Share a checkpoint with projects."""
    args = ctx.args
    projects = ", ".join(one_line(p) for p in args.project_ids)
    prompt.ensure_confirmed(
        args.yes, f"Share checkpoint {one_line(args.checkpoint)} with {projects}?"
    )
    page = await ctx.client.create_permissions(args.checkpoint, list(args.project_ids))
    if ctx.out.json_mode:
        ctx.out.document([as_json(p) for p in page.data])
    else:
        ctx.out.lines(_table(list(page.data), ctx))
    return 0


async def perms_rm_command(ctx: Context) -> int:
    """Stop sharing a checkpoint with a project: by the project's id (as ``perms add`` takes
    it; its permission is found by listing) or by the permission's ``cp_`` id."""
    args = ctx.args
    target = one_line(args.target)
    checkpoint = one_line(args.checkpoint)
    ids: list[tuple[str, str | None]]
    if target.startswith("cp_"):
        ids = [(args.target, None)]
    else:
        found = [
            p
            async for p in iter_items(
                lambda after: ctx.client.list_permissions(
                    args.checkpoint, project_id=args.target, after=after, limit=100
                )
            )
            # Filtered here too: what is removed must be this project's.
            if p.project_id == args.target
        ]
        if not found:
            raise exits.CommandError(
                f"checkpoint {checkpoint} is not shared with project {target}; "
                "`ftmon perms list CHECKPOINT` lists its projects",
                exits.NOT_FOUND,
            )
        ids = [(p.id, p.project_id) for p in found]
    what = ", ".join(
        one_line(pid) + (f" (project {one_line(project)})" if project else "")
        for pid, project in ids
    )
    prompt.ensure_confirmed(args.yes, f"Remove permission {what} from checkpoint {checkpoint}?")
    answers = [await ctx.client.delete_permission(args.checkpoint, pid) for pid, _ in ids]
    if ctx.out.json_mode:
        documents = [as_json(deleted) for deleted in answers]
        ctx.out.document(documents[0] if len(documents) == 1 else documents)
    else:
        for deleted, (_, project) in zip(answers, ids, strict=True):
            line = f"removed {one_line(deleted.id)}"
            ctx.out.line(Text(line + (f" (project {one_line(project)})" if project else "")))
    return 0
