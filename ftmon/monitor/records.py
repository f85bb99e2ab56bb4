"""What the engine keeps of an event once it has been published: a small immutable record.

A pydantic ``FineTuningJobEvent`` costs about 1.5 KB with its dict and model machinery; a day of
metrics events is thousands per job. The record keeps only what is shown (time, level, message)
and what identifies it; the numbers in a metrics event's ``data`` went into the job's
``MetricSeries`` when the event arrived, so only its step is kept (the event's detail reads the
rest back from the series). Any other event's ``data`` (moderation checks, grader errors) is rare
and read by people: it is kept as sent, up to :data:`DATA_KEEP_BYTES`.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, TypeAlias

from ftmon.api.models import FineTuningJobEvent

#: The most of a non-metrics event's ``data`` kept (as JSON); a larger one is replaced by a note.
DATA_KEEP_BYTES = 16_384

#: Levels and types repeat on every event: share one string each instead of one per event.
_SHARED: dict[str, str] = {
    word: word for word in ("info", "warn", "warning", "error", "debug", "message", "metrics")
}


def _shared(text: str | None) -> str | None:
    return _SHARED.get(text, text) if text is not None else None


class EventRecord(NamedTuple):
    """One event as the engine holds it (96 B plus its id and message strings)."""

    id: str | None
    created_at: int | None
    level: str | None
    message: str | None
    type: str | None
    #: A metrics event's step (its numbers are in the series).
    step: int | None = None
    #: Any other event's ``data``, as sent, when small enough (see :func:`kept_data`).
    data: dict[str, Any] | None = None

    @classmethod
    def of(cls, event: FineTuningJobEvent) -> EventRecord:
        metrics = event.is_metrics
        step = (event.data or {}).get("step") if metrics else None
        return cls(
            event.id,
            event.created_at,
            _shared(event.level),
            event.message,
            _shared(event.type),
            step if isinstance(step, int) and not isinstance(step, bool) else None,
            None if metrics else kept_data(event.data),
        )

    @property
    def dedupe_key(self) -> tuple[int | None, str]:
        """The same key as the model's: (created_at, message)."""
        return (self.created_at, self.message or "")


def kept_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """``data`` if it is small enough to hold for a person to read, else a note saying so."""
    if not data:
        return None
    try:
        size = len(json.dumps(data, default=str))
    except (TypeError, ValueError, RecursionError):
        return {"…": "this event's data could not be kept"}
    if size > DATA_KEEP_BYTES:
        return {"…": f"{size:,} bytes of data, more than ftmon keeps ({DATA_KEEP_BYTES:,})"}
    return data


#: What a view of events reads (time, level, message, ``dedupe_key``): a record the engine
#: holds, or an event as it arrived in a change.
ShownEvent: TypeAlias = EventRecord | FineTuningJobEvent
