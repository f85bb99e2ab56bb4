"""``ftmon models``: the organisation's fine-tuned models joined with their jobs; ``ftmon models
rm MODEL``: delete one, after a confirmation or ``--yes``.

The read and the listing are :mod:`ftmon.present.models`' (the TUI's models view shows the same);
what the read costs in requests is counted there. ``--shared`` adds one request a model (the
first :data:`~ftmon.present.models.SHARE_READS`, 8 at a time, admin key).
"""

from __future__ import annotations

import argparse

from rich.text import Text

from ftmon import exits
from ftmon.api import errors
from ftmon.api.status_rules import provider_rules
from ftmon.config import Settings
from ftmon.headless import prompt
from ftmon.headless.render import as_json
from ftmon.headless.runner import Context
from ftmon.present.models import (
    Inventory,
    inventory_json,
    inventory_lines,
    inventory_summary,
    is_base_model,
    is_fine_tuned,
    read_inventory,
    read_sharing,
    unread_note,
)
from ftmon.present.provider import NO_CHECKPOINT_SHARING
from ftmon.text import local_time, one_line


async def inventory(ctx: Context) -> Inventory:
    """The join (:func:`~ftmon.present.models.read_inventory`), and each model's sharing with
    ``--shared``."""
    try:
        found = await read_inventory(ctx.client)
    except errors.NotFoundError:
        # An archive keeps no model list; the azure flavour of the simulator serves none.
        where = "an archive" if getattr(ctx.args, "archive", None) else "this API"
        raise exits.CommandError(
            f"{where} has no model list (GET /models answered 404); nothing to join",
            exits.REJECTED,
        ) from None
    if getattr(ctx.args, "shared", False):
        await read_sharing(ctx.client, found.rows)
    return found


async def models_command(ctx: Context) -> int:
    """List the organisation's fine-tuned models joined with their jobs and checkpoints."""
    found = await inventory(ctx)
    if ctx.out.json_mode:
        ctx.out.document(inventory_json(found))
        return exits.OK
    if not found.groups and not found.unknown:
        ctx.out.note("no fine-tuned models")
        return exits.OK
    ctx.out.lines([line.text for line in inventory_lines(found, ctx.out.width)])
    ctx.out.note(inventory_summary(found))
    note = unread_note(found)
    if note:
        ctx.out.note(note)
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
