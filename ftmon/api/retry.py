"""When and how long to wait before sending a request again.

Kept apart from the client so that the policy is testable with no network and no sleeping.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from time import time

#: Answers worth another try: the server timed out, a conflicting change was in flight, the rate
#: limit, and passing server trouble. 501 and 505 say "never", so they are left out.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


def is_retryable_status(status_code: int | None) -> bool:
    """True for 408, 409, 429 and any 5xx but 501/505 (which will not get better)."""
    if status_code is None:
        return False
    if status_code in RETRYABLE_STATUS:
        return True
    return 500 <= status_code < 600 and status_code not in (501, 505)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always GMT
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - (time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN, inf
        return None
    return max(0.0, seconds)


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter; ``Retry-After`` honoured up to ``max_delay``.

    Try ``n`` (from 1) is followed by a wait of ``base_delay * 2**(n-1)``, spread by
    ``±jitter`` of itself so that many clients do not retry in step, never above ``max_delay``.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Delay before try number ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_delay))
        delay = min(self.base_delay * (2 ** min(max(0, attempt - 1), 60)), self.max_delay)
        spread = delay * self.jitter
        jittered: float = delay + self.rng.uniform(-spread, spread)
        return max(0.0, min(self.max_delay, jittered))
