"""A job watched in the background keeps only its newest events; when the cursor lands on it the
log shows them at once and then its whole history, each event once, oldest first."""

from __future__ import annotations

from tuikit import build_app, new_world, poll, settle

from ftmon.sim import SimWorld

WIDE = (160, 48)


def messages(world: SimWorld, job_id: str) -> list[str]:
    return [e["message"] for e in world.events_record(job_id)["data"]]


async def test_moving_to_a_job_watched_in_the_background_shows_its_whole_history() -> None:
    world = new_world()
    app = build_app(world)
    app.monitor.background_events = 20
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        target = world.highlights["job:catalog-long"]
        assert app.main.selected_id != target
        await poll(pilot, world, advance=60)  # polled in the background: trimmed to 20
        assert len(app.monitor.events(target)) == 20
        while app.main.selected_id != target:
            await pilot.press("j")
            await settle(pilot)
        history = messages(world, target)
        assert len(history) > 20
        assert [line.message for line in app.main.event_log.lines] == history
        await poll(pilot, world, advance=120)  # and it goes on following the tail
        assert [line.message for line in app.main.event_log.lines] == messages(world, target)
