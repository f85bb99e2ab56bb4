"""Each alert's queue: sent in the background, in order, retried, never blocking the caller.

One :class:`Outbox` per alert, so that a Slack that is down does not hold back an ntfy that is
up. ``put`` only appends to a bounded queue (when it is full the oldest waiting sending is
dropped and counted) and makes sure a worker task runs. The worker tries each sending with a
timeout; a failure that may pass (see :class:`ftmon.alerts.send.SendFailed`) is tried again
after an exponential backoff with jitter, or after the server's ``Retry-After`` (up to a cap),
and given up after :attr:`DeliveryPolicy.tries` tries with its reason kept. Nothing a sending
does ever raises into the caller: the outcome goes to ``on_settled``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ftmon.alerts.send import SendFailed
from ftmon.config import AlertSpec

log = logging.getLogger("ftmon.alerts")

T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard each sending is tried."""

    #: Tries in all, the first one included.
    tries: int = 5
    #: Seconds for one try (the connection, the request and the answer).
    timeout: float = 10.0
    #: The first wait before a second try; each later one doubles, up to ``backoff_cap``.
    backoff: float = 2.0
    backoff_cap: float = 120.0
    #: The longest ``Retry-After`` waited for; a longer one is cut to this.
    retry_after_cap: float = 300.0
    #: Sendings waiting per alert; past it the oldest is dropped.
    max_queue: int = 100

    def wait(self, attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Seconds before try ``attempt + 1`` (``attempt`` counts from 1): full backoff with
        jitter (half to all of it), or the server's ``Retry-After`` when it asked."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.retry_after_cap))
        base = min(self.backoff_cap, self.backoff * 2.0 ** (attempt - 1))
        return base * (0.5 + rand() / 2)


#: The policy when none is given.
DEFAULT_POLICY = DeliveryPolicy()

#: ``on_settled(item, ok, reason)``: a sending ended: sent (True), given up (False, with the
#: reason), or left unsent because ftmon is ending (None: not a failure, a restart tries again).
Settled = Callable[[T, bool | None, str | None], None]


class Outbox(Generic[T]):
    """One alert's queue and the task that empties it."""

    def __init__(
        self,
        alert: AlertSpec,
        send: Callable[[T], Awaitable[None]],
        on_settled: Settled[T],
        *,
        policy: DeliveryPolicy = DEFAULT_POLICY,
        on_dropped: Callable[[T], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.alert = alert
        self.policy = policy
        self._send = send
        self._on_settled = on_settled
        self._on_dropped = on_dropped
        self._sleep = sleep
        self._rand = rand
        self._queue: deque[T] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        #: Sendings dropped because the queue was full.
        self.dropped = 0
        #: Sendings in the middle of their tries (0 or 1).
        self.busy = 0
        #: Sendings that failed while closing and were left for a restart.
        self.unsent = 0

    @property
    def waiting(self) -> int:
        return len(self._queue) + self.busy

    def put(self, item: T) -> None:
        """Queue ``item``; never blocks, never raises."""
        if len(self._queue) >= max(1, self.policy.max_queue):
            old = self._queue.popleft()
            self.dropped += 1
            log.warning("alert %s: queue full, an older alert was dropped", self.alert.describe())
            if self._on_dropped is not None:
                self._on_dropped(old)
        self._queue.append(item)
        self._wake.set()
        self.start()

    def start(self) -> None:
        """Start the worker if there is a running loop and none runs yet."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the first put or close inside one starts it
        self._wake = asyncio.Event()
        if self._queue:
            self._wake.set()
        self._task = loop.create_task(self._work(), name=f"ftmon-alert {self.alert.where}")

    async def _work(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            item = self._queue.popleft()
            self.busy = 1
            try:
                ok, reason = await self._deliver(item)
            except asyncio.CancelledError:
                raise  # ``close`` counts it (busy) as unsent
            except Exception as exc:  # a bug must not end the worker, nor reach the caller
                ok, reason = False, f"unexpected error: {type(exc).__name__}"
            self.busy = 0
            self._settle(item, ok, reason)

    def _settle(self, item: T, ok: bool | None, reason: str | None) -> None:
        try:
            self._on_settled(item, ok, reason)
        except Exception:  # pragma: no cover - the callback is ours; never let it end the loop
            log.exception("alert %s: recording an outcome failed", self.alert.describe())

    async def _deliver(self, item: T) -> tuple[bool | None, str | None]:
        policy = self.policy
        tries = max(1, policy.tries)
        for attempt in range(1, tries + 1):
            try:
                await self._send(item)
                return True, None
            except SendFailed as failed:
                if not failed.retry:
                    return False, failed.reason
                if attempt == tries:
                    return False, f"{failed.reason} (gave up after {tries} tries)"
                if self._closing:
                    self.unsent += 1
                    return None, f"{failed.reason} (not sent before ftmon ended)"
                wait = policy.wait(attempt, failed.retry_after, self._rand)
                log.info(
                    "alert %s: %s; trying again in %.1fs",
                    self.alert.describe(),
                    failed.reason,
                    wait,
                )
                await self._sleep(wait)
        return False, "not sent"  # pragma: no cover - the loop always returns

    async def close(self, deadline: float) -> int:
        """Send what is queued within ``deadline`` seconds (no more retries), then stop.
        Returns how many sendings were left unsent."""
        self._closing = True
        self.start()
        self._wake.set()
        task = self._task
        if task is not None:
            # ``asyncio.wait`` neither raises for the task nor swallows a cancel of our own.
            await asyncio.wait([task], timeout=max(0.0, deadline))
            if not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=1.0)
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: never "Task exception was never retrieved"
        left = len(self._queue) + self.busy + self.unsent
        self._queue.clear()
        self.busy = 0
        return left
