"""The alpha grader endpoints: validate a grader, or run it on one sample.

Only ``string_check`` and ``text_similarity`` are computed for real; model and python graders get
a plausible similarity score, since the simulator runs no models and no user code.
"""

from __future__ import annotations

import difflib
import re
import time
from typing import Any

from ftmon.sim.errors import bad_request, invalid_type, missing_param

#: What each grader type must have (the spec's ``required``), beside ``type`` and ``name``.
REQUIRED: dict[str, tuple[str, ...]] = {
    "string_check": ("input", "reference", "operation"),
    "text_similarity": ("input", "reference", "evaluation_metric"),
    "python": ("source",),
    "score_model": ("input", "model"),
    "multi": ("graders", "calculate_output"),
    "label_model": ("model", "input", "labels", "passing_labels"),
}
#: A job's grader, or one to validate or run; a label_model grader only inside a multi grader.
GRADER_TYPES = ("string_check", "text_similarity", "python", "score_model", "multi")
INNER_TYPES = ("string_check", "text_similarity", "python", "score_model", "label_model")
OPERATIONS = ("eq", "ne", "like", "ilike")
METRICS = (
    "cosine", "fuzzy_match", "bleu", "gleu", "meteor",
    "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l",
)  # fmt: skip
ERROR_FLAGS = (
    "formula_parse_error", "sample_parse_error", "truncated_observation_error",
    "unresponsive_reward_error", "invalid_variable_error", "other_error",
    "python_grader_server_error", "python_grader_runtime_error", "model_grader_server_error",
    "model_grader_refusal_error", "model_grader_parse_error",
)  # fmt: skip


def check_grader(grader: Any, where: str = "grader", types: tuple[str, ...] = GRADER_TYPES) -> Any:
    """The grader if the API would take it, else the 400 it would answer (as the spec has it)."""
    if grader is None:
        raise missing_param(where)
    if not isinstance(grader, dict):
        raise invalid_type(where, "an object", grader)
    kind = grader.get("type")
    if kind not in types:
        raise bad_request(
            f"Invalid '{where}.type': expected one of {', '.join(types)}.", param=f"{where}.type"
        )
    if not isinstance(grader.get("name"), str):
        raise missing_param(f"{where}.name")
    for field in REQUIRED[kind]:
        if grader.get(field) is None:
            raise missing_param(f"{where}.{field}")
    if kind == "string_check" and grader["operation"] not in OPERATIONS:
        raise bad_request(
            f"Invalid '{where}.operation': expected one of {', '.join(OPERATIONS)}.",
            param=f"{where}.operation",
        )
    if kind == "text_similarity" and grader["evaluation_metric"] not in METRICS:
        raise bad_request(
            f"Invalid '{where}.evaluation_metric': expected one of {', '.join(METRICS)}.",
            param=f"{where}.evaluation_metric",
        )
    if kind == "multi":
        inner = grader["graders"]
        # The spec has one grader here; its own example sends a list of them: take both.
        for index, part in enumerate(inner if isinstance(inner, list) else [inner]):
            label = f"{where}.graders[{index}]" if isinstance(inner, list) else f"{where}.graders"
            check_grader(part, label, INNER_TYPES)
    return grader


def _render(template: Any, sample: str, item: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        space, _, key = match.group(1).partition(".")
        if space == "sample" and key in ("output_text", ""):
            return sample
        return str(item.get(key, "")) if space == "item" else ""

    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", value, str(template))


def _similarity(a: str, b: str) -> float:
    return round(difflib.SequenceMatcher(None, a, b).ratio(), 4)


def _reward(grader: dict[str, Any], sample: str, item: dict[str, Any]) -> float:
    kind = grader["type"]
    if kind == "string_check":
        left = _render(grader.get("input", ""), sample, item)
        right = _render(grader.get("reference", ""), sample, item)
        operation = grader.get("operation", "eq")
        if operation == "eq":
            return float(left == right)
        if operation == "ne":
            return float(left != right)
        if operation == "like":
            return float(right in left)
        return float(right.lower() in left.lower())
    if kind == "multi":
        graders = grader.get("graders")
        parts = (
            graders if isinstance(graders, list) else [graders] if isinstance(graders, dict) else []
        )
        scores = [_reward(g, sample, item) for g in parts if isinstance(g, dict) and "type" in g]
        return round(sum(scores) / len(scores), 4) if scores else 0.0
    reference = " ".join(str(v) for v in item.values())
    if kind == "text_similarity":
        reference = _render(grader.get("reference", ""), sample, item)
    return _similarity(sample, reference)


def run_grader(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    grader = check_grader(body.get("grader"))
    sample = body.get("model_sample")
    if sample is None:
        raise missing_param("model_sample")
    if not isinstance(sample, str):
        raise invalid_type("model_sample", "a string", sample)
    given = body.get("item")
    item: dict[str, Any] = given if isinstance(given, dict) else {}
    started = time.perf_counter()
    reward = _reward(grader, sample, item)
    errors: dict[str, Any] = dict.fromkeys(ERROR_FLAGS, False)
    errors.update(
        python_grader_server_error_type=None,
        python_grader_runtime_error_details=None,
        model_grader_server_error_details=None,
    )
    model = grader.get("model") if grader["type"] in ("score_model", "label_model") else None
    return {
        "reward": reward,
        "metadata": {
            "name": grader["name"],
            "type": grader["type"],
            "errors": errors,
            "execution_time": round(time.perf_counter() - started, 6),
            "scores": {},
            "token_usage": None,
            "sampled_model_name": model,
        },
        "sub_rewards": {},
        "model_grader_token_usage_per_model": {},
    }
