"""Loss and accuracy against step: a plot with axes where there is room, a sparkline where not.

The view is fed a :class:`~ftmon.monitor.series.MetricSeries` on every poll, usually unchanged, so
it compares a cheap signature first and repaints nothing when the data did not move (idle means
no bytes to the terminal). Curves are downsampled to the plot's width, keeping each column's
minimum and maximum, so a run of 100k steps draws as fast as one of 100 and spikes stay visible.

A run of 100k steps is read lazily: a new series costs the view only the columns its legend needs
(usually none: the latest step has the values); each chart cleans and downsamples its own curves
when it is drawn, once per series and width, so a pane that is not on screen costs nothing. A
column is read as two array copies (:meth:`MetricSeries.arrays`) and cleaned and downsampled
with built-in passes over them, never as 100k ``(step, value)`` tuples: a few ms per curve.
Colours come from the theme's text colours, which Textual keeps readable on dark and light.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter
from typing import ClassVar, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Container
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Sparkline, Static
from textual_plotext import PlotextPlot

from ftmon.monitor.series import LABELS, MetricSeries
from ftmon.text import one_line

Point = tuple[int, float]

#: Below this many cells (width, height) there is no room for axes: sparkline and words instead.
PLOT_MIN_SIZE = (40, 12)
#: From this width, loss and accuracy plots stand side by side.
SIDE_BY_SIDE_WIDTH = 100
#: From this height, loss and accuracy plots are stacked (when not side by side).
STACKED_HEIGHT = 28
#: Points handed to the sparkline at most (about twice this), whatever the number of steps.
SPARK_BUCKETS = 256
#: Values and steps beyond these cannot be put on axes: plotext's scaling overflows to infinity
#: near 1e308 (an API once sending such a loss crashed the app). They are left out of the plot.
PLOT_VALUE_LIMIT = 1e100
PLOT_STEP_LIMIT = 10**15

LOSS_NAMES = ("train_loss", "valid_loss", "full_valid_loss")
ACCURACY_NAMES = ("train_accuracy", "valid_accuracy", "full_valid_accuracy")

#: Short labels for legends that would not fit with the long ones.
SHORT_LABELS = {
    "train_loss": "train",
    "valid_loss": "valid",
    "full_valid_loss": "full valid",
    "train_accuracy": "train acc",
    "valid_accuracy": "valid acc",
    "full_valid_accuracy": "full valid acc",
}

#: metric -> (theme variable for its colour, legend symbol). Full validation is a few points.
_LOOK = {
    "train": ("text-primary", "━"),
    "valid": ("text-warning", "━"),
    "full_valid": ("text-success", "●"),
}
_FALLBACK_RGB = {
    "text-primary": (87, 165, 226),
    "text-warning": (200, 120, 20),
    "text-success": (60, 150, 80),
}


def _role(name: str) -> str:
    return "full_valid" if name.startswith("full_valid") else name.split("_", 1)[0]


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


class Column(NamedTuple):
    """One metric's drawable points as two sequences side by side, steps ascending."""

    steps: Sequence[int]
    values: list[float]


_NO_COLUMN = Column((), [])


def _within_limits(steps: Sequence[int], values: list[float]) -> bool:
    """Whether finite points can all be placed (``steps`` ascending: its ends are its extremes)."""
    return (
        -PLOT_STEP_LIMIT <= steps[0]
        and steps[-1] <= PLOT_STEP_LIMIT
        and -PLOT_VALUE_LIMIT <= min(values)
        and max(values) <= PLOT_VALUE_LIMIT
    )


def plottable_column(steps: array[int], values: array[float]) -> Column:
    """``plottable(series.column(name))``, from the columns of :meth:`MetricSeries.arrays`.

    ``steps`` ascending, ``values`` beside them with NaN where a step has no value. A metric
    at every step (training loss) is taken as it is once a sum and a min and a max over its
    values say it all can be drawn; one at some steps (validation) has its gaps (and any
    infinity) dropped by ``compress``; only then is a column with a value or step too large to
    place checked point by point.
    """
    count = len(values)
    if not count:
        return _NO_COLUMN
    # A NaN (no value) or an infinity at either end, or anywhere (the sum is then one), means
    # gaps to drop. The ends are looked at first: a metric at some steps rarely has the first.
    if math.isfinite(values[0]) and math.isfinite(values[-1]) and math.isfinite(sum(values)):
        vals = values.tolist()
        kept: Sequence[int] = steps
    else:
        rows = list(compress(range(count), map(math.isfinite, values)))
        if not rows:
            return _NO_COLUMN
        if len(rows) <= count // 8:  # a few points (validation): fetch them by index
            vals = list(map(values.__getitem__, rows))
            kept = list(map(steps.__getitem__, rows))
        else:  # most steps: one pass over each column
            finite = list(map(math.isfinite, values))
            vals = list(compress(values, finite))
            kept = list(compress(steps, finite))
    if _within_limits(kept, vals):
        return Column(kept, vals)
    points = [(s, v) for s, v in zip(kept, vals, strict=True) if _can_plot(s, v)]
    return Column([step for step, _ in points], [value for _, value in points])


