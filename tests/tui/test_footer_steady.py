"""The footer's keys do not move while a job loads (a ``j`` onto a job rebuilt the footer twice).

``P perms`` was offered while the job's checkpoints loaded, then withdrawn once they came if
there were none, and another key (``N like this``, ``m mark``) took its place: the keys jumped
under the user's eyes a moment after the move, and the footer's row went over the link twice
(about 2 KB each at 80x24). Now which keys the footer holds for a job follows from its status
alone: ``P`` for a job that has begun training, not for one that has not; once its checkpoints
are known to be none, ``P`` is greyed in its place (that one item repaints, about 100 bytes).
"""

from __future__ import annotations

import asyncio

import httpx
from support.app import demo_client
from tuikit import build_app, job_id, new_world, open_job, settle

from ftmon.api.client import FineTuningClient
from ftmon.sim import SimWorld
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport
from ftmon.tui.app import FtmonApp
from ftmon.tui.widgets.hint_footer import HintFooter, HintKey


class HeldCheckpoints(httpx.AsyncBaseTransport):
    """The simulator's transport; a job's checkpoints wait while :attr:`gate` is clear."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.gate.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/checkpoints"):
            await self.gate.wait()
        return await self.inner.handle_async_request(request)


def held_app(world: SimWorld) -> tuple[FtmonApp, HeldCheckpoints]:
    transport = HeldCheckpoints(sim_transport(create_app(world)))
    made = demo_client(world)
    client = FineTuningClient(made.settings, transport=transport, retry=made.retry)
    return build_app(world, client=client), transport  # type: ignore[return-value]


def shown(app: FtmonApp) -> list[str]:
    return list(app.screen.query_one(HintFooter).shown)


def footer_keys(app: FtmonApp) -> list[HintKey]:
    return list(app.screen.query_one(HintFooter).query(HintKey))


def greyed(app: FtmonApp) -> list[str]:
    return [
        f"{key.key_display} {key.description}"
        for key in footer_keys(app)
        if key.has_class("-disabled")
    ]


async def test_a_jobs_keys_are_the_same_while_it_loads_and_once_loaded() -> None:
    world = new_world()
    app, held = held_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        jobs = app.main.job_list
        seen_loading = set()
        without_checkpoints = set()
        for _ in range(len(jobs.visible_ids) - 1):
            held.gate.clear()
            await pilot.press("j")
            for _ in range(5):
                await pilot.pause(0.01)
            job = app.main._selected_job()
            assert job is not None
            loading, widgets = shown(app), footer_keys(app)
            if not app.monitor.is_loaded(job.id):
                seen_loading.add(job.id)
                assert "P perms" not in greyed(app)
            held.gate.set()
            await settle(pilot)
            assert app.monitor.is_loaded(job.id)
            # The same items in the same places, the same widgets: nothing was rebuilt.
            assert shown(app) == loading, (job.status, loading, shown(app))
            assert all(a is b for a, b in zip(widgets, footer_keys(app), strict=True))
            if not app.monitor.checkpoints(job.id):
                without_checkpoints.add(job.id)
                if "P perms" in loading:
                    assert greyed(app) == ["P perms"]
        # The walk met jobs still loading, and finished ones that turned out to have no
        # checkpoints (the case whose footer used to change).
        assert seen_loading
        finished_without = {
            job_id
            for job_id in without_checkpoints
            if (job := app.monitor.job(job_id)) is not None and job.finished_at
        }
        assert finished_without


async def test_perms_follows_the_status_and_is_greyed_without_checkpoints(
    world: SimWorld,
) -> None:
    app = build_app(world)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        main = app.main
        before_training = after_start = greyed_jobs = 0
        for job_id in list(main.job_list.visible_ids):
            assert main.job_list.select_job(job_id)
            main._select(job_id)
            await settle(pilot)
            job = main._selected_job()
            assert job is not None
            offered = main.check_action("permissions", ())
            if job.status in ("validating_files", "queued"):
                before_training += 1
                assert not offered
                assert "P perms" not in shown(app)
                continue
            after_start += 1
            assert "P perms" in shown(app), job.status
            if app.monitor.checkpoints(job_id):
                assert offered is True and "P perms" not in greyed(app)
            else:
                assert offered is None and "P perms" in greyed(app)
                greyed_jobs += 1
                await pilot.press("P")
                await settle(pilot)
                assert app.screen is main  # nothing opened
        assert before_training and greyed_jobs and after_start > greyed_jobs


async def test_a_failed_job_offers_a_new_job_like_it_at_80_columns() -> None:
    """What follows a failed run is mostly the same run with its file or settings fixed: ``N``
    keeps its place in the footer there, from the first frame (by status, not by what loads)."""
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, expected in (("intent-v1", True), ("catalog-long", False)):
            await open_job(pilot, job_id(world, key))
            assert ("N like this" in shown(app)) is expected, (key, shown(app))
            assert sum(len(item) + 1 for item in shown(app)) - 1 <= 80
