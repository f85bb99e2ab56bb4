"""How healthy the link to the API is, and per-endpoint backoff after errors."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ftmon.api.errors import FtmonApiError
from ftmon.text import one_line


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

    def describe(self, now: float, resume_key: str = "space", *, waiting: float = 0.0) -> str:
        """One line for a person, short enough for 80 columns; empty while all is well.

        It tells apart what a person would do differently about: the API not answering at all
        (the link, a timeout), answering with server errors (5xx), rate limiting (429), and
        answering slowly (``waiting``: how long the request in flight has waited so far). The
        countdown is to ``retry_at``; once that has passed a request is on its way, and the
        line says so rather than "0s". ``resume_key`` is the key that resumes polling, as the
        user's keymap has it.
        """
        if self.state == "ok":
            if waiting >= SLOW_ANSWER:
                return f"slow answers: waiting {format_span(waiting)} for the API"
            return ""
        if self.state == "paused":
            return f"polling paused ({resume_key} to resume)"
        if self.state == "degraded":
            return self.error or "some answers could not be read"
        if self.state == "auth":
            return self.error or "the API refused the key"
        problem = self.problem(now)
        if self.retry_at is None:
            return problem
        wait = self.retry_at - now
        if wait >= 0.5:
            return f"{problem} · next try in {format_span(wait)}"
        if waiting >= SLOW_ANSWER:
            return f"{problem} · trying again ({format_span(waiting)})…"
        return f"{problem} · trying again…"

    def problem(self, now: float) -> str:
        """What is wrong, in a few words: no answer, server errors, a rate limit, an error."""
        since = ""
        if self.last_ok is not None and now - self.last_ok >= 10:
            since = f" for {format_span(now - self.last_ok)}"
        code = self.status_code
        if self.kind in ("connection", "timeout") or (code is None and self.kind is None):
            return f"no answer from the API{since}"
        if code == 429 or self.kind == "rate_limited":
            return f"rate limited (429){since}"
        if code is not None and code >= 500:
            return f"server errors ({code}){since}"
        if self.kind == "internal":
            return f"could not read an answer{since}"
        detail = one_line(self.error or "error", width=ERROR_WIDTH)
        return f"error: {detail}"


#: How long a request waits before the status line calls the answers slow.
SLOW_ANSWER = 8.0
#: The longest error text on the status line, so that its countdown still fits 80 columns.
ERROR_WIDTH = 48


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
