"""The life of an ordinary job, unrolled lazily from its plan and the clock.

``validating_files -> queued -> running -> succeeded`` (or ``failed`` at validation), plus
``pausing -> paused -> running`` and ``cancelled`` on request. On the Azure flavour (``azure``),
a resumed job passes through ``resuming``, only a running job with a step done may pause, and
pausing makes a checkpoint (see :meth:`Lifecycle.pause`). :meth:`Lifecycle.advance` writes
every event up to ``now`` into the job's log; nothing runs in the background, and advancing twice
to the same time changes nothing: state is a pure function of the plan, the actions and the clock.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any, Protocol

from ftmon.sim.errors import ApiError
from ftmon.sim.eventlog import EventLog, Note

FINAL = frozenset({"succeeded", "failed", "cancelled"})
# When the closing events come, as fractions of finalize_seconds after the last step. Real event
# lists (OpenAI's cookbook on fine-tuning chat models, and jobs users printed with openai-python)
# show every "Checkpoint created at step N with Snapshot ID: <name>" at the end of the job, in the
# same second as "New fine-tuned model created: <name>", not as each checkpoint is made.
SNAPSHOTS_AT, EVALUATING_AT, MODERATION_AT, ENABLED_AT = 0.2, 0.45, 0.65, 0.85


@dataclass
class RunPlan:
    """Everything that decides an untouched job's timeline."""

    created_at: float
    total_steps: int
    n_epochs: int
    seconds_per_step: float = 1.0
    validate_seconds: float = 30.0
    queue_seconds: float = 60.0
    finalize_seconds: float = 40.0
    pause_seconds: float = 8.0
    metrics_every: int = 1
    tokens_per_step: int = 2048
    # {"code", "message", "param"}: the job fails when validation ends.
    failure: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.total_steps < 1 or self.n_epochs < 1 or self.total_steps < self.n_epochs:
            raise ValueError("need total_steps >= n_epochs >= 1")
        if self.seconds_per_step <= 0 or self.metrics_every < 1:
            raise ValueError("need seconds_per_step > 0 and metrics_every >= 1")

    def epoch_ends(self) -> list[int]:
        return [round(self.total_steps * e / self.n_epochs) for e in range(1, self.n_epochs + 1)]


class LifecycleHooks(Protocol):
    """What the owning job is told, and asked, as the timeline unrolls."""

    def on_checkpoint(self, step: int, t: float) -> None: ...

    def snapshot_messages(self) -> list[str]:
        """The closing "Checkpoint created ..." messages, then "New fine-tuned model created"."""
        ...

    def moderation_checks(self) -> tuple[str, dict[str, Any]] | None:
        """The message and data of a ``moderation_checks`` event, for the methods that have one."""
        ...

    def on_succeeded(self, t: float) -> None: ...


