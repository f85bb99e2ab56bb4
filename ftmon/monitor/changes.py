"""The typed changes the engine publishes; the TUI and headless ``watch`` consume only these.

Each change names what changed, so a consumer repaints only that (a row, a log line, a plot).
"""

from __future__ import annotations

from dataclasses import dataclass

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.monitor.health import Health
from ftmon.monitor.records import EventRecord


@dataclass(frozen=True)
class JobsChanged:
    """Jobs were added or changed in the store. ``changed`` holds only those that differ."""

    changed: tuple[FineTuningJob, ...]
    #: True when the list gained jobs the consumer has not shown yet (a new row, an older page).
    added: bool = False


@dataclass(frozen=True)
class EventsAppended:
    """New events of one job, oldest first; never one the consumer already had."""

    job_id: str
    events: tuple[FineTuningJobEvent, ...]


@dataclass(frozen=True)
class EventsReloaded:
    """A job's history was read again (it had been trimmed in the background): a consumer that
    shows its events should show ``Monitor.events(job_id)`` afresh. Any new events among them
    were published as ``EventsAppended`` just before."""

    job_id: str


@dataclass(frozen=True)
class EventsPrepended:
    """Older events of the selected job were read on request (``Monitor.load_older_events``):
    ``count`` of them, oldest first, are now at the front of ``Monitor.events(job_id)``, and
    ``events`` holds those same records (the front may move on before a consumer reads it)."""

    job_id: str
    count: int
    events: tuple[EventRecord, ...] = ()


@dataclass(frozen=True)
class CheckpointsChanged:
    job_id: str
    checkpoints: tuple[FineTuningJobCheckpoint, ...]


@dataclass(frozen=True)
class MetricsChanged:
    """A job's metric series grew (from metrics events) or was completed (from the result CSV)."""

    job_id: str
    from_result_file: bool = False


@dataclass(frozen=True)
class JobFinished:
    """A job this process watched reached a final state; published once per job."""

    job: FineTuningJob


@dataclass(frozen=True)
class HealthChanged:
    health: Health


@dataclass(frozen=True)
class ActionFailed:
    """A user action (cancel, pause, ...) failed; the message is for a person."""

    action: str
    job_id: str
    message: str


#: Every change the engine publishes; a listener gets a list of them per poll.
Change = (
    JobsChanged
    | EventsAppended
    | EventsReloaded
    | EventsPrepended
    | CheckpointsChanged
    | MetricsChanged
    | JobFinished
    | HealthChanged
    | ActionFailed
)
