"""Injected failures: what a flaky network, a rate limiter or a bad proxy does to a client.

Faults are matched per request in the OpenAI namespace (never the ``/_sim`` control routes), in
the order they were added, and last for ``count`` requests or ``duration`` real seconds.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("429", "500", "502", "503", "timeout", "delay", "drop", "garbage")
DEFAULT_DELAY = {"timeout": 600.0, "delay": 1.0}


@dataclass
class Fault:
    """One rule; ``count`` None with ``duration`` set means "every request for that long"."""

    id: str
    kind: str
    count: int | None = None
    duration: float | None = None
    retry_after: float | None = None
    delay: float | None = None
    route: str | None = None
    method: str | None = None
    served: int = 0
    added_at: float = 0.0  # time.monotonic()

    def expired(self, mono: float) -> bool:
        if self.count is not None and self.served >= self.count:
            return True
        return self.duration is not None and mono - self.added_at >= self.duration

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if not self.route:
            return True
        route = self.route if self.route.startswith("/") else "/" + self.route
        return path.startswith(route) or path.startswith("/v1" + route)

    @property
    def seconds(self) -> float:
        """How long a ``delay`` or ``timeout`` fault holds the request."""
        return self.delay if self.delay is not None else DEFAULT_DELAY.get(self.kind, 0.0)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("added_at")
        return data


class FaultInjector:
    """The active faults; thread-safe, since tests add faults while a server thread serves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self.served: Counter[str] = Counter()

    def add(
        self,
        kind: str,
        *,
        count: int | None = None,
        duration: float | None = None,
        retry_after: float | None = None,
        delay: float | None = None,
        route: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Inject ``kind`` for the next ``count`` requests (default 1) or for ``duration`` s."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ValueError("count must be an integer >= 1")
        for name, value in (("duration", duration), ("retry_after", retry_after), ("delay", delay)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
            ):
                raise ValueError(f"{name} must be a number >= 0")
        if count is None and duration is None:
            count = 1
        fault = Fault(
            id=f"fault_{next(self._ids)}",
            kind=kind,
            count=count,
            duration=None if duration is None else float(duration),
            retry_after=retry_after,
            delay=None if delay is None else float(delay),
            route=route,
            method=method,
            added_at=time.monotonic(),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._faults)
            self._faults.clear()
        return cleared

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to serve on this request, if any; consumes one of its count."""
        mono = time.monotonic()
        with self._lock:
            self._faults = [f for f in self._faults if not f.expired(mono)]
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.served += 1
                    self.served[fault.kind] += 1
                    return fault
        return None

    def active(self) -> list[dict[str, Any]]:
        mono = time.monotonic()
        with self._lock:
            return [f.to_dict() for f in self._faults if not f.expired(mono)]
