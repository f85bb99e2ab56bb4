"""Which checkpoint to keep: the best by the method's rule, the final one's gap, over-fitting."""

from __future__ import annotations

from typing import Any

from ftmon.api.models import FineTuningJobCheckpoint
from ftmon.monitor.series import MetricSeries
from ftmon.present.keep import keep_advice, overfitting, value_at


def checkpoint(step: int, **metrics: float) -> FineTuningJobCheckpoint:
    return FineTuningJobCheckpoint.model_validate(
        {
            "id": f"ftckpt_{step}",
            "step_number": step,
            "fine_tuned_model_checkpoint": f"ft:m:org::x:ckpt{step:05d}:ckpt-step-{step}",
            "metrics": {"step": step, **metrics},
        }
    )


def series(rows: dict[int, dict[str, Any]]) -> MetricSeries:
    made = MetricSeries()
    for step, values in sorted(rows.items()):
        made.add(step, values)
    return made


def test_supervised_keeps_the_lowest_full_validation_loss_and_says_how_much_worse_final_is() -> (
    None
):
    ckpts = [
        checkpoint(600, full_valid_loss=0.50),
        checkpoint(1200, full_valid_loss=0.40),
        checkpoint(1800, full_valid_loss=0.456),
    ]
    advice = keep_advice("supervised", ckpts, None)
    assert advice.rule == "lowest full validation loss"
    assert advice.best is ckpts[1] and advice.final is ckpts[2]
    assert advice.gap == "final is 14 % worse than step 1,200"
    assert advice.score_text(ckpts[0]) == "0.5000"


def test_without_full_validation_the_validation_loss_decides_and_the_series_fills_in() -> None:
    ckpts = [checkpoint(10), checkpoint(20), checkpoint(30)]
    metrics = series(
        {
            5: {"train_loss": 1.0, "valid_loss": 0.9},
            10: {"train_loss": 0.8},  # no validation here: the step before counts
            20: {"train_loss": 0.6, "valid_loss": 0.5},
            30: {"train_loss": 0.5, "valid_loss": 0.55},
        }
    )
    advice = keep_advice("dpo", ckpts, metrics)
    assert advice.rule == "lowest validation loss"
    assert advice.scores == {"ftckpt_10": 0.9, "ftckpt_20": 0.5, "ftckpt_30": 0.55}
    assert advice.best is ckpts[1]
    assert advice.gap == "final is 10 % worse than step 20"


def test_reinforcement_keeps_the_highest_validation_reward() -> None:
    ckpts = [checkpoint(4), checkpoint(8), checkpoint(12)]
    metrics = series(
        {
            4: {"train_mean_reward": 0.2, "full_valid_mean_reward": 0.30},
            8: {"train_mean_reward": 0.5, "full_valid_mean_reward": 0.62},
            12: {"train_mean_reward": 0.7, "full_valid_mean_reward": 0.58},
        }
    )
    advice = keep_advice("reinforcement", ckpts, metrics)
    assert advice.rule == "highest full validation mean reward"
    assert advice.best is ckpts[1]
    assert advice.gap == "final is 6 % worse than step 8"
    assert advice.overfitting is None  # a reward job has no loss rule


def test_the_final_checkpoint_being_best_has_no_gap_and_a_tie_goes_to_the_later_step() -> None:
    ckpts = [checkpoint(1, full_valid_loss=0.3), checkpoint(2, full_valid_loss=0.3)]
    advice = keep_advice("supervised", ckpts, None)
    assert advice.best is ckpts[1] and advice.gap is None


def test_no_number_to_choose_by_says_so() -> None:
    ckpts = [checkpoint(1, train_loss=0.3), checkpoint(2, train_loss=0.2)]
    advice = keep_advice("supervised", ckpts, None)
    assert advice.best is None
    assert advice.rule == "no full validation loss or validation loss to choose by"
    assert advice.score_text(ckpts[0]) == "—"
    reward = keep_advice("reinforcement", ckpts, None)
    assert reward.best is None and "validation mean reward" in reward.rule


def test_overfitting_is_validation_loss_rising_while_training_loss_falls() -> None:
    rising = series(
        {
            10: {"train_loss": 1.0, "valid_loss": 0.80},
            20: {"train_loss": 0.7, "valid_loss": 0.60},
            30: {"train_loss": 0.5, "valid_loss": 0.66},
        }
    )
    assert overfitting(rising) == (
        "validation loss rose 10 % after step 20 while training loss kept falling: over-fitting"
    )
    # Both rising is a bad run, not over-fitting; a rise under 5 % is noise.
    both = series(
        {
            10: {"train_loss": 0.5, "valid_loss": 0.5},
            20: {"train_loss": 0.4, "valid_loss": 0.4},
            30: {"train_loss": 0.6, "valid_loss": 0.6},
        }
    )
    assert overfitting(both) is None
    small = series(
        {
            10: {"train_loss": 1.0, "valid_loss": 0.5},
            20: {"train_loss": 0.9, "valid_loss": 0.40},
            30: {"train_loss": 0.8, "valid_loss": 0.41},
        }
    )
    assert overfitting(small) is None
    assert overfitting(None) is None


def test_value_at_takes_the_nearest_earlier_step() -> None:
    metrics = series({5: {"valid_loss": 0.9}, 9: {"train_loss": 0.1}})
    assert value_at(metrics, "valid_loss", 4) is None
    assert value_at(metrics, "valid_loss", 9) == 0.9
