"""A job's append-only event log, stored compactly.

Metrics events come in arithmetic runs (every k-th step of one running stretch), so a run of
100,000 of them is one small object; single events (phase changes, checkpoints, actions) are
:class:`Note` s. Positions are stable, which is what event ids and ``after`` cursors rely on.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, NamedTuple


class Note(NamedTuple):
    """One explicit event (a tuple: 100,000s of them are made when a big world is built)."""

    t: float
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] | None = None


@dataclass(slots=True)
class MetricsRun:
    """Metrics events at steps ``first_step + i * stride`` (i < count) of one running stretch.

    A stretch starts at step ``s0`` at time ``t0`` and takes ``sps`` seconds per step; pausing
    starts a new stretch, which is how a resume shifts the rest of the timeline.
    """

    first_step: int
    stride: int
    count: int
    t0: float
    s0: int
    sps: float
    full: bool = False  # epoch ends: the event also carries full-validation metrics

    def step_at(self, i: int) -> int:
        return self.first_step + i * self.stride

    def time_at(self, i: int) -> float:
        return self.t0 + (self.step_at(i) - self.s0) * self.sps


@dataclass(frozen=True, slots=True)
class Entry:
    """What sits at one position: a note, or the step of a metrics event, and its time."""

    t: float
    note: Note | None = None
    step: int = 0
    full: bool = False


class EventLog:
    """Chunks of events in time order, indexable by position (0 = oldest)."""

    def __init__(self) -> None:
        self._chunks: list[Note | MetricsRun] = []
        self._ends: list[int] = []  # cumulative count after each chunk

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def add(self, note: Note) -> None:
        ends = self._ends
        ends.append(ends[-1] + 1 if ends else 1)
        self._chunks.append(note)

    def add_metrics(
        self,
        first: int,
        last: int,
        stride: int,
        *,
        t0: float,
        s0: int,
        sps: float,
        full: bool = False,
    ) -> None:
        """Append metrics events for steps first, first+stride, ..., last."""
        if last < first:
            return
        count = (last - first) // stride + 1
        tail = self._chunks[-1] if self._chunks else None
        if (
            isinstance(tail, MetricsRun)
            and (tail.stride, tail.t0, tail.s0, tail.sps, tail.full) == (stride, t0, s0, sps, full)
            and tail.step_at(tail.count) == first
        ):
            tail.count += count
            self._ends[-1] += count
            return
        self._chunks.append(MetricsRun(first, stride, count, t0, s0, sps, full))
        self._ends.append(len(self) + count)

    def get(self, index: int) -> Entry:
        if not 0 <= index < len(self):
            raise IndexError(index)
        pos = bisect.bisect_right(self._ends, index)
        chunk = self._chunks[pos]
        if isinstance(chunk, Note):
            return Entry(chunk.t, chunk)
        offset = index - (self._ends[pos - 1] if pos else 0)
        return Entry(chunk.time_at(offset), None, chunk.step_at(offset), chunk.full)

    @property
    def chunk_count(self) -> int:
        return len(self._chunks)
