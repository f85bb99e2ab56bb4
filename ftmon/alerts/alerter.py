"""The alerter: the configured alerts, what was sent, and the queues that send.

It joins the parts: :class:`~ftmon.alerts.detect.Detector` finds events in the engine's changes,
:class:`~ftmon.alerts.state.AlertState` says whether each (alert, job, event, key) was sent
already, an :class:`~ftmon.alerts.delivery.Outbox` per alert sends in the background, and
:mod:`~ftmon.alerts.payloads` / :mod:`~ftmon.alerts.send` say what goes out and how. A front end
sees only :meth:`Alerter.observe`, :meth:`Alerter.notify`, :meth:`Alerter.status` and
:meth:`Alerter.aclose` (the package's docstring shows the wiring).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ftmon.alerts.delivery import DEFAULT_POLICY, DeliveryPolicy, Outbox
from ftmon.alerts.detect import DEFAULT_THRESHOLDS, Detector, JobSource, Publisher
from ftmon.alerts.events import AlertEvent
from ftmon.alerts.payloads import command_env, http_message
from ftmon.alerts.send import post, proxy_for, run_command, transport_for, url_secrets
from ftmon.alerts.state import AlertState, alert_identity, default_state_path, digest
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint
from ftmon.config import ALERT_EVENTS, AlertSpec, Settings
from ftmon.monitor.changes import Change
from ftmon.monitor.doctor import Thresholds

log = logging.getLogger("ftmon.alerts")


@dataclass(frozen=True)
class Sending:
    """One event for one alert, on its way."""

    alert: AlertSpec
    event: AlertEvent
    name: str  # its digest in the state file


@dataclass(frozen=True)
class AlertStatus:
    """The alerts at a glance, for a status line or ``watch --json``."""

    alerts: int
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    waiting: int = 0
    #: The latest sending given up, with its alert (masked) and reason; None when none was.
    last_error: str | None = None
    #: Problems with the state file (said once).
    notices: tuple[str, ...] = field(default=())

    def line(self) -> str:
        """``alerts: 3 sent, 1 waiting`` / ``... 1 failed: slack https://hooks.slack.com/… …``."""
        if not self.alerts:
            return ""
        parts = [f"{self.sent} sent"]
        if self.waiting:
            parts.append(f"{self.waiting} waiting")
        if self.dropped:
            parts.append(f"{self.dropped} dropped")
        if self.failed:
            parts.append(f"{self.failed} failed")
        text = "alerts: " + ", ".join(parts)
        if self.last_error:
            text += f" (last: {self.last_error})"
        return text


