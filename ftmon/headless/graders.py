"""``ftmon grader validate|run FILE``: check a reinforcement grader before a job pays for it.

``validate`` asks the API whether the grader is valid; ``run`` grades one model sample with it
(``--item`` fills its ``{{item.*}}`` templates) and prints the reward, its sub-rewards and what the
grader reported. A grader the API refuses ends with its reason on stderr and exit 7. FILE is a
JSON file, or ``-`` for stdin. Nothing here changes anything, so read-only mode allows both.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from rich.text import Text

from ftmon import exits
from ftmon.api.models import RunGraderResponse
from ftmon.headless.render import as_json
from ftmon.headless.runner import Context
from ftmon.localread import read_text_capped
from ftmon.text import one_line

#: Sub-rewards, scores and details shown at most (a multi grader may have many).
SHOWN = 20


def _parse_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        at = f" (line {line})" if line else ""
        raise exits.CommandError(
            f"{where}: not JSON{at}: {getattr(exc, 'msg', 'unreadable')}", exits.USAGE
        ) from None
    except RecursionError:
        raise exits.CommandError(f"{where}: nested too deeply", exits.USAGE) from None
    if not isinstance(value, dict):
        raise exits.CommandError(f"{where}: must be a JSON object", exits.USAGE)
    return value


def _read(path: str, where: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        return read_text_capped(path)
    except OSError as exc:
        raise exits.CommandError(
            f"{where}: cannot read {one_line(path)}: {exc.strerror or exc}", exits.USAGE
        ) from None
    except UnicodeDecodeError:
        raise exits.CommandError(
            f"{where}: {one_line(path)} is not UTF-8 text", exits.USAGE
        ) from None


def read_grader(path: str) -> dict[str, Any]:
    """The grader in FILE (``-``: stdin), a JSON object; the API judges the rest."""
    where = "stdin" if path == "-" else one_line(path)
    return _parse_object(_read(path, "FILE"), where)


def read_item(value: str | None) -> dict[str, Any] | None:
    """``--item``: a JSON object, or ``@path`` to a file holding one."""
    if value is None:
        return None
    if value.startswith("@"):
        return _parse_object(_read(value[1:], "--item"), f"--item {one_line(value[1:])}")
    return _parse_object(value, "--item")


def _name(grader: Any, noun: str = " grader") -> Text:
    """``string_check grader "exact"`` from what the API (or the file) says."""
    data = grader if isinstance(grader, dict) else {}
    text = Text(f"{one_line(data.get('type'), width=40) or 'untyped'}{noun}")
    name = one_line(data.get("name"), width=60)
    if name:
        text.append(f' "{name}"', style="bold")
    return text


def _inner(grader: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """A multi grader's graders: one grader, a list, or a map of names to graders."""
    inner = (grader or {}).get("graders")
    if isinstance(inner, list):
        return [("", g) for g in inner]
    if isinstance(inner, dict):
        if "type" in inner:
            return [("", inner)]
        return [(one_line(k, width=40), g) for k, g in inner.items()]
    return []


async def validate_command(ctx: Context) -> int:
    """Ask the API whether a grader is valid."""
    grader = read_grader(ctx.args.file)
    answer = await ctx.client.validate_grader(grader)
    if ctx.out.json_mode:
        ctx.out.document(as_json(answer))
        return exits.OK
    line = Text("valid: ", style="bold green")
    line.append_text(_name(answer.grader if answer.grader is not None else grader))
    ctx.out.fit(line)
    parts = _inner(answer.grader if answer.grader is not None else grader)
    for key, part in parts[:SHOWN]:
        ctx.out.fit(Text(f"  {key}: " if key else "  ").append_text(_name(part)))
    if len(parts) > SHOWN:
        ctx.out.line(Text(f"  … and {len(parts) - SHOWN} more", style="dim"))
    return exits.OK


def _number(value: Any) -> str:
    """A score as it reads best: ``1``, ``0.8125``; anything else as (cleaned) text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return one_line(json.dumps(value, ensure_ascii=False, default=str), width=60)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def _pairs(label: str, values: dict[str, Any]) -> list[Text]:
    """``label`` and one indented ``key  value`` line each (at most :data:`SHOWN`)."""
    if not values:
        return []
    lines = [Text(label, style="bold")]
    items = list(values.items())
    width = min(40, max(len(one_line(k, width=40)) for k, _ in items[:SHOWN]))
    for key, value in items[:SHOWN]:
        lines.append(Text(f"  {one_line(key, width=40):<{width}}  {_number(value)}"))
    if len(items) > SHOWN:
        lines.append(Text(f"  … and {len(items) - SHOWN} more (--json shows all)", style="dim"))
    return lines


def _tokens(usage: Any) -> str:
    if isinstance(usage, bool) or usage is None:
        return ""
    if isinstance(usage, (int, float)):
        return f"{usage:,.0f}"
    if isinstance(usage, dict):
        total = usage.get("total_tokens")
        parts = [
            f"{name} {usage[key]:,}"
            for key, name in (("prompt_tokens", "prompt"), ("completion_tokens", "completion"))
            if isinstance(usage.get(key), int) and not isinstance(usage.get(key), bool)
        ]
        head = f"{total:,}" if isinstance(total, int) and not isinstance(total, bool) else ""
        return f"{head} ({', '.join(parts)})" if head and parts else head or ", ".join(parts)
    return ""


def run_lines(answer: RunGraderResponse, grader: dict[str, Any]) -> list[Text]:
    """The human report of one run: reward, grader, sub-rewards, scores, errors, cost."""
    meta = answer.metadata
    reward = Text("reward  ", style="bold")
    reward.append(_number(answer.reward) if answer.reward is not None else "—", style="bold")
    lines = [reward]
    shown = {"type": meta.type or grader.get("type"), "name": meta.name or grader.get("name")}
    lines.append(Text("grader  ").append_text(_name(shown, noun="")))
    lines += _pairs("sub-rewards", answer.sub_rewards)
    lines += _pairs("scores", meta.scores)
    flags, details = meta.errors.raised()
    if flags:
        lines.append(Text("errors  ", style="bold").append(", ".join(one_line(f) for f in flags)))
    for name, detail in list(details.items())[:SHOWN]:
        lines.append(Text(f"  {one_line(name, width=40)}: {one_line(detail, width=300)}"))
    facts: list[str] = []
    took = meta.execution_time
    if took is not None:
        facts.append(f"took {took * 1000:.3g} ms" if abs(took) < 1 else f"took {took:.2f} s")
    if meta.sampled_model_name:
        facts.append(f"model {one_line(meta.sampled_model_name, width=60)}")
    tokens = _tokens(meta.token_usage)
    if tokens:
        facts.append(f"tokens {tokens}")
    if facts:
        lines.append(Text(" · ".join(facts), style="dim"))
    return lines


async def run_command(ctx: Context) -> int:
    """Grade one model sample with a grader; print the reward and how it came."""
    grader = read_grader(ctx.args.file)
    item = read_item(ctx.args.item)
    answer = await ctx.client.run_grader(grader, ctx.args.sample, item)
    if ctx.out.json_mode:
        ctx.out.document(as_json(answer))
    else:
        for line in run_lines(answer, grader):
            ctx.out.fit(line)
    return exits.OK
