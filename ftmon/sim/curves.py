"""Seeded training curves, computable for any step on its own: losses that decay with noise
(supervised, DPO) and mean rewards that climb (reinforcement).

Nothing is generated sequentially, so metrics of step 97,000 of a 100,000-step job cost the same as
those of step 1, and the events list, the checkpoints and the result CSV always agree.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

_MASK64 = (1 << 64) - 1
LOSS_CAP = 9.99999  # keeps every formatted loss 7 characters wide (see results.py)


def _mix64(value: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread integer hash."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


_SQRT3 = math.sqrt(3.0)


def noise(seed: int, step: int, channel: int) -> float:
    """Roughly standard-normal noise (Irwin-Hall with 4 terms), bounded to about +-3.5."""
    mixed = _mix64((seed * 0x100000001B3 + step * 131 + channel * 8 + 5) & _MASK64)
    total = (mixed & 0xFFFF) + (mixed >> 16 & 0xFFFF) + (mixed >> 32 & 0xFFFF) + (mixed >> 48)
    return (total / 65536.0 - 2.0) * _SQRT3


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class LossCurve:
    """Per-step train/valid loss and token accuracy for one job."""

    def __init__(self, seed: int, total_steps: int, method: str = "supervised") -> None:
        rng = random.Random(seed)
        self.seed = seed & 0xFFFFFFFF
        if method == "dpo":
            self.start, self.floor = rng.uniform(0.66, 0.72), rng.uniform(0.04, 0.22)
        elif method == "reinforcement":
            self.start, self.floor = rng.uniform(0.9, 1.5), rng.uniform(0.15, 0.45)
        else:
            self.start, self.floor = rng.uniform(1.4, 3.2), rng.uniform(0.03, 0.35)
        self.tau = max(1.0, total_steps * rng.uniform(0.12, 0.3))
        self.jitter = rng.uniform(0.06, 0.16)
        self.gap = rng.uniform(0.03, 0.15)

    def _trend(self, step: int) -> float:
        return self.floor + (self.start - self.floor) * math.exp(-step / self.tau)

    @staticmethod
    def _accuracy(loss: float, wobble: float) -> float:
        return round(_clamp(math.exp(-0.62 * loss) + 0.015 * wobble, 0.0, 1.0), 5)

    def train(self, step: int) -> tuple[float, float]:
        """(train_loss, train_mean_token_accuracy) on the batch of ``step``."""
        loss = self._trend(step) * (1.0 + self.jitter * noise(self.seed, step, 1))
        loss = round(_clamp(loss, 0.0005, LOSS_CAP), 5)
        return loss, self._accuracy(loss, noise(self.seed, step, 2))

    def valid(self, step: int) -> tuple[float, float]:
        """(valid_loss, valid_mean_token_accuracy) on a validation batch at ``step``."""
        base = self._trend(step) * (1.0 + self.gap)
        loss = round(
            _clamp(base * (1.0 + 0.6 * self.jitter * noise(self.seed, step, 3)), 0.0005, LOSS_CAP),
            5,
        )
        return loss, self._accuracy(loss, noise(self.seed, step, 4))

    def full_valid(self, step: int) -> tuple[float, float]:
        """(full_valid_loss, full_valid_mean_token_accuracy): the whole validation set, smoother."""
        base = self._trend(step) * (1.0 + self.gap)
        loss = round(
            _clamp(base * (1.0 + 0.1 * self.jitter * noise(self.seed, step, 5)), 0.0005, LOSS_CAP),
            5,
        )
        return loss, self._accuracy(loss, 0.2 * noise(self.seed, step, 6))


TOKENS_LOW, TOKENS_HIGH = 1000.0, 9999.99999  # keeps every formatted token mean 10 wide


def _round(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return round(_clamp(value, low, high), 5)


@dataclass(frozen=True)
class Grader:
    """One grader as the metrics of a reinforcement job name it (a multi grader's parts each)."""

    name: str
    type: str
    model: str | None = None  # model graders only


@dataclass(frozen=True)
class GraderStep:
    """One grader's numbers at one step (validation ones only at a validation step)."""

    train_reward: float
    valid_reward: float
    parse_errors: int  # samples whose output the grader could not parse
    other_errors: int


class RewardCurve:
    """Per-step rewards, reasoning tokens, grader numbers and timings of a reinforcement job.

    The validation reward climbs, then slips a little late in the run (a model that starts to
    overfit or reward-hack its grader), so the best checkpoints are often not the last ones: that
    is why OpenAI keeps the best-scoring ones for reinforcement jobs.
    """

    def __init__(self, seed: int, total_steps: int, graders: tuple[Grader, ...]) -> None:
        rng = random.Random(seed)
        self.seed = seed & 0xFFFFFFFF
        self.total_steps = max(1, total_steps)
        self.graders = graders
        self.start, self.ceiling = rng.uniform(0.12, 0.42), rng.uniform(0.62, 0.9)
        self.tau = max(1.0, total_steps * rng.uniform(0.15, 0.35))
        self.jitter = rng.uniform(0.05, 0.1)  # one batch's reward is noisy
        self.peak, self.slip = rng.uniform(0.5, 0.8), rng.uniform(0.05, 0.14)
        self.reasoning, self.drift = rng.uniform(2200.0, 4200.0), rng.uniform(-0.45, 0.3)
        self.answer_tokens = rng.uniform(40.0, 160.0)
        self.train_samples, self.valid_samples = rng.randrange(300, 700), rng.randrange(10, 60)
        self.offsets = [rng.uniform(-0.06, 0.06) for _ in graders]
        self.seconds = (rng.uniform(120, 300), rng.uniform(250, 450), rng.uniform(60, 140))

    def _progress(self, step: int) -> float:
        return 1.0 - math.exp(-step / self.tau)

    def _trend(self, step: int) -> float:
        return self.start + (self.ceiling - self.start) * self._progress(step)

    def _noise(self, step: int, channel: int) -> float:
        return noise(self.seed, step, 16 + channel)

    def train_reward(self, step: int) -> float:
        """``train_mean_reward``: the mean reward of one step's batch of samples."""
        return _round(self._trend(step) + self.jitter * self._noise(step, 0))

    def valid_reward(self, step: int) -> float:
        """``full_valid_mean_reward``: the whole validation set, smoother than a batch."""
        late = max(0.0, step / self.total_steps - self.peak) / (1.0 - self.peak)
        value = self._trend(step) - self.slip * late**1.5 + 0.012 * self._noise(step, 1)
        return _round(value)

    def valid_parse_error(self, step: int) -> float:
        """``full_valid_mean_parse_error``: the share of samples no grader could parse."""
        return _round(0.01 * (self._noise(step, 2) - 1.5))

    def unresponsive(self, step: int) -> float:
        """``mean_unresponsive_rewards``: samples that gave no answer to grade."""
        return _round(0.01 * (self._noise(step, 3) - 2.0))

    def reasoning_tokens(self, step: int, *, valid: bool = False) -> float:
        """``reasoning_tokens_mean`` (``valid_reasoning_tokens_mean`` with ``valid``)."""
        trend = self.reasoning * (1.0 + self.drift * self._progress(step))
        wobble = 1.0 + 0.04 * self._noise(step, 5 if valid else 4)
        return _round(trend * wobble * (0.6 if valid else 1.0), TOKENS_LOW, TOKENS_HIGH)

    def completion_tokens(self, step: int) -> float:
        """``completion_tokens_mean``: reasoning and answer tokens together."""
        answer = self.answer_tokens * (1.0 + 0.1 * self._noise(step, 6))
        return _round(self.reasoning_tokens(step) + answer, TOKENS_LOW, TOKENS_HIGH)

    def grader(self, index: int, step: int) -> GraderStep:
        """A grader's own numbers: its rewards sit near the overall ones, its errors are rare."""
        offset = self.offsets[index]
        mixed = 2 * index + 8
        return GraderStep(
            train_reward=_round(self.train_reward(step) + offset + 0.02 * self._noise(step, mixed)),
            valid_reward=_round(self.valid_reward(step) + offset),
            parse_errors=max(0, min(3, round(self._noise(step, mixed + 1) - 1.6))),
            other_errors=0,
        )

    def grader_latency(self, index: int, step: int) -> float:
        """A grader's mean seconds per training sample: string and similarity checks run beside
        the training loop, model graders are slow (as OpenAI's RFT guide says)."""
        base = {"score_model": 3.0, "label_model": 2.5, "python": 0.6}
        wobble = 1.0 + 0.2 * _clamp(self._noise(step, 60 + index), -2.0, 2.0)
        return round(base.get(self.graders[index].type, 0.02) * wobble, 5)

    def step_seconds(self, step: int, *, with_eval: bool) -> dict[str, float]:
        """``timing.step``: sampling, training, evaluation and the whole iteration, in seconds."""
        sampling, training, evaluating = (
            round(base * (1.0 + 0.1 * self._noise(step, 40 + n)), 3)
            for n, base in enumerate(self.seconds)
        )
        times = {"sampling": sampling, "training": training}
        if with_eval:
            times = {"eval": evaluating, **times}
        overhead = 5.0 + abs(self._noise(step, 43))
        times["full_iteration"] = round(sum(times.values()) + overhead, 3)
        return times
