"""The status line and the notices (issue 15 points 2 and 3), with the simulator's faults.

Point 3: the line tells apart no answer, server errors, a rate limit and slow answers, counts
its countdown down while the engine's health stays the same, clears on the first good answer,
and the header says when the API last answered. Point 2: notices are said once on the status
line (never a toast over the panes or a dialog), the finished job's row is marked, and ``H``
lists them all with their times.
"""

from __future__ import annotations

import random
import re
from types import SimpleNamespace
from typing import Any

import pytest
from textual.containers import VerticalScroll
from tuikit import (
    build_app,
    job_id,
    new_world,
    open_job,
    poll,
    screen_text,
    settle,
    svg_lines,
    until,
)
from tuikit import wait_for_workers as wait_for_workers

import ftmon.monitor.health as health_module
from ftmon.api.retry import RetryPolicy
from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.screens.messages import MessagesScreen

NARROW = (80, 24)
TIME = re.compile(r"\b\d\d:\d\d:\d\d\b")
WIDE = (120, 36)


class _NoJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


@pytest.fixture(autouse=True)
def steady_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's backoff without its jitter, so that a countdown reads the same each run."""
    monkeypatch.setattr(health_module, "random", SimpleNamespace(Random=_NoJitter))


def status_row(app: FtmonApp) -> str:
    """The line just above the footer: where the status line sits when it shows."""
    return svg_lines(app.export_screenshot())[-2]


# -- point 3: the link's health ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "extra", "words"),
    [
        ("503", {}, "server errors (503) for 40s · next try in 2m 00s"),
        ("500", {}, "server errors (500) for 40s · next try in 2m 00s"),
        ("429", {"retry_after": 30}, "rate limited (429) for 40s · next try in 30s"),
        ("drop", {}, "no answer from the API for 40s · next try in 2m 00s"),
    ],
)
async def test_each_kind_of_failure_is_told_apart(
    world: SimWorld, fault: str, extra: dict[str, Any], words: str
) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        world.faults.add(fault, duration=3600, **extra)
        await poll(pilot, world, advance=40)
        assert app.main.status_line.text == words
        # Whole on an 80-column screen, above the footer.
        assert status_row(app).strip() == words


async def test_the_countdown_counts_without_a_new_health(world: SimWorld) -> None:
    """The engine publishes a change of state, not each second: the line reads the live health
    on its own tick (it used to sit at "retrying in 0s" for 20-30 s)."""
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        world.faults.add("503", duration=3600)
        await poll(pilot, world, advance=40)
        assert app.main.status_line.text.endswith("next try in 2m 00s")
        health = app.monitor.health
        world.clock.advance(45)  # no poll: the health object is the same
        assert await until(pilot, lambda: "next try in 1m 15s" in app.main.status_line.text)
        assert "for 1m 25s" in app.main.status_line.text
        assert app.monitor.health is health
        world.clock.advance(80)  # past the retry time, before the loop wakes
        assert await until(pilot, lambda: app.main.status_line.text.endswith("trying again…"))
        assert " 0s" not in status_row(app)


