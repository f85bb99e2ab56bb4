"""Metrics and compare read well (issue 15 point 8), and N copies the source job.

Every plot has a y scale and an x axis of whole steps at 80x24, 120x36 and 160x48; the legend
names only the curves drawn; compare's title follows its x axis, its legend is a pane beside the
plot (never drawn over the curves) and it follows the engine while its jobs run, with no request
of its own. ``N`` fills the form with the source job's method, every hyperparameter the API
reports, grader, files, suffix and seed; the title names the job and the form says what it could
not copy.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from test_compare import Host as CompareHost
from test_compare import run_series, three_jobs
from test_metrics import Host as MetricsHost
from test_metrics import seeded_series
from tuikit import build_app, new_world, poll, screen_text, settle, settle_workers

from ftmon.monitor.series import MetricSeries
from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.compare import CompareLegend, CompareScreen
from ftmon.tui.screens.create import CreateJobScreen
from ftmon.tui.widgets.metrics import MetricsView

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((120, 36), id="120x36"),
    pytest.param((160, 48), id="160x48"),
]
#: A y scale's tick: a number, then the axis.
Y_TICK = re.compile(r"(-?\d+(?:\.\d+)?)┤")


def job_id(world: SimWorld, key: str) -> str:
    return world.highlights[f"job:{key}"]


async def screen_settled(pilot: Any) -> None:
    """A pushed screen's own workers done, then the engine idle."""
    for _ in range(3):
        await pilot.pause()
        for worker in [w for w in pilot.app.workers if w.group != "engine"]:
            await worker.wait()
    await settle(pilot)


def region_lines(app: Any, widget: Any) -> list[str]:
    """The screen's text inside ``widget``'s region, line by line."""
    lines = screen_text(app).splitlines()
    region = widget.region
    return [
        line[region.x : region.right].ljust(region.width)
        for line in lines[region.y : region.bottom]
    ]


def x_tick_labels(lines: list[str]) -> list[str]:
    """The labels under a plotext plot's bottom axis (the line after the one with └)."""
    for index, line in enumerate(lines):
        if "└" in line and index + 1 < len(lines):
            return lines[index + 1].split()
    return []


def y_ticks(lines: list[str]) -> list[float]:
    return [float(value) for line in lines for value in Y_TICK.findall(line)]


# -- the metrics pane at the three sizes ----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_the_metrics_pane_has_axes_and_a_scale_at_every_size(
    size: tuple[int, int],
) -> None:
    world = new_world()
    job = job_id(world, "catalog-long")  # running: 4500 steps
    app = build_app(world, job_id=job)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if size == (80, 24):
            await pilot.press("3")  # the narrow layout's metrics tab
            await settle(pilot)
        view = app.main.metrics_view
        assert view.mode == "plot"
        chart = view.loss_chart
        lines = region_lines(app, chart)
        series = app.monitor.series(job)
        values = [v for _, v in series.column("train_loss")]
        ticks = y_ticks(lines)
        assert len(ticks) >= 2, lines  # a y scale: its highest and lowest values at least
        # The scale spans the values drawn (plotext labels rows, so allow a row's worth).
        spread = max(values) - min(values)
        assert max(ticks) >= max(values) - spread / 3 and min(ticks) <= min(values) + spread / 3
        labels = x_tick_labels(lines)
        assert labels and labels[0] == "0" and all(label.isdigit() for label in labels), labels
        assert int(labels[-1]) <= (series.total_steps or 0)
        # The legend names exactly the curves drawn.
        legend = str(view.query_one("#metrics-legend").render())
        drawn = [name for name in chart.names if chart.plotted(name)]
        for name in ("train_loss", "valid_loss"):
            assert (name in drawn) == (name in series.names())
        assert legend.count("━") + legend.count("●") == len(drawn)


