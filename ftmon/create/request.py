"""The create-job request, built from what a person typed: checked field by field, then built.

The TUI form and ``ftmon create`` both fill a :class:`CreateInput` with raw text, call
:func:`check_input` for the problems (field name -> reason, shown at the field), and only when
there are none call :func:`build_body`, whose result is exactly what is sent and shown for
confirmation. A file field holds an uploaded file's id or a local path; local paths are checked and
uploaded first (:mod:`ftmon.create.flow`), then their ids take their place.

Pure: no network and no UI; what is sent, and when, is :mod:`ftmon.create.flow`'s.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ftmon.datasets.formats import METHODS
from ftmon.text import one_line

#: Hyperparameters each method takes (the API refuses others).
COMMON = ("n_epochs", "batch_size", "learning_rate_multiplier")
METHOD_HYPERPARAMETERS: dict[str, tuple[str, ...]] = {
    "supervised": COMMON,
    "dpo": (*COMMON, "beta"),
    "reinforcement": (
        *COMMON,
        "reasoning_effort",
        "compute_multiplier",
        "eval_interval",
        "eval_samples",
    ),
}
REASONING_EFFORTS = ("default", "low", "medium", "high")
#: Grader types the API documents; only named in messages: the API judges the type (and the
#: rest of the grader) itself, so a type newer than this list is not refused here.
GRADER_TYPES = ("string_check", "text_similarity", "python", "score_model", "multi")
SEED_MAX = 2_147_483_647
SUFFIX_MAX = 64
METADATA_MAX_KEYS = 16
METADATA_KEY_MAX = 64
METADATA_VALUE_MAX = 512
FILE_FIELDS = ("training_file", "validation_file")

#: Base models the form suggests; any other name (a fine-tuned model) may be typed.
SUGGESTED_MODELS = (
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "gpt-4.1-2025-04-14",
    "gpt-4o-mini-2024-07-18",
    "gpt-4o-2024-08-06",
    "o4-mini-2025-04-16",
    "gpt-3.5-turbo-0125",
)

#: A path-looking value: it has a directory part, a home or dot start, or a data file's extension.
_PATHISH = re.compile(r"(^[~.])|[/\\]|\.(jsonl|json|txt|csv)$", re.IGNORECASE)


@dataclass
class CreateInput:
    """The form's fields as typed: every value a string, "" meaning "not given"."""

    model: str = ""
    training_file: str = ""
    validation_file: str = ""
    method: str = "supervised"
    n_epochs: str = ""
    batch_size: str = ""
    learning_rate_multiplier: str = ""
    beta: str = ""
    reasoning_effort: str = ""
    compute_multiplier: str = ""
    eval_interval: str = ""
    eval_samples: str = ""
    grader: str = ""
    suffix: str = ""
    seed: str = ""
    metadata: str = ""
    wandb_project: str = ""
    wandb_name: str = ""
    wandb_entity: str = ""
    wandb_tags: str = ""

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class FileChoice:
    """What a file field names: an uploaded file (``file_id``) or a local file (``path``)."""

    file_id: str | None = None
    path: Path | None = None


@dataclass
class Checked:
    """The outcome of :func:`check_input`: problems by field, and the file fields resolved."""

    errors: dict[str, str] = field(default_factory=dict)
    files: dict[str, FileChoice] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def local_files(self) -> dict[str, Path]:
        return {name: c.path for name, c in self.files.items() if c.path is not None}


def resolve_file(value: str, *, exists: Callable[[Path], bool] | None = None) -> FileChoice | str:
    """A file field's value as an uploaded id or a local path; a ``str`` is the problem."""
    text = value.strip()
    if not text:
        return "required"
    is_file = exists or (lambda p: p.is_file())
    path = Path(text).expanduser()
    if is_file(path):
        return FileChoice(path=path)
    if _PATHISH.search(text):
        return f"no such local file: {text}"
    if any(c.isspace() for c in text):
        return "an uploaded file's id (file-…) or a local .jsonl path"
    return FileChoice(file_id=text)


