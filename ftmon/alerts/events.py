"""What an alert says: one event of one job, the job's fields cleaned, and its words.

Everything here that came from the API goes through :func:`ftmon.text.clean` (controls and
format characters out, the process's keys blanked, lengths cut) and then has every alert
secret (a webhook URL, an ntfy token) blanked too: a server that echoed one back in a suffix
or an error message does not get it posted to a channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, normalise_status
from ftmon.text import clean, one_line, redact

#: The longest string of a job's fields in a payload; a real one is far shorter.
FIELD_LIMIT = 2_000
#: How deep and how wide a job's nested fields are copied (metadata, method, integrations).
_DEPTH = 6
_WIDTH = 100

#: Final statuses as events: a job's status is the event's name.
END_EVENTS = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class AlertEvent:
    """One thing to tell: ``event`` (an :data:`ftmon.config.ALERT_EVENTS` name) of ``job``."""

    event: str
    job: FineTuningJob
    #: The checkpoint of a ``checkpoint`` or ``best_checkpoint`` event.
    checkpoint: FineTuningJobCheckpoint | None = None
    #: More words: a stall's ("no new step for 42m (usual 30s)"), the best's rule and score.
    detail: str | None = None
    #: What makes this event itself beside its job: the checkpoint id, the step a stall stopped
    #: at; empty for a job's end. Part of what "sent once" remembers.
    key: str = ""

    @property
    def job_id(self) -> str:
        return self.job.id


def scrub(value: Any, secrets: Iterable[str] = (), *, depth: int = _DEPTH) -> Any:
    """JSON data with every string cleaned (:func:`clean`) and ``secrets`` blanked, bounded in
    depth and width: what the API sent, safe to post."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(clean(value, multiline=True, limit=FIELD_LIMIT), secrets)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth <= 0:
        return "…"
    if isinstance(value, Mapping):
        return {
            scrub(str(k), secrets, depth=depth - 1): scrub(v, secrets, depth=depth - 1)
            for k, v in list(value.items())[:_WIDTH]
        }
    if isinstance(value, list | tuple):
        return [scrub(v, secrets, depth=depth - 1) for v in value[:_WIDTH]]
    return scrub(str(value), secrets, depth=depth - 1)


def job_fields(job: FineTuningJob, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The job's fields as the API gave them (unknown ones too), cleaned."""
    data = job.model_dump(mode="json", by_alias=True)
    result = scrub(data, secrets)
    assert isinstance(result, dict)
    return result


def checkpoint_fields(
    checkpoint: FineTuningJobCheckpoint, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    result = scrub(checkpoint.model_dump(mode="json", by_alias=True), secrets)
    assert isinstance(result, dict)
    return result


def _model_words(job: FineTuningJob) -> str:
    model = one_line(job.model) or "a model"
    suffix = job.display_suffix
    return f"{model} ({one_line(suffix)})" if suffix else model


def title(event: AlertEvent) -> str:
    """One short line: ``ftjob-abc succeeded``, ``ftjob-abc: new checkpoint``."""
    job_id = one_line(event.job_id, width=64)
    return {
        "succeeded": f"{job_id} succeeded",
        "failed": f"{job_id} failed",
        "cancelled": f"{job_id} was cancelled",
        "stalled": f"{job_id} stalled",
        "checkpoint": f"{job_id}: new checkpoint",
        "best_checkpoint": f"{job_id}: better checkpoint",
    }.get(event.event, f"{job_id}: {one_line(event.event)}")


def words(event: AlertEvent) -> list[str]:
    """The lines after the title: what happened, in words, cleaned."""
    job = event.job
    lines = [f"Fine-tuning {_model_words(job)}"]
    if event.event == "succeeded" and job.fine_tuned_model:
        lines.append(f"Model: {one_line(job.fine_tuned_model)}")
    if event.event == "failed" and job.error is not None and job.error.is_error:
        code = f" ({one_line(job.error.code)})" if job.error.code else ""
        lines.append(f"Error: {one_line(job.error.message, width=500)}{code}")
    checkpoint = event.checkpoint
    if checkpoint is not None:
        step = (
            f"step {checkpoint.step_number:,}" if checkpoint.step_number is not None else "a step"
        )
        name = one_line(checkpoint.fine_tuned_model_checkpoint or checkpoint.id)
        lines.append(f"Checkpoint at {step}: {name}")
    if event.detail:
        detail = one_line(event.detail, width=500)
        lines.append(detail[:1].upper() + detail[1:])
    if normalise_status(job.status) and event.event not in END_EVENTS:
        lines.append(f"Status: {one_line(job.status)}")
    return lines


def message(event: AlertEvent, secrets: Iterable[str] = ()) -> str:
    """The alert's text: its title, then its lines; every secret blanked."""
    return redact("\n".join([title(event), *words(event)]), tuple(secrets))
