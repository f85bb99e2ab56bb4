"""Seeded training curves: losses that decay with noise, computable for any step on its own.

Nothing is generated sequentially, so metrics of step 97,000 of a 100,000-step job cost the same as
those of step 1, and the events list, the checkpoints and the result CSV always agree.
"""

from __future__ import annotations

import math
import random

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
