"""``POST /fine_tuning/jobs``: validate the body like OpenAI does and plan the new job."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftmon.datasets.validate import check_bytes, job_error
from ftmon.sim.errors import ApiError, bad_request, invalid_type, invalid_value, missing_param
from ftmon.sim.files import FileRecord
from ftmon.sim.graders import check_grader
from ftmon.sim.jobs import JobConfig
from ftmon.sim.lifecycle import RunPlan

BASE_MODELS = (
    "gpt-4o-mini-2024-07-18",
    "gpt-4o-2024-08-06",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "o4-mini-2025-04-16",
    "gpt-3.5-turbo-0125",
    "davinci-002",
    "babbage-002",
)
ALIASES = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
}
TOP_LEVEL = {
    "model", "training_file", "validation_file", "hyperparameters", "suffix", "integrations",
    "seed", "method", "metadata",
}  # fmt: skip
COMMON = ("batch_size", "learning_rate_multiplier", "n_epochs")
METHOD_KEYS = {
    "supervised": COMMON,
    "dpo": ("beta", *COMMON),
    "reinforcement": (
        *COMMON, "eval_interval", "eval_samples", "compute_multiplier", "reasoning_effort",
    ),
}  # fmt: skip
REASONING_EFFORTS = ("default", "low", "medium", "high")


@dataclass
class CreateContext:
    """What validation needs from the world."""

    now: float
    find_file: Callable[[str], FileRecord | None]
    is_fine_tuned_model: Callable[[str], bool]
    new_job_id: Callable[[], str]
    new_seed: Callable[[str], int]
    organization_id: str
    org_slug: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_hyper(name: str, key: str, value: Any) -> None:
    """Raise a 400 unless ``value`` is valid for hyperparameter ``key``."""
    if key == "reasoning_effort":
        if value not in REASONING_EFFORTS:
            raise invalid_value(
                name, f"Invalid '{name}': expected one of {', '.join(REASONING_EFFORTS)}."
            )
        return
    if value == "auto":
        return
    ranges = {
        "batch_size": (True, 1, 256),
        "n_epochs": (True, 1, 50),
        "eval_interval": (True, 1, None),
        "eval_samples": (True, 1, None),
    }
    if key in ranges:
        low, high = ranges[key][1:]
        if not _is_int(value):
            raise invalid_type(name, "'auto' or an integer", value)
        if value < low or (high is not None and value > high):
            limit = f"between {low} and {high}" if high is not None else f">= {low}"
            raise invalid_value(
                name, f"Invalid '{name}': expected a value {limit}, but got {value}."
            )
        return
    upper = {"beta": 2.0, "compute_multiplier": 10.0}.get(key)
    if not _is_number(value):
        raise invalid_type(name, "'auto' or a number", value)
    if value <= 0 or (upper is not None and value > upper):
        raise invalid_value(name, f"Invalid '{name}': {value} is out of range.")


def _method(body: dict[str, Any], model: str) -> dict[str, Any]:
    """The method object as the job will report it, hyperparameters filled with "auto"."""
    method = body.get("method")
    legacy = body.get("hyperparameters")
    if method is None:
        method = {"type": "supervised", "supervised": {"hyperparameters": legacy or {}}}
    if not isinstance(method, dict):
        raise invalid_type("method", "an object", method)
    kind = method.get("type")
    if kind not in METHOD_KEYS:
        raise invalid_value(
            "method.type", "Invalid 'method.type': expected 'supervised', 'dpo' or 'reinforcement'."
        )
    block = method.get(kind) if method.get(kind) is not None else {}
    if not isinstance(block, dict):
        raise invalid_type(f"method.{kind}", "an object", block)
    given = block.get("hyperparameters") or {}
    if kind == "supervised" and legacy and not block.get("hyperparameters"):
        given = legacy
    if not isinstance(given, dict):
        raise invalid_type(f"method.{kind}.hyperparameters", "an object", given)
    hyper: dict[str, Any] = {}
    for key in METHOD_KEYS[kind]:
        value = given.get(key, "default" if key == "reasoning_effort" else "auto")
        _check_hyper(f"method.{kind}.hyperparameters.{key}", key, value)
        hyper[key] = value
    for key in given:
        if key not in METHOD_KEYS[kind]:
            raise bad_request(
                f"Unrecognized hyperparameter for {kind}: {key}",
                param=f"method.{kind}.hyperparameters.{key}",
            )
    out: dict[str, Any] = {"type": kind, kind: {"hyperparameters": hyper}}
    if kind == "reinforcement":
        # The same rule as the validate endpoint: a grader it refuses, a job refuses too.
        grader = check_grader(block.get("grader"), "method.reinforcement.grader")
        if not model.startswith("o"):
            raise invalid_value(
                "model", f"Reinforcement fine-tuning is not supported for model {model}."
            )
        out[kind]["grader"] = grader
        out[kind]["response_format"] = block.get("response_format")
    return out


def _resolve(method: dict[str, Any], examples: int) -> dict[str, Any]:
    """What "auto" turns into once the files are validated."""
    kind = method["type"]
    hyper = method[kind]["hyperparameters"]
    auto = {
        "batch_size": 1 if examples < 300 else min(16, examples // 150),
        "learning_rate_multiplier": {"dpo": 0.8, "reinforcement": 1.0}.get(kind, 1.8),
        "n_epochs": 3,
        "beta": 0.1,
        "eval_interval": 5,
        "eval_samples": 3,
        "compute_multiplier": 1.0,
    }
    return {k: auto[k] for k, v in hyper.items() if v == "auto" and k in auto}


def _file(
    body: dict[str, Any], name: str, ctx: CreateContext, *, required: bool
) -> FileRecord | None:
    value = body.get(name)
    if value is None:
        if required:
            raise missing_param(name)
        return None
    if not isinstance(value, str):
        raise invalid_type(name, "a string", value)
    record = ctx.find_file(value)
    if record is None:
        raise invalid_value(name, f"Invalid file ID '{value}' for {name}: no such file.")
    if record.purpose != "fine-tune":
        raise invalid_value(
            name, f"File {value} has purpose '{record.purpose}'; fine-tuning needs 'fine-tune'."
        )
    return record


def _integrations(value: Any, job_id: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 5:
        raise invalid_type("integrations", "an array of at most 5 items", value)
    out = []
    for index, item in enumerate(value):
        name = f"integrations[{index}]"
        if not isinstance(item, dict) or item.get("type") != "wandb":
            raise invalid_value(name, f"Invalid '{name}.type': only 'wandb' is supported.")
        wandb = item.get("wandb")
        if not isinstance(wandb, dict) or not isinstance(wandb.get("project"), str):
            raise missing_param(f"{name}.wandb.project")
        out.append(
            {
                "type": "wandb",
                "wandb": {
                    "project": wandb["project"],
                    "name": wandb.get("name"),
                    "entity": wandb.get("entity"),
                    "tags": list(wandb.get("tags") or []),
                    "run_id": job_id,
                },
            }
        )
    return out


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_type("metadata", "an object", value)
    if len(value) > 16:
        raise invalid_value("metadata", "Invalid 'metadata': at most 16 keys are allowed.")
    for key, item in value.items():
        if len(key) > 64 or not isinstance(item, str) or len(item) > 512:
            raise invalid_value(
                "metadata",
                "Invalid 'metadata': keys are strings of up to 64 characters, values strings "
                "of up to 512.",
            )
    return dict(value)


def _failure(
    training: FileRecord, validation: FileRecord | None, method_type: str
) -> tuple[int, dict[str, Any] | None]:
    """How many examples the training file holds, and the error the job fails with, if any.

    The same checker that ftmon runs before an upload (``ftmon.datasets``): the simulator reports
    a bad file exactly as the real service does, as a failed job with a line-numbered message.
    """
    report = check_bytes(training.content(), method_type)
    examples = max(1, report.examples)
    error = job_error(report.problems, param="training_file")
    if error is not None:
        return examples, error
    if validation is not None:
        vreport = check_bytes(validation.content(), method_type, min_examples=1)
        verror = job_error(vreport.problems, param="validation_file")
        if verror is not None:
            return examples, verror
    return report.examples, None


def build_created_job(body: Any, ctx: CreateContext) -> tuple[JobConfig, RunPlan]:
    """A validated request turned into the new job's config and plan; raises ApiError(400)."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    for key in body:
        if key not in TOP_LEVEL:
            raise bad_request(f"Unrecognized request argument supplied: {key}")
    model = body.get("model")
    if model is None:
        raise missing_param("model")
    if not isinstance(model, str):
        raise invalid_type("model", "a string", model)
    model = ALIASES.get(model, model)
    if model not in BASE_MODELS and not ctx.is_fine_tuned_model(model):
        raise ApiError(
            400,
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    training = _file(body, "training_file", ctx, required=True)
    assert training is not None
    validation = _file(body, "validation_file", ctx, required=False)
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or not 1 <= len(suffix) <= 64):
        raise invalid_value("suffix", "Invalid 'suffix': expected a string of 1 to 64 characters.")
    seed = body.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= 2147483647):
        raise invalid_value("seed", "Invalid 'seed': expected an integer from 0 to 2147483647.")
    method = _method(body, model)
    metadata = _metadata(body.get("metadata"))
    job_id = ctx.new_job_id()
    integrations = _integrations(body.get("integrations"), job_id)
    examples, failure = _failure(training, validation, str(method["type"]))
    resolved = _resolve(method, examples)
    hyper = {**method[method["type"]]["hyperparameters"], **resolved}
    epochs = int(hyper["n_epochs"])
    steps_per_epoch = max(1, math.ceil(examples / int(hyper["batch_size"])))
    total = steps_per_epoch * epochs
    config = JobConfig(
        id=job_id,
        model=model,
        training_file=training.id,
        validation_file=validation.id if validation else None,
        organization_id=ctx.organization_id,
        org_slug=ctx.org_slug,
        created_at=int(ctx.now),
        seed=seed if seed is not None else ctx.new_seed(job_id),
        method=method,
        resolved=resolved,
        suffix=suffix,
        metadata=metadata,
        integrations=integrations,
        error_style="nulls",
    )
    plan = RunPlan(
        created_at=int(ctx.now),
        total_steps=total,
        n_epochs=epochs,
        seconds_per_step=4.0 if method["type"] == "reinforcement" else 1.0,
        validate_seconds=20.0 + examples / 100,
        queue_seconds=30.0,
        finalize_seconds=30.0,
        metrics_every=max(1, total // 500),
        tokens_per_step=300 * int(hyper["batch_size"]),
        failure=failure,
    )
    return config, plan
