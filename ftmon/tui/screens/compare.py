"""Compare runs: the curves of two or more jobs overlaid in one plot, with a legend.

Each job gets one colour: its training curve is a line, its validation points (it is sampled).
Jobs are compared like with like: on loss, or on mean reward when they are all reinforcement
jobs; jobs with no metric in common are said to be so.
``v`` hides or shows validation, ``x`` switches the x axis between step and percent of the run
(runs of different lengths line up; the title says which), ``?`` opens help at these keys, ``esc``
closes. The x axis is ticked in whole steps (or 0-100 %), the y axis has plotext's scale, and the
legend is a pane of its own, never drawn over the curves: a column right of the plot when the
plot keeps :data:`PLOT_MIN_BESIDE` cells beside it (from about 118 columns with the app's long
labels), else a line a job under it (80 columns). Labels are API text (suffixes): they are
cleaned, cut in their middle, and handed over as ``Text``, never as markup.

Given the engine (``source``), the screen follows it while it is open: each ``MetricsChanged`` of
a compared job redraws the plot and the legend with the job's new points. It adds no timer and no
request of its own: the engine reads running jobs anyway, and nothing changes when none runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext import PlotextPlot

from ftmon.monitor.changes import Change, MetricsChanged
from ftmon.monitor.series import MetricSeries
from ftmon.present.plot import (
    downsample_column,
    percent_ticks,
    plot_glyphs,
    plottable_column,
    step_ticks,
)
from ftmon.text import middle_cut, one_line
from ftmon.tui.bindings import HELP_BINDING
from ftmon.tui.key_help import open_help
from ftmon.tui.widgets.hint_footer import HintFooter

#: One colour a job, readable on dark and light themes; reused past eight jobs.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (87, 165, 226),
    (235, 140, 50),
    (90, 185, 100),
    (225, 85, 95),
    (170, 125, 225),
    (60, 195, 195),
    (205, 185, 60),
    (225, 120, 185),
)
LABEL_WIDTH = 32
#: The legend beside the plot: its numbers' indent (under the label, past the colour), its
#: widest line.
INDENT = 3
BESIDE_MAX = 44
#: The legend goes beside the plot when the plot keeps at least this many cells there: about the
#: width it has at 80 columns with the legend under it, so beside never makes it narrower than
#: that. Narrower screens (80, 100 columns) keep the legend under the plot: a line a job costs
#: the plot less than a column of 25 to 46 cells would.
PLOT_MIN_BESIDE = 72
#: Cells of the plot's width taken by its y scale and frame, not by the curves.
Y_SCALE_WIDTH = 7


class SeriesSource(Protocol):
    """Where a compared job's newer points come from: the engine (:class:`Monitor`)."""

    def subscribe(self, listener: Callable[[list[Change]], None]) -> Callable[[], None]: ...

    def series(self, job_id: str) -> MetricSeries: ...

    def is_loaded(self, job_id: str) -> bool: ...


@dataclass(frozen=True)
class Run:
    """One job in the comparison."""

    job_id: str
    label: str
    series: MetricSeries
    color: tuple[int, int, int]


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


#: What can be compared, in order of preference: (words, training metric, validation metric).
#: Runs are compared on the first pair every one of them has: loss for supervised and DPO,
#: mean reward for reinforcement. Mixed methods with nothing in common are said to be so.
COMPARABLE = (
    ("loss", "train_loss", "valid_loss"),
    ("mean reward", "train_mean_reward", "valid_mean_reward"),
)


def common_metric(series: list[MetricSeries]) -> tuple[str, str, str] | None:
    """The first comparable pair that every run with metrics has (None if there is none)."""
    with_data = [s for s in series if len(s)]
    if not with_data:
        return COMPARABLE[0]
    for pair in COMPARABLE:
        if all(pair[1] in s.names() for s in with_data):
            return pair
    return None


