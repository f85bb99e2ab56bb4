"""The filter finds a job however old: with older pages not loaded yet, typing a filter reads
them (the API has no search) and the title says so while it does."""

from __future__ import annotations

from tuikit import build_app, new_world, screen_text, settle, wait_for_workers

from ftmon.sim import SimWorld

NARROW = (80, 24)
LIST_ROUTE = "GET /v1/fine_tuning/jobs"


def oldest_first(world: SimWorld) -> list[str]:
    jobs, _ = world.list_jobs(limit=100)
    return [j["id"] for j in reversed(jobs)]


async def test_a_filter_finds_a_job_on_a_page_not_loaded_yet() -> None:
    world = new_world()
    app = build_app(world, page_size=5)  # 15 jobs: two older pages not loaded
    oldest = world.highlights["job:sql-gen"]
    assert oldest in oldest_first(world)[:5]
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert oldest not in app.main.job_list.visible_ids
        assert "more below" in screen_text(app)
        await pilot.press("slash", *"sql-gen")
        await wait_for_workers(pilot, "search-older")
        assert list(app.main.job_list.visible_ids) == [oldest]
        title = screen_text(app).splitlines()[1]
        assert "jobs 1/15 · filter: sql-gen" in title
        assert "more below" not in title and "searching" not in title


async def test_an_empty_filter_reads_no_older_page() -> None:
    world = new_world()
    app = build_app(world, page_size=5)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        lists = world.stats_snapshot()["routes"][LIST_ROUTE]
        shown = len(app.main.job_list.visible_ids)
        assert shown < 15
        await pilot.press("slash", "space", "backspace", "escape")
        await wait_for_workers(pilot, "search-older")
        assert world.stats_snapshot()["routes"][LIST_ROUTE] == lists
        assert len(app.main.job_list.visible_ids) == shown
