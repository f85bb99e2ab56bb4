"""CompareScreen: several jobs' loss in one plot, a legend per job, keys to adjust, esc closes."""

from __future__ import annotations

import math

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from ftmon.monitor.series import MetricSeries
from ftmon.tui.screens.compare import CompareChart, CompareLegend, CompareScreen
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.widgets.hint_footer import HintFooter
from ftmon.tui.widgets.scrolling import KeyScroll


def run_series(steps: int, scale: float, floor: float, *, total: int | None, valid: bool = True):
    series = MetricSeries()
    series.total_steps = total
    for step in range(1, steps + 1):
        values = {"train_loss": scale * math.exp(-3 * step / steps) + floor}
        if valid and step % 10 == 0:
            values["valid_loss"] = scale * math.exp(-2.6 * step / steps) + floor + 0.1
        series.add(step, values)
    return series


def three_jobs() -> dict[str, tuple[str, MetricSeries]]:
    return {
        "ftjob-a": ("ftjob-a (support-bot-v3)", run_series(300, 2.2, 0.2, total=300)),
        "ftjob-b": ("ftjob-b (faq-[/bold]bot)", run_series(200, 2.6, 0.35, total=240)),
        "ftjob-c": ("ftjob-c", run_series(120, 1.8, 0.5, total=None, valid=False)),
    }


class Host(App[None]):
    def __init__(self, jobs: dict[str, tuple[str, MetricSeries]]) -> None:
        super().__init__()
        self.jobs = jobs
        self.closed = False

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(CompareScreen(self.jobs), lambda _: setattr(self, "closed", True))


async def opened(pilot) -> CompareScreen:
    await pilot.pause()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def legend_text(screen: CompareScreen) -> list[str]:
    return str(screen.query_one(CompareLegend).render()).splitlines()


def legend_entries(screen: CompareScreen) -> list[str]:
    """The legend beside the plot, a job's lines (label, then numbers) each as one string."""
    text = str(screen.query_one(CompareLegend).render())
    return [" ".join(entry.split()) for entry in text.split("\n\n")]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_every_job_is_one_colour_with_its_last_values(size: tuple[int, int]) -> None:
    app = Host(three_jobs())
    async with app.run_test(size=size) as pilot:
        screen = await opened(pilot)
        # Under the plot a line a job; beside it the job's label, then its numbers.
        lines = legend_text(screen) if size[0] == 80 else legend_entries(screen)
        assert len(lines) == 3
        assert "ftjob-a (support-bot-v3)" in lines[0] and "step 300/300" in lines[0]
        last = app.jobs["ftjob-a"][1].column("train_loss")[-1][1]
        assert f"train {last:.4f}" in lines[0]
        assert ("best valid" in lines[0]) == (size[0] > 80)  # room for it at 160 only
        assert "ftjob-b (faq-[/bold]bot)" in lines[1]  # markup in a suffix stays text
        assert "step 120" in lines[2] and "valid" not in lines[2]
        colours = {run.color for run in screen.runs}
        assert len(colours) == 3
        drawn = {(name, run.job_id) for name, run, _ in screen.chart.curves()}
        assert drawn == {
            ("train_loss", "ftjob-a"),
            ("valid_loss", "ftjob-a"),
            ("train_loss", "ftjob-b"),
            ("valid_loss", "ftjob-b"),
            ("train_loss", "ftjob-c"),
        }


async def test_the_legend_fits_a_narrow_screen() -> None:
    app = Host(three_jobs())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        legend = screen.query_one(CompareLegend)
        assert legend.region.height == 3
        assert all(len(line) <= legend.content_region.width for line in legend_text(screen))
        assert screen.chart.region.height >= 12


async def test_v_hides_validation_and_x_switches_to_percent_of_the_run() -> None:
    app = Host(three_jobs())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await opened(pilot)
        chart = screen.query_one(CompareChart)
        await pilot.press("v")
        assert {name for name, _, _ in chart.curves()} == {"train_loss"}
        await pilot.press("v")
        assert "valid_loss" in {name for name, _, _ in chart.curves()}
        await pilot.press("x")
        ends = {
            run.job_id: points[-1][0]
            for name, run, points in chart.curves()
            if name == "train_loss"
        }
        # 300/300 ends at 100 %, 200/240 at 83 %, a run with no known total at its last step
        assert ends["ftjob-a"] == 100.0
        assert round(ends["ftjob-b"], 1) == 83.3
        assert ends["ftjob-c"] == 100.0


async def test_one_job_or_no_metrics_says_so() -> None:
    app = Host({"ftjob-a": ("ftjob-a", MetricSeries())})
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        note = str(screen.query_one("#compare-note", Static).render())
        assert "two or more jobs" in note
        assert "no metrics yet" in legend_text(screen)[0]
        assert screen.chart.curves() == []


async def test_escape_closes() -> None:
    app = Host(three_jobs())
    async with app.run_test() as pilot:
        await opened(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.closed and not isinstance(app.screen, CompareScreen)


async def test_question_mark_opens_help_at_compares_keys_and_esc_comes_back() -> None:
    """On its own (no main screen under it) too: help lists the other screens' keys."""
    app = Host(three_jobs())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert screen.query_one(HintFooter).shown[-1] == "? help"
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        box = help_screen.query_one(KeyScroll)
        heading = next(s for s in help_screen.query(Static) if str(s.content) == "Compare runs")
        assert box.scroll_y > 0
        # At the top of the box (under the blank line a title has over it).
        assert heading.region.y - box.scrollable_content_region.y in (0, 1)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


def test_snapshot_80x24(snap_compare) -> None:
    assert snap_compare(Host(three_jobs()), terminal_size=(80, 24))


def test_snapshot_160x48(snap_compare) -> None:
    assert snap_compare(Host(three_jobs()), terminal_size=(160, 48))


async def test_a_loss_too_large_to_plot_is_left_out_not_fatal() -> None:
    """M1 for the compare screen: a loss near the largest float overflowed plotext's scaling."""
    jobs = three_jobs()
    _, spiky = jobs["ftjob-a"]
    spiky.add(150, {"train_loss": 1e308})
    spiky.add(160, {"train_loss": -1e308})
    app = Host(jobs)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await opened(pilot)
        await pilot.pause()
        assert app.is_running and app.screen is screen
        drawn = {
            run.job_id: points
            for name, run, points in screen.chart.curves()
            if name == "train_loss"
        }
        assert drawn["ftjob-a"] and all(abs(v) < 1e300 for _, v in drawn["ftjob-a"])
        assert len(drawn) == 3