class CompareChart(PlotextPlot):
    """The overlaid loss curves; draws at its own width, so resizing needs no new data."""

    DEFAULT_CSS = """
    CompareChart {
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, runs: list[Run], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs = runs
        self.show_validation = True
        self.by_fraction = False
        #: (words, training metric, validation metric) the runs are compared on, or None.
        self.metric = common_metric([run.series for run in runs])
        #: (job, metric) -> (series, its version, width, points drawn): see ``_points``.
        self._drawn: dict[tuple[str, str], tuple[MetricSeries, int, int, list[tuple[int, float]]]]
        self._drawn = {}

    def x_scale(self, run: Run) -> float:
        """What a step of ``run`` is multiplied by on the x axis: 1, or 100 / its length."""
        if not self.by_fraction:
            return 1.0
        latest = run.series.latest()
        total = run.series.total_steps or (latest[0] if latest is not None else 1) or 1
        return 100.0 / total

    def curves(self) -> list[tuple[str, Run, list[tuple[float, float]]]]:
        """``(metric, run, points)`` as drawn now, downsampled to the plot's width."""
        out: list[tuple[str, Run, list[tuple[float, float]]]] = []
        width = max(1, self.size.width)
        if self.metric is None:
            return out
        _, train, valid = self.metric
        names = (train, valid) if self.show_validation else (train,)
        for run in self.runs:
            scale = self.x_scale(run)
            for name in names:
                points = self._points(run, name, width)
                if points:
                    out.append((name, run, [(scale * s, v) for s, v in points]))
        return out

    def _points(self, run: Run, name: str, width: int) -> list[tuple[int, float]]:
        """``name`` of ``run`` cleaned and downsampled to ``width``, read again only when the
        series changed: a redraw for one running job does not read the others' 100k steps."""
        key = (run.job_id, name)
        held = self._drawn.get(key)
        if held is not None and held[0] is run.series and held[1:3] == (run.series.version, width):
            return held[3]
        # Values plotext cannot scale (a loss near the largest float) are left out.
        points = downsample_column(plottable_column(*run.series.arrays(name)), width)
        self._drawn[key] = (run.series, run.series.version, width, points)
        return points

    def render(self) -> RenderResult:
        try:
            return self._render_plot()
        except Exception:  # plotext on data it cannot scale: never take the app down for a plot
            return Text("(these values cannot be plotted)", style="dim")

    def _render_plot(self) -> RenderResult:
        plt = self.plt
        plt.clear_figure()
        plt.xlabel("% of run" if self.by_fraction else "step")
        glyphs = plot_glyphs()
        right = 0.0
        for name, run, points in self.curves():
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            right = max(right, xs[-1])
            # No plotext label: its legend is drawn over the curves; CompareLegend is beside.
            if self.metric is not None and name == self.metric[1]:
                plt.plot(xs, ys, marker=glyphs.line, color=run.color)
            else:  # validation is sampled: its points, not a line
                plt.scatter(xs, ys, marker=glyphs.sample, color=run.color)
        if right > 0:
            width = self.size.width - Y_SCALE_WIDTH
            if self.by_fraction:
                ticks = percent_ticks(width)
                labels = [f"{tick}%" for tick in ticks]
                plt.xlim(0, 100)
            else:
                ticks = step_ticks(int(right), width)
                labels = [str(tick) for tick in ticks]
                plt.xlim(0, right)
            plt.xticks([float(tick) for tick in ticks], labels)
        return super().render()

    def x_ticks(self) -> list[int]:
        """The x axis' ticks as drawn now: whole steps, or percent of the run."""
        width = self.size.width - Y_SCALE_WIDTH
        if self.by_fraction:
            return percent_ticks(width)
        right = max((points[-1][0] for _, _, points in self.curves()), default=0.0)
        return step_ticks(int(right), width) if right > 0 else []


