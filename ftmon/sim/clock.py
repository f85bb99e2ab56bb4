"""A simulated wall clock: real time scaled by a speed factor, plus manual jumps.

The whole simulated world derives its state from this clock, so tests freeze it (speed 0) at a
fixed start and move it with :meth:`SimClock.advance`; demos run it at speed 1 or faster.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Simulated unix time = start + real monotonic elapsed x speed + manual offset."""

    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._base = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()
        self._speed = float(speed)
        self._offset = 0.0

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def frozen(self) -> bool:
        """True when time only moves through :meth:`advance` (speed 0): deterministic tests."""
        return self._speed == 0

    def now(self) -> float:
        """The current simulated unix time in seconds; never goes backwards."""
        with self._lock:
            return self._base + self._offset + (time.monotonic() - self._mono0) * self._speed

    def advance(self, seconds: float) -> float:
        """Jump forward by ``seconds`` of simulated time; returns the new time."""
        if seconds < 0:
            raise ValueError("the simulated clock cannot go backwards")
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on without a jump in time."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            mono = time.monotonic()
            self._base += (mono - self._mono0) * self._speed
            self._mono0 = mono
            self._speed = float(speed)

    def __repr__(self) -> str:
        return f"SimClock(now={self.now():.1f}, speed={self._speed})"
