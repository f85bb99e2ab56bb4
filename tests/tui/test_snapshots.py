"""Screens compared with accepted SVGs, at 80x24 and 160x48, from the seeded simulator.

The world's clock is frozen and local time is UTC (conftest), so every run draws the same screen.
``pytest --snapshot-update`` rewrites them: look at the SVGs before committing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from support.app import demo_client
from tuikit import build_app, new_world, settle_workers

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def world_and_app(key: str | None = None, **kwargs: Any) -> tuple[SimWorld, FtmonApp]:
    world = new_world()
    job = world.highlights[f"job:{key}"] if key else None
    return world, build_app(world, job_id=job, **kwargs)


@pytest.mark.parametrize("size", SIZES)
def test_demo_overview(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app()
    assert snap_compare(app, terminal_size=size, run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_failed_job_detail(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app("intent-v1")
    assert snap_compare(app, terminal_size=size, run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_dpo_job(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app("tone-dpo")
    assert snap_compare(app, terminal_size=size, run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_reinforcement_job(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app("grader-rft")
    assert snap_compare(app, terminal_size=size, run_before=settle_workers)


def test_reinforcement_metrics_tab_80x24(snap_compare: Any) -> None:
    """The metrics tab of a reinforcement job on a small terminal: its mean reward, the
    headline number in the title (the wide layout shows it in test_reinforcement_job)."""
    _, app = world_and_app("grader-rft")
    assert snap_compare(app, terminal_size=(80, 24), press=["3"], run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_running_job_events(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app("catalog-long")
    assert snap_compare(app, terminal_size=size, press=["2"], run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_cancel_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app("catalog-long")
    assert snap_compare(app, terminal_size=size, press=["c"], run_before=settle_workers)


def test_delete_dialog_80x24(snap_compare: Any) -> None:
    """Azure OpenAI's delete of a finished job: the job, its state, what goes, the model that
    stays, "Keep the job" in focus."""
    world = new_world()
    client = demo_client(world)
    client.settings = replace(client.settings, provider="azure", auth_header="api-key")
    app = build_app(world, client=client, job_id=world.highlights["job:support-bot"])
    assert snap_compare(app, terminal_size=(80, 24), press=["D"], run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_permissions_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app("support-bot")

    async def open_permissions(pilot: Any) -> None:
        await settle_workers(pilot)
        await pilot.press("P")
        await settle_workers(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_permissions)


@pytest.mark.parametrize("size", SIZES)
def test_filter_in_use(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app()

    async def type_filter(pilot: Any) -> None:
        await settle_workers(pilot)
        await pilot.press("slash", *"team=support")
        await settle_workers(pilot)

    assert snap_compare(app, terminal_size=size, run_before=type_filter)


@pytest.mark.parametrize("size", SIZES)
def test_api_down(snap_compare: Any, size: tuple[int, int]) -> None:
    world, app = world_and_app()

    async def break_the_api(pilot: Any) -> None:
        await settle_workers(pilot)
        # Retry-After fixes the wait (a computed backoff has random jitter).
        world.faults.add("429", duration=3600, retry_after=30)
        world.clock.advance(40)
        app.monitor.refresh_now()
        await settle_workers(pilot)

    assert snap_compare(app, terminal_size=size, run_before=break_the_api)


def test_read_only_footer(snap_compare: Any) -> None:
    _, app = world_and_app("catalog-long", read_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle_workers)


@pytest.mark.parametrize("size", SIZES)
def test_event_detail(snap_compare: Any, size: tuple[int, int]) -> None:
    """Enter on the newest event of a running reinforcement job: the whole event, its data as
    series at that step (rewards, each grader's, usage and timing)."""
    _, app = world_and_app("grader-rft")

    async def open_newest_event(pilot: Any) -> None:
        await settle_workers(pilot)
        await pilot.press("2")  # the events tab, focused at every size
        await settle_workers(pilot)
        await pilot.press("enter")
        await settle_workers(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_newest_event)


def test_stalled_job_overview_80x24(snap_compare: Any) -> None:
    """The stall and queue doctor: a running job frozen for ten minutes, the clock moved and
    the age tick come: ``!stall`` in its row's eta column, the flag in words under the status,
    then its phases, pace and both ETAs (the toasts of the jobs that ended meanwhile cleared)."""
    world, app = world_and_app("catalog-long")

    async def stall(pilot: Any) -> None:
        await settle_workers(pilot)
        world.freeze_job(world.highlights["job:catalog-long"])
        world.clock.advance(600)
        app.monitor.refresh_now()
        await settle_workers(pilot)
        app.main._refresh_ages()  # the slow age tick (tests build the app without its timer)
        app.clear_notifications()
        await settle_workers(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=stall)
