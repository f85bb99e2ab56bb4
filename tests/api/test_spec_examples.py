"""Every example payload in the OpenAPI spec parses into the client's models, losing nothing.

The examples live in ``x-oaiMeta`` blocks: operations have ``examples[].response``, schemas have
``example``. Some are not valid JSON upstream; each is fixed by hand below, with the reason, and
the test fails if a fix stops being needed (so the table stays honest) or a new example appears
that nothing here accounts for.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from apikit import spec
from pydantic import BaseModel

from ftmon.api.models import (
    CheckpointPermission,
    DeletedFile,
    DeletedModel,
    DeletedPermission,
    FileObject,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Model,
    Page,
)


def spec_examples() -> dict[str, str]:
    """``{where: payload text}`` for every response example and schema example in the spec."""
    found: dict[str, str] = {}
    for ops in spec()["paths"].values():
        for op in ops.values():
            meta = op.get("x-oaiMeta") if isinstance(op, dict) else None
            if not meta:
                continue
            examples = meta.get("examples", [])
            examples = examples if isinstance(examples, list) else [examples]
            for example in examples:
                if "response" in example:
                    where = op["operationId"]
                    if example.get("title"):
                        where += f" ({example['title']})"
                    found[where] = example["response"]
    for name, schema in spec()["components"]["schemas"].items():
        meta = schema.get("x-oaiMeta") or {}
        if "example" in meta:
            found[f"schema {name}"] = meta["example"]
    return found


def count_meta_blocks(node: Any) -> int:
    if isinstance(node, dict):
        own = 1 if "x-oaiMeta" in node else 0
        return own + sum(count_meta_blocks(v) for v in node.values())
    if isinstance(node, list):
        return sum(count_meta_blocks(v) for v in node)
    return 0


# -- the hand fixes --------------------------------------------------------------------------------


def replace(old: str, new: str) -> Callable[[str], str]:
    def fix(text: str) -> str:
        assert old in text, f"the fix expects {old!r}: has the spec changed?"
        return text.replace(old, new)

    return fix


def drop_trailing_commas(text: str) -> str:
    """A comma right before a closing brace or bracket: JavaScript allows it, JSON does not."""
    fixed = re.sub(r",(\s*[}\]])", r"\1", text)
    assert fixed != text
    return fixed


def python_literal(text: str) -> str:
    """Written as a Python literal (triple-quoted or adjacent strings, None): read it as Python."""
    value = ast.literal_eval(re.sub(r"\bnull\b", "None", text))
    return json.dumps(value)


FIXES: dict[str, list[Callable[[str], str]]] = {
    # Listed in the spec README:
    # "{ ... }" stands for more jobs: drop the placeholders.
    "listPaginatedFineTuningJobs": [replace(",\n    { ... },\n    { ... }\n  ]", "\n  ]")],
    # A trailing comma after "n_epochs".
    "createFineTuningJob (Default)": [drop_trailing_commas],
    "createFineTuningJob (Validation file)": [drop_trailing_commas],
    # Python's None for JSON's null, and the same trailing comma.
    "createFineTuningJob (W&B Integration)": [
        replace('"entity": None', '"entity": null'),
        drop_trailing_commas,
    ],
    # A trailing comma after the last permission.
    "listFineTuningCheckpointPermissions": [drop_trailing_commas],
    # A missing comma after "id".
    "schema FineTuningJobEvent": [replace('"ftevent-abc123"\n', '"ftevent-abc123",\n')],
    # A trailing comma after the last model.
    "listModels": [drop_trailing_commas],
    # Not in the README, found by this test:
    # trailing commas after "purpose" in the file examples.
    "listFiles": [drop_trailing_commas],
    "createFile": [drop_trailing_commas],
    "retrieveFile": [drop_trailing_commas],
    "schema OpenAIFile": [drop_trailing_commas],
    # Grader examples written as Python: a triple-quoted source, adjacent strings in parentheses.
    "schema GraderPython": [python_literal],
    "schema GraderScoreModel": [python_literal],
}


def payload(where: str) -> Any:
    text = spec_examples()[where]
    for fix in FIXES.get(where, []):
        text = fix(text)
    return json.loads(text)


# -- which model each example is ------------------------------------------------------------------

MODELS: dict[str, type[BaseModel]] = {
    "listFiles": Page[FileObject],
    "createFile": FileObject,
    "retrieveFile": FileObject,
    "deleteFile": DeletedFile,
    "schema OpenAIFile": FileObject,
    "listFineTuningCheckpointPermissions": Page[CheckpointPermission],
    "createFineTuningCheckpointPermission": Page[CheckpointPermission],
    "deleteFineTuningCheckpointPermission": DeletedPermission,
    "schema FineTuningCheckpointPermission": CheckpointPermission,
    "createFineTuningJob (Default)": FineTuningJob,
    "createFineTuningJob (Epochs)": FineTuningJob,
    "createFineTuningJob (DPO)": FineTuningJob,
    "createFineTuningJob (Reinforcement)": FineTuningJob,
    "createFineTuningJob (Validation file)": FineTuningJob,
    "createFineTuningJob (W&B Integration)": FineTuningJob,
    "listPaginatedFineTuningJobs": Page[FineTuningJob],
    "retrieveFineTuningJob": FineTuningJob,
    "cancelFineTuningJob": FineTuningJob,
    "pauseFineTuningJob": FineTuningJob,
    "resumeFineTuningJob": FineTuningJob,
    "schema FineTuningJob": FineTuningJob,
    "listFineTuningJobCheckpoints": Page[FineTuningJobCheckpoint],
    "schema FineTuningJobCheckpoint": FineTuningJobCheckpoint,
    "listFineTuningEvents": Page[FineTuningJobEvent],
    "schema FineTuningJobEvent": FineTuningJobEvent,
    "listModels": Page[Model],
    "retrieveModel": Model,
    "deleteModel": DeletedModel,
    "schema Model": Model,
}

#: Grader definitions: they reach the client inside a reinforcement job's ``method``.
GRADERS = [
    "schema GraderLabelModel",
    "schema GraderMulti",
    "schema GraderPython",
    "schema GraderScoreModel",
    "schema GraderStringCheck",
    "schema GraderTextSimilarity",
]

#: Payloads of operations ftmon does not call, or that never come from the API to the client.
NOT_CLIENT_OBJECTS = {
    "runGrader (Score text alignment)": "the alpha graders run route is not a client operation",
    "validateGrader": "the alpha graders validate route is not a client operation",
    "schema WebhookFineTuningJobCancelled": "webhooks go to the user's server, not to ftmon",
    "schema WebhookFineTuningJobFailed": "webhooks go to the user's server, not to ftmon",
    "schema WebhookFineTuningJobSucceeded": "webhooks go to the user's server, not to ftmon",
}


def test_every_example_is_accounted_for():
    found = set(spec_examples())
    assert found == set(MODELS) | set(GRADERS) | set(NOT_CLIENT_OBJECTS)
    # Every x-oaiMeta block was seen by the walk (3 operations have no response example).
    operations = sum(
        1 for ops in spec()["paths"].values() for op in ops.values() if "x-oaiMeta" in op
    )
    schemas = sum(1 for s in spec()["components"]["schemas"].values() if "x-oaiMeta" in s)
    assert count_meta_blocks(spec()) == operations + schemas


@pytest.mark.parametrize("where", sorted(FIXES))
def test_each_hand_fix_is_still_needed(where):
    with pytest.raises(json.JSONDecodeError):
        json.loads(spec_examples()[where])
    payload(where)  # and the fixed text parses


@pytest.mark.parametrize("where", sorted(set(spec_examples()) - set(FIXES)))
def test_the_rest_are_valid_json_as_they_are(where):
    json.loads(spec_examples()[where])


def assert_nothing_lost(raw: Any, model: BaseModel) -> None:
    """Every key the server sent is on the model, as a field or a kept extra."""
    dumped = model.model_dump()
    for key in raw:
        assert key in dumped, f"{key!r} was dropped"


@pytest.mark.parametrize("where", sorted(MODELS))
def test_example_parses_into_the_client_model(where):
    raw = payload(where)
    model = MODELS[where].model_validate(raw)
    assert_nothing_lost(raw, model)
    if isinstance(model, Page):
        assert len(model.data) == len(raw["data"]) > 0
        for item_raw, item in zip(raw["data"], model.data, strict=True):
            assert_nothing_lost(item_raw, item)
            assert getattr(item, "id", None) == item_raw.get("id")
    else:
        assert model.id == raw["id"]  # type: ignore[attr-defined]


def test_job_examples_read_as_a_person_expects():
    dpo = FineTuningJob.model_validate(payload("createFineTuningJob (DPO)"))
    assert dpo.hyperparameters is None  # null in the example, against the schema
    assert dpo.method_type == "dpo"
    hp = dpo.effective_hyperparameters
    assert hp is not None and hp.beta is not None

    paused = FineTuningJob.model_validate(payload("pauseFineTuningJob"))
    assert paused.status == "paused" and not paused.is_final

    created = FineTuningJob.model_validate(payload("createFineTuningJob (Epochs)"))
    raw = payload("createFineTuningJob (Epochs)")
    extra = created.model_extra or {}
    assert extra["shared_with_openai"] == raw["shared_with_openai"]
    assert extra["usage_metrics"] == raw["usage_metrics"]
    assert created.user_provided_suffix == raw["user_provided_suffix"]

    wandb = FineTuningJob.model_validate(payload("createFineTuningJob (W&B Integration)"))
    assert wandb.integrations[0].wandb is not None
    assert wandb.integrations[0].wandb.project == "my-wandb-project"
    assert (wandb.integrations[0].wandb.model_extra or {})["run_id"] == "ftjob-abc123"

    events = Page[FineTuningJobEvent].model_validate(payload("listFineTuningEvents"))
    assert all(e.message for e in events.data)

    ckpts = Page[FineTuningJobCheckpoint].model_validate(payload("listFineTuningJobCheckpoints"))
    assert all(c.metrics.present() for c in ckpts.data)


@pytest.mark.parametrize("where", GRADERS)
def test_grader_examples_ride_along_in_a_reinforcement_job(where):
    grader = payload(where)
    job = FineTuningJob.model_validate(
        {
            "id": "ftjob-rl",
            "method": {
                "type": "reinforcement",
                "reinforcement": {"grader": grader, "hyperparameters": {"eval_interval": 1}},
            },
        }
    )
    detail = job.method.detail() if job.method else None
    assert detail is not None and detail.grader == grader


@pytest.mark.parametrize("where", sorted(NOT_CLIENT_OBJECTS))
def test_examples_outside_the_client_are_still_json(where):
    assert isinstance(payload(where), dict)