async def test_the_legend_names_the_chart_when_the_plot_has_no_room_for_its_title() -> None:
    app = MetricsHost(seeded_series())
    async with app.run_test(size=(46, 11)) as pilot:  # the wide layout's pane at 120x36
        await pilot.pause()
        await pilot.pause()
        view = app.query_one(MetricsView)
        assert not view.loss_chart.show_title
        legend = str(view.query_one("#metrics-legend").render())
        assert legend.startswith("loss · step 300/300")
        await pilot.press("a")  # the accuracy chart instead
        await pilot.pause()
        legend = str(view.query_one("#metrics-legend").render())
        assert legend.startswith("accuracy · step 300/300") and "loss" not in legend
        # A name is never parted from its value across the legend's lines.
        for line in legend.splitlines():
            assert not line.rstrip().endswith(("valid", "train", "acc"))


def frequent_full_validation(every: int) -> MetricSeries:
    """A run whose full validation comes every ``every`` steps (a reinforcement job's evals)."""
    series = seeded_series()
    for step in range(every, 301, every):
        series.add(step, {"full_valid_loss": 0.3 + 2.0 / step})
    return series


@pytest.mark.parametrize("every, as_points", [(100, True), (5, False)])
async def test_full_validation_is_points_when_few_and_a_line_when_many(
    every: int, as_points: bool
) -> None:
    """Sixty marks would cover the curves under them: past thirty it is a line, and the legend's
    sign says which."""
    app = MetricsHost(frequent_full_validation(every))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        view = app.query_one(MetricsView)
        drawn = "\n".join(region_lines(app, view.loss_chart))
        legend = str(view.query_one("#metrics-legend").render())
        assert ("●" in drawn) == as_points
        assert ("● full valid" in legend) == as_points
        assert ("━ full valid" in legend) == (not as_points)


# -- compare --------------------------------------------------------------------------------------


async def opened(pilot: Any) -> CompareScreen:
    await pilot.pause()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def title(screen: CompareScreen) -> str:
    return str(screen.query_one("#compare-title").render())


async def test_compares_title_follows_its_axis() -> None:
    app = CompareHost(three_jobs())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert title(screen).endswith("loss against step")
        await pilot.press("x")
        await pilot.pause()
        assert title(screen).endswith("loss against % of run")
        labels = x_tick_labels(region_lines(app, screen.chart))
        assert labels[0] == "0%" and labels[-1] == "100%"
        await pilot.press("x")
        await pilot.pause()
        assert title(screen).endswith("loss against step")


