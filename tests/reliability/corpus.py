"""A corpus of hostile API payloads, written for ftmon and generated in code (no data file).

``build_corpus()`` returns more than 200 :class:`Payload` s, the same every time: the random
choices (which field gets which wrong type, where a hazard lands inside a sentence) come from a
seeded ``random.Random``, so a failure names a payload that exists again on the next run.

What is in it, and why:

* ``HAZARDS``: strings that attack a terminal or a markup parser. Rich/Textual markup
  (``[/bold]`` raises, ``[@click=app.quit]`` runs an action, ``[link=...]`` writes OSC 8), every
  escape family (CSI, OSC: title, clipboard, hyperlink; DCS, APC, PM, SOS; 8-bit C1 controls;
  plain C0 such as BEL/BS/CR/NUL/DEL), bidi overrides and isolates, zero-width characters, line
  separators, lone surrogates (valid JSON, unencodable UTF-8), wide and combining characters,
  and sizes from empty to a megabyte.
* Jobs: every hazard in every string field at once, and in the id alone; every field missing,
  null, or of each wrong type; unknown and upper-case statuses; timestamps as ISO strings,
  milliseconds, negatives and nonsense; ``error`` in every shape seen in the wild; huge lists and
  maps; nesting deep enough to break a recursive parser.
* Events and checkpoints: the same, per field, plus metrics that are strings, infinities,
  negative or absurd steps.
* Error answers: 4xx/5xx bodies in OpenAI's, Azure's and FastAPI's shapes, plain text, HTML,
  empty, huge, with hazards in the message, with a Retry-After that is not a number.
* List pages: ``data`` null, an object, a bare array, non-objects among the items, ``has_more``
  as a string, cursors that repeat.

A payload's ``kind`` says where the hostile API puts it (see ``hostile_api.py``).
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from typing import Any

from support.simkit import SIM_START

SEED = 20260526
MEGABYTE = 1_000_000

#: name -> a string that must reach the screen only as inert text (or be marked unreadable).
HAZARDS: dict[str, str] = {
    "markup-close": "[/bold]",
    "markup-close-any": "[/]",
    "markup-click": "[@click=app.quit]quit[/]",
    "markup-click-bell": "[@click=app.bell]ring[/]",
    "markup-link": "[link=https://evil.example/x]click me[/link]",
    "markup-nested": "[[/]]x[b][/b][/][[",
    "markup-escaped": "\\[bold]not bold\\[/bold]\\",
    "markup-style": "[on red blink reverse]loud[/]",
    "markup-unclosed": "[bold red",
    "osc-title-bel": "\x1b]0;pwned-title\x07",
    "osc-title-st": "\x1b]2;pwned-title\x1b\\",
    "osc52-clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "osc8-hyperlink": "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "osc-notify": "\x1b]9;pwned-notify\x07\x1b]777;notify;pwned;body\x07",
    "csi-clear": "\x1b[2J\x1b[3J\x1b[H",
    "csi-leave-alt-screen": "\x1b[?1049l",
    "csi-mouse-all-motion": "\x1b[?1003h",
    "csi-hide-cursor": "\x1b[?25l",
    "csi-sgr-blink": "\x1b[5;31mblink\x1b[0m",
    "csi-device-report": "\x1b[6n\x1b[c",
    "dcs-request": "\x1bP1$r\x1b\\",
    "apc-kitty-graphics": "\x1b_Gf=100,a=T;AAAA\x1b\\",
    "pm-and-sos": "\x1b^private\x1b\\\x1bXstart\x1b\\",
    "c1-csi": "\x9b31mred",
    "c1-osc": "\x9d0;pwned-title\x9c",
    "c1-dcs": "\x90q#0\x9c",
    "c1-nel": "a\x85b",
    "c0-controls": "a\x00b\x01c\x07d\x08e\x0bf\x0cg\rh\x7fi",
    "lone-esc": "trailing escape \x1b",
    "bidi-override": "\u202egnp.exe\u202c",
    "bidi-isolates": "\u2066\u2067\u2068x\u2069",
    "bidi-marks": "\u200e\u200f\u061c",
    "zero-width": "a\u200bb\u200cc\u200dd\ufeffe\u2060f",
    "line-separators": "a\u2028b\u2029c",
    "newlines-tabs": "line1\nline2\r\nline3\ttab",
    "lone-surrogates": "x\ud800y\udfffz",
    "wide-and-emoji": "训练🚀👩\u200d👩\u200d👧ｗｉｄｅ",
    "combining-zalgo": "Z" + "\u0334\u0321\u031b" * 40 + "algo",
    "format-strings": "%s%n{0}{__class__}$(id)`id`",
    "html-and-json": '<script>alert(1)</script>{"id": "x"}',
    "empty": "",
    "whitespace": " \t \u00a0\u3000 ",
    "huge-line": "A" * 200_000,
    "huge-with-escapes": ("\x1b]0;t\x07[/]" * 20_000),
}

#: The string fields of a job (dotted paths into the object).
JOB_STRING_FIELDS = (
    "model",
    "fine_tuned_model",
    "status",
    "suffix",
    "user_provided_suffix",
    "training_file",
    "validation_file",
    "organization_id",
    "error.code",
    "error.message",
    "error.param",
    "method.type",
    "result_files.0",
    "integrations.0.type",
    "integrations.0.wandb.project",
    "integrations.0.wandb.name",
    "integrations.0.wandb.entity",
    "integrations.0.wandb.tags.0",
)

#: Every field of a job, for the missing / null / wrong-type mutations.
JOB_FIELDS = (
    "id",
    "object",
    "created_at",
    "finished_at",
    "estimated_finish",
    "model",
    "fine_tuned_model",
    "organization_id",
    "status",
    "training_file",
    "validation_file",
    "result_files",
    "trained_tokens",
    "seed",
    "suffix",
    "user_provided_suffix",
    "error",
    "hyperparameters",
    "method",
    "integrations",
    "metadata",
)
EVENT_FIELDS = ("id", "object", "created_at", "level", "message", "type", "data")
CHECKPOINT_FIELDS = (
    "id",
    "object",
    "created_at",
    "fine_tuned_model_checkpoint",
    "fine_tuning_job_id",
    "step_number",
    "metrics",
)

#: name -> a value of the wrong type ("missing" removes the field).
WRONG_TYPES: dict[str, Any] = {
    "missing": ...,
    "null": None,
    "int": 42,
    "negative-float": -1.5e300,
    "bool": True,
    "list": ["a", 1, None],
    "object": {"nested": {"deeper": [1, 2, {"x": None}]}},
    "string": "not what you expected",
}

STATUSES = (
    "PENDING",
    "pending",
    "Running",
    "RUNNING",
    "canceled",
    "cancelling",
    "paused",
    "pausing",
    "expired",
    "queued_for_review",
    "",
    "succeeded ",
    "Succeeded\u200b",
)

TIMESTAMPS: dict[str, Any] = {
    "iso-z": "2026-05-28T20:26:40Z",
    "iso-offset": "2026-05-28T22:26:40+02:00",
    "iso-naive": "2026-05-28 20:26:40",
    "numeric-string": "1780000000",
    "milliseconds": 1_780_000_000_000,
    "float": 1780000000.75,
    "negative": -86400,
    "zero": 0,
    "far-future": 10**15,
    "huge": 10**30,
    "words": "yesterday",
    "nan-string": "NaN",
    "infinity-string": "Infinity",
    "bool": False,
    "object": {"seconds": 1},
}

METRIC_VALUES: dict[str, Any] = {
    "string-number": "0.25",
    "string-words": "lower is better",
    "nan-string": "nan",
    "inf-string": "inf",
    "huge": 1e308,
    "negative": -3.5,
    "null": None,
    "bool": True,
    "list": [0.1, 0.2],
    "object": {"value": 0.1},
}

STEPS: dict[str, Any] = {
    "string": "17",
    "float": 17.9,
    "negative": -5,
    "zero": 0,
    "huge": 10**18,
    "nan-string": "nan",
    "words": "seventeen",
    "null": None,
    "total-zero": ("total", 0),
    "total-negative": ("total", -10),
    "total-string": ("total", "many"),
    "step-past-total": ("past", None),
}


@dataclass(frozen=True)
class Payload:
    """One hostile payload: where it goes (``kind``) and what is sent."""

    name: str
    kind: str  # "job", "event", "checkpoint", "error", "page"
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: A short note on what the payload tests, for reports.
    about: str = ""


def base_job(job_id: str, created_at: int) -> dict[str, Any]:
    """A well-formed running job, the canvas every job payload is painted on."""
    return {
        "id": job_id,
        "object": "fine_tuning.job",
        "created_at": created_at,
        "finished_at": None,
        "estimated_finish": created_at + 3600,
        "model": "gpt-4o-mini-2024-07-18",
        "fine_tuned_model": None,
        "organization_id": "org-hostile",
        "status": "running",
        "training_file": "file-train",
        "validation_file": "file-valid",
        "result_files": [],
        "trained_tokens": None,
        "seed": 42,
        "suffix": "canvas",
        "user_provided_suffix": "canvas",
        "error": None,
        "hyperparameters": {"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": 2},
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": "auto"}},
        },
        "integrations": [
            {"type": "wandb", "wandb": {"project": "p", "name": "n", "entity": "e", "tags": ["t"]}}
        ],
        "metadata": {"team": "reliability"},
    }


def base_event(index: int, created_at: int) -> dict[str, Any]:
    return {
        "id": f"ftevent-canvas{index:06d}",
        "object": "fine_tuning.job.event",
        "created_at": created_at,
        "level": "info",
        "message": f"Step {index}/100: training loss=0.50",
        "type": "metrics",
        "data": {"step": index, "total_steps": 100, "train_loss": 0.5},
    }


def base_checkpoint(index: int, created_at: int, job_id: str) -> dict[str, Any]:
    return {
        "id": f"ftckpt_canvas{index:06d}",
        "object": "fine_tuning.job.checkpoint",
        "created_at": created_at,
        "fine_tuned_model_checkpoint": f"ft:gpt-4o-mini-2024-07-18:org::canvas:ckpt-step-{index}",
        "fine_tuning_job_id": job_id,
        "step_number": index,
        "metrics": {"step": index, "train_loss": 0.5, "valid_loss": 0.6},
    }


def set_path(target: Any, path: str, value: Any) -> None:
    """Set a dotted path (``error.message``, ``result_files.0``), creating what is missing;
    the value ``...`` deletes the field instead."""
    parts = path.split(".")
    node = target
    for index, part in enumerate(parts[:-1]):
        following = parts[index + 1]
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, list):
            while len(node) <= key:
                node.append(None)
            if not isinstance(node[key], (dict, list)):
                node[key] = [] if following.isdigit() else {}
        else:
            if not isinstance(node.get(key), (dict, list)):
                node[key] = [] if following.isdigit() else {}
        node = node[key]
    last = parts[-1]
    if isinstance(node, list):
        position = int(last)
        while len(node) <= position:
            node.append(None)
        node[position] = value
    elif value is ...:
        node.pop(last, None)
    else:
        node[last] = value


def deep(levels: int, leaf: Any = "bottom") -> Any:
    """``levels`` of nested objects (and lists, alternately) around ``leaf``."""
    value = leaf
    for level in range(levels):
        value = {"n": value} if level % 2 else [value]
    return value


def _id(prefix: str, name: str) -> str:
    """A readable id for a payload's carrier: letters, digits and dashes only."""
    safe = "".join(c if c.isalnum() else "-" for c in name)[:60]
    return f"{prefix}-{safe}"


