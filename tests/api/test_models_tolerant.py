"""The models take what servers send: odd statuses, errors, timestamps, nulls and extras."""

from __future__ import annotations

from typing import Any

import pytest
from apikit import job_json

from ftmon.api.models import (
    CheckpointPermission,
    DeletedFile,
    FileObject,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Page,
    is_final,
    normalise_status,
)

T0 = 1721764800  # 2024-07-23T20:00:00Z


def job(**fields: Any) -> FineTuningJob:
    return FineTuningJob.model_validate(job_json(**fields))


@pytest.mark.parametrize(
    ("status", "key", "final"),
    [
        ("running", "running", False),
        ("paused", "paused", False),
        ("pausing", "pausing", False),
        ("pending", "pending", False),
        ("SUCCESS", "success", False),
        ("Succeeded", "succeeded", True),
        ("canceled", "cancelled", True),
        ("FAILED", "failed", True),
        ("quantum_annealing", "quantum_annealing", False),
        (None, "", False),
        (3, "3", False),
    ],
)
def test_any_status_is_kept_as_sent(status, key, final):
    parsed = job(status=status)
    assert parsed.status == (None if status is None else str(status))
    assert parsed.status_key == key
    assert parsed.is_final is final
    assert normalise_status(parsed.status) == key
    assert is_final(parsed.status) is final


@pytest.mark.parametrize(
    ("error", "has_error", "message"),
    [
        (None, False, None),
        ({}, False, None),
        ({"code": None, "message": None, "param": None}, False, None),
        ({"code": "invalid_file", "message": "Bad line 3", "param": "x"}, True, "Bad line 3"),
        ({"message": "only a message"}, True, "only a message"),
        ({"code": 500}, True, None),
        ("a plain string", True, "a plain string"),
        (["weird"], False, None),
    ],
)  # fmt: skip
def test_error_shapes(error, has_error, message):
    parsed = job(error=error)
    assert parsed.has_error is has_error
    assert (parsed.error.message if parsed.error else None) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (T0, T0),
        (float(T0) + 0.9, T0),
        (str(T0), T0),
        (f"{T0}.5", T0),
        ("2024-07-23T20:00:00Z", T0),
        ("2024-07-23T20:00:00+00:00", T0),
        ("2024-07-23T22:00:00+02:00", T0),
        ("2024-07-23T20:00:00", T0),  # no zone: UTC, not this machine's zone
        ("2024-07-23T20:00:00.123456Z", T0),
        (T0 * 1000, T0),  # milliseconds
        (str(T0 * 1000), T0),
        (None, None),
        ("", None),
        ("yesterday", None),
        (True, None),
        ({"seconds": 1}, None),
        (float("nan"), None),
    ],
)
def test_timestamps(value, expected):
    parsed = job(created_at=value, finished_at=value)
    assert parsed.created_at == expected
    assert parsed.finished_at == expected
    event = FineTuningJobEvent.model_validate({"id": "e", "created_at": value, "message": "m"})
    assert event.created_at == expected


def test_null_where_lists_are_expected():
    parsed = job(result_files=None, integrations=None)
    assert parsed.result_files == [] and parsed.integrations == []
    page = Page[FineTuningJob].model_validate({"object": "list", "data": None, "has_more": None})
    assert page.data == [] and page.has_more is False and page.next_after is None


def test_missing_fields_are_none():
    parsed = FineTuningJob.model_validate({"id": "ftjob-min"})
    assert parsed.status is None and parsed.created_at is None and parsed.model is None
    assert parsed.result_files == [] and parsed.error is None and parsed.has_error is False
    assert parsed.method_type == "supervised"
    assert parsed.effective_hyperparameters is None


