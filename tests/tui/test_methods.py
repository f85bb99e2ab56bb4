"""Each method's run as it reads: reward charts for reinforcement, the series a job has one by
one, the headline number in the metrics pane's title, and the checkpoint to keep marked."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static
from tuikit import build_app, job_id, open_job, screen_text, settle

from ftmon.monitor.series import MetricSeries
from ftmon.present.plot import LOSS_NAMES, REWARD_NAMES
from ftmon.sim import SimWorld
from ftmon.tui.screens.compare import CompareScreen
from ftmon.tui.screens.help import HelpScreen

WIDE = (160, 48)
MULTI_GRADER = {
    "type": "multi",
    "name": "both",
    "graders": {
        "exact": {
            "type": "string_check",
            "name": "exact",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "operation": "eq",
        },
        "rubric": {
            "type": "score_model",
            "name": "rubric",
            "model": "o3-mini-2025-01-31",
            "input": [{"role": "user", "content": "Grade {{sample.output_text}}"}],
        },
    },
    "calculate_output": "0.5 * exact + 0.5 * rubric",
}


async def test_a_reinforcement_job_is_charted_by_its_reward(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "math-rft"))
        view = app.main.metrics_view
        assert view.view_names[0] == REWARD_NAMES
        assert view.loss_chart.heading == "reward"
        assert any(view.loss_chart.plotted(name) for name in REWARD_NAMES)
        assert str(view.border_title).startswith("metrics · full valid reward ")
        assert "━ train" in screen_text(app)


async def test_each_graders_reward_is_charted_beside_the_mean_reward(world: SimWorld) -> None:
    """The API sends one ``scores.graders`` entry per grader: the second chart draws each
    grader's validation reward, named by the grader, in a colour of its own."""
    job = world.add_job(
        {
            "model": "o4-mini-2025-04-16",
            "validation_file": "file-valid",
            "lifecycle": {"total_steps": 40, "seconds_per_step": 10.0, "queue_seconds": 0},
            "method": {
                "type": "reinforcement",
                "reinforcement": {"grader": MULTI_GRADER, "hyperparameters": {"eval_interval": 2}},
            },
        }
    )
    world.clock.advance(300)
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job["id"])
        view = app.main.metrics_view
        await pilot.press("3", "a")  # the metrics tab; its second chart in place of the first
        _, graders = view.view_names
        assert graders == (
            "scores.graders.exact.valid_reward_mean",
            "scores.graders.rubric.valid_reward_mean",
        )
        assert view.accuracy_chart.heading == "graders" and view.accuracy_chart.display
        assert all(view.accuracy_chart.plotted(name) for name in graders)
        text = screen_text(app)
        assert "━ exact valid " in text and "━ rubric valid " in text
        legend = app.main.query_one("#metrics-legend")
        colours = {
            span.style.color
            for span in legend.render().spans
            if not isinstance(span.style, str) and span.style.color is not None
        }
        assert len(colours) == 2  # each grader in a colour of its own


async def test_s_steps_through_every_other_series_and_back(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "math-rft"))
        view = app.main.metrics_view
        rewards, graders = view.view_names
        others = [n for n in view._curves.names if n not in rewards + graders]
        assert others, "a reinforcement job has series beyond its reward"
        await pilot.press("3")  # the metrics tab, focused
        seen = []
        for _ in range(len(others)):
            await pilot.press("s")
            first, second = view.view_names
            assert len(first) == 1 and second == ()
            assert view.loss_chart.heading == first[0]
            seen.append(first[0])
        assert seen == others
        await pilot.press("s")
        assert view.view_names[0] == REWARD_NAMES


async def test_a_supervised_job_keeps_loss_and_names_its_validation_loss(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "support-bot"))
        view = app.main.metrics_view
        assert view.view_names[0] == LOSS_NAMES
        assert str(view.border_title).startswith("metrics · full valid loss ")


async def test_the_checkpoint_to_keep_is_marked_with_its_rule(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "math-rft"))
        advice = app.main.keep
        assert advice is not None and advice.best is not None
        assert advice.rule == "highest full validation mean reward"
        table = app.main.checkpoint_table
        marked = [dict(row) for row in table.rows_shown if dict(row).get("keep") == "best"]
        assert [m["step"] for m in marked] == [str(advice.best.step_number)]
        title = str(table.border_title)
        assert title.endswith(f"keep step {advice.best.step_number:,}")
        assert "best: highest full validation mean reward" in str(table.border_subtitle)


async def test_help_lists_the_metrics_keys(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("?")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("s", "metrics: next series") in app.main.help_rows()
        assert ("enter", "events: the selected event whole, its data too") in app.main.help_rows()


def _series(rows: dict[int, dict[str, float]]) -> MetricSeries:
    made = MetricSeries()
    for step, values in sorted(rows.items()):
        made.add(step, values)
    return made


async def test_compare_is_like_with_like_and_says_when_there_is_nothing_in_common() -> None:
    loss = _series({1: {"train_loss": 1.0, "valid_loss": 1.1}, 2: {"train_loss": 0.8}})
    reward = _series({1: {"train_mean_reward": 0.2, "valid_mean_reward": 0.3}})
    reward2 = _series({1: {"train_mean_reward": 0.4}, 2: {"train_mean_reward": 0.5}})

    rewards = CompareScreen({"a": ("rft-a", reward), "b": ("rft-b", reward2)})
    assert rewards.chart.metric == ("mean reward", "train_mean_reward", "valid_mean_reward")
    assert rewards._note() == ""

    mixed = CompareScreen({"a": ("sft", loss), "b": ("rft", reward)})
    assert mixed.chart.metric is None
    assert "no metric in common" in mixed._note()

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(mixed)

    async with Host().run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        text = "\n".join(str(w.render()) for w in mixed.query(Static))
        assert "no metric in common" in text
        assert mixed.chart.curves() == []
