"""Request counts, so tests can assert how many calls a client made (polling, retries)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class SimStats:
    """Counts per ``"METHOD /route/{template}"`` and in total, OpenAI namespace only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.routes: Counter[str] = Counter()
        self.total = 0

    def record(self, method: str, template: str) -> None:
        with self._lock:
            self.routes[f"{method} {template}"] += 1
            self.total += 1

    def count(self, method: str, template: str) -> int:
        """Requests so far to one route, e.g. ``count("GET", "/v1/fine_tuning/jobs")``."""
        with self._lock:
            return self.routes[f"{method} {template}"]

    def reset(self) -> None:
        with self._lock:
            self.routes.clear()
            self.total = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self.total, "routes": dict(sorted(self.routes.items()))}
