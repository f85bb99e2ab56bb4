"""Shared machinery of the reliability suite: keys, worlds, wrapped transports, the soak driver.

Everything here runs the real client and the real engine (and, when asked, the real app) against
the simulator. Time is the simulator's clock, frozen and moved by the driver: a poll cycle runs,
then the clock jumps to the moment the engine itself would wake next (the interval, or sooner
when a backed-off endpoint is due). Client retry sleeps move the clock too. So six simulated
hours take seconds, and every wait the engine chose is honoured exactly as in a live run.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings
from ftmon.monitor.changes import EventsAppended
from ftmon.monitor.engine import Monitor
from ftmon.sim.world import SimWorld
from ftmon.tui.app import FtmonApp

#: Keys that look real and are easy to find in any output: they must never show up.
API_KEY = "sk-proj-RELIABILITYSECRETKEY0123456789abcdef"
ADMIN_KEY = "sk-admin-RELIABILITYADMINKEY0123456789abcd"
#: Fragments of the keys: a leak of a cut-down key (a repr cut to 80 characters) counts too.
KEY_FRAGMENTS = ("RELIABILITYSECRETKEY", "RELIABILITYADMINKEY")


def add_long_job(world: SimWorld, suffix: str, *, hours: float, **plan: Any) -> str:
    """A job that validates, queues and then trains for about ``hours`` simulated hours."""
    seconds_per_step = plan.pop("seconds_per_step", 10.0)
    steps = max(8, int(hours * 3600 / seconds_per_step))
    settings = {
        "total_steps": steps,
        "n_epochs": 4,
        "seconds_per_step": seconds_per_step,
        "validate_seconds": 20,
        "queue_seconds": 40,
        "finalize_seconds": 30,
        "metrics_every": max(1, steps // 150),
        **plan,
    }
    return world.add_job({"suffix": suffix, "lifecycle": settings})["id"]


def settings_for(base_url: str = "http://sim.test/v1", **overrides: Any) -> Settings:
    """Settings with the recognisable keys; ``timeout`` small so a timeout costs little."""
    values: dict[str, Any] = {
        "api_key": Secret(API_KEY),
        "admin_key": Secret(ADMIN_KEY),
        "base_url": base_url,
        "timeout": 0.25,
    }
    values.update(overrides)
    return Settings(**values)


# -- transports ------------------------------------------------------------------------------


@dataclass
class Entry:
    """One request as the client saw it: simulated time, route, and how it ended."""

    at: float
    method: str
    path: str
    outcome: str  # "ok", an HTTP status such as "503", or an exception name


class Ledger(httpx.AsyncBaseTransport):
    """Records every request and its outcome; the books a fault run is judged by."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, clock: Callable[[], float], *, keep: bool = True
    ) -> None:
        self.inner = inner
        self.clock = clock
        #: ``keep=False`` (long runs): count only, so the books do not grow with the run.
        self.keep = keep
        self.entries: list[Entry] = []
        self.total = 0
        self.failures = 0
        self.counts: Counter[str] = Counter()
        #: Set by the outage switch: requests refused while the server was away.
        self.down = False
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        at = self.clock()
        path = request.url.path
        if self.down:
            self.refused += 1
            self._note(Entry(at, request.method, path, "ConnectError"))
            raise httpx.ConnectError("[Errno 111] Connection refused (simulated)", request=request)
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:
            self._note(Entry(at, request.method, path, type(exc).__name__))
            raise
        outcome = "ok" if response.status_code < 400 else str(response.status_code)
        try:
            # Over TCP the body streams: a dropped connection shows only while reading it.
            await response.aread()
        except Exception as exc:
            self._note(Entry(at, request.method, path, type(exc).__name__))
            raise
        if outcome == "ok" and not _looks_like_json(response.content, response.status_code):
            outcome = "not-json"  # a 200 that is not JSON is a fault too (the "garbage" kind)
        self._note(Entry(at, request.method, path, outcome))
        return response

    def _note(self, entry: Entry) -> None:
        self.total += 1
        self.failures += entry.outcome != "ok"
        self.counts[entry.outcome] += 1
        if self.keep:
            self.entries.append(entry)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self) -> int:
        return self.total

    def failed(self) -> int:
        return self.failures

    def outcomes(self) -> Counter[str]:
        return Counter(self.counts)