class Lifecycle:
    """Status, progress and events of one job with an automatic timeline."""

    def __init__(
        self,
        plan: RunPlan,
        *,
        job_id: str,
        training_file: str,
        validation_file: str | None,
        log: EventLog,
        hooks: LifecycleHooks,
        marks: list[int] | None = None,
    ) -> None:
        """``marks``: the steps with full-validation metrics and a checkpoint (epoch ends)."""
        self.plan = plan
        self.job_id = job_id
        self.training_file = training_file
        self.validation_file = validation_file
        self.log = log
        self.hooks = hooks
        self.status = "validating_files"
        self.step = 0
        self.error: dict[str, Any] | None = None
        self.finished_at: int | None = None
        self._opened = False
        self._marks = sorted(set(marks)) if marks else plan.epoch_ends()
        if self._marks[-1] != plan.total_steps or self._marks[0] < 1:
            raise ValueError("marks must be steps of the run, the last step last")
        self._queued_at = 0.0
        self._t0 = 0.0  # start time of the current running stretch
        self._s0 = 0  # step at the start of the current running stretch
        self._pause_at = 0.0
        self._carry = 0.0  # seconds of the unfinished step when a pause was asked
        self._closing: list[Note] | None = None
        self._final_index = 0
        self._resume_at = 0.0
        self.fields: dict[str, Any] = {}
        self.azure = False  # the Azure flavour's pause and resume rules
        #: Frozen (a test's stall): running, but no step is trained and no metrics written.
        self.frozen = False
        #: Seconds added to the queue by ``stretch_queue`` (a test's long queue).
        self._queue_extra = 0.0

    # -- reading -------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.status not in FINAL

    @property
    def total_steps(self) -> int:
        return self.plan.total_steps

    @property
    def with_valid(self) -> bool:
        return self.validation_file is not None

    @property
    def trained_tokens(self) -> int | None:
        if self.status != "succeeded":
            return None
        return self.plan.total_steps * self.plan.tokens_per_step

    def time_of(self, step: int) -> float:
        """When ``step`` completes (or completed) in the current running stretch."""
        return self._t0 + (step - self._s0) * self.plan.seconds_per_step

    def estimated_finish(self) -> int | None:
        if self.status != "running":
            return None
        return int(self.time_of(self.plan.total_steps) + self.plan.finalize_seconds)

    # -- unrolling -----------------------------------------------------------------------

    def _note(self, t: float, message: str, level: str = "info", **extra: Any) -> None:
        self.log.add(Note(t, level, message, **extra))

    def advance(self, now: float) -> None:
        """Materialise every transition and event with time <= ``now``."""
        plan = self.plan
        if not self._opened:
            if now < plan.created_at:
                return
            self._opened = True
            self._note(plan.created_at, f"Created fine-tuning job: {self.job_id}", data={})
            files = f"Validating training file: {self.training_file}"
            if self.validation_file:
                files += f" and validation file: {self.validation_file}"
            self._note(plan.created_at, files)
        while True:
            if self.status == "validating_files":
                t = plan.created_at + plan.validate_seconds
                if now < t:
                    return
                if plan.failure:
                    self._fail(t, plan.failure)
                    return
                self._note(t, "Files validated, moving job to queued state")
                self.status, self._queued_at = "queued", t
            elif self.status == "queued":
                t = self._queued_at + plan.queue_seconds + self._queue_extra
                if now < t:
                    return
                self._note(t, "Fine-tuning job started")
                self.status, self._t0, self._s0 = "running", t, 0
            elif self.status == "running":
                self._run(now)
                return
            elif self.status == "pausing":
                t = self._pause_at + plan.pause_seconds
                if now < t:
                    return
                self._note(t, f"Fine-tuning job paused at step {self.step}")
                self.status = "paused"
                if self.azure and self.step not in self._marks:
                    # Azure's fine-tuning docs, as issue 14 reports them (the page itself was
                    # not checked here): pausing a job creates a deployable checkpoint.
                    self.hooks.on_checkpoint(self.step, t)
            elif self.status == "resuming":
                t = self._resume_at + plan.pause_seconds
                if now < t:
                    return
                self._note(t, "Fine-tuning job resumed")
                # The rest of the timeline shifts by the time spent pausing, paused and resuming.
                self._t0, self._s0 = t - self._carry, self.step
                self.status = "running"
            else:
                return

    def _fail(self, t: float, error: dict[str, Any]) -> None:
        self.error = {
            "code": error.get("code"),
            "message": error.get("message"),
            "param": error.get("param"),
        }
        data = {"error_code": self.error["code"], "error_param": self.error["param"]}
        self._note(t, str(self.error["message"]), level="error", data=data)
        self.status, self.finished_at = "failed", int(t)

    def _run(self, now: float) -> None:
        if self.frozen:
            return  # a stall: the clock moves, the steps do not
        plan, total = self.plan, self.plan.total_steps
        if self.step < total:
            done = self._s0 + math.floor((now - self._t0) / plan.seconds_per_step + 1e-9)
            target = min(total, done)
            if target > self.step:
                self._emit_steps(self.step + 1, target)
                self.step = target
        if self.step < total:
            return
        last = self.time_of(total)
        if self._closing is None:
            self._closing = self._closing_notes(last)
        while self._final_index < len(self._closing):
            note = self._closing[self._final_index]
            if now < note.t:
                return
            self.log.add(note)
            self._final_index += 1
        self._closing = []  # all in the log now
        self.status, self.finished_at = "succeeded", int(last + plan.finalize_seconds)
        self.hooks.on_succeeded(last + plan.finalize_seconds)

    def _closing_notes(self, last: float) -> list[Note]:
        """The events after the last step, made once (the kept checkpoints are known by then)."""

        def at(fraction: float) -> float:
            return last + fraction * self.plan.finalize_seconds

        notes = [Note(at(SNAPSHOTS_AT), "info", m, data={}) for m in self.hooks.snapshot_messages()]
        notes.append(Note(at(EVALUATING_AT), "info", "Evaluating model against our usage policies"))
        check = self.hooks.moderation_checks()
        if check is not None:
            notes.append(Note(at(MODERATION_AT), "info", check[0], "moderation_checks", check[1]))
        enabled = "Usage policy evaluations completed, model is now enabled for sampling"
        notes.append(Note(at(ENABLED_AT), "info", enabled))
        notes.append(Note(at(1.0), "info", "The job has successfully completed"))
        return notes

    def _emit_steps(self, first: int, last: int) -> None:
        """Events of steps first..last: strided metrics; full metrics and a checkpoint per mark."""
        every = self.plan.metrics_every
        index = bisect.bisect_left(self._marks, first)
        cursor = first
        while cursor <= last:
            mark = self._marks[index] if index < len(self._marks) else None
            stop = last if mark is None else min(last, mark - 1)
            lo, hi = -(-cursor // every) * every, (stop // every) * every
            self.log.add_metrics(
                lo, hi, every, t0=self._t0, s0=self._s0, sps=self.plan.seconds_per_step
            )
            if mark is None or mark > last:
                return
            t = self.time_of(mark)
            self.log.add_metrics(
                mark, mark, 1, t0=self._t0, s0=self._s0, sps=self.plan.seconds_per_step,
                full=True,
            )  # fmt: skip
            self.hooks.on_checkpoint(mark, t)
            index, cursor = index + 1, mark + 1

    # -- actions (the caller has advanced to ``now`` first) ------------------------------

    def _refuse(self, action: str) -> ApiError:
        return ApiError(
            400,
            f"Cannot {action} fine-tuning job {self.job_id} because its status is {self.status}.",
            azure_code="unexpectedEntityState",
        )

    def cancel(self, now: float) -> None:
        if not self.active:
            raise ApiError(
                400,
                f"Job {self.job_id} has already {self.status} and cannot be cancelled.",
                azure_code="unexpectedEntityState",
            )
        self._note(now, "Fine-tuning job cancelled")
        self.status = "cancelled"

    def pause(self, now: float) -> None:
        if self.status != "running" or self.step >= self.plan.total_steps:
            raise self._refuse("pause")
        if self.azure and self.step < 1:
            # Azure's fine-tuning docs, as issue 14 reports them: only a running job that has
            # trained at least one step can be paused (pausing makes a checkpoint of it). The
            # message is a guess.
            raise ApiError(
                400,
                f"Cannot pause fine-tuning job {self.job_id} before it has completed a training "
                "step.",
                azure_code="unexpectedEntityState",
            )
        self._pause_at = now
        self._carry = min(max(0.0, now - self.time_of(self.step)), self.plan.seconds_per_step)
        self._note(now, "Fine-tuning job pause requested")
        self.status = "pausing"

    def resume(self, now: float) -> None:
        if self.status != "paused":
            raise self._refuse("resume")
        if self.azure:
            # Azure's FineTuningState: "resuming" comes between "paused" and "running".
            self._resume_at = now
            self._note(now, "Fine-tuning job resume requested")
            self.status = "resuming"
            return
        # The rest of the timeline shifts by exactly the time spent pausing and paused.
        self._t0, self._s0 = now - self._carry, self.step
        self._note(now, "Fine-tuning job resumed")
        self.status = "running"

    # -- the test controls (``/_sim/jobs/{id}/freeze``, ``.../queue``) --------------------

    def freeze(self, now: float) -> None:
        """Stop training where it is: the job stays ``running`` and writes no step until
        :meth:`unfreeze` (a stall, as a stuck worker makes one)."""
        if self.status != "running" or self.step >= self.plan.total_steps:
            raise self._refuse("freeze")
        if not self.frozen:
            self.frozen = True
            self._carry = min(max(0.0, now - self.time_of(self.step)), self.plan.seconds_per_step)

    def unfreeze(self, now: float) -> None:
        """Train again from the step it stopped at; the rest of the timeline shifts."""
        if self.frozen:
            self.frozen = False
            self._t0, self._s0 = now - self._carry, self.step

    def stretch_queue(self, seconds: float) -> None:
        """Keep a job that has not started yet ``seconds`` longer in the queue."""
        if self.status not in ("validating_files", "queued"):
            raise self._refuse("stretch the queue of")
        self._queue_extra += seconds
