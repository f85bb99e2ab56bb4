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
from ftmon.text import clean, redact

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


def safe(
    value: Any,
    secrets: Iterable[str] = (),
    *,
    width: int | None = None,
    multiline: bool = False,
) -> str:
    """``value`` cleaned (:func:`clean`), every one of ``secrets`` blanked, then cut to ``width``
    with an ellipsis: blanked before the cut, so that no cut leaves the start of a secret, and
    again after the cleaning, which may join one split by control characters. On one line
    (``multiline`` False) runs of whitespace fold to one space."""
    secrets = tuple(secrets)
    text = "" if value is None else str(value)
    bound = (width or FIELD_LIMIT) + 4096  # past any secret's length: the cut below decides
    text = redact(
        clean(redact(text[: bound * 2], secrets), multiline=multiline, limit=None), secrets
    )
    if not multiline:
        text = " ".join(text.split())
    if width is not None and len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


def scrub(value: Any, secrets: Iterable[str] = (), *, depth: int = _DEPTH) -> Any:
    """JSON data with every string cleaned and ``secrets`` blanked (:func:`safe`), bounded in
    length, depth and width: what the API sent, safe to post."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return safe(value, secrets, width=FIELD_LIMIT, multiline=True)
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


def _model_words(job: FineTuningJob, secrets: tuple[str, ...]) -> str:
    model = safe(job.model, secrets, width=200) or "a model"
    suffix = job.display_suffix
    return f"{model} ({safe(suffix, secrets, width=200)})" if suffix else model


def title(event: AlertEvent, secrets: Iterable[str] = ()) -> str:
    """One short line: ``ftjob-abc succeeded``, ``ftjob-abc: new checkpoint``."""
    job_id = safe(event.job_id, secrets, width=64)
    return {
        "succeeded": f"{job_id} succeeded",
        "failed": f"{job_id} failed",
        "cancelled": f"{job_id} was cancelled",
        "stalled": f"{job_id} stalled",
        "checkpoint": f"{job_id}: new checkpoint",
        "best_checkpoint": f"{job_id}: better checkpoint",
    }.get(event.event, f"{job_id}: {safe(event.event, secrets, width=64)}")


def words(event: AlertEvent, secrets: Iterable[str] = ()) -> list[str]:
    """The lines after the title: what happened, in words, cleaned, secrets blanked."""
    secrets = tuple(secrets)
    job = event.job
    lines = [f"Fine-tuning {_model_words(job, secrets)}"]
    if event.event == "succeeded" and job.fine_tuned_model:
        lines.append(f"Model: {safe(job.fine_tuned_model, secrets, width=300)}")
    if event.event == "failed" and job.error is not None and job.error.is_error:
        code = f" ({safe(job.error.code, secrets, width=100)})" if job.error.code else ""
        lines.append(f"Error: {safe(job.error.message, secrets, width=500)}{code}")
    checkpoint = event.checkpoint
    if checkpoint is not None:
        step = (
            f"step {checkpoint.step_number:,}" if checkpoint.step_number is not None else "a step"
        )
        name = safe(checkpoint.fine_tuned_model_checkpoint or checkpoint.id, secrets, width=300)
        lines.append(f"Checkpoint at {step}: {name}")
    if event.detail:
        detail = safe(event.detail, secrets, width=500)
        lines.append(detail[:1].upper() + detail[1:])
    if normalise_status(job.status) and event.event not in END_EVENTS:
        lines.append(f"Status: {safe(job.status, secrets, width=64)}")
    return lines


def message(event: AlertEvent, secrets: Iterable[str] = ()) -> str:
    """The alert's text: its title, then its lines; every secret blanked."""
    secrets = tuple(secrets)
    return "\n".join([title(event, secrets), *words(event, secrets)])
