"""What the engine keeps of an event once it has been published: a small immutable record.

A pydantic ``FineTuningJobEvent`` costs about 1.5 KB with its dict and model machinery; a day of
metrics events is thousands per job. The record keeps only what is shown (time, level, message)
and what identifies it; the numbers in ``data`` went into the job's ``MetricSeries`` when the
event arrived, so they are not kept twice.
"""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

from ftmon.api.models import FineTuningJobEvent

#: Levels and types repeat on every event: share one string each instead of one per event.
_SHARED: dict[str, str] = {
    word: word for word in ("info", "warn", "warning", "error", "debug", "message", "metrics")
}


def _shared(text: str | None) -> str | None:
    return _SHARED.get(text, text) if text is not None else None


class EventRecord(NamedTuple):
    """One event as the engine holds it (80 B plus its id and message strings)."""

    id: str | None
    created_at: int | None
    level: str | None
    message: str | None
    type: str | None

    @classmethod
    def of(cls, event: FineTuningJobEvent) -> EventRecord:
        return cls(
            event.id,
            event.created_at,
            _shared(event.level),
            event.message,
            _shared(event.type),
        )

    @property
    def dedupe_key(self) -> tuple[int | None, str]:
        """The same key as the model's: (created_at, message)."""
        return (self.created_at, self.message or "")


#: What a view of events reads (time, level, message, ``dedupe_key``): a record the engine
#: holds, or an event as it arrived in a change.
ShownEvent: TypeAlias = EventRecord | FineTuningJobEvent
