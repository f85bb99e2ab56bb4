"""Each kind's request, as a local sink receives it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from alertkit import FAST, NTFY_TOKEN, Sink, alert, checkpoint, job

from ftmon.alerts import Alerter
from ftmon.config import Secret


def alerter(tmp_path: Path, *alerts) -> Alerter:
    return Alerter(alerts, state_path=tmp_path / "state" / "alerts.json", policy=FAST)


async def test_a_webhook_gets_the_event_the_jobs_fields_and_the_text(
    tmp_path: Path, sink: Sink
) -> None:
    done = job(
        status="succeeded",
        fine_tuned_model="ft:gpt-4o-mini:org:ticket-bot:abc123",
        finished_at=1_700_000_900,
        metadata={"team": "support"},
        some_future_field={"kept": True},
    )
    sender = alerter(tmp_path, alert("webhook", sink.url("/ft")))
    sender.notify(done, "succeeded")
    (got,) = await sink.wait_for(1)
    await sender.aclose()
    assert got.method == "POST" and got.path == "/ft"
    assert got.headers["content-type"] == "application/json"
    data = json.loads(got.body)
    assert data["event"] == "succeeded"
    assert data["job"]["id"] == "ftjob-alert1" and data["job"]["status"] == "succeeded"
    assert data["job"]["fine_tuned_model"] == "ft:gpt-4o-mini:org:ticket-bot:abc123"
    assert data["job"]["metadata"] == {"team": "support"}
    assert data["job"]["some_future_field"] == {"kept": True}
    assert data["text"].startswith("ftjob-alert1 succeeded\n")
    assert "ft:gpt-4o-mini:org:ticket-bot:abc123" in data["text"]


async def test_a_checkpoint_event_carries_the_checkpoint(tmp_path: Path, sink: Sink) -> None:
    running = job()
    point = checkpoint(running.id, 200, 1_700_000_500, 0.42)
    sender = alerter(tmp_path, alert("webhook", sink.url("/ft"), on=["checkpoint"]))
    sender.notify(running, "checkpoint", point)
    (got,) = await sink.wait_for(1)
    await sender.aclose()
    data = json.loads(got.body)
    assert data["event"] == "checkpoint" and data["checkpoint"]["step_number"] == 200
    assert "Checkpoint at step 200: ft:gpt-4o-mini:org:ticket-bot:abc:ckpt-step-200" in data["text"]


async def test_api_text_is_cleaned_and_cannot_ping_a_channel(tmp_path: Path, sink: Sink) -> None:
    hostile = job(
        status="failed",
        suffix="bot\x1b[31m<!channel>",
        error={"code": "invalid_file", "message": "bad line @everyone <b>&\u202e"},
    )
    sender = alerter(
        tmp_path,
        alert("slack", sink.url("/slack"), on=["failed"]),
        alert("discord", sink.url("/discord"), on=["failed"]),
        alert("webhook", sink.url("/hook"), on=["failed"]),
    )
    sender.notify(hostile, "failed")
    got = {r.path: r for r in await sink.wait_for(3)}
    await sender.aclose()
    slack = json.loads(got["/slack"].body)
    assert set(slack) == {"text"}
    assert "<!channel>" not in slack["text"] and "&lt;!channel&gt;" in slack["text"]
    assert "&amp;" in slack["text"] and "\x1b" not in slack["text"]
    discord = json.loads(got["/discord"].body)
    assert discord["allowed_mentions"] == {"parse": []}
    assert "bad line @everyone" in discord["content"] and "\u202e" not in discord["content"]
    hook = json.loads(got["/hook"].body)
    assert hook["job"]["suffix"] == "bot[31m<!channel>"  # the ESC is gone
    assert hook["job"]["error"]["code"] == "invalid_file"


async def test_discord_content_is_cut_to_its_limit(tmp_path: Path, sink: Sink) -> None:
    long = job(status="failed", error={"code": "x", "message": "y" * 5000})
    sender = alerter(tmp_path, alert("discord", sink.url("/d"), on=["failed"]))
    sender.notify(long, "failed")
    (got,) = await sink.wait_for(1)
    await sender.aclose()
    assert len(json.loads(got.body)["content"]) <= 2000


async def test_ntfy_gets_a_plain_body_a_title_tags_and_its_token(
    tmp_path: Path, sink: Sink
) -> None:
    failed = job(status="failed", error={"code": "oops", "message": "Training diverged"})
    ntfy = alert("ntfy", sink.url("/ft-topic"), on=["failed", "succeeded"])
    ntfy = type(ntfy)(**{**ntfy.__dict__, "token": Secret(NTFY_TOKEN)})
    sender = alerter(tmp_path, ntfy)
    sender.notify(failed, "failed")
    sender.notify(job("ftjob-ü", status="succeeded", suffix="größe"), "succeeded")
    first, second = await sink.wait_for(2)
    await sender.aclose()
    assert first.path == "/ft-topic"
    assert first.headers["title"] == "ftmon: ftjob-alert1 failed"
    assert first.headers["tags"] == "x" and first.headers["priority"] == "4"
    assert first.headers["authorization"] == f"Bearer {NTFY_TOKEN}"
    assert first.headers["content-type"].startswith("text/plain")
    body = first.body.decode("utf-8")
    assert "Error: Training diverged (oops)" in body and not body.startswith("{")
    # Not ASCII: an RFC 2047 encoded word, as ntfy decodes it.
    title = second.headers["title"]
    assert title.startswith("=?UTF-8?B?") and title.endswith("?=")
    assert base64.b64decode(title[10:-2]).decode() == "ftmon: ftjob-ü succeeded"
    assert second.headers["tags"] == "white_check_mark" and "priority" not in second.headers
