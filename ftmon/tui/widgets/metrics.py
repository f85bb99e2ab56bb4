"""Loss and accuracy against step: plots with axes and a scale at every size, words where even a
small plot has no room.

The view is fed a :class:`~ftmon.monitor.series.MetricSeries` on every poll, usually unchanged, so
it compares a cheap signature first and repaints nothing when the data did not move (idle means
no bytes to the terminal). Curves are downsampled to the plot's width, keeping each column's
minimum and maximum, so a run of 100k steps draws as fast as one of 100 and spikes stay visible.

A run of 100k steps is read lazily: a new series costs the view only the columns its legend needs
(usually none: the latest step has the values); each chart cleans and downsamples its own curves
when it is drawn, once per series and width, so a pane that is not on screen costs nothing. The
points, their cleaning and downsampling are :mod:`ftmon.present.plot`'s, a few ms per curve.
Colours come from the theme's text colours, which Textual keeps readable on dark and light.

Every plot has a y scale (plotext's ticks, from the lowest to the highest value drawn) and an x
axis of whole steps from 0 to the run's total (:func:`ftmon.present.plot.step_ticks`). A plot too
short for its own title line (the narrow layout's tab, the wide layout's pane at 120x36) leaves it
out and the legend names the chart instead; the legend names only the curves drawn. Its glyphs are
:func:`ftmon.present.plot.plot_glyphs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Container
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext import PlotextPlot

from ftmon.monitor.series import LABELS, MetricSeries
from ftmon.present.plot import (
    NO_CURVES,
    SHORT_LABELS,
    Curves,
    Point,
    as_points,
    chart_views,
    downsample_column,
    format_metric,
    grader_score,
    headline,
    metric_label,
    plot_glyphs,
    role,
    series_signature,
    step_ticks,
)
from ftmon.text import one_line

#: Below this many cells (width, height) there is no room for axes: the latest values in words.
PLOT_MIN_SIZE = (24, 6)
#: A chart shorter than this leaves out its title line (the legend names the chart instead).
TITLE_MIN_HEIGHT = 12
#: Cells of a chart's width taken by its y scale and frame, not by the curves.
Y_SCALE_WIDTH = 7
#: From this width, loss and accuracy plots stand side by side.
SIDE_BY_SIDE_WIDTH = 100
#: From this height, loss and accuracy plots are stacked (when not side by side).
STACKED_HEIGHT = 28
#: metric -> theme variable for its colour. Full validation is a few points, not a line.
_LOOK = {
    "train": "text-primary",
    "valid": "text-warning",
    "full_valid": "text-success",
    "other": "text-accent",
}
#: Each grader's reward in the reinforcement view, by its place in the chart.
_GRADER_LOOKS = ("text-accent", "text-secondary", "text-error")
_FALLBACK_RGB = {
    "text-primary": (87, 165, 226),
    "text-warning": (200, 120, 20),
    "text-success": (60, 150, 80),
    "text-accent": (190, 110, 200),
    "text-secondary": (120, 160, 240),
    "text-error": (220, 80, 80),
}


def looks(names: Sequence[str], curves: Curves = NO_CURVES) -> dict[str, tuple[str, str]]:
    """Each name's (theme variable, legend symbol): by role, a grader's reward by its place; the
    symbol is a point for a series drawn as points (:func:`as_points` of ``curves``)."""
    glyphs = plot_glyphs()
    out: dict[str, tuple[str, str]] = {}
    rank = 0
    for name in names:
        if grader_score(name) is not None:
            out[name] = (_GRADER_LOOKS[rank % len(_GRADER_LOOKS)], glyphs.legend_line)
            rank += 1
        else:
            kind = role(name)
            symbol = glyphs.point if as_points(name, curves) else glyphs.legend_line
            out[name] = (_LOOK[kind], symbol)
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
        #: Whether the plot draws its heading (False: the legend names the chart).
        self.show_title = True
        self._source = NO_CURVES
        self._names: list[str] = []
        self._total_steps: int | None = None
        #: (width, name) -> the points drawn; cleared with each new series.
        self._drawn: dict[tuple[int, str], list[Point]] = {}

    def set_curves(
        self,
        source: Curves,
        names: Sequence[str],
        total_steps: int | None,
        heading: str | None = None,
    ) -> None:
        """Draw ``names`` of ``source`` (those with points); read only when next rendered."""
        if source is not self._source:
            self._drawn.clear()
        if heading is not None:
            self.heading = heading
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
        if self.show_title:
            plt.title(self.heading)
        glyphs = plot_glyphs()
        last = 0
        name_looks = looks(self._names, self._source)
        for name in self._names:
            points = self.plotted(name)
            if not points:
                continue
            steps = [p[0] for p in points]
            values = [p[1] for p in points]
            last = max(last, steps[-1])
            color = theme_rgb(self, name_looks[name][0])
            if as_points(name, self._source):
                plt.scatter(steps, values, marker=glyphs.point, color=color)
            else:
                plt.plot(steps, values, marker=glyphs.line, color=color)
        right = max(last, self._total_steps or 0)
        if right > 0:
            plt.xlim(0, right)
            ticks = step_ticks(right, self.size.width - Y_SCALE_WIDTH)
            plt.xticks([float(tick) for tick in ticks], [str(tick) for tick in ticks])
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
        self._heading: str = ""
        self._curves = NO_CURVES

    def set_entries(
        self,
        entries: list[tuple[str, float]],
        step: str,
        heading: str = "",
        curves: Curves = NO_CURVES,
    ) -> None:
        """``heading`` names the chart when the plot has no room for its own title; ``curves``
        (those drawn) tell a series drawn as points from a line."""
        if (entries, step, heading, curves) == (
            self._entries,
            self._step,
            self._heading,
            self._curves,
        ):
            return
        self._entries = entries
        self._step = step
        self._heading = heading
        self._curves = curves
        self.refresh(layout=True)

    def _parts(self, labels: dict[str, str]) -> list[Text]:
        """The legend's pieces, none of which is ever split across lines: the heading and step,
        then one piece per curve (its sign, name and value)."""
        parts: list[Text] = []
        lead = Text(style="bold")
        if self._heading:
            lead.append(f"{self._heading} · " if self._step else self._heading)
        lead.append(self._step)
        if lead:
            parts.append(lead)
        name_looks = looks([name for name, _ in self._entries], self._curves)
        for name, value in self._entries:
            variable, symbol = name_looks[name]
            part = Text()
            part.append(f"{symbol} ", style=Style(color=_rich_rgb(theme_rgb(self, variable))))
            part.append(f"{metric_label(name, labels)} {format_metric(name, value)}")
            parts.append(part)
        return parts

    def _lines(self, width: int) -> list[Text]:
        """The pieces in as few lines as fit ``width`` (long names, else short ones); a line
        breaks only between pieces, so a name is never parted from its value."""
        parts = self._parts(LABELS)
        if sum(p.cell_len for p in parts) + 2 * max(0, len(parts) - 1) > width:
            parts = self._parts(SHORT_LABELS)
        lines: list[Text] = []
        for part in parts:
            if lines and lines[-1].cell_len + 2 + part.cell_len <= width:
                lines[-1].append("  ")
                lines[-1].append_text(part)
            else:
                lines.append(part.copy())
        return lines or [Text()]

    def render(self) -> RenderResult:
        text = Text("\n").join(self._lines(self.size.width or 10_000))
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(max(1, width)))


def _rich_rgb(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class MetricsView(Widget, can_focus=True):
    """A job's metrics against step, chosen by its method: loss and accuracy for supervised and
    DPO jobs, mean reward and the graders' scores for reinforcement.

    Call :meth:`update_series` on every poll; it is cheap when nothing changed. ``a`` swaps the
    two charts when there is room for one, or hides the second when both are shown; ``s`` steps
    through every other series the job has, one at a time, and back.
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
    MetricsView.-no-title > #metrics-title { display: none; }
    MetricsView.-empty > #metrics-plots,
    MetricsView.-empty > #metrics-legend { display: none; }
    MetricsView.-plot > #metrics-empty { display: none; }
    MetricsView.-compact > #metrics-empty,
    MetricsView.-compact > #metrics-plots { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_accuracy", "loss/accuracy", id="metrics.toggle_accuracy"),
        Binding("s", "next_series", "next series", id="metrics.next_series"),
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
        self._method = "supervised"
        self._views = chart_views(self._method, ())
        self._view = 0
        self._mode = ""
        self._curves = NO_CURVES
        self._title_widget = Static(id="metrics-title")
        self._empty = Static(Text("no metrics yet"), id="metrics-empty")
        self._plots = Container(id="metrics-plots")
        self.loss_chart = MetricChart("loss", id="metrics-loss")
        self.accuracy_chart = MetricChart("accuracy", id="metrics-accuracy")
        self._legend = MetricLegend(id="metrics-legend")

    def compose(self) -> ComposeResult:
        yield self._title_widget
        yield self._empty
        with self._plots:
            yield self.loss_chart
            yield self.accuracy_chart
        yield self._legend

    def on_mount(self) -> None:
        self._apply_mode()
        self._push()

    # -- public --------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``empty``, ``plot`` or ``compact`` (the latest values in words, no room for a plot)."""
        return self._mode

    def update_series(
        self,
        series: MetricSeries | None,
        *,
        title: str = "",
        method: str = "supervised",
        empty: str = "no metrics yet",
    ) -> None:
        """Show ``series`` of a job of ``method``; does nothing (no repaint) when it is the same
        as last time. ``empty`` is said when there is nothing to plot ("loading metrics…")."""
        title = one_line(title)
        signature = (*series_signature(series, title), method, empty)
        if signature == self._signature:
            return
        self._empty.update(Text(empty))
        if method != self._method:
            self._view = 0
        self._signature = signature
        self._series = series
        self._title = title
        self._method = method
        self._curves = Curves(series) if series else NO_CURVES
        self._views = chart_views(method, self._curves.names)
        self._view = min(self._view, len(self._views) - 1)
        if self.is_mounted:
            self._apply_mode()
            self._push()

    @property
    def headline(self) -> str:
        """The number to read first ("valid loss 0.3626"), for the pane's title."""
        return headline(self._method, self._curves)

    @property
    def view_names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The metrics of the two charts in the view shown now."""
        first, second = self._views[self._view]
        return first[1], second[1]

    def action_toggle_accuracy(self) -> None:
        self._swap_accuracy = not self._swap_accuracy
        self._apply_mode()
        self._push()

    def action_next_series(self) -> None:
        """The next view: each series the method's charts leave out, then back to them."""
        self._view = (self._view + 1) % len(self._views)
        self._apply_mode()
        self._push()

    # -- layout --------------------------------------------------------------------------------

    def on_resize(self) -> None:
        before = self._shape()
        self._apply_mode()
        if self._shape() != before:
            self._push()

    def _shape(self) -> tuple[object, ...]:
        return (
            self._mode,
            self.loss_chart.display,
            self.accuracy_chart.display,
            self._titles_fit(),
        )

    def _titles_fit(self) -> bool:
        """Whether a plot has room for its title line: both charts shown, or one tall enough
        (its height is the view's, less the legend's line or two)."""
        both = self.loss_chart.display and self.accuracy_chart.display
        return both or self.size.height - 2 >= TITLE_MIN_HEIGHT

    def _has(self, names: Sequence[str]) -> bool:
        return any(self._curves.has(name) for name in names)

    def _layout(self) -> tuple[str, bool, bool, bool]:
        """(mode, show loss, show accuracy, side by side) for the current size and data."""
        if not any(self._curves.has(name) for name in self._curves.names):
            return "empty", False, False, False
        width, height = self.size
        first, second = self.view_names
        has_loss, has_acc = self._has(first), self._has(second)
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
        first, second = self.view_names
        if self._mode == "compact":
            names = second if self._swap_accuracy else first
            if not self._has(names):
                names = first if names is second else second
            return [n for n in names if self._curves.has(n)]
        shown: list[str] = []
        if self.loss_chart.display:
            shown += first
        if self.accuracy_chart.display:
            shown += second
        return [n for n in shown if self._curves.has(n)]

    def _push(self) -> None:
        """Hand the data to the children; each repaints only its own region."""
        if self._title != self._shown_title:
            self._shown_title = self._title
            self._title_widget.update(Text(self._title, no_wrap=True, overflow="ellipsis"))
        total = self._series.total_steps if self._series is not None else None
        (first_heading, first), (second_heading, second) = self._views[self._view]
        titles = self._titles_fit()
        self.loss_chart.show_title = titles
        self.accuracy_chart.show_title = titles
        self.loss_chart.set_curves(self._curves, first, total, first_heading)
        self.accuracy_chart.set_curves(self._curves, second, total, second_heading)
        names = self._visible_names()
        entries = [(n, value) for n in names if (value := self._curves.last(n)) is not None]
        latest = self._series.latest() if self._series is not None else None
        step = ""
        if latest is not None:
            step = f"step {latest[0]}" + (f"/{total}" if total else "")
        heading = ""
        if self._mode == "compact" or not titles:  # no plot title names the chart: the legend does
            in_second = bool(names) and names[0] in second
            heading = second_heading if in_second else first_heading
        self._legend.set_entries(entries, step, heading, self._curves)
