"""How healthy the link to the API is, and per-endpoint backoff after errors."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ftmon.api.errors import FtmonApiError


@dataclass(frozen=True)
class Health:
    """The live state shown in the status line.

    ``state`` is ``ok`` (say nothing), ``paused`` (polling paused by the user), ``failing``
    (the last poll failed; ``retry_at`` says when the next try is), ``auth`` (a key problem
    that retrying will not fix) or ``degraded`` (answers arrive, but some items in them could
    not be read and were left out).
    """

    state: str = "ok"
    last_ok: float | None = None
    error: str | None = None
    retry_at: float | None = None
    failures: int = 0
    #: The error's kind (``rate_limited``, ``not_found``...) and HTTP status, for exit codes.
    kind: str | None = None
    status_code: int | None = None

    def describe(self, now: float, resume_key: str = "space") -> str:
        """One line for a person; empty while healthy so an idle screen stays still.

        ``resume_key`` is the key that resumes polling, as the user's keymap has it.
        """
        if self.state == "ok":
            return ""
        if self.state == "paused":
            return f"polling paused ({resume_key} to resume)"
        if self.state == "degraded":
            return self.error or "some answers could not be read"
        parts: list[str] = []
        if self.last_ok is not None and now - self.last_ok >= 10:
            parts.append(f"no answer for {format_span(now - self.last_ok)}")
        if self.retry_at is not None and self.state != "auth":
            wait = max(0.0, self.retry_at - now)
            parts.append(f"retrying in {format_span(wait)}: {self.error or 'error'}")
        elif self.error:
            parts.append(self.error)
        return " · ".join(parts)


def format_span(seconds: float) -> str:
    """``8s``, ``40s``, ``3m 05s``, ``2h 10m``: compact, for status lines."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


class Backoff:
    """Exponential backoff for one endpoint: doubles per failure, resets on success.

    A server's ``Retry-After`` wins over the computed delay, up to ``cap``.
    """

    def __init__(
        self, *, base: float, cap: float = 300.0, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self.next_at = 0.0
        self._rng = rng or random.Random()

    def ready(self, now: float) -> bool:
        return now >= self.next_at

    def success(self) -> None:
        self.failures = 0
        self.next_at = 0.0

    def failure(self, now: float, error: FtmonApiError | None = None) -> float:
        """Record a failure; return the delay until the next try."""
        self.failures += 1
        retry_after = error.retry_after if error is not None else None
        if retry_after is not None:
            delay = min(max(retry_after, 0.0), self.cap)
        else:
            delay = min(self.base * (2 ** (self.failures - 1)), self.cap)
            delay *= self._rng.uniform(0.8, 1.2)
            delay = min(delay, self.cap)
        self.next_at = now + delay
        return delay
