"""What the main screen's keys do to the job under the cursor: cancel, pause and resume (asked
first), permissions, copy, a new job (blank, or like this one), export, mark and compare.

A part of :class:`~ftmon.tui.main_screen.MainScreen`, kept apart so that the screen's own module
holds the panes, the selection and the engine's updates, and this one what a key sends to the API
or opens on top. What it reads of the screen is declared in :class:`~ftmon.tui.main_base.MainBase`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual import work

from ftmon.api.models import FineTuningJob
from ftmon.create.request import CreateInput, JobCopy, job_copy
from ftmon.export import compare_series, default_directory, export_job
from ftmon.monitor.series import MetricSeries
from ftmon.present.fields import job_title, status_text
from ftmon.present.provider import (
    DELETE_CONSEQUENCE,
    NO_CHECKPOINT_SHARING,
    consequence,
    delete_refusal,
)
from ftmon.text import one_line
from ftmon.tui.filtering import matches
from ftmon.tui.main_base import MainBase
from ftmon.tui.messages import say
from ftmon.tui.screens.compare import CompareScreen
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.create import CreateJobScreen
from ftmon.tui.screens.permissions import PermissionsScreen


def delete_question(job: FineTuningJob) -> Text:
    """The delete dialog's question: the job, its state and model, and what goes."""
    question = Text()
    question.append("Delete job ")
    question.append(one_line(job.id), style="bold")
    suffix = one_line(job.display_suffix, width=40)
    if suffix:
        question.append(f" ({suffix})")
    question.append(f", {status_text(job.status)}?")
    question.append(f"\n{DELETE_CONSEQUENCE}")
    if job.fine_tuned_model:
        question.append("\nIts model stays: ")
        question.append(one_line(job.fine_tuned_model, width=80), style="bold")
    return question


def compare_label(job: FineTuningJob) -> str:
    """A run in the comparison's legend: its suffix first, as ids all look alike when cut."""
    suffix = one_line(job.display_suffix, width=40)
    return f"{suffix} · {one_line(job.id)}" if suffix else one_line(job.id)


