"""Every job seen running that ends gets its own desktop notification, bell and notice: also one
the engine's budget had not read in full yet (the hostile pty walk saw 15 of 44)."""

from __future__ import annotations

from support.app import demo_client
from tuikit import build_app, poll, settle

from ftmon.monitor.engine import Monitor
from ftmon.sim import SimWorld

WIDE = (160, 48)


async def test_every_job_that_ends_while_watched_notifies_once(world: SimWorld) -> None:
    # A budget of one request a cycle: after the first look, most running jobs have been seen
    # only in the list when they end.
    monitor = Monitor(
        demo_client(world), clock=world.clock.now, interval=3600, page_size=20, active_budget=1
    )
    app = build_app(world, monitor=monitor)
    sent: list[tuple[str, str]] = []
    bells: list[int] = []
    app.main.desktop_notify = lambda title, body: sent.append((title, body))
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        running = {job.id for job in monitor.jobs() if not job.is_final}
        assert len(running) >= 3
        for _ in range(3):
            await poll(pilot, world, advance=24 * 3600)
        ended = {job_id for job_id in running if (job := monitor.job(job_id)) and job.is_final}
        assert len(ended) >= 3
        notified = [body.split(" ", 1)[0] for _, body in sent]
        assert sorted(notified) == sorted(ended)  # each one, once, and no job already over
        assert len(bells) == len(ended) == len(app.main.announced)
        said = [n for n in app.message_log.notices if n.title.startswith("Job ")]
        assert len(said) == len(ended)
