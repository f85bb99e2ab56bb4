"""A metric series as drawable points: cleaned of what cannot be placed, and downsampled.

The TUI's metrics tab and the compare screen draw from these; nothing here knows how a point is
drawn. A run of 100k steps is read lazily: a new series costs only the columns a chart or a
legend asks for, each read as two array copies (:meth:`MetricSeries.arrays`) and cleaned and
downsampled with built-in passes over them, never as 100k ``(step, value)`` tuples. Downsampling
keeps each bucket's minimum and maximum, so a run of 100k steps draws as fast as one of 100 and
spikes stay visible.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

from ftmon.monitor.series import MetricSeries

Point = tuple[int, float]


@dataclass(frozen=True)
class PlotGlyphs:
    """Every character the metrics pane and the compare screen draw a curve or a legend with,
    in one place, so that a terminal that cannot draw them gets another set
    (:func:`use_plot_glyphs`). ``line`` and the points are plotext markers."""

    #: A curve (plotext's ``braille`` marker: 2x4 dots a cell).
    line: str
    #: A full validation point (a few a run).
    point: str
    #: A validation point on the compare screen (one every few steps).
    sample: str
    #: A curve's sign in a legend.
    legend_line: str


#: For terminals that draw Unicode (the default).
UNICODE_GLYPHS = PlotGlyphs(line="braille", point="●", sample="•", legend_line="━")
#: For consoles that draw only ASCII (``TERM=linux``).
ASCII_GLYPHS = PlotGlyphs(line="*", point="o", sample=".", legend_line="-")
_glyphs = UNICODE_GLYPHS


def plot_glyphs() -> PlotGlyphs:
    """The glyphs plots are drawn with now."""
    return _glyphs


def use_plot_glyphs(glyphs: PlotGlyphs) -> None:
    """Draw plots with ``glyphs`` from the next repaint on."""
    global _glyphs
    _glyphs = glyphs


#: The step between two x ticks is one of these times a power of ten: ticks read as whole steps.
_NICE = (1, 2, 5)


def step_ticks(right: int, width: int, *, cell: int = 10) -> list[int]:
    """Whole-step ticks from 0 to at most ``right`` for an axis ``width`` cells wide: about one
    every ``cell`` cells, spaced by 1, 2 or 5 times a power of ten, wide enough for their labels.
    """
    right = max(1, int(right))
    label = len(str(right)) + 2
    count = max(1, min(width // max(cell, label), right))
    raw = right / count
    power = 1
    while True:
        for nice in _NICE:
            spacing = nice * power
            if spacing >= raw:
                ticks = list(range(0, right + 1, spacing))
                # The run's last step too, when its label has room after the last tick.
                if ticks[-1] != right and (right - ticks[-1]) * width / right >= label:
                    ticks.append(right)
                return ticks
        power *= 10


def percent_ticks(width: int) -> list[int]:
    """Ticks of an axis in percent of the run: 0, 25, 50, 75, 100 (0, 50, 100 when narrow)."""
    return [0, 25, 50, 75, 100] if width >= 30 else [0, 50, 100]


#: Values and steps beyond these cannot be put on axes: plotext's scaling overflows to infinity
#: near 1e308 (an API once sending such a loss crashed the app). They are left out of the plot.
PLOT_VALUE_LIMIT = 1e100
PLOT_STEP_LIMIT = 10**15

LOSS_NAMES = ("train_loss", "valid_loss", "full_valid_loss")
ACCURACY_NAMES = ("train_accuracy", "valid_accuracy", "full_valid_accuracy")
REWARD_NAMES = ("train_mean_reward", "valid_mean_reward", "full_valid_mean_reward")
#: Per-grader rewards drawn in the reinforcement view's second chart, at most this many (one
#: colour each would not tell more apart).
MAX_SCORE_CURVES = 3
#: Where a grader's own rewards are: the API sends ``scores.graders`` as a list with one entry
#: per grader, read as ``scores.graders.<grader>.<train|valid>_reward_mean``.
GRADER_PREFIX = "scores.graders."
_GRADER_SIDES = (("valid", ".valid_reward_mean"), ("train", ".train_reward_mean"))

#: A chart: its heading and the metrics it draws, in order.
Chart = tuple[str, tuple[str, ...]]


def grader_score(name: str) -> tuple[str, str] | None:
    """``(grader, "train" | "valid")`` when ``name`` is one grader's mean reward, else None."""
    if not name.startswith(GRADER_PREFIX):
        return None
    rest = name[len(GRADER_PREFIX) :]
    for side, suffix in _GRADER_SIDES:
        if rest.endswith(suffix) and len(rest) > len(suffix):
            return rest[: -len(suffix)], side
    return None