def _looks_like_json(content: bytes, status: int) -> bool:
    if status == 204 or not content.strip():
        return True
    first = content.lstrip()[:1]
    return first in (b"{", b"[", b'"') or first.isdigit()


def sim_client(
    world: SimWorld,
    inner: httpx.AsyncBaseTransport,
    *,
    base_url: str = "http://sim.test/v1",
    timeout: float = 0.25,
    seed: int = 1,
    keep: bool = True,
) -> tuple[FineTuningClient, Ledger]:
    """A client on ``inner`` through a :class:`Ledger`; retry sleeps move the simulated clock."""
    from ftmon.api.retry import RetryPolicy

    ledger = Ledger(inner, world.clock.now, keep=keep)

    async def sleep(seconds: float) -> None:
        # Concurrent retries sleep side by side, as they would in real time: each waits until
        # the clock reaches its own wake-up time, rather than every sleep adding to the clock.
        wake = world.clock.now() + max(0.0, seconds)
        await asyncio.sleep(0)
        now = world.clock.now()
        if now < wake:
            world.clock.advance(wake - now)

    settings = settings_for(base_url, timeout=timeout)
    client = FineTuningClient(
        settings,
        transport=ledger,
        sleep=sleep,
        retry=RetryPolicy(max_attempts=settings.max_retries + 1, rng=random.Random(seed)),
    )
    return client, ledger


# -- the fault plan --------------------------------------------------------------------------

#: Burst kinds: the next ``count`` requests fail this way.
BURST_KINDS = ("429", "500", "502", "503", "drop", "garbage", "timeout")


@dataclass
class Episode:
    """One stretch of trouble. A burst fails the next ``count`` requests; a window fails every
    request (``kind`` on every route) for ``duration`` simulated seconds; an outage takes the
    whole server away for ``duration``."""

    kind: str
    start: float  # planned, simulated seconds after the run began
    shape: str  # "burst", "window" or "outage"
    count: int | None = None
    duration: float | None = None
    retry_after: float | None = None
    # filled in by the run
    began_at: float | None = None
    ended_at: float | None = None
    served: int = 0
    recovered_at: float | None = None
    fault: Any = None

    @property
    def recovery(self) -> float | None:
        if self.ended_at is None or self.recovered_at is None:
            return None
        return self.recovered_at - self.ended_at

    def label(self) -> str:
        if self.shape == "burst":
            extra = f" retry-after {self.retry_after:g}s" if self.retry_after is not None else ""
            return f"{self.count}x {self.kind}{extra}"
        return f"{self.kind} {self.shape} {self.duration:g}s"


def fault_plan(
    seed: int,
    hours: float,
    *,
    spacing: float = 150.0,
    timeouts: int = 12,
    outages: int = 2,
) -> list[Episode]:
    """A seeded plan: bursts of every kind, 429/503 windows and whole-server outages.

    Episodes are ``spacing`` simulated seconds apart on average; a run starts the next one
    only after the engine has recovered from the last, so every recovery is measured alone.
    ``timeouts`` bounds the timeout bursts (each costs real seconds: the client's timeout).
    """
    rng = random.Random(seed)
    span = hours * 3600
    episodes: list[Episode] = []
    at = 120.0
    timeouts_left = timeouts
    while at < span - 600:
        roll = rng.random()
        if roll < 0.08:
            episodes.append(
                Episode("429", at, "window", duration=rng.choice([90, 180, 300]), retry_after=20.0)
            )
        elif roll < 0.14:
            episodes.append(Episode("503", at, "window", duration=rng.choice([60, 120, 240])))
        else:
            kinds = [k for k in BURST_KINDS if k != "timeout" or timeouts_left > 0]
            kind = rng.choice(kinds)
            if kind == "timeout":
                count = rng.randint(1, 2)
                timeouts_left -= count
            else:
                count = rng.randint(3, 14)
            retry_after = float(rng.choice([1, 2, 5, 15, 30])) if kind == "429" else None
            episodes.append(Episode(kind, at, "burst", count=count, retry_after=retry_after))
        at += rng.uniform(0.5, 1.5) * spacing
    # Outages: the whole server away for minutes, spread over the run.
    for index in range(outages):
        when = span * (index + 1) / (outages + 1)
        episodes.append(Episode("outage", when, "outage", duration=rng.choice([180, 300, 420])))
    episodes.sort(key=lambda e: e.start)
    return episodes