async def test_the_first_good_answer_clears_the_line_and_moves_the_pulse(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        pulse_before = app.main.query_one("#pulse").text  # type: ignore[attr-defined]
        assert pulse_before.startswith("updated ")
        assert pulse_before in screen_text(app).splitlines()[0]
        world.faults.add("503", duration=3600)
        await poll(pilot, world, advance=300)
        assert app.main.status_line.has_class("-failing")
        # Failing: the pulse keeps the time of the last good answer.
        assert app.main.query_one("#pulse").text == pulse_before  # type: ignore[attr-defined]
        world.faults.clear()
        await poll(pilot, world, advance=60)
        assert await until(pilot, lambda: not app.main.status_line.health_text)
        assert not app.main.status_line.has_class("-failing")
        assert "503" not in screen_text(app)
        pulse = app.main.query_one("#pulse").text  # type: ignore[attr-defined]
        assert pulse != pulse_before and pulse in screen_text(app).splitlines()[0]


async def test_a_slow_answer_says_so_while_it_waits(
    world: SimWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The threshold is 8 s of real waiting; a test waits a fraction of it.
    monkeypatch.setattr(health_module, "SLOW_ANSWER", 0.5)
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        world.faults.add("delay", count=1, delay=3.0, route="/fine_tuning/jobs", method="GET")
        app.monitor.refresh_now()
        said = await until(pilot, lambda: "slow answers: waiting" in app.main.status_line.text)
        assert said, app.main.status_line.text
        assert "for the API" in status_row(app)
        assert not app.main.status_line.has_class("-failing")  # slow is not failing
        await settle(pilot)
        assert await until(pilot, lambda: "slow" not in app.main.status_line.text)


# -- point 2: notices, not toasts -------------------------------------------------------------


async def test_one_cancel_is_one_notice_and_no_toast(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("left", "enter")
        await pilot.pause()
        await wait_for_workers(pilot, "actions")
        await poll(pilot, world, advance=5)
        about_it = [n for n in app.message_log.notices if job in n.text]
        assert len(about_it) == 1, about_it
        assert about_it[0].title == "Job cancelled"
        assert not app._notifications  # nothing over the panes
        assert "Job cancelled: " + job in app.main.status_line.text


async def test_a_finished_job_is_said_once_and_its_row_marked(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "support-bot-v3")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        assert not app.main.job_list.is_recent(job)
        await poll(pilot, world, advance=20 * 60)
        said = [n for n in app.message_log.notices if n.title == "Job succeeded"]
        assert [n.text for n in said].count(job + " (support-bot-v3)") == 1
        assert app.main.job_list.is_recent(job)
        assert not app._notifications
        # The line shows the newest notice, between the panes and the footer.
        assert status_row(app).strip().startswith("Job succeeded: ")


async def test_h_lists_the_notices_with_their_times_newest_first(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "support-bot")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("y")
        world.clock.advance(65)
        app.message_log.say("[/bold] \x1b]0;owned\x07 not markup", "warning", title="Hostile")
        await pilot.press("H")
        await pilot.pause()
        assert isinstance(app.screen, MessagesScreen)
        lines = svg_lines(app.export_screenshot())
        text = "\n".join(lines)
        copied = next(i for i, line in enumerate(lines) if f"Copied {job}" in line)
        hostile = next(i for i, line in enumerate(lines) if "Hostile: [/bold]" in line)
        assert hostile < copied  # newest first
        assert "warn" in lines[hostile] and "info" in lines[copied]
        assert "\x1b" not in text and "owned" in text  # the escape is gone, its text plain
        times = [TIME.search(line) for line in (lines[hostile], lines[copied])]
        assert all(times), (lines[hostile], lines[copied])
        # 65 s apart on the world's clock (local time is UTC in the tests).
        stamps = [t.group(0) for t in times if t]
        assert stamps[0] != stamps[1]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MessagesScreen)


async def test_the_history_is_in_help_and_the_palette(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        rows = app.main.help_rows()
        assert any(keys == "H" and "notices" in words.lower() for keys, words in rows), rows
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert "Notices so far" in titles


async def test_a_notice_never_covers_a_dialog(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one(VerticalScroll).region

        def inside() -> list[str]:
            lines = svg_lines(app.export_screenshot())[box.y : box.bottom]
            return [line.ljust(box.right)[box.x : box.right] for line in lines]

        before = inside()
        app.message_log.say("a job finished while help was open", title="Job succeeded")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        # Help's box is drawn exactly as before: nothing was laid over it.
        assert inside() == before and "Keys" in "".join(before)
        assert not app._notifications
        await pilot.press("escape")
        await pilot.pause()
        assert "a job finished while help was open" in app.main.status_line.text


# -- snapshots of the status line at 80x24 ----------------------------------------------------


def _failing(fault: str, **extra: Any) -> tuple[FtmonApp, Any]:
    world = new_world()
    app = build_app(world)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        world.faults.add(fault, duration=3600, **extra)
        await poll(pilot, world, advance=40)

    return app, run_before


def test_snapshot_status_server_errors_80x24(snap_compare: Any) -> None:
    app, run_before = _failing("503")
    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_snapshot_status_rate_limited_80x24(snap_compare: Any) -> None:
    app, run_before = _failing("429", retry_after=30)
    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_snapshot_status_no_answer_80x24(snap_compare: Any) -> None:
    app, run_before = _failing("drop")
    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_snapshot_notice_line_80x24(snap_compare: Any) -> None:
    world = new_world()
    app = build_app(world)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await open_job(pilot, job_id(world, "support-bot"))
        await pilot.press("y")
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


# -- point 3: "loading…" until the API answered, "none" only once it said so -------------------


async def test_panes_say_loading_while_a_slow_api_answers_then_none(world: SimWorld) -> None:
    """With slow answers the metrics pane said "no metrics yet" for 35 s on a finished job."""
    app = build_app(world)
    failed = job_id(world, "intent-v1")  # failed in validation: no metrics, no checkpoints
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("3")
        world.faults.add("delay", delay=1.5, duration=60, route=f"/fine_tuning/jobs/{failed}/")
        assert app.main.job_list.select_job(failed)
        app.main._select(failed)
        assert await until(pilot, lambda: "loading metrics…" in screen_text(app))
        assert "no metrics" not in screen_text(app)
        assert str(app.main.checkpoint_table.border_title) == "checkpoints · loading…"
        await settle(pilot)
        assert await until(pilot, lambda: app.monitor.is_loaded(failed))
        await pilot.pause()
        assert "no metrics" in screen_text(app) and "loading" not in screen_text(app)
        assert str(app.main.checkpoint_table.border_title) == "checkpoints · none"


async def test_the_clients_own_retries_are_said_while_they_wait(world: SimWorld) -> None:
    """A real client retries a 429 or a 503 itself before the engine hears of it: the line says
    so during those waits (it said nothing for 10 s and more of 503s)."""
    app = build_app(world)
    app.monitor.client.retry = RetryPolicy(max_attempts=3)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        world.faults.add("429", count=1, retry_after=2, route="/fine_tuning/jobs", method="GET")
        app.monitor.refresh_now()
        said = await until(pilot, lambda: "rate limited (429)" in app.main.status_line.text)
        assert said, app.main.status_line.text
        assert "next try in" in status_row(app) and app.monitor.polls_running
        # The retry got its answer: the poll ends well and the line has nothing to say.
        await settle(pilot)
        assert await until(pilot, lambda: not app.main.status_line.health_text)
        assert app.monitor.health.state == "ok"


async def test_a_notice_beside_an_outage_is_cut_and_the_outage_never(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        world.faults.add("503", duration=3600)
        await poll(pilot, world, advance=40)
        state = "server errors (503) for 40s · next try in 2m 00s"
        app.message_log.say("x" * 200, "error", title="Could not export the job")
        await pilot.pause()
        row = status_row(app).strip()
        assert row.startswith("Could not export the job") and row.endswith("… · " + state)
        assert len(row) <= 78
        assert app.main.status_line.text.endswith(state)  # the whole note is kept for H
