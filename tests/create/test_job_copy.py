"""``N``'s copy of a job (create/request.job_copy): every setting the form can hold, and a line
for each it cannot, so nothing is dropped without a word."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from ftmon.api.models import FineTuningJob
from ftmon.create.request import build_body, check_input, copy_note, job_copy


def job(**fields: Any) -> FineTuningJob:
    data = {"id": "ftjob-src", "model": "gpt-4.1-mini-2025-04-14", "training_file": "file-t"}
    data.update(fields)
    return FineTuningJob.model_validate(data)


@pytest.mark.parametrize(
    "method, hyper, expected",
    [
        (
            "supervised",
            {"n_epochs": 3, "batch_size": 8, "learning_rate_multiplier": 1.8},
            {"n_epochs": "3", "batch_size": "8", "learning_rate_multiplier": "1.8"},
        ),
        (
            "dpo",
            {"n_epochs": 2.0, "batch_size": "auto", "learning_rate_multiplier": 2, "beta": 0.1},
            {"n_epochs": "2", "batch_size": "auto", "learning_rate_multiplier": "2", "beta": "0.1"},
        ),
        (
            "reinforcement",
            {
                "n_epochs": 1,
                "compute_multiplier": 1.5,
                "eval_interval": 10,
                "eval_samples": 4,
                "reasoning_effort": "medium",
            },
            {
                "n_epochs": "1",
                "compute_multiplier": "1.5",
                "eval_interval": "10",
                "eval_samples": "4",
                "reasoning_effort": "medium",
            },
        ),
    ],
)
def test_every_methods_hyperparameters_are_copied_and_sent_again_as_reported(
    method: str, hyper: dict[str, Any], expected: dict[str, str]
) -> None:
    block: dict[str, Any] = {"hyperparameters": hyper}
    if method == "reinforcement":
        block["grader"] = {"type": "string_check", "name": "g"}
    copy = job_copy(job(method={"type": method, method: block}, seed=42, suffix="s"))
    for name, text in expected.items():
        assert getattr(copy.input, name) == text, name
    assert copy.skipped == []
    assert (copy.input.seed, copy.input.suffix, copy.source) == ("42", "s", "ftjob-src")
    assert check_input(copy.input).ok
    sent = build_body(copy.input)["method"][method]["hyperparameters"]
    assert sent == {k: v for k, v in hyper.items() if v != "auto"}


def test_what_the_form_cannot_hold_is_said() -> None:
    copy = job_copy(
        job(
            method={
                "type": "reinforcement",
                "reinforcement": {
                    "hyperparameters": {"n_epochs": 2, "future_knob": 7, "reasoning_effort": "max"},
                    "grader": {"type": "string_check", "name": "g"},
                    "response_format": {"type": "json_schema"},
                },
            },
            integrations=[{"type": "wandb", "wandb": {"project": "p"}}, {"type": "mlflow"}],
        )
    )
    assert copy.input.n_epochs == "2" and copy.input.wandb_project == "p"
    assert copy.input.reasoning_effort == ""  # "max" is not one the form (or the API) takes
    joined = "; ".join(copy.skipped)
    for said in ("future_knob = 7", "reasoning_effort = max", "response_format", "mlflow"):
        assert said in joined, said
    note = copy_note(copy)
    assert note.startswith("Copied from ftjob-src:") and "\nNot copied: " in note


def test_a_method_the_form_does_not_know_says_so_and_copies_no_settings_into_another() -> None:
    copy = job_copy(
        job(method={"type": "distill", "distill": {"hyperparameters": {"n_epochs": 3}}})
    )
    assert copy.input.method == "supervised" and copy.input.n_epochs == ""
    assert any("method distill" in line for line in copy.skipped)
    assert any("n_epochs = 3" in line for line in copy.skipped)


def test_an_old_job_with_top_level_hyperparameters_is_copied_too() -> None:
    copy = job_copy(job(hyperparameters={"n_epochs": 4, "batch_size": 1}))
    assert (copy.input.method, copy.input.n_epochs, copy.input.batch_size) == (
        "supervised",
        "4",
        "1",
    )


def test_hostile_names_and_values_in_what_is_not_copied_are_inert() -> None:
    bad = "\x1b]52;c;Zm9v\x07\x1b[2J\u202e"
    copy = job_copy(
        job(
            method={
                "type": "supervised",
                "supervised": {"hyperparameters": {"k" + bad: "v" + bad}, "x" + bad: 1},
            },
            integrations=[{"type": "t" + bad}],
        )
    )
    for line in [*copy.skipped, copy_note(copy)]:
        assert not [c for c in line if unicodedata.category(c) in ("Cc", "Cf") and c != "\n"]
