"""The create request: each field's problem named at the field, and the body built exactly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ftmon.api import errors as api_errors
from ftmon.create.flow import GraderCheck, check_grader_with_api
from ftmon.create.request import (
    CreateInput,
    build_body,
    check_input,
    field_for_param,
    parse_metadata,
    resolve_file,
)

GRADER = (
    '{"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", '
    '"reference": "{{item.reference_answer}}", "operation": "eq"}'
)


def base(**changes: str) -> CreateInput:
    values = {"model": "gpt-4.1-mini-2025-04-14", "training_file": "file-abc123"}
    values.update(changes)
    return CreateInput(**values)


def test_the_smallest_request() -> None:
    inp = base()
    assert check_input(inp).ok
    assert build_body(inp) == {
        "model": "gpt-4.1-mini-2025-04-14",
        "training_file": "file-abc123",
        "method": {"type": "supervised", "supervised": {}},
    }


def test_every_field_lands_where_the_api_wants_it() -> None:
    inp = base(
        validation_file="file-val",
        method="dpo",
        n_epochs="3",
        batch_size="auto",
        learning_rate_multiplier="0.5",
        beta="0.2",
        suffix="tone",
        seed="42",
        metadata="team=search, run = 7",
        wandb_project="ft",
        wandb_name="run-1",
        wandb_entity="acme",
        wandb_tags="a, b",
    )
    assert check_input(inp).ok
    assert build_body(inp) == {
        "model": "gpt-4.1-mini-2025-04-14",
        "training_file": "file-abc123",
        "validation_file": "file-val",
        "method": {
            "type": "dpo",
            "dpo": {
                "hyperparameters": {"n_epochs": 3, "learning_rate_multiplier": 0.5, "beta": 0.2}
            },
        },
        "suffix": "tone",
        "seed": 42,
        "metadata": {"team": "search", "run": "7"},
        "integrations": [
            {
                "type": "wandb",
                "wandb": {"project": "ft", "name": "run-1", "entity": "acme", "tags": ["a", "b"]},
            }
        ],
    }


def test_reinforcement_sends_its_grader_and_own_hyperparameters() -> None:
    inp = base(
        model="o4-mini-2025-04-16",
        method="reinforcement",
        grader=GRADER,
        reasoning_effort="low",
        eval_interval="5",
        compute_multiplier="1.5",
        beta="0.3",  # a DPO field left filled in: not sent for reinforcement
    )
    assert check_input(inp).ok
    block = build_body(inp)["method"]["reinforcement"]
    assert block["grader"]["type"] == "string_check"
    assert block["hyperparameters"] == {
        "reasoning_effort": "low",
        "compute_multiplier": 1.5,
        "eval_interval": 5,
    }


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"model": ""}, "model", "required"),
        ({"model": "gpt 4"}, "model", "no spaces"),
        ({"training_file": ""}, "training_file", "required"),
        ({"training_file": "./missing.jsonl"}, "training_file", "no such local file"),
        ({"training_file": "file abc"}, "training_file", "file's id"),
        ({"validation_file": "file-abc123"}, "validation_file", "same file"),
        ({"n_epochs": "0"}, "n_epochs", "from 1 to 50"),
        ({"n_epochs": "three"}, "n_epochs", "whole number"),
        ({"batch_size": "512"}, "batch_size", "from 1 to 256"),
        ({"learning_rate_multiplier": "-1"}, "learning_rate_multiplier", "more than 0"),
        ({"learning_rate_multiplier": "nan"}, "learning_rate_multiplier", "more than 0"),
        ({"method": "dpo", "beta": "3"}, "beta", "at most 2"),
        ({"method": "reinforcement"}, "grader", "needs a grader"),
        ({"method": "reinforcement", "grader": "{"}, "grader", "invalid JSON"),
        ({"method": "reinforcement", "grader": '{"name": "g"}'}, "grader", "needs a type"),
        ({"method": "reinforcement", "grader": '{"type": 3, "name": "g"}'}, "grader", "a type"),
        ({"method": "reinforcement", "grader": '{"type": "x"}'}, "grader", "needs a name"),
        (
            {"method": "reinforcement", "grader": GRADER, "reasoning_effort": "max"},
            "reasoning_effort",
            "low, medium",
        ),
        (
            {"method": "reinforcement", "grader": GRADER, "compute_multiplier": "11"},
            "compute_multiplier",
            "at most 10",
        ),
        (
            {"method": "reinforcement", "grader": GRADER, "eval_samples": "0"},
            "eval_samples",
            "1 or more",
        ),
        ({"method": "lora"}, "method", "supervised, dpo or reinforcement"),
        ({"suffix": "x" * 65}, "suffix", "at most 64"),
        ({"seed": "-1"}, "seed", "0 to 2147483647"),
        ({"seed": "2147483648"}, "seed", "0 to 2147483647"),
        ({"metadata": "team"}, "metadata", "key=value"),
        ({"metadata": ",".join(f"k{i}=v" for i in range(17))}, "metadata", "at most 16"),
        ({"wandb_tags": "a"}, "wandb_project", "W&B project"),
    ],
)
def test_each_problem_is_named_at_its_field(changes: dict, field: str, words: str) -> None:
    errors = check_input(base(**changes)).errors
    assert list(errors) == [field], errors
    assert words in errors[field]


def test_hyperparameters_of_another_method_are_not_checked() -> None:
    assert check_input(base(beta="99")).ok  # beta belongs to DPO; this is supervised


def test_local_paths_are_found_and_replaced_by_their_upload_ids(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    train.write_text("{}\n")
    inp = base(training_file=str(train))
    checked = check_input(inp)
    assert checked.ok and checked.local_files() == {"training_file": train}
    body = build_body(inp, {"training_file": "file-uploaded"})
    assert body["training_file"] == "file-uploaded"


def test_resolve_file() -> None:
    assert resolve_file("file-abc").file_id == "file-abc"  # type: ignore[union-attr]
    assert resolve_file("~/nope/train.jsonl") == "no such local file: ~/nope/train.jsonl"
    assert resolve_file("train.jsonl", exists=lambda p: True).path == Path("train.jsonl")  # type: ignore[union-attr]


def test_parse_metadata() -> None:
    assert parse_metadata("a=1\nb = two words") == ({"a": "1", "b": "two words"}, None)
    assert parse_metadata("") == ({}, None)


@pytest.mark.parametrize(
    ("param", "field"),
    [
        ("model", "model"),
        ("training_file", "training_file"),
        ("method.dpo.hyperparameters.beta", "beta"),
        ("method.reinforcement.grader.type", "grader"),
        ("method.type", "method"),
        ("integrations[0].wandb.project", "wandb_project"),
        ("nothing", None),
        (None, None),
    ],
)
def test_api_params_point_at_form_fields(param: str | None, field: str | None) -> None:
    assert field_for_param(param) == field


def test_a_job_fills_the_form_again() -> None:
    from ftmon.api.models import FineTuningJob
    from ftmon.create.request import input_from_job

    job = FineTuningJob.model_validate(
        {
            "id": "ftjob-1",
            "model": "o4-mini-2025-04-16",
            "training_file": "file-t",
            "validation_file": None,
            "user_provided_suffix": "math",
            "metadata": {"team": "x"},
            "method": {
                "type": "reinforcement",
                "reinforcement": {
                    "hyperparameters": {"n_epochs": 2},
                    "grader": {"type": "string_check", "name": "g"},
                },
            },
            "integrations": [{"type": "wandb", "wandb": {"project": "p", "tags": ["a"]}}],
        }
    )
    inp = input_from_job(job)
    assert (inp.model, inp.training_file, inp.method, inp.suffix) == (
        "o4-mini-2025-04-16",
        "file-t",
        "reinforcement",
        "math",
    )
    assert inp.metadata == "team=x" and inp.wandb_project == "p" and inp.wandb_tags == "a"
    assert check_input(inp).ok
    assert build_body(inp)["method"]["reinforcement"]["grader"] == {
        "type": "string_check",
        "name": "g",
    }


#: What a hostile job can hold in its text fields: clipboard (OSC 52), title (OSC 2), screen wipe,
#: an 8-bit CSI, a bidi override and a zero-width joiner.
HOSTILE = (
    "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x1b\\",
    "\x1b]2;pwned\x07",
    "\x1b[2J",
    "\x9b31m",
    "\u202egnp.exe\u202c",
    "a\u200db\nc",
)


def test_a_hostile_job_fills_the_form_with_inert_text_only() -> None:
    """``N`` copies the source job's fields into inputs, which draw them on the terminal: every
    control and format character must be gone first (OSC 52 would write the clipboard)."""
    import unicodedata

    from ftmon.api.models import FineTuningJob
    from ftmon.create.request import CreateInput, input_from_job

    bad = "".join(HOSTILE)
    job = FineTuningJob.model_validate(
        {
            "id": "ftjob-1",
            "model": "gpt-4.1-mini" + bad,
            "training_file": "file-t" + bad,
            "validation_file": bad,
            "user_provided_suffix": "s" + bad,
            "metadata": {"k" + bad: "v" + bad},
            "method": {
                "type": "reinforcement",
                "reinforcement": {"grader": {"type": "string_check", "name": bad}},
            },
            "integrations": [
                {
                    "type": "wandb",
                    "wandb": {"project": bad, "name": bad, "entity": bad, "tags": [bad]},
                }
            ],
        }
    )
    inp = input_from_job(job)
    for name in CreateInput.field_names():
        value = getattr(inp, name)
        shown = [c for c in value if unicodedata.category(c) in ("Cc", "Cf") and c != "\n"]
        assert shown == [], (name, value)
        if name != "grader":
            assert "\n" not in value, name
    assert inp.training_file.startswith("file-t]52;c;")  # the text stays, inert
    assert json.loads(inp.grader)["name"] == bad  # JSON keeps the value, escaped


def test_a_grader_type_newer_than_ftmon_is_left_to_the_api() -> None:
    grader = '{"type": "endpoint_grader_v9", "name": "g"}'
    assert check_input(base(method="reinforcement", grader=grader)).ok


class Validator:
    """A client whose ``validate_grader`` answers with ``outcome`` (raised if an error)."""

    def __init__(self, outcome: Exception | None = None) -> None:
        self.outcome = outcome
        self.seen: list[dict[str, Any]] = []

    async def validate_grader(self, grader: Mapping[str, Any]) -> Any:
        self.seen.append(dict(grader))
        if self.outcome is not None:
            raise self.outcome
        return {"grader": grader}


def rejected(cls: type[api_errors.FtmonApiError], status: int) -> api_errors.FtmonApiError:
    return cls(
        f"The request was rejected ({status})",
        status_code=status,
        api_message="Invalid 'grader.operation'.",
        api_param="grader.operation",
    )


async def test_only_a_reinforcement_grader_is_sent_to_be_checked() -> None:
    client = Validator()
    assert await check_grader_with_api(client, base()) == GraderCheck()
    assert client.seen == []
    rft = base(method="reinforcement", grader=GRADER)
    assert await check_grader_with_api(client, rft) == GraderCheck()
    assert client.seen == [build_body(rft)["method"]["reinforcement"]["grader"]]


@pytest.mark.parametrize(
    ("cls", "status"),
    [(api_errors.BadRequestError, 400), (api_errors.UnprocessableEntityError, 422)],
)
async def test_a_refused_grader_is_the_apis_reason(cls: type, status: int) -> None:
    rft = base(method="reinforcement", grader=GRADER)
    verdict = await check_grader_with_api(Validator(rejected(cls, status)), rft)
    assert verdict == GraderCheck(problem="the API refused it: Invalid 'grader.operation'.")


async def test_a_server_without_the_grader_route_skips_the_check() -> None:
    rft = base(method="reinforcement", grader=GRADER)
    missing = api_errors.NotFoundError("Not found (404)", status_code=404)
    verdict = await check_grader_with_api(Validator(missing), rft)
    assert verdict.problem is None and verdict.skipped is not None
    assert verdict.skipped.startswith("this server cannot check graders (404)")


@pytest.mark.parametrize(
    "error",
    [
        api_errors.ServerError("The server failed (503)", status_code=503),
        api_errors.AuthenticationError("The API key was not accepted (401)", status_code=401),
        api_errors.ConnectionFailedError("Cannot connect"),
    ],
)
async def test_other_failures_are_raised_as_for_any_request(error: Exception) -> None:
    rft = base(method="reinforcement", grader=GRADER)
    with pytest.raises(type(error)):
        await check_grader_with_api(Validator(error), rft)
