"""Sending when the other end is not well: down, slow, failing, rate limiting; a full queue."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path

import pytest
from alertkit import FAST, Answer, Sink, alert, closed_port, job, settled

from ftmon.alerts import Alerter, DeliveryPolicy
from ftmon.alerts.delivery import Outbox
from ftmon.alerts.send import SendFailed


def alerter(tmp_path: Path, *alerts, policy: DeliveryPolicy = FAST) -> Alerter:
    return Alerter(alerts, state_path=tmp_path / "alerts.json", policy=policy)


async def test_notify_returns_at_once_whatever_the_sink_does(tmp_path: Path, sink: Sink) -> None:
    sink.script.append(Answer(delay=0.5))
    sender = alerter(tmp_path, alert("webhook", sink.url()))
    started = time.monotonic()
    sender.notify(job(status="failed"), "failed")
    assert time.monotonic() - started < 0.2
    assert sender.status().waiting == 1
    await settled(sender, 1)
    assert sender.sent == 1 and sender.status().line() == "alerts: 1 sent"
    await sender.aclose()


async def test_a_sink_that_is_down_is_tried_then_given_up_with_the_reason(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/services/down"
    sender = alerter(tmp_path, alert("webhook", url))
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    status = sender.status()
    assert status.failed == 1 and status.sent == 0
    assert sender.last_error is not None
    assert "cannot connect" in sender.last_error and "gave up after 3 tries" in sender.last_error
    assert "webhook http://127.0.0.1:" in sender.last_error and "/services" not in sender.last_error
    assert "1 failed" in status.line()
    await sender.aclose()


async def test_a_slow_sink_times_out_and_is_retried(tmp_path: Path, sink: Sink) -> None:
    policy = dataclasses.replace(FAST, timeout=0.3)
    sink.script.extend([Answer(delay=2.0), Answer()])
    sender = alerter(tmp_path, alert("webhook", sink.url()), policy=policy)
    started = time.monotonic()
    sender.notify(job(status="succeeded"), "succeeded")
    await settled(sender, 1)
    assert sender.sent == 1 and len(sink.requests) == 2
    assert time.monotonic() - started < 1.9  # the 2 s answer was not waited for
    await sender.aclose()


async def test_a_slow_sink_every_time_is_given_up(tmp_path: Path, sink: Sink) -> None:
    policy = dataclasses.replace(FAST, timeout=0.2, tries=2)
    sink.script.extend([Answer(delay=1.0), Answer(delay=1.0)])
    sender = alerter(tmp_path, alert("webhook", sink.url()), policy=policy)
    sender.notify(job(status="succeeded"), "succeeded")
    await settled(sender, 1)
    assert sender.failed == 1 and sender.last_error is not None
    assert "no answer within 0.2s (gave up after 2 tries)" in sender.last_error
    await sender.aclose()


async def test_500_then_200_is_retried_and_sent_once(tmp_path: Path, sink: Sink) -> None:
    sink.script.extend([Answer(500, body=b"upstream broke"), Answer(503), Answer(200)])
    sender = alerter(tmp_path, alert("slack", sink.url()))
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    assert sender.sent == 1 and sender.failed == 0 and len(sink.requests) == 3
    assert sink.requests[0].body == sink.requests[2].body
    await sender.aclose()


async def test_429_waits_as_long_as_retry_after_says(tmp_path: Path, sink: Sink) -> None:
    sink.script.extend([Answer(429, headers={"Retry-After": "1"}), Answer(200)])
    sender = alerter(tmp_path, alert("discord", sink.url()))
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    first, second = sink.requests
    assert second.at - first.at >= 0.9  # the backoff alone would be milliseconds
    assert sender.sent == 1
    await sender.aclose()


async def test_a_4xx_is_not_retried_and_its_answer_is_kept_short(
    tmp_path: Path, sink: Sink
) -> None:
    sink.script.append(Answer(404, body=b"no_service " + b"x" * 50_000))
    sender = alerter(tmp_path, alert("slack", sink.url()))
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    assert len(sink.requests) == 1 and sender.last_error is not None
    assert "HTTP 404: no_service" in sender.last_error and len(sender.last_error) < 300
    await sender.aclose()


async def test_a_redirect_is_not_followed(tmp_path: Path, sink: Sink) -> None:
    sink.script.append(Answer(302, headers={"Location": sink.url("/elsewhere")}))
    sender = alerter(tmp_path, alert("webhook", sink.url()))
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    assert [r.path for r in sink.requests] == [
        "/services/T0FAKE/B0FAKE/SlackPathTokenXyz0123456789"
    ]
    assert sender.last_error is not None and "redirect, not followed" in sender.last_error
    await sender.aclose()


async def test_a_full_queue_drops_the_oldest_and_counts_it(tmp_path: Path, sink: Sink) -> None:
    policy = dataclasses.replace(FAST, max_queue=2)
    sink.script.append(Answer(delay=0.3))  # the first sending holds the worker
    sender = alerter(tmp_path, alert("webhook", sink.url()), policy=policy)
    for n in range(6):
        sender.notify(job(f"ftjob-{n}", status="failed"), "failed")
        await asyncio.sleep(0.01 if n == 0 else 0)
    assert sender.status().dropped == 3
    await settled(sender, 3)
    ids = [json.loads(r.body)["job"]["id"] for r in sink.requests]
    assert ids == ["ftjob-0", "ftjob-4", "ftjob-5"]
    assert "3 dropped" in sender.status().line()
    await sender.aclose()


async def test_close_flushes_within_its_deadline_and_never_raises(
    tmp_path: Path, sink: Sink
) -> None:
    sink.script.extend([Answer(delay=5.0)])
    sender = alerter(
        tmp_path, alert("webhook", sink.url()), policy=dataclasses.replace(FAST, timeout=10)
    )
    sender.notify(job(status="failed"), "failed")
    await sink.wait_for(1)
    started = time.monotonic()
    left = await sender.aclose(deadline=0.3)
    assert time.monotonic() - started < 1.0 and left == 1
    sender.notify(job("ftjob-late", status="failed"), "failed")  # after close: nothing, no error
    assert await sender.aclose() == 0


async def test_close_sends_what_waits_without_retrying(tmp_path: Path, sink: Sink) -> None:
    sender = alerter(tmp_path, alert("webhook", sink.url()))
    for n in range(3):
        sender.notify(job(f"ftjob-{n}", status="succeeded"), "succeeded")
    assert await sender.aclose(deadline=3.0) == 0
    assert len(sink.requests) == 3 and sender.sent == 3


async def test_notify_before_a_loop_runs_waits_for_one(tmp_path: Path, sink: Sink) -> None:
    sender = alerter(tmp_path, alert("webhook", sink.url()))
    outbox: Outbox = sender._outboxes[0]
    outbox._task = None
    await asyncio.to_thread(sender.notify, job(status="failed"), "failed")  # no loop there
    assert sender.status().waiting == 1
    assert await sender.aclose() == 0 and len(sink.requests) == 1


async def test_a_worker_survives_an_unexpected_error(tmp_path: Path) -> None:
    calls: list[str] = []
    outcomes: list[tuple[str, bool | None, str | None]] = []

    async def send(item: str) -> None:
        calls.append(item)
        if item == "boom":
            raise RuntimeError("a bug")
        if item == "flaky":
            raise SendFailed("HTTP 500", retry=True)

    box: Outbox[str] = Outbox(
        alert("webhook", "https://x.invalid/"),
        send,
        lambda item, ok, reason: outcomes.append((item, ok, reason)),
        policy=FAST,
    )
    for item in ("boom", "flaky", "fine"):
        box.put(item)
    assert await box.close(5.0) == 1  # the flaky one, left for a restart
    assert outcomes == [
        ("boom", False, "unexpected error: RuntimeError"),
        ("flaky", None, "HTTP 500 (not sent before ftmon ended)"),
        ("fine", True, None),
    ]


def test_backoff_grows_with_jitter_and_retry_after_is_capped() -> None:
    policy = DeliveryPolicy(backoff=2.0, backoff_cap=60.0, retry_after_cap=30.0)
    assert policy.wait(1, None, lambda: 0.0) == 1.0
    assert policy.wait(1, None, lambda: 1.0) == 2.0
    assert policy.wait(3, None, lambda: 1.0) == 8.0
    assert policy.wait(20, None, lambda: 1.0) == 60.0
    assert policy.wait(1, 12.0, lambda: 0.5) == 12.0
    assert policy.wait(1, 3600.0, lambda: 0.5) == 30.0


def test_a_proxy_is_used_as_the_environment_asks_never_for_this_machine() -> None:
    from ftmon.alerts.send import proxy_for

    env = {"HTTPS_PROXY": "http://proxy.corp.invalid:3128", "no_proxy": "internal.invalid,.lan"}
    assert proxy_for("https://hooks.slack.com/services/x", env) == "http://proxy.corp.invalid:3128"
    assert proxy_for("http://ntfy.example.invalid/t", env) is None  # no HTTP_PROXY
    assert proxy_for("https://ntfy.internal.invalid/t", env) is None
    assert proxy_for("https://box.lan/t", env) is None
    assert proxy_for("https://127.0.0.1:8080/t", env) is None
    assert (
        proxy_for("http://x.invalid/", {"ALL_PROXY": "http://p.invalid:1"}) == "http://p.invalid:1"
    )
    assert proxy_for("https://x.invalid/", {"https_proxy": "http://p:1", "NO_PROXY": "*"}) is None
    assert proxy_for("https://x.invalid/", {}) is None


async def test_sending_through_the_environments_proxy(
    tmp_path: Path, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{sink.port}")
    sender = alerter(tmp_path, alert("webhook", "http://hooks.example.invalid/services/abc"))
    sender.notify(job(status="failed"), "failed")
    (got,) = await sink.wait_for(1)
    await sender.aclose()
    assert got.path == "http://hooks.example.invalid/services/abc"  # as a proxy is asked
    assert got.headers["host"] == "hooks.example.invalid" and sender.sent == 1
