"""Loss and accuracy against step: a plot with axes where there is room, a sparkline where not.

The view is fed a :class:`~ftmon.monitor.series.MetricSeries` on every poll, usually unchanged, so
it compares a cheap signature first and repaints nothing when the data did not move (idle means
no bytes to the terminal). Curves are downsampled to the plot's width, keeping each column's
minimum and maximum, so a run of 100k steps draws as fast as one of 100 and spikes stay visible.
Colours come from the theme's text colours, which Textual keeps readable on dark and light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

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


def downsample(points: Sequence[Point], buckets: int) -> list[Point]:
    """At most ``2 * buckets + 2`` points: the first, the last, and each bucket's min and max.

    Keeping extremes (not averages) means a loss spike still shows after thousands of steps are
    folded into one column.
    """
    count = len(points)
    if buckets < 1 or count <= 2 * buckets + 2:
        return list(points)
    inner = points[1:-1]
    size = len(inner) / buckets
    out: list[Point] = [points[0]]
    for bucket in range(buckets):
        chunk = inner[int(bucket * size) : int((bucket + 1) * size)]
        if not chunk:
            continue
        low = min(chunk, key=lambda p: p[1])
        high = max(chunk, key=lambda p: p[1])
        out.extend(sorted({low, high}))
    out.append(points[-1])
    return out


def plottable(points: Sequence[Point]) -> list[Point]:
    """The points that can be drawn: finite values and steps of a sane size."""
    return [
        (step, value)
        for step, value in points
        if abs(step) <= PLOT_STEP_LIMIT and math.isfinite(value) and abs(value) <= PLOT_VALUE_LIMIT
    ]


def theme_rgb(widget: Widget, variable: str) -> tuple[int, int, int]:
    """An RGB triple for a theme variable, with a fixed fallback for themes that lack it."""
    try:
        value = widget.app.theme_variables.get(variable)
        if value:
            return Color.parse(value).rgb
    except Exception:  # a theme with an odd value must not stop the plot
        pass
    return _FALLBACK_RGB.get(variable, (128, 128, 128))


@dataclass(frozen=True)
class _Curve:
    name: str
    points: list[Point]


def _signature(series: MetricSeries | None, title: str) -> tuple[object, ...]:
    """Cheap and enough: a new step, a late step or a changed last value all change it."""
    if series is None or len(series) == 0:
        return (None, title)
    latest = series.latest()
    step, values = latest if latest is not None else (None, {})
    return (
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
        self._curves: list[_Curve] = []
        self._total_steps: int | None = None

    def set_curves(self, curves: list[_Curve], total_steps: int | None) -> None:
        self._curves = curves
        self._total_steps = total_steps
        self.refresh()

    @property
    def curves(self) -> list[_Curve]:
        return self._curves

    def plotted(self, name: str) -> list[Point]:
        """The points of ``name`` as they are drawn at the current width."""
        for curve in self._curves:
            if curve.name == name:
                return downsample(curve.points, max(1, self.size.width))
        return []

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
        for curve in self._curves:
            points = self.plotted(curve.name)
            if not points:
                continue
            steps = [p[0] for p in points]
            values = [p[1] for p in points]
            last = max(last, steps[-1])
            color = theme_rgb(self, _LOOK[_role(curve.name)][0])
            if _role(curve.name) == "full_valid":
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
        self._curves: dict[str, list[Point]] = {}
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
        columns = {n: plottable(series.column(n)) for n in series.names()} if series else {}
        self._curves = {name: points for name, points in columns.items() if points}
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

    def _has(self, names: Sequence[str]) -> bool:
        return any(self._curves.get(name) for name in names)

    def _layout(self) -> tuple[str, bool, bool, bool]:
        """(mode, show loss, show accuracy, side by side) for the current size and data."""
        if not self._curves:
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
            return [n for n in names if self._curves.get(n)]
        shown: list[str] = []
        if self.loss_chart.display:
            shown += LOSS_NAMES
        if self.accuracy_chart.display:
            shown += ACCURACY_NAMES
        return [n for n in shown if self._curves.get(n)]

    def _push(self) -> None:
        """Hand the data to the children; each repaints only its own region."""
        if self._title != self._shown_title:
            self._shown_title = self._title
            self._title_widget.update(Text(self._title, no_wrap=True, overflow="ellipsis"))
        total = self._series.total_steps if self._series is not None else None
        self.loss_chart.set_curves(
            [_Curve(n, self._curves[n]) for n in LOSS_NAMES if self._curves.get(n)], total
        )
        self.accuracy_chart.set_curves(
            [_Curve(n, self._curves[n]) for n in ACCURACY_NAMES if self._curves.get(n)], total
        )
        names = self._visible_names()
        entries = [(n, self._curves[n][-1][1]) for n in names]
        latest = self._series.latest() if self._series is not None else None
        step = ""
        if latest is not None:
            step = f"step {latest[0]}" + (f"/{total}" if total else "")
        self._legend.set_entries(entries, step)
        spark_name = next((n for n in names if not n.startswith("full_valid")), None)
        points = self._curves.get(spark_name, []) if spark_name else []
        # Sparkline buckets to its own width: a fixed cap keeps it right across resizes.
        self._spark.data = [v for _, v in downsample(points, SPARK_BUCKETS)]