def test_extra_fields_are_kept_everywhere():
    parsed = job(
        user_provided_suffix="weather",
        usage_metrics={"tokens": 5},
        shared_with_openai=False,
        hyperparameters={"n_epochs": 2, "future_knob": 0.3},
    )
    extra = parsed.model_extra or {}
    assert extra["usage_metrics"] == {"tokens": 5}
    assert extra["shared_with_openai"] is False
    assert parsed.display_suffix == "weather"
    assert parsed.hyperparameters is not None
    assert parsed.hyperparameters.present() == {"n_epochs": 2, "future_knob": 0.3}
    dumped = parsed.model_dump()
    assert dumped["usage_metrics"] == {"tokens": 5}
    event = FineTuningJobEvent.model_validate({"id": "e", "message": "m", "new_field": [1]})
    assert (event.model_extra or {})["new_field"] == [1]


def test_hyperparameters_null_with_method_dpo_set():
    parsed = job(
        hyperparameters=None,
        method={
            "type": "dpo",
            "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": "auto", "batch_size": 8}},
        },
    )
    assert parsed.hyperparameters is None
    assert parsed.method_type == "dpo"
    hp = parsed.effective_hyperparameters
    assert hp is not None and hp.present() == {"beta": 0.1, "n_epochs": "auto", "batch_size": 8}


def test_reinforcement_method_keeps_grader_and_new_knobs():
    parsed = job(
        method={
            "type": "reinforcement",
            "reinforcement": {
                "grader": {"type": "string_check", "name": "g"},
                "hyperparameters": {"reasoning_effort": "medium", "eval_interval": 5},
            },
        }
    )
    detail = parsed.method.detail() if parsed.method else None
    assert detail is not None and detail.grader == {"type": "string_check", "name": "g"}
    hp = parsed.effective_hyperparameters
    assert hp is not None and hp.present() == {"reasoning_effort": "medium", "eval_interval": 5}


def test_unknown_method_type_found_in_extras():
    parsed = job(method={"type": "distill", "distill": {"hyperparameters": {"temp": 2}}})
    hp = parsed.effective_hyperparameters
    assert parsed.method_type == "distill"
    assert hp is not None and hp.present() == {"temp": 2}


def test_upper_case_method_type():
    parsed = job(method={"type": "DPO", "dpo": {"hyperparameters": {"beta": 0.2}}})
    hp = parsed.effective_hyperparameters
    assert hp is not None and hp.beta == 0.2


@pytest.mark.parametrize(
    ("fields", "suffix"),
    [
        ({"suffix": "s1"}, "s1"),
        ({"fine_tuned_model": "ft:gpt-4o-mini:org:weather:7q8mpxmy"}, "weather"),
        ({"fine_tuned_model": "ft:gpt-4o-mini:org::7q8mpxmy"}, None),
        ({"fine_tuned_model": None}, None),
    ],
)
def test_display_suffix(fields, suffix):
    assert job(**fields).display_suffix == suffix


def test_loose_numbers_and_odd_scalars():
    parsed = job(trained_tokens="5768", seed=42.0, id=12345, model=7)
    assert parsed.trained_tokens == 5768 and parsed.seed == 42
    assert parsed.id == "12345" and parsed.model == "7"
    parsed = job(trained_tokens="lots", seed=True)
    assert parsed.trained_tokens is None and parsed.seed is None


def test_metadata_and_integrations_odd_shapes():
    parsed = job(metadata="none", integrations=[{"type": "wandb", "wandb": None}, "junk"])
    assert parsed.metadata is None
    assert [i.type for i in parsed.integrations] == ["wandb"]
    parsed = job(integrations=[{"type": "wandb", "wandb": {"project": "p", "tags": None}}])
    wandb = parsed.integrations[0].wandb
    assert wandb is not None and wandb.tags == [] and wandb.project == "p"


@pytest.mark.parametrize(
    ("data", "expected"),
    [(None, None), ({}, {}), ("text", None), ([1], None), ({"step": 1}, {"step": 1})],
)
def test_event_data_shapes(data, expected):
    event = FineTuningJobEvent.model_validate({"id": "e", "message": "m", "data": data})
    assert event.data == expected


