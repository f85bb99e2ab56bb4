"""MetricsView: plots with axes at every size, words when tiny, no repaint without new data."""

from __future__ import annotations

import math

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget

from ftmon.monitor.series import MetricSeries
from ftmon.present.plot import downsample
from ftmon.tui.widgets.metrics import MetricLegend, MetricsView


def seeded_series(steps: int = 300, total: int | None = 300) -> MetricSeries:
    """A deterministic run: decaying loss, validation every 10 steps, full validation every 100."""
    series = MetricSeries()
    series.total_steps = total
    scale = total or steps
    for step in range(1, steps + 1):
        t = step / scale
        values = {
            "train_loss": 2.2 * math.exp(-4 * t) + 0.15 + 0.03 * math.sin(step * 0.7),
            "train_mean_token_accuracy": 0.55
            + 0.4 * (1 - math.exp(-4 * t))
            + 0.01 * math.sin(step * 0.5),
        }
        if step % 10 == 0:
            values["valid_loss"] = 2.3 * math.exp(-3.5 * t) + 0.25
            values["valid_mean_token_accuracy"] = 0.5 + 0.38 * (1 - math.exp(-3.5 * t))
        if step % 100 == 0:
            values["full_valid_loss"] = 2.3 * math.exp(-3.5 * t) + 0.28
            values["full_valid_mean_token_accuracy"] = 0.5 + 0.37 * (1 - math.exp(-3.5 * t))
        series.add(step, values)
    return series


class Host(App[None]):
    """A tiny app holding one MetricsView, fed on mount."""

    def __init__(self, series: MetricSeries | None = None, title: str = "") -> None:
        super().__init__()
        self.series = series
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield MetricsView()

    def on_mount(self) -> None:
        view = self.query_one(MetricsView)
        view.update_series(self.series, title=self.title_text)
        view.focus()


def legend_text(view: MetricsView) -> str:
    return str(view.query_one(MetricLegend).render())


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("series", [None, MetricSeries()], ids=["none", "empty"])
async def test_empty_state_says_no_metrics_yet(series) -> None:
    app = Host(series)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        assert view.mode == "empty"
        empty = view.query_one("#metrics-empty")
        assert empty.display and empty.region.height > 0
        assert str(empty.render()) == "no metrics yet"
        assert view.query_one("#metrics-plots").region.height == 0


async def test_plot_mode_when_there_is_room() -> None:
    app = Host(seeded_series(), title="ftjob-abc")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        assert view.mode == "plot"
        assert view.loss_chart.region.height >= 15
        assert not view.query_one("#metrics-empty").display or (
            view.query_one("#metrics-empty").region.height == 0
        )
        text = legend_text(view)
        assert "step 300/300" in text
        assert "0.2" in text and "valid" in text and "full valid" in text


async def test_a_small_plot_keeps_its_axes_and_words_when_tiny() -> None:
    series = seeded_series()
    latest_train = series.column("train_loss")[-1][1]
    app = Host(series)
    async with app.run_test(size=(36, 9)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        assert view.mode == "plot" and view.loss_chart.region.height >= 5
        assert f"{latest_train:.4f}" in legend_text(view)
        assert legend_text(view).startswith("loss · step 300/300")  # no room for its title
        await pilot.resize_terminal(20, 5)
        await settle(pilot)
        assert view.mode == "compact"
        assert view.loss_chart.region.height == 0
        assert f"{latest_train:.4f}" in legend_text(view)


async def test_resize_switches_between_plot_and_words() -> None:
    app = Host(seeded_series())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        assert view.mode == "plot"
        await pilot.resize_terminal(20, 5)
        await settle(pilot)
        assert view.mode == "compact"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert view.mode == "plot"


async def test_a_swaps_loss_and_accuracy_when_only_one_fits() -> None:
    app = Host(seeded_series())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        assert view.loss_chart.display and not view.accuracy_chart.display
        await pilot.press("a")
        await settle(pilot)
        assert view.accuracy_chart.display and not view.loss_chart.display
        assert "acc" in legend_text(view)
        await pilot.press("a")
        await settle(pilot)
        assert view.loss_chart.display


async def test_both_plots_side_by_side_when_wide() -> None:
    app = Host(seeded_series())
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        loss, acc = view.loss_chart.region, view.accuracy_chart.region
        assert loss.height > 20 and acc.height > 20
        assert acc.x >= loss.right  # next to each other, not stacked


async def test_same_data_does_not_repaint() -> None:
    app = Host(seeded_series(200))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        calls: list[str] = []
        widgets: list[Widget] = [view, *view.walk_children(Widget)]
        for widget in widgets:
            original = widget.refresh

            def counting(*args, _original=original, _widget=widget, **kwargs):
                calls.append(type(_widget).__name__)
                return _original(*args, **kwargs)

            widget.refresh = counting  # type: ignore[method-assign]
        # A poll that learnt nothing: same content, even in a new object.
        view.update_series(seeded_series(200))
        view.update_series(app.series)
        await settle(pilot)
        assert calls == []
        # One new step does repaint, so the counter above can see repaints.
        grown = seeded_series(201)
        view.update_series(grown)
        await settle(pilot)
        assert "MetricChart" in calls


async def test_a_changed_last_value_repaints() -> None:
    series = seeded_series(50)
    app = Host(series)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.query_one(MetricsView)
        series.add(50, {"valid_loss": 9.5})  # a late validation number for the last step
        view.update_series(series)
        await settle(pilot)
        assert "9.5000" in legend_text(view)


async def test_title_is_plain_text() -> None:
    app = Host(seeded_series(20), title="ftjob-1 [/bold] [@click=app.quit]x[/]\x1b[2J")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = str(app.query_one("#metrics-title").render())
        assert shown == "ftjob-1 [/bold] [@click=app.quit]x[/][2J"
        assert app.is_running


async def test_thousands_of_steps_plot_at_most_two_points_per_column() -> None:
    series = seeded_series(20_000, total=20_000)
    app = Host(series)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = app.query_one(MetricsView).loss_chart
        drawn = chart.plotted("train_loss")
        full = series.column("train_loss")
        assert len(drawn) <= 2 * chart.size.width + 2
        assert drawn[0] == full[0] and drawn[-1] == full[-1]


def test_downsample_keeps_first_last_and_extremes() -> None:
    points = [(step, 1.0) for step in range(10_000)]
    points[5_000] = (5_000, 50.0)  # a loss spike
    points[7_000] = (7_000, -3.0)
    out = downsample(points, 40)
    assert len(out) <= 82
    assert out[0] == points[0] and out[-1] == points[-1]
    assert (5_000, 50.0) in out and (7_000, -3.0) in out
    assert [s for s, _ in out] == sorted(s for s, _ in out)


def test_downsample_leaves_short_series_alone() -> None:
    points = [(1, 3.0), (2, 2.0), (3, 1.0)]
    assert downsample(points, 40) == points
    assert downsample([], 40) == []


def test_snapshot_80x24(snap_compare) -> None:
    assert snap_compare(Host(seeded_series(), title="ftjob-seeded · demo"), terminal_size=(80, 24))


def test_snapshot_160x48(snap_compare) -> None:
    assert snap_compare(Host(seeded_series(), title="ftjob-seeded · demo"), terminal_size=(160, 48))


def test_snapshot_small_sparkline(snap_compare) -> None:
    assert snap_compare(Host(seeded_series(), title="ftjob-seeded"), terminal_size=(38, 9))