def grader_scores(names: Sequence[str]) -> tuple[str, ...]:
    """One curve per grader (the first :data:`MAX_SCORE_CURVES`): its validation reward, or its
    training reward when the job has no validation. Over-fitting to one grader shows as that
    grader's curve falling while the others rise."""
    picked: dict[str, str] = {}
    for name in names:
        found = grader_score(name)
        if found is not None and (found[0] not in picked or found[1] == "valid"):
            picked[found[0]] = name
    return tuple(picked.values())[:MAX_SCORE_CURVES]


def metric_label(name: str, labels: Mapping[str, str]) -> str:
    """A series' name for a legend: ours for the known ones, ``<grader> valid`` for a grader's
    reward, else the name as the API gives it."""
    known = labels.get(name)
    if known is not None:
        return known
    found = grader_score(name)
    return f"{found[0]} {found[1]}" if found else name


def method_charts(method: str, names: Sequence[str]) -> tuple[Chart, Chart]:
    """The two charts a job's metrics are shown in first, by method: loss and accuracy for
    supervised and DPO jobs; for reinforcement, mean reward (train, validation, full validation)
    and each grader's reward (:func:`grader_scores`)."""
    if method == "reinforcement":
        return ("reward", REWARD_NAMES), ("graders", grader_scores(names))
    return ("loss", LOSS_NAMES), ("accuracy", ACCURACY_NAMES)


def chart_views(method: str, names: Sequence[str]) -> list[tuple[Chart, Chart]]:
    """Every view the metrics tab cycles through: the method's two charts first, then each
    other series of the job on its own (the second chart empty)."""
    first = method_charts(method, names)
    shown = set(first[0][1]) | set(first[1][1])
    views = [first]
    for name in names:
        if name not in shown:
            views.append(((name, (name,)), ("", ())))
    return views


def headline(method: str, curves: Curves) -> str:
    """The number a person looks at first, for a pane's title: validation reward for
    reinforcement, validation loss otherwise (full validation when there is one), else the
    training one."""
    if method == "reinforcement":
        order = (
            ("full_valid_mean_reward", "full valid reward"),
            ("valid_mean_reward", "valid reward"),
            ("train_mean_reward", "train reward"),
        )
    else:
        order = (
            ("full_valid_loss", "full valid loss"),
            ("valid_loss", "valid loss"),
            ("train_loss", "train loss"),
        )
    for name, words in order:
        value = curves.last(name)
        if value is not None:
            return f"{words} {format_metric(name, value)}"
    return ""


#: Short labels for legends that would not fit with the long ones.
SHORT_LABELS = {
    "train_loss": "train",
    "valid_loss": "valid",
    "full_valid_loss": "full valid",
    "train_accuracy": "train acc",
    "valid_accuracy": "valid acc",
    "full_valid_accuracy": "full valid acc",
    "train_mean_reward": "train",
    "valid_mean_reward": "valid",
    "full_valid_mean_reward": "full valid",
}


#: A full validation series is drawn as points (one mark each) up to this many; past it (a
#: reinforcement job evaluates every few steps) the marks would cover the curves: a line.
MAX_POINT_MARKS = 30


def as_points(name: str, curves: Curves) -> bool:
    """Whether ``name`` is drawn as separate points: full validation, when it has few."""
    return role(name) == "full_valid" and len(curves.column(name).values) <= MAX_POINT_MARKS


