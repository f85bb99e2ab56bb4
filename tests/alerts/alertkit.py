"""What the alert tests share: an HTTP sink on 127.0.0.1, a job source, jobs and secrets.

The sink is a few lines of asyncio: it keeps every request (method, path, headers, body) and
answers from a script (status, headers, body, a delay before answering), then 200 ``ok``. No
test needs the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ftmon.alerts import DeliveryPolicy
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint
from ftmon.config import AlertSpec, Secret
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import MetricSeries

#: A token in a path, as Slack's and Discord's webhook URLs carry theirs.
HOOK_TOKEN = "T0FAKE/B0FAKE/SlackPathTokenXyz0123456789"
API_KEY = "sk-proj-AlertTestKeyAbcdefghij0123456789"
ADMIN_KEY = "sk-admin-AlertTestAdminKlmnopqr987654321"
NTFY_TOKEN = "tk_alerttesttoken0123456789abcdef"
#: Fast tries for tests: a retry waits milliseconds, one try has a second.
FAST = DeliveryPolicy(tries=3, timeout=1.0, backoff=0.01, backoff_cap=0.05, retry_after_cap=5.0)


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    #: Seconds before answering (longer than the alert's timeout: a slow sink).
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Sink:
    """An HTTP server on 127.0.0.1 that keeps what it gets and answers as scripted."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: deque[Answer] = deque()
        self._server: asyncio.Server | None = None
        self.port = 0
        self._arrived = asyncio.Event()

    async def start(self) -> Sink:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def url(self, path: str = f"/services/{HOOK_TOKEN}") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the sink got {len(self.requests)} requests, not {count}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        return self.requests

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(method, path, headers, body, time.monotonic()))
            self._arrived.set()
            answer = self.script.popleft() if self.script else Answer()
            if answer.delay:
                await asyncio.sleep(answer.delay)
            reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}
            out = [f"HTTP/1.1 {answer.status} {reason.get(answer.status, 'X')}"]
            out += [f"{k}: {v}" for k, v in answer.headers.items()]
            out += [f"Content-Length: {len(answer.body)}", "Connection: close", "", ""]
            writer.write("\r\n".join(out).encode("latin-1") + answer.body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def settled(sender: Any, count: int, timeout: float = 10.0) -> None:
    """Until ``sender`` (an Alerter) has sent or given up ``count`` sendings."""
    deadline = time.monotonic() + timeout
    while sender.sent + sender.failed < count:
        assert time.monotonic() < deadline, sender.status()
        await asyncio.sleep(0.01)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alert(kind: str, url: str | None = None, *, on: Sequence[str] | None = None, **kw: Any):
    return AlertSpec(
        kind=kind,
        on=tuple(on or ("succeeded", "failed", "cancelled", "stalled")),
        url=Secret(url) if url else None,
        **kw,
    )


def job(job_id: str = "ftjob-alert1", status: str = "running", **fields: Any) -> FineTuningJob:
    data = {
        "id": job_id,
        "object": "fine_tuning.job",
        "model": "gpt-4o-mini-2024-07-18",
        "status": status,
        "created_at": 1_700_000_000,
        "suffix": "ticket-bot",
        "training_file": "file-abc",
        **fields,
    }
    return FineTuningJob.model_validate(data)


def checkpoint(job_id: str, step: int, at: int, valid_loss: float | None = None):
    metrics = {"step": step, "train_loss": 1.0}
    if valid_loss is not None:
        metrics["full_valid_loss"] = valid_loss
    return FineTuningJobCheckpoint.model_validate(
        {
            "id": f"ftckpt-{job_id[-4:]}-{step}",
            "created_at": at,
            "fine_tuned_model_checkpoint": f"ft:gpt-4o-mini:org:ticket-bot:abc:ckpt-step-{step}",
            "fine_tuning_job_id": job_id,
            "step_number": step,
            "metrics": metrics,
        }
    )


class Source:
    """A stand-in for the engine: jobs, events, checkpoints and series held in dicts."""

    def __init__(self, now: float = 1_700_000_100.0) -> None:
        self.now = now
        self.clock: Callable[[], float] = lambda: self.now
        self.jobs: dict[str, FineTuningJob] = {}
        self.event_lists: dict[str, list[EventRecord]] = {}
        self.checkpoint_lists: dict[str, tuple[FineTuningJobCheckpoint, ...]] = {}
        self.series_of: dict[str, MetricSeries] = {}
        #: When each job's events were last read (absent: never, so measured to ``now``).
        self.read_at_of: dict[str, float] = {}

    def job(self, job_id: str) -> FineTuningJob | None:
        return self.jobs.get(job_id)

    def events(self, job_id: str) -> Sequence[EventRecord]:
        return tuple(self.event_lists.get(job_id, ()))

    def checkpoints(self, job_id: str) -> tuple[FineTuningJobCheckpoint, ...]:
        return self.checkpoint_lists.get(job_id, ())

    def series(self, job_id: str) -> MetricSeries:
        return self.series_of.setdefault(job_id, MetricSeries())

    def events_read_at(self, job_id: str) -> float | None:
        return self.read_at_of.get(job_id)


def metrics_events(start: float, steps: int, every: float) -> list[EventRecord]:
    """A running job's lifecycle and metrics events: a step each ``every`` seconds."""
    events = [
        EventRecord("ev-start", int(start), "info", "Fine-tuning job started", "message"),
    ]
    events += [
        EventRecord(f"ev-{n}", int(start + n * every), "info", f"Step {n}", "metrics", n)
        for n in range(1, steps + 1)
    ]
    return events