def _swatch(run: Run) -> Text:
    """A job's colour as a short line, as its curve is drawn."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(plot_glyphs().legend_line * 2, style=Style(color=_hex(run.color), bold=True))
    text.append(" ")
    return text


def _label(run: Run, width: int) -> str:
    """A job's label in at most ``width`` cells, cut in its middle: two thirds for its start (the
    suffix, what tells jobs apart to a person), a third for its end (the job id's end)."""
    return middle_cut(one_line(run.label), max(1, width), tail=max(0, width - 1) // 3)


def legend_numbers(
    run: Run, metric: tuple[str, str, str] | None, *, best: bool = True
) -> list[tuple[str, str]]:
    """A job's latest numbers as ``(words, style)`` pieces: its last step (of its length), last
    training and validation value of ``metric`` and, with ``best``, its best validation value."""
    series = run.series
    if not len(series):
        return [("no metrics yet", "dim")]
    total = f"/{series.total_steps}" if series.total_steps else ""
    pieces = [(f"step {series.steps()[-1]}{total}", "dim")]
    if metric is None:
        return pieces
    words, train_name, valid_name = metric
    train = series.column(train_name)
    valid = series.column(valid_name)
    pieces.append((f"train {_fmt(train[-1][1] if train else None)}", ""))
    if valid:
        pieces.append((f"valid {_fmt(valid[-1][1])}", ""))
        if best:
            pick = max if "reward" in words else min
            pieces.append((f"best valid {_fmt(pick(v for _, v in valid))}", "dim"))
    return pieces


def legend_line(
    run: Run,
    label_width: int,
    *,
    extras: bool = True,
    metric: tuple[str, str, str] | None = COMPARABLE[0],
) -> Text:
    """A job's colour, label, last step, last training and validation value of ``metric`` on
    one line (the legend under the plot)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append_text(_swatch(run))
    label = _label(run, label_width)
    text.append(label + " " * max(0, label_width - cell_len(label)))
    for words, style in legend_numbers(run, metric, best=extras):
        text.append("  " + words, style=style)
    return text


def legend_entry(
    run: Run, width: int, *, metric: tuple[str, str, str] | None, best: bool
) -> list[Text]:
    """A job in the legend beside the plot, ``width`` cells wide: its colour and label on one
    line, its numbers under it (on as many lines as they need, indented under the label)."""
    first = _swatch(run)
    first.append(_label(run, width - INDENT))
    lines = [first]
    line = Text(" " * INDENT, no_wrap=True, overflow="ellipsis")
    for words, style in legend_numbers(run, metric, best=best):
        if line.cell_len > INDENT and line.cell_len + 2 + cell_len(words) > width:
            lines.append(line)
            line = Text(" " * INDENT, no_wrap=True, overflow="ellipsis")
        line.append(("  " if line.cell_len > INDENT else "") + words, style=style)
    lines.append(line)
    return lines


def followed(held: MetricSeries, newer: MetricSeries) -> MetricSeries:
    """A compared job's series after the engine's changed: the engine's when it holds at least
    as many steps (its own, or completed from the result file), else the one held with the
    engine's steps past its last added (the engine may hold only a running job's newest events
    while the screen read all of them)."""
    if len(newer) >= len(held):
        return newer
    steps = held.steps()
    last = steps[-1] if steps else None
    for step in newer.steps():
        if last is None or step >= last:  # the last step too: a late validation value
            held.add(step, newer.at(step))
    held.total_steps = newer.total_steps or held.total_steps
    return held


class CompareLegend(Widget):
    """The jobs' colours, labels and latest numbers, never over the curves: under the plot one
    line a job, fitted to the width (shorter labels, then fewer numbers); or, with ``beside``,
    a column right of the plot, each job a label line and its numbers under it, fitted to the
    height (no best value, no blank line between jobs, then one line a job)."""

    DEFAULT_CSS = """
    CompareLegend {
        height: auto;
        max-height: 12;
        padding: 0 1;
    }
    CompareLegend.-beside {
        height: 1fr;
        max-height: 100%;
    }
    """

    def __init__(self, runs: list[Run], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs = runs
        self.metric = common_metric([run.series for run in runs])
        #: A column right of the plot (set by the screen from its width), else lines under it.
        self.beside = False

    def lines(self, width: int) -> list[Text]:
        """The legend under the plot: one line a job, within ``width`` cells if it can."""
        longest = max((cell_len(one_line(r.label)) for r in self.runs), default=0)
        for label_width, extras in (
            (min(LABEL_WIDTH, longest), True),
            (min(LABEL_WIDTH, longest), False),
            (min(20, longest), False),
        ):
            lines = [
                legend_line(r, label_width, extras=extras, metric=self.metric) for r in self.runs
            ]
            if all(line.cell_len <= width for line in lines):
                return lines
        return lines

    def beside_lines(self, width: int, height: int) -> list[Text]:
        """The legend beside the plot, ``width`` cells wide, within ``height`` lines if it can:
        each job's label, then its numbers; a blank line between jobs while there is room."""
        runs, metric = self.runs, self.metric
        for best, gap in ((True, True), (False, True), (False, False)):
            lines: list[Text] = []
            for index, run in enumerate(runs):
                if gap and index:
                    lines.append(Text())
                lines += legend_entry(run, width, metric=metric, best=best)
            if len(lines) <= height:
                return lines
        # One line a job: its colour, label and latest training value.
        short = []
        for run in runs:
            line = _swatch(run)
            numbers = legend_numbers(run, metric, best=False)
            value = numbers[1][0] if len(numbers) > 1 else numbers[0][0]
            line.append(_label(run, width - INDENT - 2 - cell_len(value)))
            line.append("  " + value)
            short.append(line)
        if len(short) > height >= 1:
            more = Text(f"+{len(runs) - height + 1} more", style="dim")
            short = [*short[: height - 1], more]
        return short

    def beside_width(self) -> int:
        """Cells the legend takes beside the plot (its padding too): its widest line, label or
        numbers on one line, up to :data:`BESIDE_MAX`."""
        widest = 0
        for run in self.runs:
            numbers = legend_numbers(run, self.metric, best=False)
            widest = max(
                widest,
                INDENT + cell_len(one_line(run.label)),
                INDENT + cell_len("  ".join(words for words, _ in numbers)),
            )
        return min(BESIDE_MAX, widest) + 2

    def render(self) -> RenderResult:
        width = self.content_region.width or 10_000
        if self.beside:
            lines = self.beside_lines(width, self.content_region.height or 10_000)
        else:
            lines = self.lines(width)
        return Text("\n").join(lines)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.runs))


