"""No key, admin key, webhook URL or ntfy token in a log record, an error, the state file or a
payload: whatever the sink answers, however the sending fails."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from alertkit import (
    ADMIN_KEY,
    API_KEY,
    FAST,
    HOOK_TOKEN,
    NTFY_TOKEN,
    Answer,
    Sink,
    alert,
    closed_port,
    job,
    settled,
)

from ftmon.alerts import Alerter
from ftmon.config import Secret, Settings


async def test_no_secret_anywhere(
    tmp_path: Path, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's own records too
    hook = sink.url(f"/services/{HOOK_TOKEN}")
    down = f"http://127.0.0.1:{closed_port()}/api/webhooks/1/{HOOK_TOKEN}-down"
    ntfy = dataclasses.replace(
        alert("ntfy", sink.url("/ftmon-topic-Secret123"), on=["failed"]), token=Secret(NTFY_TOKEN)
    )
    settings = Settings(
        api_key=Secret(API_KEY),
        admin_key=Secret(ADMIN_KEY),
        alerts=(
            alert("slack", hook, on=["failed"]),
            alert("discord", down, on=["failed"]),
            ntfy,
            alert("webhook", sink.url(f"/hook/{HOOK_TOKEN}-slow"), on=["failed"]),
        ),
    )
    # The sink echoes what it was sent to, as some servers do in their errors.
    sink.script.extend(
        [
            Answer(500, body=f"bad hook {hook} {HOOK_TOKEN}".encode()),
            Answer(403, body=f"token {NTFY_TOKEN} refused for /ftmon-topic-Secret123".encode()),
            Answer(delay=3.0),
            Answer(500, body=f"still bad /services/{HOOK_TOKEN}".encode()),
            Answer(500, body=f"still bad /services/{HOOK_TOKEN}".encode()),
        ]
    )
    policy = dataclasses.replace(FAST, timeout=0.5, tries=2)
    sender = Alerter.from_settings(settings, tmp_path / "alerts.json", policy=policy)
    hostile = job(
        status="failed",
        suffix=f"key {API_KEY}",
        error={"code": "x", "message": f"admin {ADMIN_KEY} and {hook}"},
    )
    sender.notify(hostile, "failed")
    await settled(sender, 4)
    await sender.aclose()

    secrets = [API_KEY, ADMIN_KEY, HOOK_TOKEN, NTFY_TOKEN, "ftmon-topic-Secret123", hook, down]
    shown = [
        str(sender.last_error),
        sender.status().line(),
        repr(sender.status()),
        repr(settings),
        *(a.describe() for a in settings.alerts),
        *(repr(a) for a in settings.alerts),
        (tmp_path / "alerts.json").read_text(),
    ]
    for record in caplog.records:
        shown += [record.getMessage(), repr(record.args), str(record.exc_info)]
    for text in shown:
        for secret in secrets:
            assert secret not in text, (secret, text)
    assert sender.failed == 4 and sender.last_error
    # What was sent carries no key either (the webhook URL is where it went, not what it said).
    for request in sink.requests:
        body = request.body.decode("utf-8")
        assert API_KEY not in body and ADMIN_KEY not in body and HOOK_TOKEN not in body
    assert any("key ****" in r.body.decode() for r in sink.requests)


async def test_a_cut_never_leaves_the_start_of_a_secret(tmp_path: Path, sink: Sink) -> None:
    hook = sink.url(f"/services/{HOOK_TOKEN}")
    padding = "x" * 80  # the reason keeps 120 characters: the cut falls inside the token
    sink.script.append(Answer(404, body=f"{padding} {hook}".encode()))
    sender = Alerter([alert("slack", hook)], state_path=tmp_path / "a.json", policy=FAST)
    long_suffix = "s" * 190 + HOOK_TOKEN  # a field cut at 200 in the title's model words
    sender.notify(job(status="failed", suffix=long_suffix), "failed")
    await settled(sender, 1)
    await sender.aclose()
    assert sender.last_error is not None and "HTTP 404" in sender.last_error
    assert (
        "T0FAKE" not in sender.last_error and "127.0.0.1:" not in sender.last_error.split(")")[-1]
    )
    (got,) = sink.requests
    assert b"T0FA" not in got.body
