"""Per-job metric series, from metrics events while a job runs and from the result CSV after.

Names are folded to one vocabulary (``train_loss``, ``valid_loss``, ``train_accuracy``,
``valid_accuracy``, ``full_valid_loss``, ``full_valid_accuracy``) because deployments spell the
CSV columns differently from the event fields.
"""

from __future__ import annotations

import bisect
import csv
import io
from array import array
from typing import IO, Any

from ftmon.api.models import FineTuningJobEvent, finite_number

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


NAN = float("nan")
#: What ``array('q')`` holds.
_STEP_MIN, _STEP_MAX = -(2**63), 2**63 - 1


class MetricSeries:
    """Metric values by step for one job. Steps arrive in any order and at most once each.

    Stored as columns: the steps in order (``array('q')``) and one ``array('d')`` per metric
    beside them, NaN where a step has no value. About 8 bytes per step and metric, where a dict
    per step cost some 300; a job of a day's steps followed for days stays small.
    """

    def __init__(self) -> None:
        self._steps = array("q")
        self._values: dict[str, array[float]] = {}
        self.total_steps: int | None = None
        self.complete = False  # filled from the result CSV
        #: Grows with every change, so a reader can tell cheaply that its copy is current.
        self.version = 0

    def __len__(self) -> int:
        return len(self._steps)

    def add(self, step: int, values: dict[str, Any]) -> bool:
        """Merge values for a step; True when anything new was learnt."""
        if not _STEP_MIN <= step <= _STEP_MAX:
            return False  # not a step any job has; it would not fit the column either
        index = self._index_for(step)
        changed = False
        for name, raw in values.items():
            ours = ALIASES.get(name)
            number = finite_number(raw)
            if ours is None or number is None:
                continue
            column = self._values.get(ours)
            if column is None:
                column = self._values[ours] = array("d", [NAN]) * len(self._steps)
            if column[index] != number:  # NaN (no value yet) differs from every number
                column[index] = number
                changed = True
        if changed:
            self.version += 1
        return changed

    def _index_for(self, step: int) -> int:
        """The row of ``step``, made (NaN in every column) if the step is new."""
        steps = self._steps
        if not steps or step > steps[-1]:
            steps.append(step)
            for column in self._values.values():
                column.append(NAN)
            self.version += 1
            return len(steps) - 1
        index = bisect.bisect_left(steps, step)
        if steps[index] != step:
            steps.insert(index, step)
            for column in self._values.values():
                column.insert(index, NAN)
            self.version += 1
        return index

    def add_event(self, event: FineTuningJobEvent) -> bool:
        """Take the numbers of a metrics event; other events are ignored."""
        data = event.data or {}
        step = finite_number(data.get("step"))
        if step is None:
            return False
        total = finite_number(data.get("total_steps"))
        if total is not None:
            self.total_steps = int(total)
        return self.add(int(step), data)

    def fill_from_csv(self, text: str) -> int:
        """Merge every row of a result CSV; returns the number of rows read."""
        reader = csv.DictReader(io.StringIO(text))
        rows = 0
        for row in reader:
            step = finite_number(row.get("step"))
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
        merged._steps = array("q", self._steps)
        merged._values = {name: array("d", column) for name, column in self._values.items()}
        merged.total_steps = self.total_steps
        merged.version = self.version + 1
        merged.fill_from_csv(text)
        if merged.total_steps is None and merged._steps:
            merged.total_steps = merged._steps[-1]
        return merged

    def steps(self) -> list[int]:
        return self._steps.tolist()

    def column(self, name: str) -> list[tuple[int, float]]:
        """``(step, value)`` pairs of one metric, by step (a fresh list the caller may keep)."""
        values = self._values.get(name)
        if values is None:
            return []
        # v == v: not NaN, that is, the step has this metric
        return [(s, v) for s, v in zip(self._steps, values, strict=True) if v == v]

    def arrays(self, name: str) -> tuple[array[int], array[float]]:
        """Copies of the steps and of ``name``'s values beside them (NaN: no value at that step).

        For readers of a whole column at once (a plot of 100k steps): two ``array`` copies are a
        memory copy each, where :meth:`column` makes a tuple per point. Copies, not views: a
        buffer exported from a column would stop it from growing. Empty for an absent metric.
        """
        values = self._values.get(name)
        if values is None:
            return array("q"), array("d")
        return self._steps[:], values[:]

    def names(self) -> list[str]:
        """The metrics present, in a fixed order."""
        return [n for n in METRIC_NAMES if n in self._values]

    def latest(self) -> tuple[int, dict[str, float]] | None:
        if not self._steps:
            return None
        return self._steps[-1], self._point(-1)

    def _point(self, index: int) -> dict[str, float]:
        point = {}
        for name in self.names():
            value = self._values[name][index]
            if value == value:
                point[name] = value
        return point

    def rows(self) -> list[dict[str, float | int]]:
        """Every step as a flat row, for CSV and JSON output."""
        return [{"step": s, **self._point(i)} for i, s in enumerate(self._steps)]

    def write_csv(self, out: IO[str]) -> None:
        """The series as CSV: ``step`` and one column per metric present, in our names
        (``train_loss``, ``valid_loss``...), a row a step, empty where a step has no value.

        The one writer of ``ftmon metrics --csv`` and of an export's ``metrics.csv``.
        """
        writer = csv.writer(out, lineterminator="\n")
        names = self.names()
        writer.writerow(["step", *names])
        for row in self.rows():
            writer.writerow([row["step"], *(row.get(name, "") for name in names)])
