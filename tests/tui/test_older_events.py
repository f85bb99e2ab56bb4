"""A long job's first look shows its newest 2,000 events; at the top of the log a key reads the
older ones, which go in above the line being read without moving it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from textual.pilot import Pilot
from tuikit import build_app, new_world, screen_text, settle, wait_for_workers

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp

WIDE = (160, 48)


def chatty_job(world: SimWorld) -> str:
    events = [{"message": f"event number {n}", "offset_seconds": n} for n in range(3000)]
    job_id = world.add_job({"suffix": "chatty", "status": "running", "events": events})["id"]
    world.clock.advance(4000)
    return job_id


def history(world: SimWorld, job_id: str) -> list[str]:
    return [e["message"] for e in world.events_record(job_id)["data"]]


def shown(app: FtmonApp) -> list[str]:
    return [line.message for line in app.main.event_log.lines]


def title(app: FtmonApp) -> str:
    return str(app.main.event_log.border_title)


def top_line(app: FtmonApp) -> str:
    """The message of the first event line in view."""
    log = app.main.event_log
    return log.lines[round(log.scroll_y)].message


def on_screen(app: FtmonApp, message: str) -> int:
    """The screen row showing ``message`` (each is shown once)."""
    pattern = re.compile(re.escape(message) + r"(?!\d)")
    rows = [i for i, row in enumerate(screen_text(app).splitlines()) if pattern.search(row)]
    assert len(rows) == 1, (message, rows)
    return rows[0]


async def opened(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("2")  # the events pane, focused
    await settle(pilot)
    assert pilot.app.focused is pilot.app.main.event_log  # type: ignore[attr-defined]


async def test_the_top_of_the_log_loads_older_events_and_the_view_stays() -> None:
    world = new_world()
    job_id = chatty_job(world)
    app = build_app(world, job_id=job_id)
    record = history(world, job_id)
    async with app.run_test(size=WIDE) as pilot:
        await opened(pilot)
        assert shown(app) == record[-2000:]
        assert title(app) == "events · 2,000 newest · g at the top: load older"

        # Hold the older page until the pane has been seen saying so.
        gate = asyncio.Event()
        list_events = app.monitor.client.list_events

        async def held(job: str, **kwargs: Any) -> Any:
            if kwargs.get("after") is not None:
                await gate.wait()
            return await list_events(job, **kwargs)

        app.monitor.client.list_events = held  # type: ignore[method-assign]
        await pilot.press("g")
        await pilot.pause()
        assert round(app.main.event_log.scroll_y) == 0
        reading = top_line(app)
        row = on_screen(app, reading)
        assert title(app) == "events · 2,000 newest · loading older…"
        gate.set()
        await wait_for_workers(pilot, "older-events")
        await pilot.pause()

        assert shown(app) == record[-2500:]
        # The line read before is still there, on the same row; the tail is not followed.
        assert top_line(app) == reading
        assert on_screen(app, reading) == row
        assert round(app.main.event_log.scroll_y) == 500
        assert not app.main.event_log.follow
        assert title(app) == "events · 2,500 newest · g at the top: load older"

        # Page up to the top again: the rest of the history, down to its first event.
        presses = 0
        while round(app.main.event_log.scroll_y) > 0 and app.main.event_log.line_count == 2500:
            await pilot.press("pageup")  # the load may land before the press returns
            presses += 1
        assert presses == -(-500 // app.main.event_log.scrollable_content_region.height)
        await wait_for_workers(pilot, "older-events")
        await pilot.pause()
        assert shown(app) == record
        assert len(set(shown(app))) == len(record)
        assert top_line(app) == record[len(record) - 2500]
        assert not app.main.event_log.follow
        assert title(app) == "events"
        assert not re.search(r"event number 0\b", screen_text(app))  # no jump to the top

        # At the very top with nothing older: up does nothing, and G follows the tail again.
        await pilot.press("g", "up")
        await wait_for_workers(pilot, "older-events")
        assert shown(app) == record
        await pilot.press("G")
        assert app.main.event_log.follow


async def test_help_names_the_key_that_loads_older_events_as_remapped() -> None:
    app = build_app(new_world(), keymap={"first": "f"})
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert ("f", "events: at the top, load older events") in app.main.help_rows()
