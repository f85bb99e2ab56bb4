"""The stall and queue doctor on screen: the job list's marker (``!stall``, ``!queue`` in the
eta column) and the overview's words come for a frozen job (or a stretched queue) once the clock
moves, on the age tick, and go when it moves again; no timer of their own."""

from __future__ import annotations

from typing import Any

from tuikit import build_app, job_id, new_world, open_job, poll, settle

from ftmon.tui.app import FtmonApp


async def tick(pilot: Any) -> None:
    """The screen's slow age tick (a timer of 30 s in use; tests call it)."""
    app: FtmonApp = pilot.app
    app.main._refresh_ages()
    await settle(pilot)


async def test_a_frozen_job_is_flagged_in_the_list_and_the_overview_until_it_moves() -> None:
    world = new_world()
    job = job_id(world, "catalog-long")
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        main = app.main
        assert "!stall" not in main.job_list.row_text(job)
        overview = main.overview.plain
        assert "phases" in overview and "running" in overview and "flag" not in overview
        assert "eta (API)" in overview and "eta (own pace)" in overview

        world.freeze_job(job)
        await poll(pilot, world, advance=1800)  # half an hour without a step
        await tick(pilot)
        assert "!stall" in main.job_list.row_text(job)
        assert "stalled: no new step for 30m" in main.overview.plain
        # The marker is not a status glyph: the row still starts with the running glyph.
        assert main.job_list.row_text(job).startswith("▶")

        # The clock still: a tick finds the same words and repaints no row and no field.
        before = main.overview.fields
        assert main.job_list.refresh_rows() == 0
        assert not main.overview.show_fields(before)

        world.freeze_job(job, False)
        await poll(pilot, world, advance=120)  # new steps: the engine's change clears it
        assert "!stall" not in main.job_list.row_text(job)
        assert "stalled" not in main.overview.plain


async def test_a_long_queue_is_flagged_in_the_row() -> None:
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main
        queued = next(j.id for j in app.monitor.jobs() if j.status == "queued")
        await open_job(pilot, queued)
        world.stretch_queue(queued, 4 * 3600)
        await poll(pilot, world, advance=2 * 3600)
        await tick(pilot)
        assert "!queue" in main.job_list.row_text(queued)
        assert "long queue: queued for" in main.overview.plain