class JobActions(MainBase):
    """The job actions of the main screen (see the module's docstring)."""

    # -- cancel, pause, resume -----------------------------------------------------------------

    def action_cancel_job(self) -> None:
        self._confirm_and_act("cancel")

    def action_pause_job(self) -> None:
        self._confirm_and_act("pause")

    def action_resume_job(self) -> None:
        self._confirm_and_act("resume")

    def _steps_done(self, job: FineTuningJob) -> int | None:
        """The job's last trained step, when its metrics are loaded (Azure's pause rule)."""
        series = self._series(job.id)
        if series is None:
            return None
        latest = series.latest()
        return latest[0] if latest is not None else 0

    def _allows(self, action: str, job: FineTuningJob) -> bool:
        return self.rules.allows(action, job.status, steps_done=self._steps_done(job))

    def _confirm_and_act(self, action: str) -> None:
        job = self._selected_job()
        if job is None or self.read_only:
            return
        refusal = self.rules.refusal(action, job.status, steps_done=self._steps_done(job))
        if refusal is not None:
            self.flash(f"cannot {action} {one_line(job.id)}: {refusal}")
            return
        job_id = job.id
        question = Text()
        question.append(f"{action.capitalize()} job ")
        question.append(one_line(job_id), style="bold")
        suffix = one_line(job.display_suffix, width=40)
        if suffix:
            question.append(f" ({suffix})")
        question.append(f", now {status_text(job.status)}?")
        question.append(f"\n{consequence(self.rules, action)}")
        labels = (f"{action.capitalize()} job", self.rules.keep_label(job.status))

        def answered(yes: bool | None) -> None:
            if yes:
                self._act(action, job_id)

        self.app.push_screen(
            ConfirmScreen(question, yes_label=labels[0], no_label=labels[1]), answered
        )

    @work(group="actions", exit_on_error=False, description="send the request")
    async def _act(self, action: str, job_id: str) -> None:
        job = await self.monitor.act(action, job_id)
        if job is not None:
            # Keyed by the job: the engine's "Job cancelled" that follows replaces it.
            say(
                self,
                f"{one_line(job_id)} is now {status_text(job.status)}",
                title=f"{action.capitalize()} requested",
                key=f"job:{job_id}",
            )

    # -- delete (Azure OpenAI) -------------------------------------------------------------------

    def action_delete_job(self) -> None:
        """Delete the finished job under the cursor, after a dialog that says what goes."""
        job = self._selected_job()
        if job is None or self.read_only or not self.rules.deletes_jobs:
            return
        refusal = delete_refusal(self.rules, job.status)
        if refusal is not None:
            self.flash(f"cannot delete {one_line(job.id)}: {refusal}")
            return
        job_id = job.id

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(job_id)

        self.app.push_screen(
            ConfirmScreen(delete_question(job), yes_label="Delete job", no_label="Keep the job"),
            answered,
        )

    @work(group="actions", exit_on_error=False, description="delete the job")
    async def _delete(self, job_id: str) -> None:
        if await self.monitor.delete(job_id):
            say(
                self,
                f"{one_line(job_id)} is deleted; its fine-tuned model is not.",
                title="Job deleted",
            )

    # -- permissions, copy -----------------------------------------------------------------------

    def action_permissions(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        if not self.rules.shares_checkpoints:
            self.flash(NO_CHECKPOINT_SHARING)  # nothing is sent
            return
        checkpoints = self.monitor.checkpoints(job.id)
        if not checkpoints:
            loading = not self.monitor.is_loaded(job.id)
            message = "Loading this job's checkpoints…" if loading else "No checkpoints yet."
            say(self, message, seconds=3)
            return
        if not self.monitor.client.settings.admin_key:
            say(
                self,
                "Checkpoint permissions need an admin key: set OPENAI_ADMIN_KEY or admin_key "
                "in the config file.",
                "warning",
                title="No admin key",
            )
            return
        self.app.push_screen(
            PermissionsScreen(self.monitor.client, checkpoints, read_only=self.read_only)
        )

    def copy_target(self) -> str | None:
        """What ``y`` copies: the checkpoint or fine-tuned model in focus, else the job id."""
        job = self._selected_job()
        if job is None:
            return None
        focused = self.focused
        if focused is self.checkpoint_table and self.checkpoint_table.selected_model:
            return self.checkpoint_table.selected_model
        if focused is self.overview and job.fine_tuned_model:
            return one_line(job.fine_tuned_model)
        return one_line(job.id)

    def action_copy(self) -> None:
        text = self.copy_target()
        if not text:
            return
        self.app.copy_to_clipboard(text)
        say(self, f"Copied {text}", seconds=3)

    # -- create ------------------------------------------------------------------------------------

    def action_create_job(self) -> None:
        """A new form, or the one closed unsent, as it was left."""
        draft = self.create_draft
        note = "Reopened as you left it." if draft is not None else ""
        self._open_create(draft, note)

    def action_create_like(self) -> None:
        """A form filled from the job under the cursor; its title names the job, and it says
        what it could not copy."""
        job = self._selected_job()
        if job is not None:
            self._open_create(None, source=job_copy(job))

    def _open_create(
        self, initial: CreateInput | None, note: str = "", source: JobCopy | None = None
    ) -> None:
        if self.read_only:
            return
        screen = CreateJobScreen(
            self.monitor.client,
            initial=initial,
            on_submit=self._submit_job,
            opening_note=note,
            source=source,
        )
        self.app.push_screen(screen, partial(self._create_closed, screen))

    def _create_closed(self, screen: CreateJobScreen, body: dict[str, Any] | None) -> None:
        """Keep what was typed in a form closed unsent (``n`` reopens it); forget it once sent."""
        if body is not None:
            self.create_draft = None
        elif screen.draft is not None:
            self.create_draft = screen.draft

    async def _submit_job(self, body: dict[str, Any]) -> None:
        """Send the form's request (an API refusal is marked in the form, which stays open)."""
        job = await self.monitor.client.create_job(body)
        self._follow_new_job(job)

    def _follow_new_job(self, job: FineTuningJob) -> None:
        """Select the new job now and put the cursor on it as soon as the list has it."""
        say(self, job_title(job), title="Job created", seconds=8)
        if not self._panes_ready():
            return
        self.monitor.select(job.id)
        if self.job_list.query_text and not matches(job, self.job_list.query_text):
            self.action_clear_filter()  # the filter would hide the new job
        if self.job_list.select_job(job.id):
            return
        # Like --job: the next list poll brings the job and the engine's update moves the cursor.
        self.pending_job = job.id
        self.overview.show_message(f"opening {one_line(job.id)}…")
        self.monitor.refresh_now()

    # -- export, mark, compare ---------------------------------------------------------------------

    def action_export_job(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        say(self, f"Exporting {one_line(job.id)}…", seconds=3, key=f"export:{job.id}")
        self._export(job.id)

    @work(group="export", exit_on_error=False, description="export the job")
    async def _export(self, job_id: str) -> None:
        result = await export_job(self.monitor.client, job_id, default_directory(job_id))
        notes = "".join(f" · {one_line(note)}" for note in result.notes)
        say(self, result.summary() + notes, title="Exported", seconds=10, key=f"export:{job_id}")

    def action_mark_job(self) -> None:
        job_id = self.job_list.selected_id
        if job_id is None:
            return
        self.job_list.toggle_mark(job_id)
        self._update_jobs_title()
        self._refresh_bindings_if_changed()  # two marked: the footer offers compare

    def action_compare(self) -> None:
        ids = [i for i in self.job_list.marked_ids if self.monitor.job(i) is not None]
        if len(ids) < 2:
            mark = self._key_for("mark_job")
            compare = self._key_for("compare")
            say(
                self,
                f"Mark two or more jobs with {mark} to compare them, then press {compare}.",
                title="Compare runs",
                seconds=5,
            )
            return
        self._compare(ids)

    @work(
        group="compare", exclusive=True, exit_on_error=False, description="load the runs to compare"
    )
    async def _compare(self, ids: list[str]) -> None:
        """The engine's series of the jobs it has loaded; the others fetched once, here."""
        jobs = [job for job in map(self.monitor.job, ids) if job is not None]
        missing = [job for job in jobs if not self.monitor.is_loaded(job.id)]
        fetched: dict[str, tuple[str, MetricSeries]] = {}
        if missing:
            count = len(missing)
            say(self, f"Loading the metrics of {count} job{'s' if count != 1 else ''}…", seconds=3)
            fetched = await compare_series(self.monitor.client, missing)
        runs = {
            job.id: (
                compare_label(job),
                fetched[job.id][1] if job.id in fetched else self.monitor.series(job.id),
            )
            for job in jobs
        }
        if self._panes_ready():
            self.app.push_screen(CompareScreen(runs, source=self.monitor))