def build_corpus(seed: int = SEED, *, now: int = SIM_START) -> list[Payload]:
    """Every payload, in a fixed order; ``now`` anchors timestamps (the simulator's START)."""
    rng = random.Random(seed)
    out: list[Payload] = []

    def job(name: str, body: dict[str, Any], about: str) -> None:
        out.append(Payload(f"job.{name}", "job", body, about=about))

    # 1. Every hazard in every string field of a job at once, mixed into a sentence at a
    #    random place (the id stays plain so the job can be fetched).
    for hname, hazard in HAZARDS.items():
        body = base_job(_id("ftjob-hz", hname), now - rng.randint(60, 3600))
        for path in JOB_STRING_FIELDS:
            if path == "status" and len(hazard) > 1000:
                value = hazard[:1000]
            else:
                value = _sprinkle(rng, hazard)
            set_path(body, path, value)
        body["metadata"] = {
            _sprinkle(rng, hazard)[:5000]: _sprinkle(rng, hazard),
            "plain-key": hazard,
        }
        body["hyperparameters"][hazard[:200] or "empty-name"] = hazard
        job(f"all-strings={hname}", body, "the hazard in every string field, keys included")

    # 1b. The hazard in the suffix alone, on a running job: the suffix is quoted by the cancel
    #     dialog, the finished-job toast and the desktop notification.
    for hname, hazard in HAZARDS.items():
        body = base_job(_id("ftjob-sx", hname), now - rng.randint(60, 3600))
        body["suffix"] = body["user_provided_suffix"] = _sprinkle(rng, hazard)
        job(f"suffix-hazard={hname}", body, "the hazard in the suffix of a running job")

    # 2. The hazard in the id alone: it is shown, and it is also a URL path segment.
    for hname in (
        "markup-click",
        "osc-title-bel",
        "c1-csi",
        "bidi-override",
        "newlines-tabs",
        "format-strings",
        "lone-surrogates",
        "wide-and-emoji",
    ):
        body = base_job("ftjob-id-" + HAZARDS[hname], now - rng.randint(60, 3600))
        job(f"id={hname}", body, "the hazard in the job id (shown, and sent back in a URL)")
    long_id = base_job("ftjob-" + "L" * 70_000, now - 30)
    job("id=longer-than-a-url", long_id, "an id too long to put in any URL")

    # 3. Every field missing, null, or of each wrong type.
    for fname in JOB_FIELDS:
        for tname, value in WRONG_TYPES.items():
            if fname == "id" and tname not in ("missing", "null", "int", "object"):
                continue  # an id is required: four ways to break it are enough
            body = base_job(_id("ftjob-ty", f"{fname}-{tname}"), now - rng.randint(60, 3600))
            if value is ...:
                body.pop(fname, None)
            else:
                body[fname] = copy.deepcopy(value)
            job(f"{fname}={tname}", body, f"{fname} {tname}")

    # 4. Statuses the spec does not list.
    for status in STATUSES:
        body = base_job(_id("ftjob-st", status or "empty"), now - rng.randint(60, 3600))
        body["status"] = status
        job(f"status={status!r}", body, "a status outside the spec, shown as sent")

    # 5. Timestamps in every spelling, in each time field.
    for tname, value in TIMESTAMPS.items():
        for fname in ("created_at", "finished_at", "estimated_finish"):
            body = base_job(_id("ftjob-ts", f"{fname}-{tname}"), now - 600)
            body[fname] = value
            job(f"{fname}=time-{tname}", body, "a timestamp as strings, milliseconds, nonsense")

    # 6. error in every shape seen in the wild, on a failed job.
    error_shapes: dict[str, Any] = {
        "null": None,
        "empty": {},
        "all-null": {"code": None, "message": None, "param": None},
        "string": "Training file has 3 invalid lines",
        "list": [{"message": "one"}, {"message": "two"}],
        "number": 500,
        "nested-error": {"error": {"message": "nested", "code": "x"}},
        "message-object": {"message": {"text": "an object"}, "code": 7},
        "code-only": {"code": "invalid_training_file"},
        "azure": {"code": "BadRequest", "message": "Bad", "innererror": {"code": "x"}},
        "fastapi-detail": {"detail": [{"loc": ["body", "x"], "msg": "field required"}]},
        "huge-message": {"code": "x", "message": "E" * MEGABYTE},
        "hazard-message": {"code": "[/]", "message": HAZARDS["osc52-clipboard"] + "[@click=a]"},
    }
    for ename, value in error_shapes.items():
        body = base_job(_id("ftjob-er", ename), now - 900)
        body["status"] = "failed"
        body["finished_at"] = now - 60
        body["error"] = value
        job(f"error-shape={ename}", body, "a failed job's error in a shape seen in the wild")

    # 7. Hyperparameters and methods the spec does not describe.
    method_shapes: dict[str, Any] = {
        "unknown-type": {"type": "distillation", "distillation": {"hyperparameters": {"t": 2}}},
        "type-without-block": {"type": "dpo"},
        "block-not-object": {"type": "dpo", "dpo": "beta=0.1"},
        "reinforcement-grader-odd": {
            "type": "reinforcement",
            "reinforcement": {"grader": {"type": ["x"], "name": {"n": 1}}, "hyperparameters": []},
        },
        "hyper-list": {"type": "supervised", "supervised": {"hyperparameters": [1, 2, 3]}},
    }
    for mname, value in method_shapes.items():
        body = base_job(_id("ftjob-me", mname), now - 300)
        body["method"] = value
        job(f"method={mname}", body, "a method block the spec does not describe")
    for hname, value in {
        "values-objects": {"n_epochs": {"auto": True}, "batch_size": [1, 2], "x": None},
        "huge-numbers": {"n_epochs": 10**40, "learning_rate_multiplier": 1e308},
        "many-keys": {f"h{i}": i for i in range(2000)},
    }.items():
        body = base_job(_id("ftjob-hp", hname), now - 300)
        body["hyperparameters"] = value
        job(f"hyperparameters={hname}", body, "hyperparameters of odd shapes and sizes")

    # 8. Sizes: huge lists, maps, and nesting.
    sizes: dict[str, tuple[str, Any]] = {
        "result-files-10k": ("result_files", [f"file-r{i}" for i in range(10_000)]),
        "metadata-5k-keys": ("metadata", {f"k{i}": f"v{i}" for i in range(5_000)}),
        "integrations-1k": (
            "integrations",
            [{"type": "wandb", "wandb": {"project": f"p{i}"}} for i in range(1_000)],
        ),
        "metadata-nested-50": ("metadata", {"deep": deep(50)}),
        "metadata-nested-500": ("metadata", {"deep": deep(500)}),
        "unknown-field-nested-900": ("x_unknown", deep(900)),
        "unknown-fields-1k": ("x_many", {f"f{i}": [i] * 10 for i in range(1_000)}),
    }
    for sname, (fname, value) in sizes.items():
        body = base_job(_id("ftjob-sz", sname), now - 300)
        body[fname] = value
        job(f"size={sname}", body, "huge lists and maps, deep nesting")

    # 9. Events: hazards in the message and level, wrong types per field, odd metrics.
    def event(name: str, events: list[Any], about: str) -> None:
        out.append(Payload(f"event.{name}", "event", events, about=about))

    for hname, hazard in HAZARDS.items():
        item = base_event(1, now - 120)
        item["id"] = _id("ftevent-hz", hname)
        item["message"] = _sprinkle(rng, hazard)
        item["level"] = hazard[:50]
        item["type"] = "message"
        item["data"] = {"note": hazard[:1000]}
        event(f"message={hname}", [item], "the hazard in the message, level and data")
    for fname in EVENT_FIELDS:
        for tname, value in WRONG_TYPES.items():
            item = base_event(2, now - 100)
            item["id"] = _id("ftevent-ty", f"{fname}-{tname}") if fname != "id" else item["id"]
            if value is ...:
                item.pop(fname, None)
            else:
                item[fname] = copy.deepcopy(value)
            event(f"{fname}={tname}", [item], f"event {fname} {tname}")
    for mname, value in METRIC_VALUES.items():
        item = base_event(3, now - 90)
        item["id"] = _id("ftevent-mv", mname)
        item["data"] = {"step": 3, "total_steps": 100, "train_loss": value, "valid_loss": value}
        event(f"metric={mname}", [item], "a metric value of the wrong type or range")
    for sname, value in STEPS.items():
        item = base_event(4, now - 80)
        item["id"] = _id("ftevent-sp", sname)
        if isinstance(value, tuple) and value[0] == "total":
            item["data"]["total_steps"] = value[1]
        elif isinstance(value, tuple):
            item["data"]["step"] = 500
        else:
            item["data"]["step"] = value
        event(f"step={sname}", [item], "a step or total of the wrong type or range")
    event(
        "items-not-objects",
        ["a string", 7, None, [1], base_event(5, now - 70)],
        "items in the events list that are not objects",
    )
    event(
        "same-id-twice",
        [base_event(6, now - 60), base_event(6, now - 60)],
        "one event sent twice on a page",
    )
    event("empty-ids", [dict(base_event(7, now - 50), id="") for _ in range(3)], "empty ids")
    event("ten-thousand", [base_event(i, now - 40) for i in range(10_000)], "a 10k-event page")

    # 10. Checkpoints: hazards in the model name, wrong types, odd metrics.
    def checkpoint(name: str, items: list[Any], about: str) -> None:
        out.append(Payload(f"checkpoint.{name}", "checkpoint", items, about=about))

    for hname in ("markup-click", "osc8-hyperlink", "c1-osc", "bidi-override", "huge-line"):
        item = base_checkpoint(10, now - 200, "carrier")
        item["fine_tuned_model_checkpoint"] = "ft:x:" + HAZARDS[hname]
        item["id"] = _id("ftckpt_hz", hname)
        checkpoint(f"model={hname}", [item], "the hazard in a checkpoint's model name")
    for fname in CHECKPOINT_FIELDS:
        for tname, value in WRONG_TYPES.items():
            if fname == "id" and tname not in ("missing", "null", "int"):
                continue
            item = base_checkpoint(11, now - 150, "carrier")
            if fname != "id":
                item["id"] = _id("ftckpt_ty", f"{fname}-{tname}")
            if value is ...:
                item.pop(fname, None)
            else:
                item[fname] = copy.deepcopy(value)
            checkpoint(f"{fname}={tname}", [item], f"checkpoint {fname} {tname}")
    for mname, value in METRIC_VALUES.items():
        item = base_checkpoint(12, now - 140, "carrier")
        item["id"] = _id("ftckpt_mv", mname)
        item["metrics"] = {"step": 12, "train_loss": value, "valid_mean_token_accuracy": value}
        checkpoint(f"metric={mname}", [item], "checkpoint metrics of the wrong type or range")

    # 11. Error answers to any request.
    bodies: dict[str, tuple[str, Any]] = {
        "openai": ("json", {"error": {"message": "Nope", "type": "x", "param": None, "code": "c"}}),
        "azure": ("json", {"error": {"code": "429", "message": "Azure says wait"}}),
        "fastapi-list": ("json", {"detail": [{"loc": ["query", "limit"], "msg": "bad"}]}),
        "fastapi-string": ("json", {"detail": "Not Found"}),
        "message-top": ("json", {"message": "Upstream timed out"}),
        "error-string": ("json", {"error": "something broke"}),
        "error-null": ("json", {"error": None}),
        "error-list": ("json", {"error": ["a", "b"]}),
        "json-string": ("json", "just a string"),
        "json-null": ("json", None),
        "json-list": ("json", [1, 2, 3]),
        "hazard-message": (
            "json",
            {"error": {"message": HAZARDS["osc-title-bel"] + "[@click=app.quit]x[/]", "code": 1}},
        ),
        "huge-message": ("json", {"error": {"message": "M" * MEGABYTE, "code": "big"}}),
        "plain-text": ("text", "upstream connect error or disconnect/reset before headers"),
        "plain-hazard": ("text", "\x1b]0;pwned-title\x07 bad gateway \x9b31m"),
        "html": ("text", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        "empty": ("text", ""),
        "binary": ("bytes", bytes(range(256))),
    }
    statuses = (400, 401, 403, 404, 409, 418, 422, 429, 500, 502, 503, 504, 599)
    for index, (bname, (mode, value)) in enumerate(bodies.items()):
        for status in (statuses[index % len(statuses)], statuses[(index + 5) % len(statuses)]):
            headers = {}
            if status in (429, 503):
                headers["retry-after"] = rng.choice(["2", "soon", "-5", "1e9", "Wed, 21 Oct"])
            out.append(
                Payload(
                    f"error.{status}-{bname}",
                    "error",
                    _encode(mode, value),
                    status=status,
                    headers=headers,
                    about=f"a {status} answer with a {bname} body",
                )
            )

    # 12. List pages of odd shapes (the job list itself).
    good = [base_job("ftjob-page-ok", now - 10)]
    pages: dict[str, Any] = {
        "data-null": {"object": "list", "data": None, "has_more": False},
        "data-object": {"object": "list", "data": {"id": "ftjob-x"}, "has_more": False},
        "bare-array": good,
        "has-more-string": {"object": "list", "data": good, "has_more": "false"},
        "has-more-without-items": {"object": "list", "data": [], "has_more": True},
        "items-not-objects": {"object": "list", "data": [*good, "x", 1, None], "has_more": False},
        "one-item-without-id": {"object": "list", "data": [*good, {"status": "running"}]},
        "missing-everything": {},
        "json-null": None,
        "not-json": b"<html>200 OK</html>",
        "truncated-json": b'{"object": "list", "data": [{"id": "ftjob-',
        "nested-100k": b"[" * 100_000 + b"]" * 100_000,
        "huge-page": {"object": "list", "data": good * 1, "padding": "P" * MEGABYTE},
    }
    for pname, value in pages.items():
        mode = "bytes" if isinstance(value, bytes) else "json"
        out.append(Payload(f"page.{pname}", "page", _encode(mode, value), about=pname))
    return out


def _sprinkle(rng: random.Random, hazard: str) -> str:
    """The hazard inside an ordinary sentence, at a seeded position."""
    words = ["loss", "went", "down", "then", "up"]
    where = rng.randint(0, len(words))
    return " ".join([*words[:where], hazard, *words[where:]])


def _encode(mode: str, value: Any) -> bytes:
    if mode == "bytes":
        return value
    if mode == "text":
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


def by_kind(payloads: list[Payload], kind: str) -> list[Payload]:
    return [p for p in payloads if p.kind == kind]
