"""The simulator takes a grader exactly when the spec can describe it, for validate, run and a
job's create alike, and refuses the rest with the API's 400 naming the field. OpenAI only: Azure
has no grader routes (``test_sim_azure.py`` checks they are its 404)."""

from __future__ import annotations

from typing import Any

import pytest
from support.graders import EXACT

from ftmon.sim.errors import ApiError
from ftmon.sim.graders import check_grader

LABEL = {
    "type": "label_model",
    "name": "tone",
    "model": "gpt-4o-mini",
    "input": [{"role": "user", "content": "{{sample.output_text}}"}],
    "labels": ["polite", "rude"],
    "passing_labels": ["polite"],
}


def refusal(grader: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        check_grader(grader)
    assert caught.value.status == 400
    return caught.value


@pytest.mark.parametrize("missing", ["input", "reference", "operation", "name"])
def test_a_string_check_without_a_required_field_is_refused_naming_it(missing: str) -> None:
    grader = {k: v for k, v in EXACT.items() if k != missing}
    assert refusal(grader).param == f"grader.{missing}"


def test_an_unknown_operation_or_metric_is_refused() -> None:
    assert refusal({**EXACT, "operation": "regex"}).param == "grader.operation"
    similar = {**EXACT, "type": "text_similarity", "evaluation_metric": "vibes"}
    del similar["operation"]
    assert refusal(similar).param == "grader.evaluation_metric"


def test_a_label_model_grader_only_inside_a_multi_grader() -> None:
    assert refusal(LABEL).param == "grader.type"
    multi = {
        "type": "multi",
        "name": "both",
        "graders": [EXACT, LABEL],
        "calculate_output": "(exact + tone) / 2",
    }
    assert check_grader(multi) is multi
    broken = {**multi, "graders": [EXACT, {**LABEL, "labels": None}]}
    assert refusal(broken).param == "grader.graders[1].labels"


def test_a_complete_grader_of_each_kind_is_taken() -> None:
    for grader in (
        EXACT,
        {"type": "python", "name": "py", "source": "def grade(sample, item): return 1.0"},
        {"type": "score_model", "name": "judge", "model": "o4-mini", "input": []},
    ):
        assert check_grader(grader) is grader
