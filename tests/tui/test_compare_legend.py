"""Compare's legend sits beside the plot (issue 15): a column right of the plot when the screen is
wide enough for the plot to keep :data:`PLOT_MIN_BESIDE` cells, else lines under it (80
columns); never over the curves; each job's colour, label (cut in its middle) and latest value.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_compare import Host, run_series
from tuikit import screen_text

from ftmon.monitor.series import MetricSeries
from ftmon.tui.screens.compare import PLOT_MIN_BESIDE, CompareLegend, CompareScreen

NARROW = (80, 24)
WIDE = (160, 48)
#: Labels as the app makes them (suffix, then the job id), two of one suffix.
LABELS = (
    "support-bot-v3 · ftjob-Qw8rT2mZpL4kV9xN1cB7dY3s",
    "faq-bot · ftjob-Hn5jK8pR2wX6zC1vB9mL4tQe",
    "support-bot-v3 · ftjob-Zp3mW7qT1kR9xV5nB2cL8dYa",
    "legal-summarizer-long-suffix · ftjob-Ab12Cd34Ef56Gh78Ij90Kl12",
)


def jobs(count: int) -> dict[str, tuple[str, MetricSeries]]:
    shapes = [(300, 2.2, 0.2, 300), (200, 2.6, 0.35, 240), (260, 2.0, 0.3, 300), (120, 1.8, 0.5)]
    out = {}
    for index in range(count):
        steps, scale, floor, *total = shapes[index]
        label = LABELS[index]
        series = run_series(steps, scale, floor, total=total[0] if total else None)
        out[label.rsplit(" ", 1)[-1]] = (label, series)
    return out


async def opened(pilot: Any) -> CompareScreen:
    for _ in range(3):
        await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def region_text(app: Any, region: Any) -> list[str]:
    lines = screen_text(app).splitlines()
    return [line[region.x : region.right] for line in lines[region.y : region.bottom]]


@pytest.mark.parametrize("count", [2, 4])
@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x48"])
async def test_the_legend_is_beside_or_under_the_plot_never_over_it(
    size: tuple[int, int], count: int
) -> None:
    app = Host(jobs(count))
    async with app.run_test(size=size) as pilot:
        screen = await opened(pilot)
        chart = screen.chart.region
        legend_widget = screen.query_one(CompareLegend)
        legend = legend_widget.region
        assert not chart.overlaps(legend), (chart, legend)
        if size == WIDE:  # a column right of the plot, as tall as it
            assert legend_widget.beside
            assert legend.x >= chart.right and legend.y == chart.y
            assert chart.width >= PLOT_MIN_BESIDE
        else:  # 80 columns: a line a job under the plot, the plot as wide as the screen
            assert not legend_widget.beside
            assert legend.y >= chart.bottom and legend.height == count
            assert chart.width == size[0]
        # Every job's label is there, told apart from the others; none over the curves.
        shown = "\n".join(region_text(app, legend))
        drawn = "\n".join(region_text(app, chart))
        for job, (label, _) in app.jobs.items():
            suffix = label.split(" · ")[0]
            assert suffix[:14] in shown, (suffix, shown)
            assert job[-4:] in shown, (job, shown)  # the id's end: two of one suffix differ
            assert suffix[:8] not in drawn
        assert legend.right <= size[0] and legend.bottom <= size[1] - 1  # above the footer


async def test_each_job_in_the_legend_has_its_colour_label_and_latest_value() -> None:
    app = Host(jobs(4))
    async with app.run_test(size=WIDE) as pilot:
        screen = await opened(pilot)
        legend = screen.query_one(CompareLegend)
        text = legend.render()
        entries = str(text).split("\n\n")
        assert len(entries) == 4
        for run, entry in zip(screen.runs, entries, strict=True):
            label_line, numbers = entry.split("\n", 1)
            last = run.series.column("train_loss")[-1][1]
            assert f"train {last:.4f}" in numbers
            assert label_line.startswith("━━ ")
            assert len(label_line) <= legend.content_region.width
        # The swatch is drawn in the job's colour (its curve's), the label in the text's.
        colours = {
            span.style.color.triplet  # type: ignore[union-attr]
            for span in text.spans
            if span.style and getattr(span.style, "color", None)
        }
        assert {tuple(run.color) for run in screen.runs} <= {tuple(c) for c in colours if c}


async def test_the_legend_moves_under_the_plot_when_the_terminal_narrows() -> None:
    app = Host(jobs(3))
    async with app.run_test(size=WIDE) as pilot:
        screen = await opened(pilot)
        legend = screen.query_one(CompareLegend)
        assert legend.beside
        await pilot.resize_terminal(*NARROW)
        await opened(pilot)
        assert not legend.beside and legend.region.y >= screen.chart.region.bottom
        assert screen.chart.region.width == NARROW[0]
        await pilot.resize_terminal(*WIDE)
        await opened(pilot)
        assert legend.beside and legend.region.x >= screen.chart.region.right


def test_beside_many_jobs_fit_the_height_a_line_each_at_the_least() -> None:
    runs = CompareScreen(jobs(4)).runs * 2  # eight jobs
    legend = CompareLegend(runs)
    roomy = legend.beside_lines(40, 100)
    assert len(roomy) == 8 * 4 - 1  # label, numbers, best value, a blank line between
    tight = legend.beside_lines(40, 12)
    assert len(tight) <= 12
    assert all(line.cell_len <= 40 for line in tight)
    assert sum(line.plain.startswith("━━ ") for line in tight) == 8  # every job still there
    cramped = legend.beside_lines(40, 5)
    assert len(cramped) == 5 and cramped[-1].plain == "+4 more"


def test_a_long_label_is_cut_in_its_middle() -> None:
    legend = CompareLegend(CompareScreen(jobs(4)).runs)
    first = legend.beside_lines(30, 100)[-4].plain  # the fourth job's label line
    assert first.startswith("━━ legal-summ") and "…" in first
    assert first.endswith("l12") and len(first) == 30


def test_snapshot_beside_160x48(snap_compare: Any) -> None:
    assert snap_compare(Host(jobs(4)), terminal_size=WIDE)


def test_snapshot_under_80x24(snap_compare: Any) -> None:
    assert snap_compare(Host(jobs(4)), terminal_size=NARROW)
