"""The quick paths of the metrics view and the event log give what the plain ones gave.

A 100k-step run and a 5,000-event history are read through shortcuts (built-in passes instead
of a Python call per point, columns read only when a chart is drawn, printable ASCII taken as
it is); these tests pin that the result is the same and that hidden charts read nothing.
"""

from __future__ import annotations

import math
import random

import pytest
from textual.app import App, ComposeResult
from textual.containers import Container

from ftmon.api.models import FineTuningJobEvent
from ftmon.monitor.series import MetricSeries
from ftmon.text import one_line
from ftmon.tui.widgets.event_log import MESSAGE_LIMIT, EventLog, _one_line
from ftmon.tui.widgets.metrics import MetricsView, downsample, plottable

Point = tuple[int, float]


def plain_downsample(points: list[Point], buckets: int) -> list[Point]:
    """The definition: first, last, and per bucket the first lowest and first highest point."""
    if buckets < 1 or len(points) <= 2 * buckets + 2:
        return list(points)
    inner = points[1:-1]
    size = len(inner) / buckets
    out = [points[0]]
    for bucket in range(buckets):
        chunk = inner[int(bucket * size) : int((bucket + 1) * size)]
        if chunk:
            low = min(chunk, key=lambda p: p[1])
            high = max(chunk, key=lambda p: p[1])
            out.extend(sorted({low, high}))
    out.append(points[-1])
    return out


def plain_plottable(points: list[Point]) -> list[Point]:
    return [(s, v) for s, v in points if abs(s) <= 10**15 and math.isfinite(v) and abs(v) <= 1e100]


def random_points(rng: random.Random, count: int) -> list[Point]:
    kind = rng.random()
    points = []
    for step in range(count):
        if kind < 0.3:
            value = float(rng.randint(0, 3))  # many ties
        elif kind < 0.4:
            value = rng.choice([0.0, -0.0, 1.0, -1.0])
        else:
            value = rng.gauss(0, 1)
        points.append((step, value))
    return points


@pytest.mark.parametrize("seed", range(5))
def test_downsample_keeps_the_same_points_as_the_definition(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        points = random_points(rng, rng.randint(0, 700))
        buckets = rng.randint(0, 120)
        assert downsample(points, buckets) == plain_downsample(points, buckets)


def test_plottable_drops_what_cannot_be_drawn_and_keeps_the_rest() -> None:
    rng = random.Random(7)
    good = random_points(rng, 500)
    assert plottable(good) == good
    assert plottable([]) == []
    for bad in (math.inf, -math.inf, 1e308, -1e200):
        points = [*good[:100], (100, bad), *good[101:]]
        assert plottable(points) == plain_plottable(points)
        assert (100, bad) not in plottable(points)
    points = [(1, math.nan), (2, 0.5), (10**16, 0.4), (-(10**16), 0.3), (3, 0.2)]
    assert plottable(points) == [(2, 0.5), (3, 0.2)]
    # Finite values whose sum overflows are still each checked (and these are fine).
    big = [(step, 1e100) for step in range(10)]
    assert plottable(big) == big


@pytest.mark.parametrize(
    "text",
    [
        "Step 10/100: training loss=1.23",
        "  padded  and  spaced  ",
        "x" * 3000,
        "y " * 1500,
        "z" * 10_001,
        "tab\there",
        "line\nbreak",
        "esc \x1b[31mred\x1b[0m",
        "wide 日本語 and bidi \u202eevil",
        "",
        " ",
        None,
        42,
    ],
)
def test_quick_one_line_is_one_line(text: object) -> None:
    assert _one_line(text, MESSAGE_LIMIT) == one_line(text, width=MESSAGE_LIMIT)
    assert _one_line(text, 8) == one_line(text, width=8)


class CountingSeries(MetricSeries):
    """A series that counts which columns were read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def column(self, name: str) -> list[tuple[int, float]]:
        self.reads.append(name)
        return super().column(name)


def counting_series(steps: int) -> CountingSeries:
    series = CountingSeries()
    series.total_steps = steps
    for step in range(1, steps + 1):
        series.add(
            step,
            {
                "train_loss": 2.0 / step,
                "valid_loss": 2.1 / step,
                "train_mean_token_accuracy": 1 - 1 / step,
                "valid_mean_token_accuracy": 1 - 1.1 / step,
            },
        )
    return series


class HiddenHost(App[None]):
    CSS = "#holder.-hidden { display: none; }"

    def compose(self) -> ComposeResult:
        with Container(id="holder", classes="-hidden"):
            yield MetricsView()


async def test_charts_off_screen_read_no_column_and_draw_once_shown() -> None:
    app = HiddenHost()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MetricsView)
        series = counting_series(2_000)
        view.update_series(series)
        await pilot.pause()
        assert series.reads == []  # the legend took the latest step's values
        app.query_one("#holder").set_class(False, "-hidden")
        await pilot.pause()
        await pilot.pause()
        assert view.mode == "plot"
        assert "train_loss" in series.reads and "valid_loss" in series.reads
        drawn = view.loss_chart.plotted("train_loss")
        assert len(drawn) <= 2 * view.loss_chart.size.width + 2
        assert drawn[-1] == (2_000, 2.0 / 2_000)
        # Drawing again at the same width reads nothing again.
        reads = len(series.reads)
        view.loss_chart.refresh()
        await pilot.pause()
        assert len(series.reads) == reads


def log_events(count: int, start: int = 0) -> list[FineTuningJobEvent]:
    return [
        FineTuningJobEvent(
            id=f"ev-{i}", created_at=1_780_000_000 + i, level="info", message=f"Step {i}/999"
        )
        for i in range(start, start + count)
    ]


class LogHost(App[None]):
    CSS = "EventLog { height: 8; }"

    def compose(self) -> ComposeResult:
        yield EventLog(max_lines=30)


async def test_one_line_at_a_time_the_log_grows_its_scrollbar_and_follows() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", [])
        await pilot.pause()
        for i in range(40):
            assert log.append("job", log_events(1, i)) == 1
            await pilot.pause()
            shown = [log.render_line(y).text for y in range(log.scrollable_content_region.height)]
            assert any(f"Step {i}/999" in text for text in shown)
            assert log.virtual_size.height == min(i + 1, 30)
            assert log.show_vertical_scrollbar == (i + 1 > 8)
            assert log.scroll_y == log.max_scroll_y
        bar = log.vertical_scrollbar
        assert bar.window_virtual_size == 30 and bar.position == log.scroll_y


async def test_reading_further_up_stays_put_while_lines_arrive() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", log_events(20))
        await pilot.pause()
        log.action_first()
        await pilot.pause()
        assert not log.follow
        log.append("job", log_events(3, 20))
        await pilot.pause()
        assert log.scroll_y == 0 and log.render_line(0).text.find("Step 0/999") >= 0
        assert log.vertical_scrollbar.window_virtual_size == 23
        log.action_last()
        await pilot.pause()
        assert log.follow and "Step 22/999" in log.render_line(7).text
