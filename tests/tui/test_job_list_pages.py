"""A long list grows a page at a time: each older page builds only its own rows."""

from __future__ import annotations

from support.simkit import SIM_START as NOW
from textual.app import App, ComposeResult

from ftmon.api.models import FineTuningJob
from ftmon.present.rows import JobRow, job_row
from ftmon.tui.widgets.job_list import JobList


def jobs(count: int) -> list[FineTuningJob]:
    return [
        FineTuningJob.model_validate(
            {"id": f"ftjob-{i:05d}", "status": "succeeded", "created_at": NOW - 60 * i}
        )
        for i in range(count)
    ]


class ListApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.built: list[str] = []

    def row_for(self, job: FineTuningJob) -> JobRow:
        self.built.append(job.id)
        return job_row(job, None, NOW)

    def compose(self) -> ComposeResult:
        yield JobList(self.row_for, id="jobs")


async def test_an_older_page_builds_only_its_own_rows_and_keeps_the_cursor() -> None:
    app = ListApp()
    everything = jobs(60)
    async with app.run_test(size=(100, 20)) as pilot:
        job_list = app.query_one(JobList)
        job_list.set_jobs(everything[:20])
        assert job_list.select_job("ftjob-00005")
        app.built.clear()
        job_list.set_jobs(everything[:40])  # the next page arrives
        await pilot.pause()
        assert app.built == [j.id for j in everything[20:40]]
        assert job_list.selected_id == "ftjob-00005"
        assert list(job_list.visible_ids) == [j.id for j in everything[:40]]


async def test_a_job_that_changed_while_the_page_arrived_gets_a_new_row() -> None:
    app = ListApp()
    everything = jobs(30)
    async with app.run_test(size=(100, 20)):
        job_list = app.query_one(JobList)
        job_list.set_jobs(everything[:20])
        cancelled = everything[3].model_copy(update={"status": "cancelled"})
        app.built.clear()
        job_list.set_jobs([*everything[:3], cancelled, *everything[4:30]])
        assert app.built == ["ftjob-00003", *(j.id for j in everything[20:30])]
        row = job_list.row("ftjob-00003")
        assert row is not None and row == job_row(cancelled, None, NOW)