def _int(text: str, low: int, high: int | None) -> tuple[int | None, str | None]:
    value = text.strip()
    if not value or value.lower() == "auto":
        return None, None
    try:
        number = int(value)
    except ValueError:
        return None, "a whole number, or auto"
    if number < low or (high is not None and number > high):
        span = f"from {low} to {high}" if high is not None else f"{low} or more"
        return None, f"{span}, or auto"
    return number, None


def _float(
    text: str, low: float, high: float | None, *, low_open: bool = True
) -> tuple[float | None, str | None]:
    value = text.strip()
    if not value or value.lower() == "auto":
        return None, None
    try:
        number = float(value)
    except ValueError:
        return None, "a number, or auto"
    too_low = number <= low if low_open else number < low
    if not math.isfinite(number) or too_low or (high is not None and number > high):
        span = f"more than {low:g}" + (f" and at most {high:g}" if high is not None else "")
        return None, f"{span}, or auto"
    return number, None


#: hyperparameter -> its check: (kind, low, high)
_RULES: dict[str, tuple[str, float, float | None]] = {
    "n_epochs": ("int", 1, 50),
    "batch_size": ("int", 1, 256),
    "learning_rate_multiplier": ("float", 0, None),
    "beta": ("float", 0, 2),
    "compute_multiplier": ("float", 0, 10),
    "eval_interval": ("int", 1, None),
    "eval_samples": ("int", 1, None),
}


