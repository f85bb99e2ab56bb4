"""The demo tells the truth (issue 15 point 7): every time it shows follows the simulator's clock.

``ftmon --demo`` runs its world faster than the wall clock (60x by default). Ages, ETAs, event
times and the doctor's pace come from the app's clock, which ``run_tui`` sets to the world's; and
ages and ETAs are recomputed as often as the simulated clock passes the real tick's worth
(:func:`ftmon.tui.run.demo_age_refresh`), so they do not stand still for half a simulated hour.
"""

from __future__ import annotations

from typing import Any

from tuikit import build_app, job_id, new_world, open_job, poll, settle

from ftmon.tui.app import FtmonApp
from ftmon.tui.main_screen import AGE_REFRESH
from ftmon.tui.run import demo_age_refresh


def minutes(text: str) -> int:
    """``12m`` or ``2h`` as minutes (the list's eta and age columns)."""
    text = text.strip()
    if text.endswith("h"):
        return int(text[:-1]) * 60
    if text.endswith("s"):
        return 0
    return int(text.rstrip("m"))


async def wait_until(pilot: Any, check: Any, *, seconds: float = 5.0) -> bool:
    """Let the app's own timers run (no poll asked for) until ``check()`` holds."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await pilot.pause(0.05)
    return bool(check())


def test_the_demo_refreshes_ages_as_often_as_its_clock_passes_the_real_tick() -> None:
    assert demo_age_refresh(1.0) == AGE_REFRESH
    assert demo_age_refresh(60.0) == 1.0  # half a simulated minute, but not more than once a second
    assert demo_age_refresh(10.0) == AGE_REFRESH / 10


async def test_eta_and_age_follow_the_simulated_clock_without_a_poll() -> None:
    """Ten simulated minutes pass (no poll): the running job's ETA falls and its age grows on the
    demo's own tick, as a user of ``ftmon --demo`` sees after ten real seconds."""
    world = new_world()
    job = job_id(world, "catalog-long")
    app = build_app(world, age_refresh=demo_age_refresh(60.0))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        row = app.main.job_list.row(job)
        assert row is not None and row.eta.strip() and row.age.strip()
        eta0, age0 = minutes(row.eta), minutes(row.age)
        assert eta0 > 20

        world.clock.advance(600)

        def moved() -> bool:
            now = app.main.job_list.row(job)
            return now is not None and minutes(now.eta) <= eta0 - 9

        assert await wait_until(pilot, moved), app.main.job_list.row_text(job)
        row = app.main.job_list.row(job)
        assert row is not None
        assert minutes(row.eta) >= eta0 - 11
        assert age0 + 9 <= minutes(row.age) <= age0 + 11
        # The overview's ETA moved with it.
        assert f"in {row.eta.strip()}" in app.main.overview.plain


def running_jobs(app: FtmonApp) -> list[str]:
    return [j.id for j in app.monitor.jobs() if j.status == "running"]


async def test_a_job_that_finished_in_simulated_time_shows_no_eta() -> None:
    """The first screen of the demo once said ``300/300 100% eta 8m``: a job that is over has no
    ETA, in the list or the overview, and a running one's ETA is never in the past."""
    world = new_world()
    app = build_app(world, age_refresh=demo_age_refresh(60.0))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        running = running_jobs(app)
        assert running
        first = min(
            (j for j in app.monitor.jobs() if j.id in running and j.estimated_finish),
            key=lambda j: j.estimated_finish or 0,
        )
        assert first.estimated_finish is not None
        # Just past its end, as the simulator has it.
        await poll(pilot, world, advance=first.estimated_finish - world.clock.now() + 120)
        await open_job(pilot, first.id)
        done = next(j for j in app.monitor.jobs() if j.id == first.id)
        assert done.is_final, done.status
        row = app.main.job_list.row(first.id)
        assert row is not None and row.eta.strip() == ""
        assert "eta" not in app.main.overview.plain
        for other in app.monitor.jobs():
            if other.status == "running" and other.estimated_finish:
                assert other.estimated_finish >= world.clock.now() - 60
                shown = app.main.job_list.row(other.id)
                assert shown is not None and shown.eta.strip() not in ("", "0s")
