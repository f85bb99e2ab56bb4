"""Per-job metric series, from metrics events while a job runs and from the result CSV after.

Names are folded to one vocabulary (``train_loss``, ``valid_loss``, ``train_accuracy``,
``valid_accuracy``, ``full_valid_loss``, ``full_valid_accuracy``) because deployments spell the
CSV columns differently from the event fields.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
from typing import Any

from ftmon.api.models import FineTuningJobEvent

#: Source name (event field or CSV column) -> our name.
ALIASES: dict[str, str] = {
    "train_loss": "train_loss",
    "training_loss": "train_loss",
    "loss": "train_loss",
    "valid_loss": "valid_loss",
    "validation_loss": "valid_loss",
    "val_loss": "valid_loss",
    "train_mean_token_accuracy": "train_accuracy",
    "train_accuracy": "train_accuracy",
    "training_accuracy": "train_accuracy",
    "valid_mean_token_accuracy": "valid_accuracy",
    "valid_accuracy": "valid_accuracy",
    "validation_mean_token_accuracy": "valid_accuracy",
    "full_valid_loss": "full_valid_loss",
    "full_valid_mean_token_accuracy": "full_valid_accuracy",
    "full_valid_accuracy": "full_valid_accuracy",
}
METRIC_NAMES = (
    "train_loss",
    "valid_loss",
    "full_valid_loss",
    "train_accuracy",
    "valid_accuracy",
    "full_valid_accuracy",
)
LABELS = {
    "train_loss": "training loss",
    "valid_loss": "validation loss",
    "full_valid_loss": "full validation loss",
    "train_accuracy": "training accuracy",
    "valid_accuracy": "validation accuracy",
    "full_valid_accuracy": "full validation accuracy",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class MetricSeries:
    """Metric values by step for one job. Steps arrive in any order and at most once each."""

    def __init__(self) -> None:
        self._points: dict[int, dict[str, float]] = {}
        #: Steps in order, kept as they arrive (almost always at the end), so that reading the
        #: series on every poll costs nothing like a sort of 100k steps.
        self._order: list[int] = []
        #: Columns already built, dropped when a point changes.
        self._columns: dict[str, list[tuple[int, float]]] = {}
        self.total_steps: int | None = None
        self.complete = False  # filled from the result CSV

    def __len__(self) -> int:
        return len(self._points)

    def add(self, step: int, values: dict[str, Any]) -> bool:
        """Merge values for a step; True when anything new was learnt."""
        point = self._points.get(step)
        if point is None:
            point = self._points[step] = {}
            if not self._order or step > self._order[-1]:
                self._order.append(step)
            else:
                bisect.insort(self._order, step)
        changed = False
        for name, raw in values.items():
            ours = ALIASES.get(name)
            number = _number(raw)
            if ours is None or number is None:
                continue
            if point.get(ours) != number:
                point[ours] = number
                changed = True
        if changed:
            self._columns.clear()
        return changed

    def add_event(self, event: FineTuningJobEvent) -> bool:
        """Take the numbers of a metrics event; other events are ignored."""
        data = event.data or {}
        step = _number(data.get("step"))
        if step is None:
            return False
        total = _number(data.get("total_steps"))
        if total is not None:
            self.total_steps = int(total)
        return self.add(int(step), data)

    def fill_from_csv(self, text: str) -> int:
        """Merge every row of a result CSV; returns the number of rows read."""
        reader = csv.DictReader(io.StringIO(text))
        rows = 0
        for row in reader:
            step = _number(row.get("step"))
            if step is None:
                continue
            self.add(int(step), {k.strip(): v for k, v in row.items() if k})
            rows += 1
        if rows:
            self.complete = True
        return rows

    def merged_with_csv(self, text: str) -> MetricSeries:
        """A new series: this one's points with a result CSV's rows merged in."""
        merged = MetricSeries()
        merged._points = {step: dict(point) for step, point in self._points.items()}
        merged._order = list(self._order)
        merged.total_steps = self.total_steps
        merged.fill_from_csv(text)
        if merged.total_steps is None and merged._order:
            merged.total_steps = merged._order[-1]
        return merged

    def steps(self) -> list[int]:
        return list(self._order)

    def column(self, name: str) -> list[tuple[int, float]]:
        """``(step, value)`` pairs of one metric, by step."""
        cached = self._columns.get(name)
        if cached is None:
            points = self._points
            cached = [(s, points[s][name]) for s in self._order if name in points[s]]
            self._columns[name] = cached
        return list(cached)

    def names(self) -> list[str]:
        """The metrics present, in a fixed order."""
        present = {n for point in self._points.values() for n in point}
        return [n for n in METRIC_NAMES if n in present]

    def latest(self) -> tuple[int, dict[str, float]] | None:
        if not self._points:
            return None
        step = self._order[-1]
        return step, dict(self._points[step])

    def rows(self) -> list[dict[str, float | int]]:
        """Every step as a flat row, for CSV and JSON output."""
        return [{"step": s, **self._points[s]} for s in self._order]