def downsample_column(column: Column, buckets: int) -> list[Point]:
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


def theme_rgb(widget: Widget, variable: str) -> tuple[int, int, int]:
    """An RGB triple for a theme variable, with a fixed fallback for themes that lack it."""
    try:
        value = widget.app.theme_variables.get(variable)
        if value:
            return Color.parse(value).rgb
    except Exception:  # a theme with an odd value must not stop the plot
        pass
    return _FALLBACK_RGB.get(variable, (128, 128, 128))


class _Curves:
    """One series as the view last saw it: each metric's drawable points, read when first asked.

    Nothing here is computed up front: a chart that is not drawn never reads its columns.
    """

    def __init__(self, series: MetricSeries | None) -> None:
        self.series = series
        self.names: tuple[str, ...] = tuple(series.names()) if series is not None else ()
        self._latest = series.latest() if series is not None else None
        self._columns: dict[str, Column] = {}

    def column(self, name: str) -> Column:
        """The plottable points of ``name``, by step (shared: do not change)."""
        cached = self._columns.get(name)
        if cached is None:
            cached = _NO_COLUMN
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


_NO_CURVES = _Curves(None)


def _signature(series: MetricSeries | None, title: str) -> tuple[object, ...]:
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


class MetricChart(PlotextPlot):
    """One plotext plot of a few curves against step; downsamples to its own width on render."""

    DEFAULT_CSS = """
    MetricChart {
        width: 1fr;
        height: 1fr;
        min-height: 6;
    }
    """

    def __init__(self, heading: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.heading = heading
        self._source = _NO_CURVES
        self._names: list[str] = []
        self._total_steps: int | None = None
        #: (width, name) -> the points drawn; cleared with each new series.
        self._drawn: dict[tuple[int, str], list[Point]] = {}

    def set_curves(self, source: _Curves, names: Sequence[str], total_steps: int | None) -> None:
        """Draw ``names`` of ``source`` (those with points); read only when next rendered."""
        if source is not self._source:
            self._drawn.clear()
        self._source = source
        self._names = list(names)
        self._total_steps = total_steps
        self.refresh()

    @property
    def names(self) -> list[str]:
        """The metrics this chart draws (those that have points)."""
        return [name for name in self._names if self._source.has(name)]

    def plotted(self, name: str) -> list[Point]:
        """The points of ``name`` as they are drawn at the current width."""
        if name not in self._names:
            return []
        width = max(1, self.size.width)
        drawn = self._drawn.get((width, name))
        if drawn is None:
            if len(self._drawn) > 4 * len(self._names):  # widths of a resize: keep it small
                self._drawn.clear()
            drawn = downsample_column(self._source.column(name), width)
            self._drawn[(width, name)] = drawn
        return drawn

    def render(self) -> RenderResult:
        try:
            return self._render_plot()
        except Exception:  # plotext on data it cannot scale: never take the app down for a plot
            return Text("(these values cannot be plotted)", style="dim")

    def _render_plot(self) -> RenderResult:
        plt = self.plt
        plt.clear_figure()
        plt.title(self.heading)
        last = 0
        for name in self._names:
            points = self.plotted(name)
            if not points:
                continue
            steps = [p[0] for p in points]
            values = [p[1] for p in points]
            last = max(last, steps[-1])
            color = theme_rgb(self, _LOOK[_role(name)][0])
            if _role(name) == "full_valid":
                plt.scatter(steps, values, marker="●", color=color)
            else:
                plt.plot(steps, values, marker="braille", color=color)
        right = max(last, self._total_steps or 0)
        if right > 0:
            plt.xlim(0, right)
        return super().render()


class MetricLegend(Widget):
    """Each curve's colour, name and latest value, plus the step; short labels when narrow."""

    DEFAULT_CSS = """
    MetricLegend {
        height: auto;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: list[tuple[str, float]] = []
        self._step: str = ""

    def set_entries(self, entries: list[tuple[str, float]], step: str) -> None:
        self._entries = entries
        self._step = step
        self.refresh(layout=True)

    def _build(self, labels: dict[str, str]) -> Text:
        text = Text(no_wrap=False, overflow="fold")
        if self._step:
            text.append(self._step, style="bold")
        for name, value in self._entries:
            variable, symbol = _LOOK[_role(name)]
            if text:
                text.append("  ")
            text.append(f"{symbol} ", style=Style(color=_rich_rgb(theme_rgb(self, variable))))
            text.append(f"{labels.get(name, name)} {_format(name, value)}")
        return text

    def render(self) -> RenderResult:
        text = self._build(LABELS)
        width = self.size.width or 10_000
        if text.cell_len > width:
            text = self._build(SHORT_LABELS)
        return text

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        text = self._build(LABELS)
        if text.cell_len > width:
            text = self._build(SHORT_LABELS)
        return max(1, len(text.wrap(self.app.console, max(1, width))))


def _rich_rgb(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _format(name: str, value: float) -> str:
    if "accuracy" in name and 0.0 <= value <= 1.0:
        return f"{value * 100:.1f}%"
    if value and not 1e-3 <= abs(value) < 1e4:
        return f"{value:.4g}"
    return f"{value:.4f}"


class MetricsView(Widget, can_focus=True):
    """Training/validation loss (and accuracy) of one job against step.

    Call :meth:`update_series` on every poll; it is cheap when nothing changed. ``a`` swaps loss
    and accuracy when there is room for one plot, or hides accuracy when both are shown.
    """

    DEFAULT_CSS = """
    MetricsView {
        width: 1fr;
        height: 1fr;
        layout: vertical;
        background: $surface;  /* the plots' canvas colour */
    }
    MetricsView > #metrics-title {
        height: 1;
        text-style: bold;
    }
    MetricsView > #metrics-empty {
        color: $text-muted;
        height: auto;
    }
    MetricsView > #metrics-plots {
        height: 1fr;
        layout: vertical;
    }
    MetricsView.-side > #metrics-plots {
        layout: horizontal;
    }
    MetricsView > #metrics-spark {
        height: 1fr;
        min-height: 1;
    }
    MetricsView #metrics-spark > .sparkline--max-color {
        color: $text-primary;
    }
    MetricsView #metrics-spark > .sparkline--min-color {
        color: $text-primary 40%;
    }
    MetricsView.-no-title > #metrics-title { display: none; }
    MetricsView.-empty > #metrics-plots,
    MetricsView.-empty > #metrics-legend,
    MetricsView.-empty > #metrics-spark { display: none; }
    MetricsView.-plot > #metrics-empty,
    MetricsView.-plot > #metrics-spark { display: none; }
    MetricsView.-compact > #metrics-empty,
    MetricsView.-compact > #metrics-plots { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_accuracy", "Loss/accuracy", id="metrics.toggle_accuracy"),
    ]

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._series: MetricSeries | None = None
        self._title = ""
        self._shown_title = ""
        self._signature: tuple[object, ...] = (None, "")
        self._swap_accuracy = False
        self._mode = ""
        self._curves = _NO_CURVES
        self._spark_key: tuple[_Curves, str | None] | None = None
        self._title_widget = Static(id="metrics-title")
        self._empty = Static(Text("no metrics yet"), id="metrics-empty")
        self._plots = Container(id="metrics-plots")
        self.loss_chart = MetricChart("loss", id="metrics-loss")
        self.accuracy_chart = MetricChart("accuracy", id="metrics-accuracy")
        self._legend = MetricLegend(id="metrics-legend")
        self._spark = Sparkline([], id="metrics-spark")

    def compose(self) -> ComposeResult:
        yield self._title_widget
        yield self._empty
        with self._plots:
            yield self.loss_chart
            yield self.accuracy_chart
        yield self._legend
        yield self._spark

    def on_mount(self) -> None:
        self._apply_mode()
        self._push()

    # -- public --------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``empty``, ``plot`` or ``compact``: what the view shows now."""
        return self._mode

    def update_series(self, series: MetricSeries | None, *, title: str = "") -> None:
        """Show ``series``; does nothing (no repaint) when it is the same as last time."""
        title = one_line(title)
        signature = _signature(series, title)
        if signature == self._signature:
            return
        self._signature = signature
        self._series = series
        self._title = title
        self._curves = _Curves(series) if series else _NO_CURVES
        if self.is_mounted:
            self._apply_mode()
            self._push()

    def action_toggle_accuracy(self) -> None:
        self._swap_accuracy = not self._swap_accuracy
        self._apply_mode()
        self._push()

    # -- layout --------------------------------------------------------------------------------

    def on_resize(self) -> None:
        before = (self._mode, self.loss_chart.display, self.accuracy_chart.display)
        self._apply_mode()
        if (self._mode, self.loss_chart.display, self.accuracy_chart.display) != before:
            self._push()
        else:
            self._update_spark()

    def _has(self, names: Sequence[str]) -> bool:
        return any(self._curves.has(name) for name in names)

    def _layout(self) -> tuple[str, bool, bool, bool]:
        """(mode, show loss, show accuracy, side by side) for the current size and data."""
        if not any(self._curves.has(name) for name in self._curves.names):
            return "empty", False, False, False
        width, height = self.size
        has_loss, has_acc = self._has(LOSS_NAMES), self._has(ACCURACY_NAMES)
        if width < PLOT_MIN_SIZE[0] or height < PLOT_MIN_SIZE[1]:
            return "compact", has_loss, has_acc, False
        side = width >= SIDE_BY_SIDE_WIDTH
        room_for_two = side or height >= STACKED_HEIGHT
        if has_loss and has_acc:
            if room_for_two and not self._swap_accuracy:
                return "plot", True, True, side
            if room_for_two:
                return "plot", True, False, False
            return "plot", not self._swap_accuracy, self._swap_accuracy, False
        return "plot", has_loss, has_acc, False

    def _apply_mode(self) -> None:
        mode, show_loss, show_acc, side = self._layout()
        self._mode = mode
        self.set_class(not self._title, "-no-title")
        for name in ("empty", "plot", "compact"):
            self.set_class(mode == name, f"-{name}")
        self.set_class(side, "-side")
        self.loss_chart.display = show_loss
        self.accuracy_chart.display = show_acc

    def _visible_names(self) -> list[str]:
        if self._mode == "compact":
            names = ACCURACY_NAMES if self._swap_accuracy else LOSS_NAMES
            if not self._has(names):
                names = LOSS_NAMES if names is ACCURACY_NAMES else ACCURACY_NAMES
            return [n for n in names if self._curves.has(n)]
        shown: list[str] = []
        if self.loss_chart.display:
            shown += LOSS_NAMES
        if self.accuracy_chart.display:
            shown += ACCURACY_NAMES
        return [n for n in shown if self._curves.has(n)]

    def _push(self) -> None:
        """Hand the data to the children; each repaints only its own region."""
        if self._title != self._shown_title:
            self._shown_title = self._title
            self._title_widget.update(Text(self._title, no_wrap=True, overflow="ellipsis"))
        total = self._series.total_steps if self._series is not None else None
        self.loss_chart.set_curves(self._curves, LOSS_NAMES, total)
        self.accuracy_chart.set_curves(self._curves, ACCURACY_NAMES, total)
        names = self._visible_names()
        entries = [(n, value) for n in names if (value := self._curves.last(n)) is not None]
        latest = self._series.latest() if self._series is not None else None
        step = ""
        if latest is not None:
            step = f"step {latest[0]}" + (f"/{total}" if total else "")
        self._legend.set_entries(entries, step)
        self._update_spark(names)

    def _update_spark(self, names: list[str] | None = None) -> None:
        """The sparkline's data, read only when it shows: compact mode on a pane with room.

        A pane off screen has no size and so counts as compact; it is filled once it has room.
        """
        if self._mode != "compact" or not self.size.area:
            return
        names = self._visible_names() if names is None else names
        spark_name = next((n for n in names if not n.startswith("full_valid")), None)
        key = (self._curves, spark_name)
        if key == self._spark_key:
            return
        self._spark_key = key
        column = self._curves.column(spark_name) if spark_name else _NO_COLUMN
        # Sparkline buckets to its own width: a fixed cap keeps it right across resizes.
        self._spark.data = [v for _, v in downsample_column(column, SPARK_BUCKETS)]