def hyperparameters(inp: CreateInput) -> tuple[dict[str, Any], dict[str, str]]:
    """The method's hyperparameters that were given, and the problems of those that are wrong."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in METHOD_HYPERPARAMETERS.get(inp.method, ()):
        raw = getattr(inp, name)
        if name == "reasoning_effort":
            text = raw.strip().lower()
            if text and text not in REASONING_EFFORTS:
                errors[name] = "default, low, medium or high"
            elif text:
                values[name] = text
            continue
        kind, low, high = _RULES[name]
        number: int | float | None
        if kind == "int":
            number, problem = _int(raw, int(low), None if high is None else int(high))
        else:
            number, problem = _float(raw, low, high)
        if problem:
            errors[name] = problem
        elif number is not None:
            values[name] = number
    return values, errors


def parse_grader(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """The reinforcement grader from its JSON text, or why it is not one."""
    if not text.strip():
        return None, "reinforcement needs a grader (JSON, e.g. a string_check grader)"
    try:
        grader = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        return None, f"invalid JSON{where}: {getattr(exc, 'msg', 'not JSON')}"
    if not isinstance(grader, dict):
        return None, "a JSON object with a type and a name"
    kind = grader.get("type")
    if not isinstance(kind, str) or not kind.strip():
        return None, f"the grader needs a type ({', '.join(GRADER_TYPES)})"
    if not isinstance(grader.get("name"), str) or not grader["name"].strip():
        return None, "the grader needs a name"
    return grader, None


def parse_metadata(text: str) -> tuple[dict[str, str], str | None]:
    """``key=value`` pairs separated by commas or new lines."""
    pairs: dict[str, str] = {}
    for part in re.split(r"[,\n]", text):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            return {}, f"key=value pairs, separated by commas (not {part.strip()[:30]!r})"
        if len(key) > METADATA_KEY_MAX:
            return {}, f"keys are at most {METADATA_KEY_MAX} characters"
        if len(value) > METADATA_VALUE_MAX:
            return {}, f"values are at most {METADATA_VALUE_MAX} characters"
        pairs[key] = value
    if len(pairs) > METADATA_MAX_KEYS:
        return {}, f"at most {METADATA_MAX_KEYS} keys"
    return pairs, None


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def check_input(inp: CreateInput, *, exists: Callable[[Path], bool] | None = None) -> Checked:
    """Every problem of the form, by field name; nothing is sent while there is one."""
    checked = Checked()
    errors = checked.errors
    model = inp.model.strip()
    if not model:
        errors["model"] = "required: the base model (or a fine-tuned model) to train"
    elif any(c.isspace() for c in model):
        errors["model"] = "a model name has no spaces"
    for name in FILE_FIELDS:
        value = getattr(inp, name)
        if name == "validation_file" and not value.strip():
            continue
        choice = resolve_file(value, exists=exists)
        if isinstance(choice, str):
            errors[name] = (
                choice
                if name == "validation_file" or choice != "required"
                else ("required: an uploaded file's id (file-…) or a local .jsonl path")
            )
        else:
            checked.files[name] = choice
    train, valid = checked.files.get("training_file"), checked.files.get("validation_file")
    if train and valid and (train.file_id or train.path) == (valid.file_id or valid.path):
        errors["validation_file"] = "the same file as the training file"
    if inp.method not in METHODS:
        errors["method"] = "supervised, dpo or reinforcement"
    else:
        errors.update(hyperparameters(inp)[1])
        if inp.method == "reinforcement":
            problem = parse_grader(inp.grader)[1]
            if problem:
                errors["grader"] = problem
    suffix = inp.suffix.strip()
    if suffix and len(suffix) > SUFFIX_MAX:
        errors["suffix"] = f"at most {SUFFIX_MAX} characters (this is {len(suffix)})"
    elif suffix and not suffix.isprintable():
        errors["suffix"] = "printable characters only"
    if inp.seed.strip():
        number, problem = _int(inp.seed, 0, SEED_MAX)
        if problem or number is None:
            errors["seed"] = f"a whole number from 0 to {SEED_MAX}"
    problem = parse_metadata(inp.metadata)[1]
    if problem:
        errors["metadata"] = problem
    wandb_given = any(getattr(inp, n).strip() for n in ("wandb_name", "wandb_entity", "wandb_tags"))
    if wandb_given and not inp.wandb_project.strip():
        errors["wandb_project"] = "the W&B project is needed for the other W&B fields"
    return checked


def build_body(inp: CreateInput, file_ids: dict[str, str] | None = None) -> dict[str, Any]:
    """The request body; ``file_ids`` replace local paths with the ids of their uploads.

    Call only after :func:`check_input` found nothing; empty fields are left out, so the API's
    defaults (``auto``) apply.
    """
    ids = file_ids or {}
    body: dict[str, Any] = {"model": inp.model.strip()}
    for name in FILE_FIELDS:
        value = ids.get(name) or getattr(inp, name).strip()
        if value:
            body[name] = value
    hyper, _ = hyperparameters(inp)
    block: dict[str, Any] = {}
    if hyper:
        block["hyperparameters"] = hyper
    if inp.method == "reinforcement":
        grader, _ = parse_grader(inp.grader)
        block["grader"] = grader
    body["method"] = {"type": inp.method, inp.method: block}
    if inp.suffix.strip():
        body["suffix"] = inp.suffix.strip()
    if inp.seed.strip():
        body["seed"] = int(inp.seed.strip())
    metadata, _ = parse_metadata(inp.metadata)
    if metadata:
        body["metadata"] = metadata
    if inp.wandb_project.strip():
        wandb: dict[str, Any] = {"project": inp.wandb_project.strip()}
        if inp.wandb_name.strip():
            wandb["name"] = inp.wandb_name.strip()
        if inp.wandb_entity.strip():
            wandb["entity"] = inp.wandb_entity.strip()
        tags = _tags(inp.wandb_tags)
        if tags:
            wandb["tags"] = tags
        body["integrations"] = [{"type": "wandb", "wandb": wandb}]
    return body


def field_for_param(param: str | None) -> str | None:
    """The form field an API error's ``param`` points at (``method.dpo.hyperparameters.beta``)."""
    if not param:
        return None
    names = set(CreateInput.field_names())
    parts = re.split(r"[.\[\]]+", param)
    for part in reversed(parts):
        if part in names:
            return part
    if parts and parts[0] == "integrations":
        return "wandb_project"
    return None


def n_epochs_value(inp: CreateInput) -> int | None:
    """The epochs asked for, or None for auto."""
    hyper, _ = hyperparameters(inp)
    value = hyper.get("n_epochs")
    return value if isinstance(value, int) else None


@dataclass
class JobCopy:
    """A form filled from an existing job, with what could not be copied into it said."""

    input: CreateInput
    #: The source job's id (cleaned), for the form's title.
    source: str
    #: One line per setting the form could not take (``not copied: ...``), for the form to say.
    skipped: list[str] = field(default_factory=list)


