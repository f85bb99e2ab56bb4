"""How a job reads in plain words: its status, progress, title, fields and checkpoints.

Shared by the TUI (the job list, the overview, the checkpoints tab) and the headless commands
(``ftmon jobs``, ``show``, ``checkpoints``, ``watch``), so the screen and a script never disagree.
Pure functions over the API models, no Textual. Every string that came from the API passes
through :func:`ftmon.text.clean` (or :func:`~ftmon.text.one_line`) here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, normalise_status
from ftmon.monitor.doctor import Diagnosis
from ftmon.monitor.series import ALIASES, LABELS, MetricSeries
from ftmon.present.doctor import doctor_lines, flag_line
from ftmon.text import age, clean, local_time, one_line, until

#: status -> (glyph, colour name usable by Rich styles). Every status has its own glyph, none of
#: them ``…`` (a cut cell's ellipsis); a hollow glyph is the way into its solid one (resuming ▷
#: running ▶, cancelling □ cancelled ■, pausing ¦ paused ‖). The one table of status glyphs: the
#: ASCII fallback maps these.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "created": ("◇", "cyan"),
    "validating_files": ("◌", "cyan"),
    "queued": ("○", "cyan"),
    "pending": ("◔", "cyan"),
    "running": ("▶", "blue"),
    "pausing": ("¦", "yellow"),
    "paused": ("‖", "yellow"),
    "resuming": ("▷", "blue"),
    "cancelling": ("□", "magenta"),
    "succeeded": ("✔", "green"),
    "failed": ("✘", "red"),
    "cancelled": ("■", "magenta"),
}
#: A status in at most 10 cells, for the job list's status column (``validating_files`` is long).
STATUS_WORDS: dict[str, str] = {"validating_files": "validating"}
UNKNOWN_STYLE = ("?", "white")
#: Statuses only Azure OpenAI sends (help's legend lists them only there).
AZURE_STATUSES = frozenset({"created", "resuming"})


def status_style(status: str | None) -> tuple[str, str]:
    """Glyph and colour for a status; unknown statuses get ``?`` and plain white."""
    return STATUS_STYLE.get(normalise_status(status), UNKNOWN_STYLE)


def status_word(status: str | None) -> str:
    """The status in at most 10 cells (the job list's column): a known status as a short word,
    an unknown one cut at the end."""
    key = normalise_status(status)
    if key in STATUS_WORDS:
        return STATUS_WORDS[key]
    text = status_text(status)
    return text if len(text) <= 10 else text[:9] + "…"


def status_text(status: str | None) -> str:
    """The status as the server sent it, cleaned; ``unknown`` if absent."""
    return one_line(status) or "unknown"


@dataclass(frozen=True)
class Progress:
    step: int | None
    total: int | None

    @property
    def fraction(self) -> float | None:
        if self.step is None or not self.total:
            return None
        return max(0.0, min(1.0, self.step / self.total))

    def describe(self) -> str:
        """``120/900 13%``; ``—`` when nothing is known: the job list's and ``show``'s form."""
        if self.step is None:
            return "—"
        if not self.total:
            return f"{self.step}"
        return f"{self.step}/{self.total} {int(self.fraction * 100):d}%"  # type: ignore[operator]


def job_progress(job: FineTuningJob, series: MetricSeries | None) -> Progress:
    """Step and total from the latest metrics; a succeeded job counts as complete."""
    latest = series.latest() if series is not None else None
    total = series.total_steps if series is not None else None
    step = latest[0] if latest else None
    if job.status_key == "succeeded" and total:
        step = total
    return Progress(step, total)


def progress_brief(job: FineTuningJob, series: MetricSeries | None) -> str:
    """``13%``, a bare step when the total is unknown, ``100%`` for a success, else ``—``.

    The short form of ``ftmon jobs``' table, which reads only the newest events of running
    jobs: a succeeded job whose metrics it did not read is still ``100%`` there.
    """
    progress = job_progress(job, series)
    if progress.fraction is not None:
        return f"{int(progress.fraction * 100)}%"
    if job.status_key == "succeeded":
        return "100%"
    if progress.step is not None:
        return f"step {progress.step}"
    return "—"


def job_eta(job: FineTuningJob, now: float) -> str:
    if job.is_final:
        return ""
    return until(job.estimated_finish, now)


def job_title(job: FineTuningJob) -> str:
    """The job's id, and its suffix when it has one: a chart's or an export's title."""
    suffix = one_line(job.display_suffix, width=40)
    return one_line(job.id) + (f" ({suffix})" if suffix else "")


def format_value(value: Any) -> str:
    """A hyperparameter or metadata value for a person."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return one_line(json.dumps(value, ensure_ascii=False, default=str), width=200)
    return one_line(value)


def hyperparameter_rows(job: FineTuningJob) -> list[tuple[str, str]]:
    """The hyperparameters of the job's method, from wherever the server put them."""
    hyper = job.effective_hyperparameters
    if hyper is None:
        return []
    return [(one_line(k), format_value(v)) for k, v in hyper.present().items()]


def grader_summary(job: FineTuningJob) -> str | None:
    """A reinforcement job's grader in a few words: type and name."""
    detail = job.method.detail() if job.method else None
    grader = detail.grader if detail else None
    if not grader:
        return None
    kind = one_line(grader.get("type")) or "grader"
    name = one_line(grader.get("name"))
    return f"{kind} · {name}" if name else kind


@dataclass(frozen=True)
class Field:
    """One line of the detail view: a label, a value, and an optional style hint."""

    label: str
    value: str
    style: str = ""


def job_fields(
    job: FineTuningJob,
    now: float,
    series: MetricSeries | None = None,
    diagnosis: Diagnosis | None = None,
) -> list[Field]:
    """Every field of the job in plain words, in reading order; with the doctor's
    ``diagnosis`` (:mod:`ftmon.present.doctor`), its flags under the status, and the phases,
    the pace and both ETAs in place of the API's ETA alone."""
    glyph, colour = status_style(job.status)
    rows: list[Field] = [Field("status", f"{glyph} {status_text(job.status)}", colour)]
    flagged = flag_line(diagnosis)
    if flagged:
        rows.append(Field("flag", flagged, "bold yellow"))
    rows += [
        Field("id", one_line(job.id)),
        Field("base model", one_line(job.model) or "—"),
        Field("fine-tuned model", one_line(job.fine_tuned_model) or "—"),
        Field("suffix", one_line(job.display_suffix) or "—"),
        Field("method", one_line(job.method_type)),
    ]
    progress = job_progress(job, series)
    if progress.step is not None:
        rows.append(Field("progress", progress.describe()))
    if diagnosis is not None:
        rows += [Field(label, value) for label, value in doctor_lines(diagnosis, job, now)]
    else:
        eta = job_eta(job, now)
        if eta:
            rows.append(Field("eta", f"in {eta} ({local_time(job.estimated_finish)})"))
    for name, value in hyperparameter_rows(job):
        rows.append(Field(f"  {name}", value))
    grader = grader_summary(job)
    if grader:
        rows.append(Field("  grader", grader))
    rows += [
        Field("training file", one_line(job.training_file) or "—"),
        Field("validation file", one_line(job.validation_file) or "—"),
        Field("result files", ", ".join(one_line(f) for f in job.result_files) or "—"),
        Field(
            "trained tokens",
            f"{job.trained_tokens:,}" if job.trained_tokens is not None else "—",
        ),
        Field("seed", str(job.seed) if job.seed is not None else "—"),
        Field("organization", one_line(job.organization_id) or "—"),
    ]
    for key, value in sorted((job.metadata or {}).items()):
        rows.append(Field(f"meta {one_line(key, width=24)}", format_value(value)))
    for integration in job.integrations:
        wandb = integration.wandb
        if wandb is not None:
            where = "/".join(one_line(p) for p in (wandb.entity, wandb.project) if p)
            extra = f" run {one_line(wandb.name)}" if wandb.name else ""
            tags = f" tags {', '.join(one_line(t) for t in wandb.tags)}" if wandb.tags else ""
            rows.append(Field("wandb", f"{where}{extra}{tags}" or "—"))
        else:
            rows.append(Field("integration", one_line(integration.type) or "—"))
    rows.append(Field("created", _when(job.created_at, now)))
    if job.finished_at is not None:
        rows.append(Field("finished", _when(job.finished_at, now)))
        if job.created_at is not None:
            rows.append(Field("took", _span(job.finished_at - job.created_at)))
    if job.has_error and job.error is not None:
        rows.append(Field("error code", one_line(job.error.code) or "—", "red"))
        rows.append(Field("error", clean(job.error.message), "red"))
        if job.error.param:
            rows.append(Field("error param", one_line(job.error.param), "red"))
    return rows


def _when(timestamp: int | None, now: float) -> str:
    if timestamp is None:
        return "—"
    return f"{local_time(timestamp)} ({age(timestamp, now)} ago)"


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def checkpoint_rows(
    checkpoints: tuple[FineTuningJobCheckpoint, ...], *, best: str | None = None
) -> list[dict[str, str]]:
    """Checkpoints as rows: step, model name, and every metric present; with ``best`` (the id
    of the checkpoint to keep, see :mod:`ftmon.present.keep`) a ``keep`` column marks it."""
    rows = []
    for ckpt in checkpoints:
        row = {"step": str(ckpt.step_number) if ckpt.step_number is not None else "—"}
        if best is not None:
            row["keep"] = "best" if ckpt.id == best else ""
        row["model"] = one_line(ckpt.fine_tuned_model_checkpoint) or one_line(ckpt.id)
        for name, value in ckpt.metrics.present().items():
            if name != "step":
                row[LABELS.get(ALIASES.get(name, name), name)] = f"{value:.4f}"
        rows.append(row)
    return rows
