"""Enter on an event shows it whole: a moderation check's data, a metrics event's numbers."""

from __future__ import annotations

import pytest
from tuikit import build_app, job_id, open_job, settle

from ftmon.monitor.records import EventRecord
from ftmon.sim import SimWorld
from ftmon.tui.screens.event_detail import EventDetailScreen, detail_text

WIDE = (160, 48)


async def test_enter_on_a_moderation_event_shows_its_data(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        job = job_id(world, "math-rft")
        await open_job(pilot, job)
        await pilot.press("2")  # the events pane, focused
        await pilot.pause()
        log = app.main.event_log
        index = next(
            i for i, line in enumerate(log.lines) if line.message.startswith("Moderation checks")
        )
        log._move_cursor(index)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EventDetailScreen)
        shown = screen.text.plain
        assert "moderation_checks" in shown and "\ndata\n" in shown
        assert screen.record.data  # kept as sent: a non-metrics event's data
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]


async def test_a_metrics_event_shows_the_series_values_at_its_step(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "support-bot"))
        await pilot.press("2")
        await pilot.pause()
        log = app.main.event_log
        index = next(i for i, line in enumerate(log.lines) if line.message.startswith("Step 10/"))
        log._move_cursor(index)
        assert log.cursor == index
        await pilot.press("k", "j")  # the cursor moves with the keys and comes back
        assert log.cursor == index
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EventDetailScreen)
        assert screen.record.step == 10 and screen.record.data is None
        shown = screen.text.plain
        assert "\nmetrics at this step\n" in shown and "\ndata\n" not in shown
        # one name and number a line: the job's series at step 10
        at_step = app.monitor.series(job_id(world, "support-bot")).at(10)
        line = next(row for row in shown.splitlines() if row.endswith("  train_loss"))
        assert float(line.split()[0]) == pytest.approx(at_step["train_loss"], rel=1e-9)


def test_hostile_event_text_and_data_are_shown_clean() -> None:
    record = EventRecord(
        "ftevent-\x1b]0;x\x07",
        1_780_000_000,
        "warn",
        "a\x1b[2Jb\u202ec",
        "moderation_checks",
        None,
        {"k\x1b]52;c;AAAA\x07": "v\x9b31m", "nested": {"deep": "[bold]x[/bold]"}},
    )
    plain = detail_text(record, None).plain
    assert "\x1b" not in plain and "\x9b" not in plain and "\u202e" not in plain
    assert "[bold]x[/bold]" in plain  # markup shown as typed, not applied