def _hyper_text(name: str, value: Any) -> str | None:
    """A reported hyperparameter as the form's field takes it, or None when it cannot."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = one_line(value, width=40).strip().lower()
        if name == "reasoning_effort":
            return text if text in REASONING_EFFORTS else None
        return text if text == "auto" else None
    if name == "reasoning_effort":
        return None
    kind, _, _ = _RULES[name]
    if isinstance(value, int) or (
        kind == "int" and isinstance(value, float) and value.is_integer()
    ):
        return str(int(value))
    if kind == "float" and isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def _shown(value: Any) -> str:
    """A value the form could not take, in words (clean and short)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return one_line(text, width=30)


def job_copy(job: Any) -> JobCopy:
    """A form filled from an existing job (a ``FineTuningJob``), to run it again with changes.

    Copied: model, files, method and every hyperparameter of it the API reports (``auto``
    resolved to the value it chose, as the API reports a job once it runs), the grader, suffix,
    seed, metadata and the W&B integration. What the form has no field for, or holds a value the
    form would refuse, is listed in ``skipped`` and left out. Every value is API text: each one is
    cleaned here (:func:`ftmon.text.one_line`: no control or format characters, one line) before
    it can reach a field, so an escape sequence in a job's file id or suffix never reaches the
    terminal, the clipboard or the window title. The grader is JSON, whose dump escapes such
    characters.
    """
    skipped: list[str] = []
    reported = one_line(job.method_type, width=30)
    method = job.method_type if job.method_type in METHODS else "supervised"
    if method != job.method_type:
        skipped.append(f"method {reported} (not one the form knows: supervised instead)")
    inp = CreateInput(
        model=one_line(job.model),
        training_file=one_line(job.training_file),
        validation_file=one_line(job.validation_file),
        method=method,
        suffix=one_line(job.display_suffix),
        seed="" if job.seed is None else str(job.seed),
        metadata=", ".join(f"{one_line(k)}={one_line(v)}" for k, v in (job.metadata or {}).items()),
    )
    detail = job.method.detail() if job.method else None
    hyper = job.effective_hyperparameters
    takes = METHOD_HYPERPARAMETERS[method] if method == job.method_type else ()
    for name, value in (hyper.present() if hyper is not None else {}).items():
        text = _hyper_text(name, value) if name in takes else None
        if text is not None:
            setattr(inp, name, text)
        else:
            skipped.append(f"{one_line(name, width=40)} = {_shown(value)}")
    if detail is not None and detail.grader:
        if method == "reinforcement":
            inp.grader = json.dumps(detail.grader, indent=2)  # ensure_ascii: escapes, never raw
        else:
            skipped.append("the grader")
    for extra in sorted((detail.model_extra or {}) if detail is not None else {}):
        skipped.append(f"{one_line(extra, width=40)} (the form has no field for it)")
    copied_wandb = False
    for integration in job.integrations:
        if integration.type == "wandb" and integration.wandb is not None and not copied_wandb:
            wandb = integration.wandb
            inp.wandb_project = one_line(wandb.project)
            inp.wandb_name = one_line(wandb.name)
            inp.wandb_entity = one_line(wandb.entity)
            inp.wandb_tags = ", ".join(one_line(t) for t in wandb.tags if t)
            copied_wandb = True
        else:
            skipped.append(f"the {one_line(integration.type, width=30) or 'unnamed'} integration")
    return JobCopy(inp, one_line(job.id), skipped)


def copy_note(copy: JobCopy) -> str:
    """What a form filled from a job says first: what came from it, what did not."""
    note = (
        f"Copied from {copy.source}: model, files, method, hyperparameters as the API reports "
        "them (auto shows the value it chose; empty a field for auto), suffix, seed, metadata, W&B."
    )
    if copy.skipped:
        note += "\nNot copied: " + "; ".join(copy.skipped) + "."
    return note


def input_from_job(job: Any) -> CreateInput:
    """The form's fields of :func:`job_copy`."""
    return job_copy(job).input