# -- the soak driver ---------------------------------------------------------------------------


@dataclass
class SoakReport:
    """What a soak measured; every number in the README's table comes from one of these."""

    name: str
    simulated_hours: float = 0.0
    cycles: int = 0
    requests: int = 0
    failed_requests: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    faults_served: int = 0
    refused_in_outages: int = 0
    episodes: list[Episode] = field(default_factory=list)
    events_expected: int = 0
    events_published: int = 0
    #: The newest events the engine should hold (all for the selected job, fewer for others).
    events_held_expected: int = 0
    events_engine: int = 0
    events_shown: int = 0
    lost: int = 0
    duplicated: int = 0
    published_twice: int = 0
    baseline_requests: int | None = None
    real_seconds: float = 0.0
    crashed: str | None = None

    @property
    def faults(self) -> int:
        """Requests that failed because of an injected fault or an outage."""
        return self.faults_served + self.refused_in_outages

    @property
    def cost(self) -> int | None:
        """Requests beyond what the same run without faults made."""
        if self.baseline_requests is None:
            return None
        return self.requests - self.baseline_requests

    @property
    def recoveries(self) -> list[float]:
        return [e.recovery for e in self.episodes if e.recovery is not None]

    @property
    def worst_recovery(self) -> float:
        return max(self.recoveries, default=0.0)

    def unrecovered(self) -> list[Episode]:
        return [e for e in self.episodes if e.began_at is not None and e.recovery is None]

    def summary(self) -> str:
        lines = [
            f"{self.name}: {self.simulated_hours:g} simulated h in {self.real_seconds:.1f} s, "
            f"{self.cycles} poll cycles, {self.requests} requests ({self.failed_requests} failed)",
            f"  faults: {self.faults} ({self.faults_served} injected by the simulator, "
            f"{self.refused_in_outages} refused during outages) in {len(self.recoveries)} "
            f"episodes; outcomes {dict(sorted(self.outcomes.items()))}",
            f"  cost: {self.cost} extra requests vs {self.baseline_requests} without faults",
            f"  recovery after a fault ended: worst {self.worst_recovery:.1f} s, median "
            f"{_median(self.recoveries):.1f} s",
            f"  events: expected {self.events_expected}, published {self.events_published}, "
            f"held {self.events_engine} of the newest {self.events_held_expected}, shown "
            f"{self.events_shown}; lost {self.lost}, duplicated {self.duplicated}, published "
            f"twice {self.published_twice}",
        ]
        return "\n".join(lines)


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


class PublishedEvents:
    """Every event the engine ever published, per job: a second copy is a duplicate shown."""

    def __init__(self, monitor: Monitor) -> None:
        self.keys: dict[str, set[tuple[Any, ...]]] = {}
        self.twice = 0
        monitor.subscribe(self)

    def __call__(self, changes: list[Any]) -> None:
        for change in changes:
            if not isinstance(change, EventsAppended):
                continue
            seen = self.keys.setdefault(change.job_id, set())
            for event in change.events:
                key = (event.id, event.created_at, event.message)
                if key in seen:
                    self.twice += 1
                seen.add(key)


