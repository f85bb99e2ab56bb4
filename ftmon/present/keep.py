"""Which checkpoint to keep: the best one by a rule said in words, the final one's gap to it, and
a warning when training looks like over-fitting. No Textual: the checkpoints pane and
``ftmon checkpoints`` show the same advice.

The rules, as the README states them:

* **Best.** Supervised and DPO jobs: the lowest *full validation loss* at the checkpoint's step
  (the checkpoint's own metrics first, else the job's metrics series at that step); without it,
  the lowest *validation loss*. Reinforcement jobs: the highest *full validation mean reward*,
  else the highest *validation mean reward* (OpenAI keeps an RFT job's best-reward checkpoints).
  With no such number for any checkpoint there is no best, and the advice says why.
* **Gap.** When the best is not the final checkpoint (the highest step): how much worse the
  final one is, relative to the best ("final is 14 % worse than step 1,800").
* **Over-fitting** (loss jobs only): the validation loss at the last step that has one is at
  least :data:`OVERFIT_RISE` above its lowest, reached at an earlier step, while the training
  loss at that last step is below the training loss at the lowest point.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ftmon.api.models import FineTuningJobCheckpoint
from ftmon.monitor.series import MetricSeries

#: How far validation loss must climb from its lowest to call it over-fitting (5 %).
OVERFIT_RISE = 0.05

#: (metric name, words) in the order tried; a name is the series' and the checkpoint metrics'.
LOSS_RULES = (
    ("full_valid_loss", "full validation loss"),
    ("valid_loss", "validation loss"),
)
REWARD_RULES = (
    ("full_valid_mean_reward", "full validation mean reward"),
    ("valid_mean_reward", "validation mean reward"),
)


@dataclass(frozen=True)
class KeepAdvice:
    """The advice on a job's checkpoints; ``best`` is None when no rule applies."""

    rule: str
    best: FineTuningJobCheckpoint | None
    final: FineTuningJobCheckpoint | None
    #: Each checkpoint's score by id (None: no number for it).
    scores: dict[str, float | None]
    #: "final is 14 % worse than step 1,800", or None when the final one is the best.
    gap: str | None
    #: Why training looks like over-fitting, or None.
    overfitting: str | None

    def score_text(self, checkpoint: FineTuningJobCheckpoint) -> str:
        score = self.scores.get(checkpoint.id)
        return "—" if score is None else f"{score:.4f}"


def keep_advice(
    method: str, checkpoints: Sequence[FineTuningJobCheckpoint], series: MetricSeries | None
) -> KeepAdvice:
    """The advice for a job of ``method`` (``supervised``, ``dpo``, ``reinforcement``)."""
    reward = method == "reinforcement"
    rules = REWARD_RULES if reward else LOSS_RULES
    stepped = [c for c in checkpoints if c.step_number is not None]
    final = max(stepped, key=lambda c: c.step_number or 0, default=None)
    for name, words in rules:
        scores = {c.id: _score(c, name, series) for c in checkpoints}
        ranked = [c for c in stepped if scores[c.id] is not None]
        if not ranked:
            continue
        best = _pick(ranked, scores, highest=reward)
        rule = f"{'highest' if reward else 'lowest'} {words}"
        gap = _gap(best, final, scores, higher_is_better=reward)
        overfit = None if reward else overfitting(series)
        return KeepAdvice(rule, best, final, scores, gap, overfit)
    words = " or ".join(w for _, w in rules)
    rule = f"no {words} to choose by"
    overfit = None if reward else overfitting(series)
    return KeepAdvice(rule, None, final, dict.fromkeys(c.id for c in checkpoints), None, overfit)


def _score(
    checkpoint: FineTuningJobCheckpoint, name: str, series: MetricSeries | None
) -> float | None:
    """The checkpoint's own number if it has one, else the series' at its step."""
    own = checkpoint.metrics.present().get(name)
    if own is not None and math.isfinite(own):
        return float(own)
    if series is None or checkpoint.step_number is None or name not in series.names():
        return None
    return value_at(series, name, int(checkpoint.step_number))


def value_at(series: MetricSeries, name: str, step: int) -> float | None:
    """The value of ``name`` at ``step``, or at the nearest earlier step that has one (a
    validation metric is not measured at every step)."""
    steps, values = series.arrays(name)
    index = bisect.bisect_right(steps, step)  # steps are kept in order
    while index > 0:
        index -= 1
        if math.isfinite(values[index]):
            return values[index]
    return None


def _pick(
    ranked: list[FineTuningJobCheckpoint],
    scores: dict[str, float | None],
    *,
    highest: bool,
) -> FineTuningJobCheckpoint:
    """The best score; a tie goes to the later step (more training for the same result)."""

    def key(c: FineTuningJobCheckpoint) -> tuple[float, int]:
        score = scores[c.id]
        assert score is not None
        return (score if highest else -score, c.step_number or 0)

    return max(ranked, key=key)


def _gap(
    best: FineTuningJobCheckpoint,
    final: FineTuningJobCheckpoint | None,
    scores: dict[str, float | None],
    *,
    higher_is_better: bool,
) -> str | None:
    if final is None or final.id == best.id:
        return None
    best_score, final_score = scores[best.id], scores.get(final.id)
    if best_score is None or final_score is None:
        return f"the best is step {best.step_number:,}, not the final one"
    worse = (best_score - final_score) if higher_is_better else (final_score - best_score)
    if best_score == 0 or worse <= 0:
        return f"the best is step {best.step_number:,}, not the final one"
    percent = 100 * worse / abs(best_score)
    return f"final is {percent:.0f} % worse than step {best.step_number:,}"


def overfitting(series: MetricSeries | None) -> str | None:
    """Why the loss curves look like over-fitting (see the module's rule), or None."""
    if series is None:
        return None
    names = series.names()
    valid = next((n for n, _ in LOSS_RULES if n in names), None)
    if valid is None or "train_loss" not in names:
        return None
    steps, values = series.arrays(valid)
    points = [(s, v) for s, v in zip(steps, values, strict=True) if math.isfinite(v)]
    if len(points) < 3:
        return None
    low_step, low = min(points, key=lambda p: (p[1], p[0]))
    last_step, last = points[-1]
    if last_step == low_step or low <= 0 or last < low * (1 + OVERFIT_RISE):
        return None
    train_low = value_at(series, "train_loss", low_step)
    train_last = value_at(series, "train_loss", last_step)
    if train_low is None or train_last is None or train_last >= train_low:
        return None
    words = dict(LOSS_RULES)[valid]
    rise = 100 * (last - low) / low
    return (
        f"{words} rose {rise:.0f} % after step {low_step:,} while training loss kept falling: "
        "over-fitting"
    )