def role(name: str) -> str:
    """``train``, ``valid``, ``full_valid`` or ``other``: what a metric is drawn as."""
    if name.startswith("full_valid"):
        return "full_valid"
    first = name.split("_", 1)[0]
    return first if first in ("train", "valid") else "other"


_STEP = itemgetter(0)
_VALUE = itemgetter(1)


def downsample(points: Sequence[Point], buckets: int) -> list[Point]:
    """At most ``2 * buckets + 2`` points: the first, the last, and each bucket's min and max.

    Keeping extremes (not averages) means a loss spike still shows after thousands of steps are
    folded into one column. Of equal values the first is kept. The values are read out once and
    each bucket's extremes found by the built-in ``min``/``max``/``index`` on a slice of them:
    100k points take a few milliseconds, not a Python call per point.
    """
    count = len(points)
    if buckets < 1 or count <= 2 * buckets + 2:
        return list(points)
    inner = points[1:-1]
    values = list(map(_VALUE, inner))
    size = len(inner) / buckets
    out: list[Point] = [points[0]]
    for bucket in range(buckets):
        start, end = int(bucket * size), int((bucket + 1) * size)
        if start >= end:
            continue
        chunk = values[start:end]
        low = inner[start + chunk.index(min(chunk))]
        high = inner[start + chunk.index(max(chunk))]
        out.extend(sorted({low, high}))
    out.append(points[-1])
    return out


def _can_plot(step: int, value: float) -> bool:
    return abs(step) <= PLOT_STEP_LIMIT and math.isfinite(value) and abs(value) <= PLOT_VALUE_LIMIT


def plottable(points: Sequence[Point]) -> list[Point]:
    """The points that can be drawn: finite values and steps of a sane size.

    Almost always that is every point, which a few passes of built-ins confirm (a finite sum
    means no infinity and no NaN among the values); only otherwise is each point checked.
    """
    if not points:
        return []
    steps = list(map(_STEP, points))
    values = list(map(_VALUE, points))
    try:
        every = (
            -PLOT_STEP_LIMIT <= min(steps)
            and max(steps) <= PLOT_STEP_LIMIT
            and math.isfinite(sum(values))
            and -PLOT_VALUE_LIMIT <= min(values)
            and max(values) <= PLOT_VALUE_LIMIT
        )
    except (TypeError, OverflowError):
        every = False
    if every:
        return list(points)
    return [(step, value) for step, value in points if _can_plot(step, value)]


class PlotColumn(NamedTuple):
    """One metric's drawable points as two sequences side by side, steps ascending."""

    steps: Sequence[int]
    values: list[float]


NO_COLUMN = PlotColumn((), [])


def _within_limits(steps: Sequence[int], values: list[float]) -> bool:
    """Whether finite points can all be placed (``steps`` ascending: its ends are its extremes)."""
    return (
        -PLOT_STEP_LIMIT <= steps[0]
        and steps[-1] <= PLOT_STEP_LIMIT
        and -PLOT_VALUE_LIMIT <= min(values)
        and max(values) <= PLOT_VALUE_LIMIT
    )


def plottable_column(steps: array[int], values: array[float]) -> PlotColumn:
    """``plottable(series.column(name))``, from the columns of :meth:`MetricSeries.arrays`.

    ``steps`` ascending, ``values`` beside them with NaN where a step has no value. A metric
    at every step (training loss) is taken as it is once a sum and a min and a max over its
    values say it all can be drawn; one at some steps (validation) has its gaps (and any
    infinity) dropped by ``compress``; only then is a column with a value or step too large to
    place checked point by point.
    """
    count = len(values)
    if not count:
        return NO_COLUMN
    # A NaN (no value) or an infinity at either end, or anywhere (the sum is then one), means
    # gaps to drop. The ends are looked at first: a metric at some steps rarely has the first.
    if math.isfinite(values[0]) and math.isfinite(values[-1]) and math.isfinite(sum(values)):
        vals = values.tolist()
        kept: Sequence[int] = steps
    else:
        rows = list(compress(range(count), map(math.isfinite, values)))
        if not rows:
            return NO_COLUMN
        if len(rows) <= count // 8:  # a few points (validation): fetch them by index
            vals = list(map(values.__getitem__, rows))
            kept = list(map(steps.__getitem__, rows))
        else:  # most steps: one pass over each column
            finite = list(map(math.isfinite, values))
            vals = list(compress(values, finite))
            kept = list(compress(steps, finite))
    if _within_limits(kept, vals):
        return PlotColumn(kept, vals)
    points = [(s, v) for s, v in zip(kept, vals, strict=True) if _can_plot(s, v)]
    return PlotColumn([step for step, _ in points], [value for _, value in points])


