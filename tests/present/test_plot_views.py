"""Which series a reinforcement job's second chart draws: one per grader, as the API names them."""

from __future__ import annotations

from ftmon.monitor.series import LABELS
from ftmon.present.plot import (
    MAX_SCORE_CURVES,
    REWARD_NAMES,
    chart_views,
    grader_score,
    grader_scores,
    method_charts,
    metric_label,
)


def grader(name: str, side: str) -> str:
    return f"scores.graders.{name}.{side}_reward_mean"


def test_each_grader_is_drawn_by_its_validation_reward_or_else_its_training_reward() -> None:
    names = [
        grader("exact", "train"),
        grader("exact", "valid"),
        grader("judge", "train"),  # no validation for this one
        "scores.train_reward_mean",  # the overall reward again: not a grader
        "errors.graders.exact.train_other_error_count",
    ]
    assert grader_scores(names) == (grader("exact", "valid"), grader("judge", "train"))
    assert method_charts("reinforcement", names) == (
        ("reward", REWARD_NAMES),
        ("graders", (grader("exact", "valid"), grader("judge", "train"))),
    )
    # Every other series still has a view of its own, the graders' other side among them.
    views = chart_views("reinforcement", names)
    assert [first[1] for first, _ in views[1:]] == [
        (grader("exact", "train"),),
        ("scores.train_reward_mean",),
        ("errors.graders.exact.train_other_error_count",),
    ]


def test_at_most_three_graders_are_drawn_and_a_grader_may_have_dots_in_its_name() -> None:
    names = [grader(f"g{i}", "valid") for i in range(5)] + [grader("a.b", "valid")]
    assert len(grader_scores(names)) == MAX_SCORE_CURVES
    assert grader_score(grader("a.b", "valid")) == ("a.b", "valid")
    assert grader_score("scores.graders..valid_reward_mean") is None
    assert grader_score("scores.graders.x.valid_reward_std") is None


def test_legends_name_a_grader_by_its_name_and_side() -> None:
    assert metric_label(grader("exact", "valid"), LABELS) == "exact valid"
    assert metric_label("train_mean_reward", LABELS) == "training mean reward"
    assert metric_label("timing.step.eval", LABELS) == "timing.step.eval"


def test_supervised_jobs_keep_loss_and_accuracy() -> None:
    assert method_charts("supervised", [grader("exact", "valid")])[1][0] == "accuracy"