@pytest.mark.parametrize("steps", [7, 13, 300, 4500])
async def test_compares_ticks_are_whole_steps(steps: int) -> None:
    """A short run is where plotext's own ticks were fractional (1.75, 3.5...)."""
    jobs = {
        "ftjob-a": ("a", run_series(steps, 2.2, 0.2, total=steps)),
        "ftjob-b": ("b", run_series(max(2, steps // 2), 2.6, 0.3, total=steps)),
    }
    app = CompareHost(jobs)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        ticks = screen.chart.x_ticks()
        assert ticks and all(isinstance(tick, int) for tick in ticks) and ticks[0] == 0
        labels = x_tick_labels(region_lines(app, screen.chart))
        assert labels == [str(tick) for tick in ticks]
        assert int(labels[-1]) <= steps


async def test_compares_legend_sits_beside_the_plot_not_over_it() -> None:
    app = CompareHost(three_jobs())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        chart, legend = screen.chart.region, screen.query_one(CompareLegend).region
        assert legend.y >= chart.bottom  # its own lines, under the plot
        inside = "\n".join(region_lines(app, screen.chart))
        assert "ftjob" not in inside and "support-bot" not in inside  # no label on the curves


async def compare_marked(pilot: Any, jobs: list[str]) -> CompareScreen:
    app: FtmonApp = pilot.app
    for job in jobs:
        assert app.main.job_list.select_job(job)
        await settle(pilot)
        await pilot.press("m")
    await pilot.press("C")
    await screen_settled(pilot)
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def last_step(series: MetricSeries) -> int:
    steps = series.steps()
    return steps[-1] if steps else 0


async def test_compare_follows_its_running_jobs() -> None:
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        # A running job beside a paused one.
        compared = [job_id(world, "catalog-long"), job_id(world, "contracts")]
        screen = await compare_marked(pilot, compared)
        run = screen.runs[0]
        before = last_step(run.series)
        legend_before = str(screen.query_one(CompareLegend).render())
        assert before > 0
        for _ in range(4):  # the engine reads a job in the background every few polls
            await poll(pilot, world, advance=30)
        assert screen.updates >= 1
        after = last_step(screen.runs[0].series)
        assert after > before
        legend_after = str(screen.query_one(CompareLegend).render())
        assert f"step {after}/" in legend_after and legend_after != legend_before
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        # Closed, it is no longer told of changes.
        assert all(
            not isinstance(getattr(listener, "__self__", None), CompareScreen)
            for listener in app.monitor._listeners
        )


async def test_compare_of_finished_jobs_asks_the_api_for_nothing_more() -> None:
    world = new_world()
    done = [job_id(world, "support-bot"), job_id(world, "sql-gen")]
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await poll(pilot, world, advance=10)
        start = world.stats.snapshot()["total"]
        for _ in range(3):
            await poll(pilot, world, advance=10)
        without = world.stats.snapshot()["total"] - start
        screen = await compare_marked(pilot, done)
        assert all(len(run.series) for run in screen.runs)
        start = world.stats.snapshot()["total"]
        for _ in range(3):
            await poll(pilot, world, advance=10)
        assert world.stats.snapshot()["total"] - start <= without
        assert screen.updates == 0


# -- N: a new job like this one -------------------------------------------------------------------


async def open_like(pilot: Any, job: str) -> CreateJobScreen:
    app: FtmonApp = pilot.app
    assert app.main.job_list.select_job(job)
    await settle(pilot)
    await pilot.press("N")
    await screen_settled(pilot)
    form = app.screen
    assert isinstance(form, CreateJobScreen)
    return form


async def test_capital_n_copies_a_reinforcement_jobs_method_and_says_what_it_cannot() -> None:
    world = new_world()
    job = job_id(world, "grader-rft")
    source = world.get_job(job)
    block = source["method"]["reinforcement"]
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        form = await open_like(pilot, job)
        values = form.read_input()
        assert values.method == "reinforcement"
        hyper = block["hyperparameters"]
        for name in ("n_epochs", "batch_size", "eval_interval", "eval_samples"):
            assert int(getattr(values, name)) == hyper[name], name
        for name in ("learning_rate_multiplier", "compute_multiplier"):
            assert float(getattr(values, name)) == hyper[name], name
        assert values.reasoning_effort == hyper["reasoning_effort"]
        assert json.loads(values.grader) == block["grader"]
        assert (values.model, values.training_file) == (source["model"], source["training_file"])
        assert values.validation_file == (source.get("validation_file") or "")
        assert values.seed == str(source["seed"]) and values.suffix == "grader-rft"
        text = screen_text(app)
        assert f"New job like {job} (grader-rft)" in text
        # response_format has no field in the form: said, not dropped silently.
        assert "Not copied: response_format" in text


async def test_capital_n_copies_a_dpo_jobs_beta_and_sends_the_same_method() -> None:
    world = new_world()
    job = job_id(world, "tone-dpo")
    source = world.get_job(job)
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await open_like(pilot, job)
        values = form.read_input()
        assert values.method == "dpo"
        assert float(values.beta) == source["method"]["dpo"]["hyperparameters"]["beta"]
        assert values.seed == str(source["seed"])
        assert f"New job like {job}" in screen_text(app)
        assert "Not copied" not in screen_text(app)
        from ftmon.create.request import build_body, check_input

        assert check_input(values).ok
        body = build_body(values)
        assert body["method"] == {
            "type": "dpo",
            "dpo": {"hyperparameters": source["method"]["dpo"]["hyperparameters"]},
        }
        assert body["seed"] == source["seed"]


# -- snapshots ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_metrics(snap_compare: Any, size: tuple[int, int]) -> None:
    """A running job's metrics: the narrow layout's tab, the wide layout's pane."""
    world = new_world()
    app = build_app(world, job_id=job_id(world, "catalog-long"))
    press = ["3"] if size == (80, 24) else []
    assert snap_compare(app, terminal_size=size, press=press, run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_compare(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(CompareHost(three_jobs()), terminal_size=size)