def downsample_column(column: PlotColumn, buckets: int) -> list[Point]:
    """``downsample`` of the column's points, reading the points it keeps and no others.

    The same rule: the first, the last, and per bucket the first lowest and the first highest
    value, in step order; the buckets are slices of the values list, searched by built-ins.
    """
    steps, values = column
    count = len(values)
    if buckets < 1 or count <= 2 * buckets + 2:
        return list(zip(steps, values, strict=True))
    size = (count - 2) / buckets
    out: list[Point] = [(steps[0], values[0])]
    for bucket in range(buckets):
        # The bucket [start, end) of the inner points, which begin at index 1.
        start, end = int(bucket * size) + 1, int((bucket + 1) * size) + 1
        if start >= end:
            continue
        chunk = values[start:end]
        low = start + chunk.index(min(chunk))
        high = start + chunk.index(max(chunk))
        first, last = (low, high) if low <= high else (high, low)
        out.append((steps[first], values[first]))
        if last != first:  # a bucket's lowest and highest point, in step order
            out.append((steps[last], values[last]))
    out.append((steps[-1], values[-1]))
    return out


class Curves:
    """One series' curves: each metric's drawable points, read when first asked.

    Nothing here is computed up front: a chart that is not drawn never reads its columns.
    """

    def __init__(self, series: MetricSeries | None) -> None:
        self.series = series
        self.names: tuple[str, ...] = tuple(series.names()) if series is not None else ()
        self._latest = series.latest() if series is not None else None
        self._columns: dict[str, PlotColumn] = {}

    def column(self, name: str) -> PlotColumn:
        """The plottable points of ``name``, by step (shared: do not change)."""
        cached = self._columns.get(name)
        if cached is None:
            cached = NO_COLUMN
            if self.series is not None and name in self.names:
                cached = plottable_column(*self.series.arrays(name))
            self._columns[name] = cached
        return cached

    def last(self, name: str) -> float | None:
        """The last plottable value of ``name``; from the latest step when it has one."""
        if name not in self.names:
            return None
        if name not in self._columns and self._latest is not None:
            step, latest = self._latest
            value = latest.get(name)
            if value is not None and _can_plot(step, value):
                return value
        values = self.column(name).values
        return values[-1] if values else None

    def has(self, name: str) -> bool:
        return self.last(name) is not None


NO_CURVES = Curves(None)


def series_signature(series: MetricSeries | None, title: str) -> tuple[object, ...]:
    """Cheap and enough: a new step, a late step or a changed last value all change it."""
    if series is None or len(series) == 0:
        return (None, title)
    latest = series.latest()
    step, values = latest if latest is not None else (None, {})
    return (
        series.version,  # a corrected value at an earlier step changes nothing else here
        len(series),
        step,
        tuple(sorted(values.items())),
        series.total_steps,
        series.complete,
        title,
    )


def format_metric(name: str, value: float) -> str:
    """A legend's value: accuracy as a percentage, tiny or huge numbers in four figures."""
    if "accuracy" in name and 0.0 <= value <= 1.0:
        return f"{value * 100:.1f}%"
    if value and not 1e-3 <= abs(value) < 1e4:
        return f"{value:.4g}"
    return f"{value:.4f}"
