"""Jobs whose history is written by a test: a status timeline and an event script.

Added through ``POST /_sim/jobs`` (or :meth:`SimWorld.add_job`) to show the client exactly the
content a test needs (odd statuses, hostile text, chosen metrics) at chosen times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ftmon.sim.errors import bad_request
from ftmon.sim.eventlog import EventLog, Note
from ftmon.sim.lifecycle import FINAL

PAUSE_SECONDS = 8.0


@dataclass(frozen=True)
class StatusChange:
    """At ``offset`` seconds after creation the job takes ``status`` and these field values."""

    offset: float
    status: str | None
    fields: dict[str, Any] = field(default_factory=dict)


class ScriptProgress:
    """Status and events of a scripted job; actions take over from the script."""

    def __init__(
        self,
        *,
        job_id: str,
        created_at: float,
        status: str,
        timeline: list[StatusChange],
        notes: list[Note],
        log: EventLog,
    ) -> None:
        self.job_id = job_id
        self.created_at = created_at
        self.status = status
        self.log = log
        self.fields: dict[str, Any] = {}
        self.error: dict[str, Any] | None = None
        self.finished_at: int | None = None
        self.trained_tokens: int | None = None
        self.step = 0
        self._timeline = sorted(timeline, key=lambda c: c.offset)
        self._notes = sorted(notes, key=lambda n: n.t)
        self._next_change = 0
        self._next_note = 0
        self._manual = False  # set by the first action: the script stops there
        self._pause_at = 0.0

    @property
    def active(self) -> bool:
        if self.status == "pausing":
            return True
        if self._manual:
            return False
        return self._next_change < len(self._timeline) or self._next_note < len(self._notes)

    def estimated_finish(self) -> int | None:
        return None

    def advance(self, now: float) -> None:
        if self.status == "pausing" and now >= self._pause_at + PAUSE_SECONDS:
            self.log.add(Note(self._pause_at + PAUSE_SECONDS, "info", "Fine-tuning job paused"))
            self.status = "paused"
        if self._manual:
            return
        # Notes and status changes in time order; a note at the same time as a change comes first.
        while True:
            note_t = self._notes[self._next_note].t if self._next_note < len(self._notes) else None
            change = (
                self._timeline[self._next_change]
                if self._next_change < len(self._timeline)
                else None
            )
            change_t = None if change is None else self.created_at + change.offset
            if note_t is not None and note_t <= now and (change_t is None or note_t <= change_t):
                self.log.add(self._notes[self._next_note])
                self._next_note += 1
            elif change is not None and change_t is not None and change_t <= now:
                if change.status is not None:
                    self.status = change.status
                    if self.status in FINAL and self.finished_at is None:
                        self.finished_at = int(change_t)
                self.fields.update(change.fields)
                self._next_change += 1
            else:
                return

    def cancel(self, now: float) -> None:
        if self.status in FINAL:
            raise bad_request(
                f"Job {self.job_id} has already {self.status} and cannot be cancelled."
            )
        self._manual = True
        self.log.add(Note(now, "info", "Fine-tuning job cancelled"))
        self.status = "cancelled"

    def pause(self, now: float) -> None:
        if self.status != "running":
            raise bad_request(
                f"Cannot pause fine-tuning job {self.job_id} because its status is {self.status}."
            )
        self._manual, self._pause_at = True, now
        self.log.add(Note(now, "info", "Fine-tuning job pause requested"))
        self.status = "pausing"

    def resume(self, now: float) -> None:
        if self.status != "paused":
            raise bad_request(
                f"Cannot resume fine-tuning job {self.job_id} because its status is {self.status}."
            )
        self._manual = True
        self.log.add(Note(now, "info", "Fine-tuning job resumed"))
        self.status = "running"
