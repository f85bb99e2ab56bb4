"""Per-job metric series, from metrics events while a job runs and from the result CSV after.

Every number of a metrics event's ``data`` becomes a series, and so does every numeric column of
the result CSV; one job's series are columns beside one column of steps.

* **Names.** A field keeps the name the API gives it (``train_mean_reward``,
  ``reasoning_tokens_mean``), nested objects flattened to dotted names (``usage.samples.<...>``,
  ``timing.step.<...>``) at most :data:`MAX_PARTS` parts deep. A list is read as named objects,
  each under its ``name``, as the API sends one entry per grader (``scores.graders`` is a list of
  ``{"name": "<grader>", "type": ..., "train_reward_mean": ...}``, so that number is
  ``scores.graders.<grader>.train_reward_mean``); the result CSV joins the same names with ``/``,
  read as dots. A deeper field is not read, nor a list item without a name or past
  :data:`MAX_LIST_ITEMS`, nor a name over :data:`MAX_NAME` characters or with a control
  character in it. The supervised names alone are folded to one vocabulary (:data:`ALIASES`:
  ``train_loss``, ``valid_loss``, ``full_valid_loss``, ``train_accuracy``, ``valid_accuracy``,
  ``full_valid_accuracy``), as they always were, because the API spells them differently in its
  events (``train_mean_token_accuracy``), its result CSV (``train_accuracy``,
  ``valid_mean_token_accuracy``) and on Azure (``validation_loss``, ``training_accuracy``...).
  ``step`` and ``total_steps`` are the row and the job's length, not series.
* **Numbers.** An event's JSON numbers; the supervised names and every CSV cell also as numeric
  text. Booleans are not numbers; NaN, the infinities and integers past the float range are no
  value; a finite number however absurd is kept (the plot leaves out what it cannot place).
  Only a metrics event is read whole; of any other event with a ``step``, only the supervised
  names are read, as before (a checkpoint or moderation event's numbers are not metrics).
* **Order** (:meth:`MetricSeries.names`: the CSV's columns, ``ftmon metrics``, an export): the
  known names first, in the fixed order of :data:`KNOWN_NAMES` (loss and accuracy as before,
  then reward); then the job's other top-level names; then the per-grader ``scores.*``; then the
  rest (``errors.*``, ``timing.*``, ``usage.*``...); each of these groups sorted by name. The
  order depends on the names alone, never on the order they arrived in.
* **Bounds.** A series costs 8 bytes a step. A job keeps at most :data:`MAX_SERIES` series
  besides the known names (which are always kept: no flood of other fields can push out the loss
  or the reward); a name past the cap is dropped and counted (:attr:`MetricSeries.dropped`,
  worded by :meth:`MetricSeries.dropped_note`). When one read brings more new names than there
  is room for, those first in the order above are kept. Once the result file has filled the
  series (:attr:`MetricSeries.complete`), it is the record: events bring no new names
  besides the known ones.
"""

from __future__ import annotations

import bisect
import csv
import io
from array import array
from collections.abc import Iterable, Iterator, Mapping
from math import isfinite
from typing import IO, Any

from ftmon.api.models import FineTuningJobEvent, finite_number

#: Source name (event field or CSV column) -> our name: the supervised names and their spellings.
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
#: The supervised (and DPO) loss and accuracy, in their order.
METRIC_NAMES = (
    "train_loss",
    "valid_loss",
    "full_valid_loss",
    "train_accuracy",
    "valid_accuracy",
    "full_valid_accuracy",
)
#: A reinforcement job's headline numbers, as its metrics events name them.
REWARD_NAMES = (
    "train_mean_reward",
    "valid_mean_reward",
    "full_valid_mean_reward",
    "full_valid_mean_parse_error",
    "reasoning_tokens_mean",
)
#: The names every job may have, first in every listing and never dropped by the cap.
KNOWN_NAMES = METRIC_NAMES + REWARD_NAMES
LABELS = {
    "train_loss": "training loss",
    "valid_loss": "validation loss",
    "full_valid_loss": "full validation loss",
    "train_accuracy": "training accuracy",
    "valid_accuracy": "validation accuracy",
    "full_valid_accuracy": "full validation accuracy",
    "train_mean_reward": "training mean reward",
    "valid_mean_reward": "validation mean reward",
    "full_valid_mean_reward": "full validation mean reward",
    "full_valid_mean_parse_error": "full validation parse errors",
    "reasoning_tokens_mean": "mean reasoning tokens",
}

