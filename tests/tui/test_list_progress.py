"""The job list shows a finished job's progress though the app never watched it finish (issue 15
point 9): the engine reads its newest events once, and the row says what ``ftmon jobs`` says."""

from __future__ import annotations

from tuikit import build_app, job_id, new_world, poll, settle

from ftmon.present.rows import progress_text


async def test_finished_jobs_show_their_progress_in_the_list() -> None:
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await poll(pilot)  # the first cycles read 4 finished jobs' progress each
        await poll(pilot)
        ranker, faq = job_id(world, "ranker"), job_id(world, "faq-bot-v2")
        rows = app.main.job_list
        assert rows.row(ranker).progress == "572/600 95%"  # type: ignore[union-attr]
        assert "572/600 95%" in rows.row_text(ranker)
        assert "30/30 100%" in rows.row_text(faq)
        # Every row's words are the one function's, on what the engine read.
        for job in app.monitor.jobs():
            expected = progress_text(job, app.monitor.progress_series(job.id))
            assert rows.row(job.id).progress == expected  # type: ignore[union-attr]
            if job.status in ("succeeded", "cancelled", "running"):
                assert expected != "—"
        # The selected job was not changed by it; none of the finished was loaded in full.
        assert not app.monitor.is_loaded(ranker)
