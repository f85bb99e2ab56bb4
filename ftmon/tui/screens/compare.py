"""Compare runs: the curves of two or more jobs overlaid in one plot, with a legend.

Each job gets one colour: its training curve is a line, its validation points (it is sampled).
Jobs are compared like with like: on loss, or on mean reward when they are all reinforcement
jobs; jobs with no metric in common are said to be so.
``v`` hides or shows validation, ``x`` switches the x axis between step and percent of the run
(runs of different lengths line up), ``esc`` closes. Labels are API text (suffixes): they are
cleaned and handed over as ``Text``, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from ftmon.monitor.series import MetricSeries
from ftmon.present.plot import downsample_column, plottable_column
from ftmon.text import one_line

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

    def x_of(self, run: Run, step: int) -> float:
        if not self.by_fraction:
            return float(step)
        total = run.series.total_steps or (run.series.steps() or [1])[-1] or 1
        return 100.0 * step / total

    def curves(self) -> list[tuple[str, Run, list[tuple[float, float]]]]:
        """``(metric, run, points)`` as drawn now, downsampled to the plot's width."""
        out: list[tuple[str, Run, list[tuple[float, float]]]] = []
        width = max(1, self.size.width)
        if self.metric is None:
            return out
        _, train, valid = self.metric
        names = (train, valid) if self.show_validation else (train,)
        for run in self.runs:
            for name in names:
                # Values plotext cannot scale (a loss near the largest float) are left out.
                column = plottable_column(*run.series.arrays(name))
                points = downsample_column(column, width)
                if points:
                    out.append((name, run, [(self.x_of(run, s), v) for s, v in points]))
        return out

    def render(self) -> RenderResult:
        try:
            return self._render_plot()
        except Exception:  # plotext on data it cannot scale: never take the app down for a plot
            return Text("(these values cannot be plotted)", style="dim")

    def _render_plot(self) -> RenderResult:
        plt = self.plt
        plt.clear_figure()
        plt.xlabel("% of run" if self.by_fraction else "step")
        right = 0.0
        for name, run, points in self.curves():
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            right = max(right, xs[-1])
            if self.metric is not None and name == self.metric[1]:
                label = one_line(run.label, width=LABEL_WIDTH)
                plt.plot(xs, ys, marker="braille", color=run.color, label=label)
            else:  # validation is sampled: its points, not a line
                plt.scatter(xs, ys, marker="•", color=run.color)
        if right > 0:
            plt.xlim(0, 100 if self.by_fraction else right)
        return super().render()


def legend_line(
    run: Run,
    label_width: int,
    *,
    extras: bool = True,
    metric: tuple[str, str, str] | None = COMPARABLE[0],
) -> Text:
    """A job's colour, label, last step, last training and validation value of ``metric``."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("━━ ", style=Style(color=_hex(run.color), bold=True))
    text.append(one_line(run.label, width=label_width).ljust(label_width))
    series = run.series
    if not len(series):
        text.append("  no metrics yet", style="dim")
        return text
    total = f"/{series.total_steps}" if series.total_steps else ""
    text.append(f"  step {series.steps()[-1]}{total}", style="dim")
    if metric is None:
        return text
    words, train_name, valid_name = metric
    train = series.column(train_name)
    valid = series.column(valid_name)
    text.append(f"  train {_fmt(train[-1][1] if train else None)}")
    if valid:
        text.append(f"  valid {_fmt(valid[-1][1])}")
        if extras:
            pick = max if "reward" in words else min
            text.append(f"  best valid {_fmt(pick(v for _, v in valid))}", style="dim")
    return text


class CompareLegend(Widget):
    """One line a job, fitted to the width: shorter labels, then fewer numbers."""

    DEFAULT_CSS = """
    CompareLegend {
        height: auto;
        max-height: 12;
        padding: 0 1;
    }
    """

    def __init__(self, runs: list[Run], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs = runs
        self.metric = common_metric([run.series for run in runs])

    def lines(self, width: int) -> list[Text]:
        longest = max((len(one_line(r.label)) for r in self.runs), default=0)
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

    def render(self) -> RenderResult:
        return Text("\n").join(self.lines(self.content_region.width or 10_000))

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
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle_validation", "Validation", id="compare.validation"),
        Binding("x", "toggle_axis", "Step/%", id="compare.axis"),
        Binding("escape", "close", "Close", id="compare.close"),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, series_by_job: Mapping[str, tuple[str, MetricSeries]]) -> None:
        super().__init__()
        self.runs = [
            Run(job_id, label or job_id, series, PALETTE[index % len(PALETTE)])
            for index, (job_id, (label, series)) in enumerate(series_by_job.items())
        ]
        self.chart = CompareChart(self.runs, id="compare-chart")

    def compose(self) -> ComposeResult:
        count = len(self.runs)
        metric = self.chart.metric[0] if self.chart.metric else "no metric in common"
        title = f"Compare runs · {count} job{'s' if count != 1 else ''} · {metric} against step"
        yield Static(Text(title, no_wrap=True, overflow="ellipsis"), id="compare-title")
        note = Static(Text(self._note()), id="compare-note")
        note.display = bool(self._note())
        yield note
        yield self.chart
        yield CompareLegend(self.runs, id="compare-legend")
        yield Footer()

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

    def action_close(self) -> None:
        self.dismiss(None)