#: Series a job keeps besides the known names. A reinforcement job's event holds some two dozen
#: numbers with one grader (its headline numbers, a few per grader under ``scores``, and the
#: ``usage``, ``errors`` and ``timing`` counts), a few more per grader of a multi-grader: 64
#: leaves room for several graders while a step costs at most (64 + 11) * 8 = 600 bytes, about
#: the dict per step the series cost before it was stored as columns, whatever a server sends.
MAX_SERIES = 64
#: Parts of a flattened name at most (``scores.graders.<grader>.train_reward_mean`` has four,
#: ``timing.step.training`` three): a field nested deeper is not read.
MAX_PARTS = 5
#: Items of a list read at most (a list is read only as named objects: one per grader).
MAX_LIST_ITEMS = 32
#: The longest name kept (a grader's name is the user's, so allow room).
MAX_NAME = 160
#: Dropped names remembered (as hashes) to count them each once; past this many the count is a
#: lower bound.
DROPPED_REMEMBERED = 128

#: Event fields and CSV columns that say where a row is, not what was measured.
_NOT_SERIES = frozenset({"step", "total_steps"})
_KNOWN_RANK = {name: rank for rank, name in enumerate(KNOWN_NAMES)}

NAN = float("nan")
#: What ``array('q')`` holds.
_STEP_MIN, _STEP_MAX = -(2**63), 2**63 - 1


def order_key(name: str) -> tuple[int, int, str]:
    """Where ``name`` goes in every listing of series (see the module's order)."""
    rank = _KNOWN_RANK.get(name)
    if rank is not None:
        return (0, rank, "")
    if "." not in name:
        return (1, 0, name)
    return (2 if name.startswith("scores.") else 3, 0, name)


def csv_name(column: str) -> str:
    """A result CSV column's series name: its nested names are joined with ``/``
    (``scores/graders/<grader>/train_reward_mean``) where an event's are dotted."""
    return column.replace("/", ".")


def _number(value: Any) -> float | None:
    """A finite number from a number or numeric text, else None (never raises)."""
    try:
        return finite_number(value)
    except OverflowError:  # an integer past the float range
        return None


def _json_number(value: Any) -> float | None:
    """A finite number from a JSON number (not a boolean, not text), else None."""
    kind = type(value)  # exactly: a bool is an int, and JSON gives plain ints and floats
    if kind is float:
        return value if isfinite(value) else None
    if kind is int:
        return _number(value)
    return None


def _usable(name: Any) -> bool:
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME and name.isprintable()


def _named_entries(items: list[Any]) -> Iterator[tuple[str, Any]]:
    """A list's objects by their ``name`` (a grader's entry under ``scores.graders``): the
    first :data:`MAX_LIST_ITEMS` items, an entry with no usable name or a name seen before
    left out."""
    seen: set[str] = set()
    for item in items[:MAX_LIST_ITEMS]:
        if isinstance(item, dict):
            key = item.get("name")
            if isinstance(key, str) and _usable(key) and key not in seen:
                seen.add(key)
                yield key, item


def _walk(name: str, value: Any, parts: int, out: dict[str, float]) -> None:
    """The numbers under ``name``, nested objects flattened to dotted names (bounded depth)."""
    if isinstance(value, dict):
        entries: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        entries = _named_entries(value)
    else:
        number = _json_number(value)
        if number is not None:
            out[name] = number
        return
    if parts < MAX_PARTS:
        for key, inner in entries:
            if _usable(key):
                inner_name = f"{name}.{key}"
                if len(inner_name) <= MAX_NAME:
                    _walk(inner_name, inner, parts + 1, out)


def numbers(values: Mapping[str, Any], *, generic: bool = True) -> dict[str, float]:
    """``values`` (an event's ``data``, or a flat row) as series name -> number.

    The supervised names folded to ours (numeric text too); with ``generic``, every other
    number, nested objects flattened to dotted names. ``step`` and ``total_steps`` are left out.
    """
    out: dict[str, float] = {}
    for key, raw in values.items():
        if key in _NOT_SERIES:
            continue
        ours = ALIASES.get(key)
        if ours is not None:
            number = _number(raw)
            if number is not None:
                out[ours] = number
        elif generic and _usable(key):
            _walk(key, raw, 1, out)
    return out


