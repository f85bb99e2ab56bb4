"""The quick paths of the metrics view and the event log give what the plain ones gave.

A 100k-step run and a 5,000-event history are read through shortcuts (built-in passes instead
of a Python call per point, columns read as arrays and only when a chart is drawn, printable
ASCII taken as it is); these tests pin that the result is the same and that hidden charts read
nothing.
"""

from __future__ import annotations

import math
import random
from array import array

import pytest
from support.simkit import SIM_START
from textual.app import App, ComposeResult
from textual.containers import Container

from ftmon.api.models import FineTuningJobEvent
from ftmon.monitor.series import MetricSeries
from ftmon.present.plot import (
    PLOT_STEP_LIMIT,
    Curves,
    downsample,
    downsample_column,
    plottable,
    plottable_column,
)
from ftmon.tui.widgets.event_log import EventLog, event_line
from ftmon.tui.widgets.metrics import MetricsView

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


def random_series(rng: random.Random) -> MetricSeries:
    """Steps in any order, each metric at some of them; ties, signed zeros, huge values/steps."""
    series = MetricSeries()
    count = rng.choice([0, 1, 2, 5, 50, 300, 2_000])
    steps = rng.sample(range(-50, 10 * count + 50), count) if count else []
    if rng.random() < 0.3:  # steps no plot can place
        steps += [PLOT_STEP_LIMIT + 1, -PLOT_STEP_LIMIT - 7, 2**63 - 1, -(2**63)]
    presence = {name: rng.choice([0.0, 0.02, 0.3, 1.0, 1.0]) for name in ("loss", "valid_loss")}
    odd = rng.choice([[], [1e101, -1e300], [1e100, -1e100, 1e308]])
    for step in steps:
        values = {}
        for name, share in presence.items():
            if rng.random() < share:
                if odd and rng.random() < 0.05:
                    values[name] = rng.choice(odd)
                elif rng.random() < 0.3:
                    values[name] = rng.choice([0.0, -0.0, 1.0, 2.0])  # ties
                else:
                    values[name] = rng.gauss(1, 1)
        series.add(step, values or {"train_accuracy": 0.5})
    return series


@pytest.mark.parametrize("seed", range(6))
def test_curves_from_the_arrays_are_the_curves_from_the_column(seed: int) -> None:
    """The plot's path (array copies, cleaned and downsampled in passes) against the old one
    (``plottable(series.column(name))`` then ``downsample``), on random series."""
    rng = random.Random(seed)
    for _ in range(60):
        series = random_series(rng)
        curves = Curves(series)
        for name in ("train_loss", "valid_loss", "train_accuracy", "full_valid_loss"):
            points = plottable(series.column(name))
            column = plottable_column(*series.arrays(name))
            assert list(zip(*column, strict=True)) == points
            assert curves.column(name) == column
            assert curves.last(name) == (points[-1][1] if points else None)
            for buckets in (0, 1, 2, 3, 7, 40, 78, 256, rng.randint(1, 400)):
                assert downsample_column(column, buckets) == downsample(points, buckets)


def test_a_column_with_infinities_or_only_gaps_is_cleaned_like_the_points() -> None:
    """Arrays the series itself never holds (it refuses infinities), cleaned all the same."""
    nan, inf = math.nan, math.inf
    for values in (
        [1.0, inf, 2.0, nan, -inf, 3.0],
        [nan, nan, nan],
        [inf, -inf],
        [1e300, 1e300, 1e300, 1e300],  # finite, but the sum overflows
        [nan] * 20 + [inf, 1.0, -1e200] + [nan] * 20,  # a few points among gaps
        [2.0] * 30 + [nan, -inf] + [3.0] * 30,  # gaps among many points
        [],
    ):
        steps = array("q", range(len(values)))
        points = [(s, v) for s, v in zip(steps, values, strict=True) if v == v]
        column = plottable_column(steps, array("d", values))
        assert list(zip(*column, strict=True)) == plottable(points)


def test_the_point_by_point_definition_of_downsample_holds_for_columns() -> None:
    rng = random.Random(11)
    for _ in range(200):
        points = random_points(rng, rng.randint(0, 700))
        column = plottable_column(
            array("q", [s for s, _ in points]), array("d", [v for _, v in points])
        )
        buckets = rng.randint(0, 120)
        assert downsample_column(column, buckets) == plain_downsample(points, buckets)


def test_event_lines_are_cleaned_folded_and_cut() -> None:
    """The event log takes ``one_line``'s quick path (see tests/test_text_fast_path.py)."""
    event = FineTuningJobEvent(
        id="ev", created_at=SIM_START, level=" WARN\x1b[0m ", message="a  b\u202e\tc " * 400
    )
    line = event_line(event)
    assert line.level == "warn[0m"
    assert line.message.startswith("a b c a b c") and len(line.message) == 2_000
    assert line.message.endswith("…") and "\u202e" not in line.message


class CountingSeries(MetricSeries):
    """A series that counts which columns were read (whole, as tuples or as arrays)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def column(self, name: str) -> list[tuple[int, float]]:
        self.reads.append(name)
        return super().column(name)

    def arrays(self, name: str) -> tuple[array[int], array[float]]:
        self.reads.append(name)
        return super().arrays(name)


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
            id=f"ev-{i}", created_at=SIM_START + i, level="info", message=f"Step {i}/999"
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


async def test_a_value_corrected_in_place_is_drawn() -> None:
    """The same series object with one earlier step corrected: same length, same latest step,
    but a new version, so the chart reads it again."""
    app = HiddenHost()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MetricsView)
        app.query_one("#holder").set_class(False, "-hidden")
        series = counting_series(50)
        view.update_series(series)
        await pilot.pause()
        assert (1, 2.0) in view.loss_chart.plotted("train_loss")
        series.add(1, {"train_loss": 5.0})
        view.update_series(series)
        await pilot.pause()
        drawn = view.loss_chart.plotted("train_loss")
        assert (1, 5.0) in drawn and (1, 2.0) not in drawn