def test_event_missing_everything_but_still_an_event():
    event = FineTuningJobEvent.model_validate({})
    assert event.id is None and event.message == "" and event.level == "info"
    assert event.dedupe_key == (None, "")
    assert not event.is_metrics


@pytest.mark.parametrize(
    ("event", "metrics"),
    [
        ({"type": "metrics", "data": {"step": 1}}, True),
        ({"type": "METRICS"}, True),
        ({"type": "message", "data": {"step": 3, "train_loss": 0.2}}, True),
        ({"type": "message", "data": {"error_code": "x", "error_param": None}}, False),
        ({"type": "message", "data": None}, False),
    ],
)
def test_metrics_events(event, metrics):
    parsed = FineTuningJobEvent.model_validate({"id": "e", "message": "m", **event})
    assert parsed.is_metrics is metrics


def test_checkpoint_odd_metrics_and_steps():
    ckpt = FineTuningJobCheckpoint.model_validate(
        {
            "id": "ftckpt_1",
            "step_number": "88",
            "metrics": {"step": "88", "train_loss": None, "valid_loss": "n/a", "new_metric": 1.5},
        }
    )
    assert ckpt.step_number == 88
    assert ckpt.metrics.step == 88.0 and ckpt.metrics.train_loss is None
    assert ckpt.metrics.valid_loss is None
    assert ckpt.metrics.present() == {"step": 88.0, "new_metric": 1.5}
    for odd in (None, [], "x"):
        assert (
            FineTuningJobCheckpoint.model_validate({"id": "c", "metrics": odd}).metrics.present()
            == {}
        )


def test_files_and_permissions_odd_shapes():
    f = FileObject.model_validate(
        {"id": "file-1", "bytes": "120000", "created_at": "2024-07-23T20:00:00Z",
         "purpose": "fine-tune-results", "status": "PROCESSED"}
    )  # fmt: skip
    assert f.bytes == 120000 and f.created_at == T0 and f.status == "PROCESSED"
    assert DeletedFile.model_validate({"id": "file-1", "deleted": "false"}).deleted is False
    assert DeletedFile.model_validate({"id": "file-1", "deleted": "true"}).deleted is True
    perm = CheckpointPermission.model_validate({"id": "cp_1", "created_at": str(T0)})
    assert perm.created_at == T0 and perm.project_id is None


@pytest.mark.parametrize(
    ("has_more", "expected"),
    [(True, True), ("true", True), ("false", False), ("0", False), (0, False), (None, False)],
)
def test_has_more_strings(has_more, expected):
    page = Page[FineTuningJob].model_validate({"data": [{"id": "a"}], "has_more": has_more})
    assert page.has_more is expected
    assert page.next_after == ("a" if expected else None)


def test_next_after_is_the_last_item_id_or_last_id():
    page = Page[FineTuningJob].model_validate(
        {"data": [{"id": "a"}, {"id": "b"}], "has_more": True, "last_id": "b"}
    )
    assert page.next_after == "b"
    events = Page[FineTuningJobEvent].model_validate(
        {"data": [{"message": "no id"}], "has_more": True, "last_id": "ev-9"}
    )
    assert events.next_after == "ev-9"
    done = Page[FineTuningJob].model_validate({"data": [{"id": "a"}], "has_more": False})
    assert done.next_after is None


def test_an_integer_past_the_float_range_is_no_value_not_a_crash() -> None:
    """A checkpoint metric or event number of 10**309 (valid JSON) once raised OverflowError
    out of validation, taking the whole checkpoint list with it."""
    from ftmon.api.models import FineTuningJobCheckpoint, finite_number

    huge = 10**309
    assert finite_number(huge) is None
    ckpt = FineTuningJobCheckpoint.model_validate(
        {"id": "ftckpt_1", "step_number": 3, "metrics": {"train_loss": huge, "valid_loss": 0.5}}
    )
    assert ckpt.metrics.train_loss is None and ckpt.metrics.valid_loss == 0.5
