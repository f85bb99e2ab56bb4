"""``ftmon watch JOB``: follow status, progress, checkpoints and events until the job ends.

The exit code says how it ended (0 succeeded, 1 failed, 3 cancelled), so CI can wait on a job:
``ftmon watch "$JOB" && deploy``. With ``--json`` every change is one JSON object per line,
``type`` one of ``job event progress checkpoint status health stall end``; ``end`` is always
last. A ``stall`` record comes when the stall and queue doctor (``monitor/doctor.py``) flags the
job (``started``: ``stalled`` or ``long queue``) and when a flag clears (``cleared``), with its
``diagnosis``; a person reads one line for each. ``--stall-exit`` ends the watch with exit 9
when the job is flagged stalled.

A person is shown the last :data:`HISTORY` events of the job's history (and how many older
ones were left out: ``ftmon events JOB`` prints them all), then what happens: new events other
than the metrics ones, checkpoints, status changes, and the progress (step, total, the latest
loss or reward, the ETA). On a terminal the progress is one line rewritten in place (``\r``)
under the others; into a file or a pipe it is a line when it changed, at most one every
:data:`PROGRESS_EVERY` seconds, and the last one before the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from ftmon import exits
from ftmon.alerts import Alerter
from ftmon.api import errors
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.headless.follow import Follower
from ftmon.headless.render import (
    as_json,
    event_indent,
    event_line,
    job_headline,
    status_cell,
    status_change_line,
)
from ftmon.headless.runner import Context
from ftmon.monitor.doctor import Diagnosis
from ftmon.monitor.engine import Monitor
from ftmon.monitor.health import Health
from ftmon.present.doctor import flag_check, flag_line, job_diagnosis
from ftmon.present.fields import Progress, checkpoint_rows, job_eta
from ftmon.text import clean, local_time, one_line

#: Events of the history a person is shown before following the job.
HISTORY = 5
#: Seconds between two progress lines written to a file or a pipe (not a terminal).
PROGRESS_EVERY = 30.0
#: The headline number beside the progress: the first of these the job's metrics have.
PROGRESS_METRICS = (
    ("train_loss", "train loss"),
    ("train_mean_reward", "train reward"),
    ("valid_loss", "valid loss"),
)

EXIT_BY_STATUS = {
    "succeeded": exits.OK,
    "failed": exits.JOB_FAILED,
    "cancelled": exits.JOB_CANCELLED,
}


def exit_code(job: FineTuningJob) -> int:
    return EXIT_BY_STATUS.get(job.status_key, exits.JOB_FAILED)


class WatchReporter:
    """Every change as a human line (events on stdout, connection trouble on stderr) or JSON."""

    def __init__(self, ctx: Context, *, live: bool | None = None) -> None:
        self.ctx = ctx
        self.out = ctx.out
        self.last_status: str | None = None
        self._unhealthy = False
        #: The engine followed: the latest metrics beside the progress.
        self.monitor: Monitor | None = None
        #: Progress rewritten in place on one line (a terminal), else written as lines.
        self.live = not self.out.json_mode and (_is_tty(self.out.stdout) if live is None else live)
        #: The progress line now on the terminal (live), and the words of the last progress.
        self._drawn = ""
        self._words = ""
        #: A person's progress lines (not live): the words of the last written, and when.
        self._written = ""
        self._written_at: float | None = None

    # -- a person's lines, around the live progress line ---------------------------------------

    def _line(self, text: Text | str) -> None:
        """One of a person's lines, broken between words to fit the width (never folded by
        the terminal mid-token), the live progress line kept under it."""
        self._undraw()
        self.out.fit(text if isinstance(text, Text) else Text(text))
        self._draw()

    def _note(self, message: str) -> None:
        self._undraw()  # stderr is often the same terminal
        self.out.note(message)
        self._draw()

    def _draw(self) -> None:
        if self.live and self._words:
            width = max(1, self.out.width - 1)  # never the last cell: no wrap to rewrite
            self._drawn = self._words[:width]
            self.out.stdout.write("\r" + self._drawn)
            self.out.stdout.flush()

    def _undraw(self) -> None:
        if self._drawn:
            self.out.stdout.write("\r" + " " * len(self._drawn) + "\r")
            self.out.stdout.flush()
            self._drawn = ""

    def close(self) -> None:
        """The live line becomes an ordinary one (the shell's prompt must not overwrite it),
        and is drawn no more."""
        if self._drawn:
            self.out.stdout.write("\n")
            self.out.stdout.flush()
            self._drawn = ""
        if self.live:
            self._words = ""

    def _record(self, kind: str, job_id: str | None, **data: Any) -> None:
        self.out.record({"type": kind, "job_id": job_id, **data})

    def job_seen(self, job: FineTuningJob) -> None:
        self.last_status = job.status
        if self.out.json_mode:
            self._record("job", job.id, job=as_json(job))
            return
        line = job_headline(job)
        eta = job_eta(job, self.ctx.conn.now())
        if eta:
            line.append(f"  eta {eta}", style="dim")
        self._line(line)

    def events(
        self, job: FineTuningJob, events: Sequence[FineTuningJobEvent], *, history: bool = False
    ) -> None:
        for event in events:
            if self.out.json_mode:
                self._record("event", job.id, event=as_json(event))
            elif history or not event.is_metrics:
                # Past the history, a person reads the metrics off the progress line.
                line = event_line(event)
                self._undraw()
                self.out.fit(line, indent=event_indent(line, self.out.width))
                self._draw()

    def skipped(self, job: FineTuningJob, events: int, checkpoints: int) -> None:
        """Older history left out (a person's output only: ``--json`` has every event)."""
        words = f"… {events:,} older event{'s' if events != 1 else ''}"
        if checkpoints:
            words += f" and {checkpoints:,} checkpoint{'s' if checkpoints != 1 else ''}"
        self._line(
            Text(f"{words} not shown (ftmon events {one_line(job.id)} lists them)", style="dim")
        )

    def progress(self, job: FineTuningJob, progress: Progress) -> None:
        if self.out.json_mode:
            self._record(
                "progress",
                job.id,
                step=progress.step,
                total_steps=progress.total,
                fraction=progress.fraction,
            )
            return
        self._words = self._progress_words(job, progress)
        if self.live:
            self._undraw()
            self._draw()
            return
        now = self.ctx.conn.clock()
        if self._written_at is None or now - self._written_at >= PROGRESS_EVERY:
            self._write_progress(now)

    def _progress_words(self, job: FineTuningJob, progress: Progress) -> str:
        """``progress  250/600 41% · train loss 0.4123 · eta 12m``: our words and numbers."""
        parts = [progress.describe()]
        latest = self.monitor.series(job.id).latest() if self.monitor is not None else None
        if latest is not None:
            values = latest[1]
            for name, label in PROGRESS_METRICS:
                if name in values:
                    parts.append(f"{label} {values[name]:.4f}")
                    break
        eta = job_eta(job, self.ctx.conn.now())
        if eta:
            parts.append(f"eta {eta}")
        return "progress  " + " · ".join(parts)

    def _write_progress(self, now: float) -> None:
        """The progress as a line of its own (not live), if it changed since the last."""
        if self._words and self._words != self._written:
            line = Text(local_time(self.ctx.conn.now()), style="dim")
            line.append(f"  {self._words}")
            self.out.line(line)
            self._written, self._written_at = self._words, now

    def checkpoints(
        self, job: FineTuningJob, checkpoints: Sequence[FineTuningJobCheckpoint]
    ) -> None:
        if self.out.json_mode:
            for ckpt in checkpoints:
                self._record("checkpoint", job.id, checkpoint=as_json(ckpt))
            return
        for ckpt, row in zip(checkpoints, checkpoint_rows(tuple(checkpoints)), strict=True):
            line = Text(local_time(ckpt.created_at), style="dim")
            line.append("  checkpoint", style="bold")
            line.append(f"  step {row['step']}  {row['model']}")
            self._line(line)

    def status(self, job: FineTuningJob, previous: str | None) -> None:
        self.last_status = job.status
        if self.out.json_mode:
            self._record("status", job.id, status=job.status, previous=previous, job=as_json(job))
        else:
            when = job.finished_at if job.is_final and job.finished_at else self.ctx.conn.now()
            self._line(status_change_line(previous, job.status, when))

    def health(self, health: Health, text: str) -> None:
        if self.out.json_mode:
            self._record(
                "health",
                None,
                state=health.state,
                error=health.error,
                message=text,
                failures=health.failures,
            )
            return
        if health.state == "ok":
            if self._unhealthy:
                self._note("the API answers again")
            self._unhealthy = False
        else:
            self._unhealthy = True
            self._note(text or health.state)

    def doctor(self, job: FineTuningJob, found: Diagnosis, before: tuple[str, ...]) -> None:
        """The doctor's flags changed: a ``stall`` record, or a line."""
        started = [f for f in found.flags if f not in before]
        cleared = [f for f in before if f not in found.flags]
        if self.out.json_mode:
            self._record(
                "stall", job.id, started=started, cleared=cleared, diagnosis=found.to_dict()
            )
            return
        line = Text(local_time(self.ctx.conn.now()), style="dim")
        if started:
            line.append(f"  {flag_line(found)}", style="bold yellow")
        else:
            line.append(f"  no longer {' and '.join(cleared)}", style="bold")
            if found.last_step is not None:
                line.append(f" (step {found.last_step})")
        self._line(line)

    def ended(self, job: FineTuningJob) -> int:
        code = exit_code(job)
        if self.out.json_mode:
            self._record(
                "end",
                job.id,
                status=job.status,
                exit_code=code,
                fine_tuned_model=job.fine_tuned_model,
                error=as_json(job.error) if job.has_error and job.error else None,
            )
            return code
        # The progress at the end stays on screen: the live line as a line of its own, or the
        # last one that the rate left unwritten.
        if self.live:
            self.close()
        else:
            self._write_progress(self.ctx.conn.clock())
        line = status_cell(job.status)
        if job.fine_tuned_model:
            line.append(f"  {one_line(job.fine_tuned_model)}", style="bold")
        if job.has_error and job.error is not None:
            code_text = one_line(job.error.code)
            message = clean(job.error.message)
            line.append(f"  {code_text}: {message}" if code_text else f"  {message}", style="red")
        self._line(line)
        return code

    def failed(self, job_id: str, code: int, message: str) -> None:
        """The command ends on an error: machines get a last ``end`` record (stderr says why)."""
        self.close()
        if self.out.json_mode:
            self._record(
                "end", job_id, status=self.last_status, exit_code=code, error=one_line(message)
            )


class StallCheck:
    """The doctor after each poll of ``watch`` (no timer of its own): reports a change of its
    flags, and ends the watch (exit 9) on a stall with ``--stall-exit``."""

    def __init__(
        self, ctx: Context, monitor: Monitor, reporter: WatchReporter, *, stall_exit: bool
    ) -> None:
        self.ctx = ctx
        self.monitor = monitor
        self.reporter = reporter
        self.stall_exit = stall_exit
        self.flags: tuple[str, ...] = ()

    def __call__(self, job: FineTuningJob) -> None:
        found = flag_check(
            job,
            self.monitor.events(job.id),
            self.monitor.series(job.id),
            self.ctx.conn.now(),
            self.ctx.settings.doctor,
            self.monitor.events_read_at(job.id),
        )
        flags = found.flags if found is not None else ()
        if flags != self.flags:
            if found is None:
                # Out of the statuses a flag applies to (it ended, it was paused): cleared.
                found = job_diagnosis(
                    job,
                    self.monitor.events(job.id),
                    self.monitor.series(job.id),
                    self.ctx.conn.now(),
                    self.ctx.settings.doctor,
                )
            self.reporter.doctor(job, found, self.flags)
        self.flags = flags
        if self.stall_exit and found is not None and found.stalled:
            raise exits.CommandError(
                f"{one_line(job.id)} {flag_line(found)}; ending (--stall-exit)", exits.STALLED
            )


async def watch_command(ctx: Context) -> int:
    """Follow a job until it ends; the exit code says how it ended."""
    reporter = WatchReporter(ctx)
    history = getattr(ctx.args, "history", HISTORY)
    follower = Follower(
        ctx,
        ctx.args.job,
        reporter,
        give_up_after=ctx.args.give_up_after,
        # --json: every event, as before; a person: the newest few, then the progress line.
        history=None if ctx.out.json_mode or history < 0 else history,
    )
    reporter.monitor = follower.monitor
    follower.after_cycle = StallCheck(
        ctx, follower.monitor, reporter, stall_exit=getattr(ctx.args, "stall_exit", False)
    )
    # The user's [[alerts]] hear how the job goes (a demo's simulated jobs send none).
    alerter = None if getattr(ctx.args, "demo", False) else Alerter.from_settings(ctx.settings)
    if alerter is not None:
        alerter.attach(follower.monitor)
    try:
        job = await follower.run()
    except errors.FtmonApiError as exc:
        reporter.failed(ctx.args.job, exits.code_for(exc), str(exc))
        raise
    except exits.CommandError as exc:
        reporter.failed(ctx.args.job, exc.code, exc.message)
        raise
    finally:
        reporter.close()  # Ctrl-C too: the shell's prompt must not overwrite the live line
        if alerter is not None:
            left = await alerter.aclose()
            if left:
                ctx.out.note(f"{left} alert(s) not sent yet: the next ftmon sends them")
    return reporter.ended(job)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