class CompareScreen(Screen[None]):
    """Overlay the loss of several jobs: ``series_by_job`` maps job id -> (label, series)."""

    DEFAULT_CSS = """
    CompareScreen {
        layout: vertical;
        background: $surface;
    }
    CompareScreen #compare-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
        background: $panel;
    }
    CompareScreen #compare-note {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    CompareScreen #compare-body {
        height: 1fr;
        layout: vertical;
    }
    CompareScreen #compare-body.-beside {
        layout: horizontal;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle_validation", "validation", id="compare.validation"),
        Binding("x", "toggle_axis", "step/%", id="compare.axis"),
        Binding("escape", "close", "close", id="compare.close"),
        Binding("q", "close", "close", show=False),
        HELP_BINDING,
    ]

    class SourceChanged(Message):
        """The engine published changes (posted from its listener, handled in order)."""

        def __init__(self, changes: Sequence[Change]) -> None:
            super().__init__()
            self.changes = changes

    def __init__(
        self,
        series_by_job: Mapping[str, tuple[str, MetricSeries]],
        source: SeriesSource | None = None,
    ) -> None:
        super().__init__()
        self.runs = [
            Run(job_id, label or job_id, series, PALETTE[index % len(PALETTE)])
            for index, (job_id, (label, series)) in enumerate(series_by_job.items())
        ]
        self.chart = CompareChart(self.runs, id="compare-chart")
        self.legend = CompareLegend(self.runs, id="compare-legend")
        self.source = source
        self._unsubscribe: Callable[[], None] | None = None
        #: Redraws done because a compared job's metrics changed (tests read it).
        self.updates = 0
        #: Where the legend is now: (beside, its width beside) or (False, 0).
        self._placed: tuple[bool, int] | None = None

    def title_text(self) -> str:
        """What is compared and against what: the x axis the plot shows now."""
        count = len(self.runs)
        metric = self.chart.metric[0] if self.chart.metric else "no metric in common"
        axis = "% of run" if self.chart.by_fraction else "step"
        return f"Compare runs · {count} job{'s' if count != 1 else ''} · {metric} against {axis}"

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text(), no_wrap=True, overflow="ellipsis"), id="compare-title")
        note = Static(Text(self._note()), id="compare-note")
        note.display = bool(self._note())
        yield note
        with Container(id="compare-body"):
            yield self.chart
            yield self.legend
        yield HintFooter()

    def place_legend(self) -> None:
        """The legend beside the plot when the plot keeps :data:`PLOT_MIN_BESIDE` cells next to
        it, else under it."""
        width = self.app.size.width
        legend_width = self.legend.beside_width()
        beside = width - legend_width >= PLOT_MIN_BESIDE
        placed = (beside, legend_width if beside else 0)
        if placed == self._placed:
            return
        self._placed = placed
        self.legend.beside = beside
        self.legend.set_class(beside, "-beside")
        self.query_one("#compare-body").set_class(beside, "-beside")
        self.legend.styles.width = legend_width if beside else "1fr"
        self.legend.refresh(layout=True)

    def on_resize(self, event: Resize) -> None:
        self.place_legend()

    def on_mount(self) -> None:
        self.place_legend()
        if self.source is not None:
            self._unsubscribe = self.source.subscribe(self._on_source_changes)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()  # a closed screen must not be kept by the engine
            self._unsubscribe = None

    def _on_source_changes(self, changes: list[Change]) -> None:
        """Called by the engine (same event loop): hand the batch to the message queue."""
        if any(isinstance(c, MetricsChanged) for c in changes):
            self.post_message(self.SourceChanged(list(changes)))

    def on_compare_screen_source_changed(self, message: SourceChanged) -> None:
        changed = {c.job_id for c in message.changes if isinstance(c, MetricsChanged)}
        if self.source is None or not changed:
            return
        grew = False
        for index, run in enumerate(self.runs):
            if run.job_id not in changed or not self.source.is_loaded(run.job_id):
                continue
            newer = self.source.series(run.job_id)
            if newer is run.series:
                grew = True  # the engine's own series, grown in place
            else:
                self.runs[index] = replace(run, series=followed(run.series, newer))
                grew = True
        if grew:
            self._redraw()

    def _redraw(self) -> None:
        """The plot, the legend, the title and the note again, from the runs' series now."""
        self.updates += 1
        metric = common_metric([run.series for run in self.runs])
        self.chart.metric = metric
        self.legend.metric = metric
        self.chart.refresh()
        self.legend.refresh()
        self.place_legend()  # a longer step count may widen the legend
        self._show_title()
        note = self.query_one("#compare-note", Static)
        text = self._note()
        note.update(Text(text))
        note.display = bool(text)

    def _show_title(self) -> None:
        title = Text(self.title_text(), no_wrap=True, overflow="ellipsis")
        self.query_one("#compare-title", Static).update(title)

    def _note(self) -> str:
        if len(self.runs) < 2:
            return "Select two or more jobs to compare; showing what there is."
        if not any(len(run.series) for run in self.runs):
            return "None of these jobs has metrics yet."
        if self.chart.metric is None:
            return (
                "These jobs have no metric in common: loss for supervised and DPO jobs, mean "
                "reward for reinforcement. Mark jobs of one kind to compare them."
            )
        return ""

    def action_toggle_validation(self) -> None:
        self.chart.show_validation = not self.chart.show_validation
        self.chart.refresh()

    def action_toggle_axis(self) -> None:
        self.chart.by_fraction = not self.chart.by_fraction
        self.chart.refresh()
        self._show_title()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        open_help(self)