class Outage:
    """Takes the server away and brings it back: a switch on the ledger in process, a real
    stop and restart of the TCP server otherwise."""

    def __init__(
        self,
        ledger: Ledger,
        stop: Callable[[], None] | None = None,
        start: Callable[[], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self._stop = stop
        self._start = start

    def begin(self) -> None:
        if self._stop is not None:
            self._stop()
        else:
            self.ledger.down = True

    def end(self) -> None:
        if self._start is not None:
            self._start()
        else:
            self.ledger.down = False


class Soak:
    """Drives one monitor (and optionally the app on it) through a plan on the world's clock."""

    def __init__(
        self,
        world: SimWorld,
        monitor: Monitor,
        ledger: Ledger,
        *,
        plan: list[Episode] | None = None,
        outage: Outage | None = None,
        settle: Callable[[], Awaitable[None]] | None = None,
        on_cycle: Callable[[float], Awaitable[None] | None] | None = None,
        name: str = "soak",
    ) -> None:
        self.world = world
        self.monitor = monitor
        self.ledger = ledger
        self.plan = list(plan or [])
        self.outage = outage or Outage(ledger)
        self.settle = settle
        self.on_cycle = on_cycle
        self.report = SoakReport(name=name, episodes=self.plan)
        self.published = PublishedEvents(monitor)
        self._queue = list(self.plan)
        self._current: Episode | None = None
        self._recovering: Episode | None = None

    def now(self) -> float:
        return self.world.clock.now()

    # -- episodes ----------------------------------------------------------------------------

    def _start_episode(self, episode: Episode, t0: float) -> None:
        episode.began_at = self.now()
        if episode.shape == "outage":
            self.outage.begin()
        elif episode.shape == "window":
            episode.fault = self.world.faults.add(
                episode.kind, count=10**9, retry_after=episode.retry_after
            )
        else:
            episode.fault = self.world.faults.add(
                episode.kind,
                count=episode.count,
                retry_after=episode.retry_after,
                delay=30.0 if episode.kind == "timeout" else None,
            )
        self._current = episode

    def _check_episode_end(self) -> None:
        episode = self._current
        if episode is None or episode.began_at is None:
            return
        now = self.now()
        if episode.shape == "burst":
            served = episode.fault.served
            if served >= (episode.count or 0):
                episode.served = served
                episode.ended_at = self._last_fault_time(episode)
                self._finish(episode)
        elif now - episode.began_at >= (episode.duration or 0):
            if episode.shape == "outage":
                self.outage.end()
                episode.served = sum(
                    1
                    for e in self.ledger.entries
                    if e.outcome in ("ConnectError", "ConnectTimeout")
                    and episode.began_at <= e.at <= now
                )
            else:
                episode.fault.count = episode.fault.served  # expire the window now
                episode.served = episode.fault.served
            episode.ended_at = now
            self._finish(episode)

    def _last_fault_time(self, episode: Episode) -> float:
        failed = [e.at for e in self.ledger.entries if e.outcome != "ok"]
        return max(failed, default=self.now())

    def _finish(self, episode: Episode) -> None:
        self._current = None
        self._recovering = episode

    # -- running -------------------------------------------------------------------------------

    async def run(self, hours: float) -> SoakReport:
        """Poll for ``hours`` simulated hours; then catch up and compare with the record."""
        started = time.perf_counter()
        t0 = self.now()
        end = t0 + hours * 3600
        try:
            while self.now() < end:
                self._maybe_start(t0)
                await self.monitor.poll_once()
                self.report.cycles += 1
                if self.settle is not None:
                    await self.settle()
                self._check_episode_end()
                self._note_recovery()
                if self.on_cycle is not None:
                    result = self.on_cycle(self.now() - t0)
                    if asyncio.iscoroutine(result):
                        await result
                self.world.clock.advance(self.monitor.seconds_to_next_poll())
            # The run is over: end any trouble still going, and let the engine recover.
            if self._current is not None:
                self._current.duration = 0.0
                if self._current.shape == "burst":
                    self.world.faults.clear()
                    self._current.ended_at = self.now()
                    self._finish(self._current)
                else:
                    self._check_episode_end()
            recover_until = self.now() + self.monitor.backoff_cap * 2
            while self._recovering is not None and self.now() < recover_until:
                await self.monitor.poll_once()
                if self.settle is not None:
                    await self.settle()
                self._note_recovery()
                self.world.clock.advance(self.monitor.seconds_to_next_poll())
        except Exception as exc:  # reported and asserted on by the caller
            self.report.crashed = f"{type(exc).__name__}: {exc}"
        self.report.simulated_hours = hours
        self.report.real_seconds = time.perf_counter() - started
        return self.report

    def _maybe_start(self, t0: float) -> None:
        if self._current is not None or self._recovering is not None or not self._queue:
            return
        if self.now() - t0 >= self._queue[0].start:
            self._start_episode(self._queue.pop(0), t0)

    def _note_recovery(self) -> None:
        episode = self._recovering
        if episode is None or self._current is not None:
            return
        if self.monitor.health.state == "ok":
            episode.recovered_at = self.now()
            self._recovering = None

    async def catch_up(self, cycles: int | None = None) -> None:
        """Freeze time and poll until every job the engine follows has every event so far."""
        cycles = cycles or self.monitor.active_every + 1
        for _ in range(cycles):
            self.monitor.refresh_now()
            await self.monitor.poll_once()
            if self.settle is not None:
                await self.settle()

    def finish(self, job_ids: list[str], app: FtmonApp | None = None) -> SoakReport:
        """Fill in the ledger's totals and compare events with the simulator's own record."""
        report = self.report
        report.requests = self.ledger.count()
        report.failed_requests = self.ledger.failed()
        report.outcomes = dict(self.ledger.outcomes())
        report.faults_served = sum(self.world.faults.served.values())
        # In process the outage switch refuses; over TCP the stopped server does.
        report.refused_in_outages = sum(
            count
            for outcome, count in self.ledger.outcomes().items()
            if outcome in ("ConnectError", "ConnectTimeout")
        )
        report.published_twice = self.published.twice
        for job_id in job_ids:
            record = self.world.events_record(job_id)["data"]
            # Every event of the record (up to what a first look reads) was published once...
            expected = {_key(e) for e in record[-self.monitor.max_events :]}
            published = self.published.keys.get(job_id, set())
            report.events_expected += len(expected)
            report.events_published += len(expected & published)
            report.lost += len(expected - published)
            # ...and the engine holds the newest of them, as many as it keeps for this job.
            held = [(e.id, e.created_at, e.message) for e in self.monitor.events(job_id)]
            newest = [_key(e) for e in record[-self.monitor.event_capacity(job_id) :]]
            report.events_held_expected += len(newest)
            report.events_engine += len(held)
            report.lost += len(set(newest) - set(held))
            report.duplicated += len(held) - len(set(held))
        if app is not None and app.main.selected_id in job_ids:
            selected = app.main.selected_id
            record = self.world.events_record(selected)["data"][-app.main.event_log.max_lines :]
            shown = Counter(line.message for line in app.main.event_log.lines)
            expected_lines = Counter(_shown_message(e) for e in record)
            report.events_shown = sum(shown.values())
            report.lost += sum((expected_lines - shown).values())
            report.duplicated += sum((shown - expected_lines).values())
        return report


def _key(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["id"], event["created_at"], event["message"])


def _shown_message(event: dict[str, Any]) -> str:
    from ftmon.text import one_line
    from ftmon.tui.widgets.event_log import MESSAGE_LIMIT

    return one_line(event["message"], width=MESSAGE_LIMIT)


class DrivenApp(FtmonApp):
    """The app with its engine worker left off: the soak driver runs the same engine's cycles
    itself, on simulated time, and the app consumes the changes exactly as it would live.
    Built with ``build_app(world, monitor=monitor, app_class=DrivenApp, select_delay=0)``."""

    def _start_engine(self) -> None:
        return None


def without_keys(settings: Settings) -> Settings:
    return replace(settings, api_key=None, admin_key=None)


async def workers_done(app: FtmonApp, pilot: Any) -> None:
    """Wait until no worker but the engine's runs (actions, permission loads), then settle."""
    for _ in range(500):
        busy = [w for w in app.workers if w.group != "engine" and w.is_running]
        if not busy:
            break
        await pilot.pause(0.01)
    await pilot.pause()
