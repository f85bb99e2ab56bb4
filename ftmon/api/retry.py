"""When and how long to wait before sending a request again: as the official SDK does it.

Kept apart from the client so that the policy is testable with no network and no sleeping.

openai-python (``_base_client.py``: ``_should_retry``, ``_calculate_retry_timeout``,
``_parse_retry_after_header``) is the model, and ftmon follows it:

* ``x-should-retry: true`` or ``false`` from the server decides, whatever the status;
* otherwise 408, 409, 429 and server errors are retried (ftmon leaves out 501 and 505, which say
  the server will never do it), and so is a request that got no answer at all;
* the wait is what the server asks (``retry-after-ms``, else ``Retry-After`` in seconds or as an
  HTTP date) when that is more than 0 and at most :data:`MAX_RETRY_AFTER` (two minutes); a
  server that asks for longer is not retried at once (the error carries the wait, and the
  engine's own backoff honours it); with no usable answer, exponential backoff from 0.5 s to
  8 s with jitter.

Where ftmon is stricter than the SDK: a request that is not safe to send twice (a job create, an
upload) is repeated only when the server surely did not act on it, since ftmon sends no
idempotency key. A command's own time limit (``--give-up-after``) bounds every wait here: the
follower cuts a poll that would outlast it.
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


#: The longest wait a server may ask for and still be retried at once (the SDK's two minutes).
MAX_RETRY_AFTER = 120.0


def server_says_retry(value: str | None) -> bool | None:
    """The server's ``x-should-retry`` header: True, False, or None when absent or unreadable."""
    if value is None:
        return None
    word = value.strip().lower()
    if word == "true":
        return True
    if word == "false":
        return False
    return None


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter; ``Retry-After`` honoured up to ``max_retry_after``.

    Try ``n`` (from 1) is followed by a wait of ``base_delay * 2**(n-1)``, spread by
    ``±jitter`` of itself so that many clients do not retry in step, never above ``max_delay``,
    unless the server said how long to wait: then its wait, if more than 0 and at most
    ``max_retry_after``.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = MAX_RETRY_AFTER
    jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def waits_too_long(self, retry_after: float | None) -> bool:
        """True when the server asks for a wait past ``max_retry_after``: no retry then."""
        return retry_after is not None and retry_after > self.max_retry_after

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Delay before try number ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None and 0 < retry_after <= self.max_retry_after:
            return retry_after
        delay = min(self.base_delay * (2 ** min(max(0, attempt - 1), 60)), self.max_delay)
        spread = delay * self.jitter
        jittered: float = delay + self.rng.uniform(-spread, spread)
        return max(0.0, min(self.max_delay, jittered))