class MetricSeries:
    """Metric values by step for one job. Steps arrive in any order and at most once each.

    Stored as columns: the steps in order (``array('q')``) and one ``array('d')`` per metric
    beside them, NaN where a step has no value. About 8 bytes per step and metric, where a dict
    per step cost some 300; a job of a day's steps followed for days stays small. The number of
    metrics is capped too (:data:`MAX_SERIES`).
    """

    def __init__(self) -> None:
        self._steps = array("q")
        self._values: dict[str, array[float]] = {}
        #: Columns that are not among the known names (the ones the cap counts).
        self._others = 0
        #: ``names()``, kept until a column is added.
        self._order: list[str] | None = None
        #: Hashes of names dropped over the cap (at most DROPPED_REMEMBERED), and the most
        #: names one read dropped: together, how many were dropped.
        self._dropped_seen: set[int] = set()
        self._dropped_most = 0
        self.total_steps: int | None = None
        self.complete = False  # filled from the result CSV
        #: Grows with every change, so a reader can tell cheaply that its copy is current.
        self.version = 0

    def __len__(self) -> int:
        return len(self._steps)

    def add(self, step: int, values: Mapping[str, Any]) -> bool:
        """Merge values for a step (names as an event's ``data`` has them, nested objects
        flattened); True when anything new was learnt."""
        return self._merge(step, numbers(values))

    def _merge(self, step: int, found: dict[str, float]) -> bool:
        """Merge ``found`` (series name -> number) at ``step``; True when anything changed."""
        if not _STEP_MIN <= step <= _STEP_MAX:
            return False  # not a step any job has; it would not fit the column either
        index = self._index_for(step)
        changed = False
        fresh: dict[str, float] = {}
        for name, number in found.items():
            column = self._values.get(name)
            if column is None:
                fresh[name] = number
            elif column[index] != number:  # NaN (no value yet) differs from every number
                column[index] = number
                changed = True
        if fresh:
            changed = self._add_columns(index, fresh) or changed
        if changed:
            self.version += 1
        return changed

    def _add_columns(self, index: int, fresh: dict[str, float]) -> bool:
        """New columns for the names first seen at row ``index``, as far as the cap allows."""
        others = [name for name in fresh if name not in _KNOWN_RANK]
        room = max(0, MAX_SERIES - self._others)
        kept = [name for name in fresh if name in _KNOWN_RANK]
        if len(others) > room:
            if room:  # of more than fit, those first in the order stay
                others.sort(key=order_key)
            self._drop(others[room:])
            others = others[:room]
        kept += others
        self._others += len(others)
        for name in kept:
            column = self._values[name] = array("d", [NAN]) * len(self._steps)
            column[index] = fresh[name]
        if kept:
            self._order = None
        return bool(kept)

    def _drop(self, names: Iterable[str]) -> None:
        count = 0
        seen = self._dropped_seen
        for name in names:
            count += 1
            if len(seen) < DROPPED_REMEMBERED:
                seen.add(hash(name))
        self._dropped_most = max(self._dropped_most, count)

    @property
    def dropped(self) -> int:
        """How many series were dropped over the cap: exact, or a lower bound when
        :attr:`dropped_exact` is false (past :data:`DROPPED_REMEMBERED` names)."""
        return max(len(self._dropped_seen), self._dropped_most)

    @property
    def dropped_exact(self) -> bool:
        return len(self._dropped_seen) < DROPPED_REMEMBERED

    def dropped_note(self) -> str:
        """The cap in words when it dropped a series, else ``""``."""
        if not self.dropped:
            return ""
        count = f"{self.dropped:,}" if self.dropped_exact else f"at least {self.dropped:,}"
        return (
            f"{count} more metric series dropped: a job keeps at most {MAX_SERIES} besides "
            "its loss, accuracy and reward"
        )

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
        """Take the numbers of a metrics event (of another event, the supervised names only)."""
        data = event.data or {}
        step = _number(data.get("step"))
        if step is None:
            return False
        total = _number(data.get("total_steps"))
        if total is not None:
            self.total_steps = int(total)
        found = numbers(data, generic=event.is_metrics)
        if self.complete:
            # The result file is the record now: an event's other names would be columns of
            # 8 bytes a step holding only the newest events' few values (2,000 of 100,000 steps);
            # the known ones are kept (the file has no full validation loss).
            found = {
                name: value
                for name, value in found.items()
                if name in self._values or name in _KNOWN_RANK
            }
        return self._merge(int(step), found)

    def fill_from_csv(self, text: str) -> int:
        """Merge every row of a result CSV; returns the number of rows read."""
        reader = csv.reader(io.StringIO(text))
        header = [name.strip() for name in next(reader, [])]
        if "step" not in header:
            return 0
        at = len(header) - 1 - header[::-1].index("step")  # the last, as a dict of a row has it
        columns = [
            (i, ALIASES.get(name) or csv_name(name))
            for i, name in enumerate(header)
            if name not in _NOT_SERIES and _usable(name)
        ]
        rows = 0
        for row in reader:
            width = len(row)
            step = _number(row[at]) if at < width else None
            if step is None:
                continue
            found: dict[str, float] = {}
            for i, name in columns:
                if i < width and (number := _number(row[i])) is not None:
                    found[name] = number
            self._merge(int(step), found)
            rows += 1
        if rows:
            self.complete = True
        return rows

    def merged_with_csv(self, text: str) -> MetricSeries:
        """A new series: a result CSV's rows, which are the job's record once it has one (as
        ``ftmon metrics`` reads it), and this one's points of the series the file has or
        :data:`KNOWN_NAMES` (the API's CSV has no full validation loss: only its events give
        it). A file with no rows leaves a copy of this one.

        Built from the file first, in step order (appends, never inserts): merging 100,000 rows
        into the newest events' few thousand inserted each older row in front of them, in every
        column, and left the events' other series as columns of 100,000 mostly empty values.
        """
        merged = MetricSeries()
        if merged.fill_from_csv(text):
            for index, step in enumerate(self._steps):
                row = {
                    name: value
                    for name, column in self._values.items()
                    if (name in merged._values or name in _KNOWN_RANK)
                    and (value := column[index]) == value  # not NaN
                }
                if row:
                    merged._merge(step, row)
        else:
            merged._steps = array("q", self._steps)
            merged._values = {name: array("d", column) for name, column in self._values.items()}
            merged._others = self._others
            merged._dropped_seen = set(self._dropped_seen)
            merged._dropped_most = self._dropped_most
        merged.total_steps = self.total_steps
        merged.version = self.version + 1
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
        """The metrics present, in the fixed order (see the module); a fresh list."""
        return list(self._ordered())

    def _ordered(self) -> list[str]:
        if self._order is None:
            self._order = sorted(self._values, key=order_key)
        return self._order

    def latest(self) -> tuple[int, dict[str, float]] | None:
        if not self._steps:
            return None
        return self._steps[-1], self._point(-1)

    def at(self, step: int) -> dict[str, float]:
        """Every value recorded at ``step`` (empty when the step has none)."""
        index = bisect.bisect_left(self._steps, step)
        if index >= len(self._steps) or self._steps[index] != step:
            return {}
        return self._point(index)

    def _point(self, index: int) -> dict[str, float]:
        point = {}
        for name in self._ordered():
            value = self._values[name][index]
            if value == value:
                point[name] = value
        return point

    def rows(self) -> list[dict[str, float | int]]:
        """Every step as a flat row, for CSV and JSON output."""
        return [{"step": s, **self._point(i)} for i, s in enumerate(self._steps)]

    def write_csv(self, out: IO[str]) -> None:
        """The series as CSV: ``step`` and one column per metric present, in the fixed order
        (see the module) and our names (``train_loss``, ``valid_loss``..., the API's for the
        rest), a row a step, empty where a step has no value.

        The one writer of ``ftmon metrics --csv`` and of an export's ``metrics.csv``.
        """
        writer = csv.writer(out, lineterminator="\n")
        names = self._ordered()
        writer.writerow(["step", *names])
        columns = [self._values[name] for name in names]
        for index, step in enumerate(self._steps):
            writer.writerow([step, *(v if (v := c[index]) == v else "" for c in columns)])