class Alerter:
    """Sends each chosen event of each alert once; see the package's docstring."""

    def __init__(
        self,
        alerts: Sequence[AlertSpec],
        *,
        state_path: Path | None = None,
        remember: bool = True,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        policy: DeliveryPolicy = DEFAULT_POLICY,
        secrets: Iterable[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.alerts = tuple(alerts)
        self.policy = policy
        self.clock = clock
        #: Never repeated in anything sent, logged or kept: the keys given and every alert's
        #: URL and token.
        hidden = {s for s in secrets if s and len(s) >= 8}
        for alert in self.alerts:
            if alert.url is not None:
                hidden.update(url_secrets(alert.url.reveal()))
            if alert.token is not None:
                hidden.add(alert.token.reveal())
        self._secrets = tuple(sorted(hidden, key=len, reverse=True))
        path = (state_path or default_state_path()) if remember and self.alerts else None
        self.state = AlertState(path)
        self.detector = Detector(
            self.state,
            {event for alert in self.alerts for event in alert.on},
            thresholds=thresholds,
        )
        self._identities = [alert_identity(alert) for alert in self.alerts]
        #: A transport for every request (tests); else one per proxy (None: straight).
        self._transport = transport
        self._transports: dict[str | None, httpx.AsyncBaseTransport] = {}
        self._pending: set[str] = set()
        #: Sendings another ftmon made first (found in the shared file just before sending).
        self._elsewhere: set[str] = set()
        self._outboxes = [
            Outbox(alert, self._send, self._settled, policy=policy, on_dropped=self._dropped)
            for alert in self.alerts
        ]
        self.sent = 0
        self.failed = 0
        #: The latest sending given up: its alert (masked) and why.
        self.last_error: str | None = None
        self._closed = False
        self._unsubscribe: Callable[[], None] | None = None
        self._ticker: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        state_path: Path | None = None,
        *,
        thresholds: Thresholds | None = None,
        policy: DeliveryPolicy = DEFAULT_POLICY,
    ) -> Alerter:
        """The alerter for ``settings.alerts`` (one with no alerts does nothing, cheaply); a
        stall by the config's ``[doctor]`` thresholds unless ``thresholds`` are given."""
        keys = (settings.api_key, settings.admin_key, settings.entra_token)
        return cls(
            settings.alerts,
            state_path=state_path,
            thresholds=settings.doctor if thresholds is None else thresholds,
            policy=policy,
            secrets=[k.reveal() for k in keys if k is not None],
        )

    @property
    def enabled(self) -> bool:
        return bool(self.alerts)

    # -- in ------------------------------------------------------------------------------------

    def observe(self, changes: Sequence[Change], monitor: JobSource) -> None:
        """Read a batch of the engine's changes (as a listener gets them; ``[]`` to check
        stalls on a timer) and queue what they mean. Never blocks, never raises."""
        if not self.alerts or self._closed:
            return
        try:
            events = self.detector.scan(changes, monitor)
            for event in events:
                self._queue(event)
        except Exception as exc:  # an alert must never take a front end down
            self._fail_quietly("reading the engine's changes", exc)
        self.state.save()

    def attach(self, monitor: Publisher, *, check_every: float = 30.0) -> None:
        """Listen to ``monitor``'s changes, and check for stalls every ``check_every`` seconds
        while a watched job runs (a stall is time passing, not a change). Call it on the event
        loop; :meth:`aclose` lets go of both."""
        if not self.alerts or self._closed:
            return
        self._detach()
        self._unsubscribe = monitor.subscribe(lambda changes: self.observe(changes, monitor))
        if "stalled" in self.detector.wanted:
            self._ticker = asyncio.get_running_loop().create_task(
                self._tick(monitor, check_every), name="ftmon-alert stall checks"
            )

    async def _tick(self, monitor: Publisher, every: float) -> None:
        while True:
            await asyncio.sleep(max(0.01, every))
            if self.detector.running_jobs():
                self.observe([], monitor)

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def notify(
        self,
        job: FineTuningJob,
        event: str,
        checkpoint: FineTuningJobCheckpoint | None = None,
        *,
        detail: str | None = None,
        key: str | None = None,
    ) -> None:
        """Queue ``event`` (an :data:`~ftmon.config.ALERT_EVENTS` name) of ``job`` for every
        alert sent for it, unless it was sent before. ``key`` tells repeats of one event apart
        (by default the checkpoint's id). Never blocks; raises only ``ValueError`` for a name
        that is not an event."""
        if not self.alerts or self._closed:
            return
        if event not in ALERT_EVENTS:
            raise ValueError(f"not an alert event: {event!r}")
        if key is None:
            key = checkpoint.id if checkpoint is not None else ""
        self._queue(AlertEvent(event, job, checkpoint=checkpoint, detail=detail, key=key))
        self.state.save()

    def _queue(self, event: AlertEvent) -> None:
        for alert, identity, outbox in zip(
            self.alerts, self._identities, self._outboxes, strict=True
        ):
            if event.event not in alert.on:
                continue
            name = digest(identity, event.job_id, event.event, event.key)
            if name in self._pending or self.state.has(name):
                continue
            self._pending.add(name)
            outbox.put(Sending(alert, event, name))

    # -- out -----------------------------------------------------------------------------------

    async def _send(self, sending: Sending) -> None:
        self.state.refresh()
        if self.state.has(sending.name):  # another ftmon on this machine sent it meanwhile
            self._elsewhere.add(sending.name)
            return
        alert, event = sending.alert, sending.event
        timeout = self.policy.timeout
        if alert.kind == "command":
            env = command_env(event, self._secrets)
            await run_command(alert.command, env, timeout=timeout, secrets=self._secrets)
            return
        assert alert.url is not None
        transport = self._transport
        if transport is None:
            proxy = proxy_for(alert.url.reveal())
            transport = self._transports.get(proxy)
            if transport is None:
                transport = self._transports[proxy] = transport_for(alert.url.reveal())
        message = http_message(alert, event, self._secrets)
        await post(
            transport,
            alert,
            message.body,
            message.headers,
            timeout=timeout,
            secrets=self._secrets,
        )

    def _settled(self, sending: Sending, ok: bool | None, reason: str | None) -> None:
        self._pending.discard(sending.name)
        if ok is None:  # ftmon is ending: not remembered, so a restart tries again
            log.info("alert %s: %s", sending.alert.describe(), reason)
            return
        if sending.name in self._elsewhere:
            self._elsewhere.discard(sending.name)
            return
        self.state.record(sending.name, ok=ok, at=self.clock())
        self.state.save()
        what = f"{sending.event.event} of {sending.event.job_id}"
        if ok:
            self.sent += 1
            log.info("alert %s: sent %s", sending.alert.describe(), what)
            return
        self.failed += 1
        self.last_error = f"{sending.alert.describe()}: {reason}"
        log.warning("alert %s: %s not sent: %s", sending.alert.describe(), what, reason)

    def _dropped(self, sending: Sending) -> None:
        self._pending.discard(sending.name)

    def _fail_quietly(self, doing: str, exc: Exception) -> None:
        self.last_error = f"{doing}: {type(exc).__name__}"
        log.warning("alerts: %s failed: %s", doing, type(exc).__name__)

    # -- the status and the end -----------------------------------------------------------------

    def status(self) -> AlertStatus:
        notices = (self.state.notice,) if self.state.notice else ()
        return AlertStatus(
            alerts=len(self.alerts),
            sent=self.sent,
            failed=self.failed,
            dropped=sum(o.dropped for o in self._outboxes),
            waiting=sum(o.waiting for o in self._outboxes),
            last_error=self.last_error,
            notices=notices,
        )

    async def aclose(self, deadline: float = 3.0) -> int:
        """Send what is queued within ``deadline`` seconds (no retries), then stop; the state
        is saved. Returns how many sendings were left unsent (a restart tries a job's end
        again). Never raises."""
        if self._closed:
            return 0
        self._closed = True
        self._detach()
        left = 0
        try:
            results = await asyncio.gather(
                *(outbox.close(deadline) for outbox in self._outboxes), return_exceptions=True
            )
            left = sum(r if isinstance(r, int) else 0 for r in results)
        finally:
            transports = list(self._transports.values())
            if self._transport is not None:
                transports.append(self._transport)
            for transport in transports:
                try:
                    await transport.aclose()
                except Exception as exc:  # pragma: no cover - closing sockets
                    self._fail_quietly("closing connections", exc)
            self.state.save()
        if left:
            log.warning("alerts: %d not sent before ftmon ended", left)
        return left
