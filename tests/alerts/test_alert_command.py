"""A command alert: an argv run with the job's fields in a clean environment, never a key."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import pytest
from alertkit import ADMIN_KEY, API_KEY, FAST, checkpoint, job, settled

from ftmon.alerts import Alerter
from ftmon.alerts.events import AlertEvent
from ftmon.alerts.payloads import command_env
from ftmon.config import AlertSpec, Secret, Settings

DUMP_ENV = "import json, os, sys; open(sys.argv[1], 'w').write(json.dumps(dict(os.environ)))"


def command_alert(*argv: str, on=("succeeded", "failed", "checkpoint")) -> AlertSpec:
    return AlertSpec(kind="command", on=tuple(on), command=(sys.executable, *argv))


async def test_the_command_gets_the_jobs_fields_and_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-0123456789abcdef")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.invalid/v1")
    monkeypatch.setenv("SOME_OTHER_TOKEN", "not-for-children-0123456789")
    out = tmp_path / "env.json"
    settings = Settings(
        api_key=Secret(API_KEY),
        admin_key=Secret(ADMIN_KEY),
        alerts=(command_alert("-c", DUMP_ENV, str(out)),),
    )
    sender = Alerter.from_settings(settings, tmp_path / "alerts.json")
    done = job(
        status="succeeded",
        fine_tuned_model="ft:gpt-4o-mini:org:ticket-bot:abc123",
        finished_at=1_700_000_900,
        trained_tokens=12345,
        # A server that echoed the key back: blanked before it reaches the command.
        suffix=f"echo {API_KEY}",
    )
    sender.notify(done, "succeeded")
    await settled(sender, 1)
    await sender.aclose()
    assert sender.sent == 1, sender.last_error
    env = json.loads(out.read_text())
    assert env["FTMON_JOB_ID"] == "ftjob-alert1"
    assert env["FTMON_EVENT"] == "succeeded" and env["FTMON_STATUS"] == "succeeded"
    assert env["FTMON_MODEL"] == "gpt-4o-mini-2024-07-18"
    assert env["FTMON_FINE_TUNED_MODEL"] == "ft:gpt-4o-mini:org:ticket-bot:abc123"
    assert env["FTMON_SUFFIX"] == "echo ****"
    assert env["FTMON_TRAINED_TOKENS"] == "12345" and env["FTMON_FINISHED_AT"] == "1700000900"
    assert env["FTMON_TITLE"] == "ftjob-alert1 succeeded"
    assert "PATH" in env
    assert not [name for name in env if name.startswith(("OPENAI_", "AZURE_"))]
    assert "SOME_OTHER_TOKEN" not in env
    dumped = json.dumps(env)
    assert API_KEY not in dumped and ADMIN_KEY not in dumped
    assert "azure-key-0123456789abcdef" not in dumped


def test_a_checkpoint_events_environment_names_the_checkpoint() -> None:
    running = job()
    point = checkpoint(running.id, 300, 1_700_000_500, 0.3)
    env = command_env(
        AlertEvent("checkpoint", running, checkpoint=point, key=point.id),
        environ={"PATH": "/bin", "OPENAI_API_KEY": API_KEY, "HOME": "/home/x"},
    )
    assert env["FTMON_CHECKPOINT_STEP"] == "300" and env["FTMON_CHECKPOINT_ID"] == point.id
    assert env["FTMON_CHECKPOINT"].endswith(":ckpt-step-300")
    assert env["PATH"] == "/bin" and env["HOME"] == "/home/x" and "OPENAI_API_KEY" not in env


def test_control_characters_never_reach_the_environment() -> None:
    hostile = job(suffix="a\x00b\x1b[2Jc\nd")
    env = command_env(AlertEvent("failed", hostile), environ={})
    assert env["FTMON_SUFFIX"] == "ab[2Jc d"


async def test_a_failing_command_is_reported_not_raised(tmp_path: Path) -> None:
    failing = command_alert("-c", "import sys; sys.stderr.write('no display here'); sys.exit(3)")
    sender = Alerter([failing], state_path=tmp_path / "alerts.json", policy=FAST)
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    await sender.aclose()
    assert sender.last_error is not None
    assert "exited with 3: no display here" in sender.last_error
    assert sender.last_error.startswith(f"command {os.path.basename(sys.executable)} ")


async def test_a_missing_program_is_reported(tmp_path: Path) -> None:
    missing = AlertSpec(kind="command", on=("failed",), command=("/nonexistent/notify-me",))
    sender = Alerter([missing], state_path=tmp_path / "alerts.json", policy=FAST)
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    await sender.aclose()
    assert sender.last_error is not None and "no such program: notify-me" in sender.last_error


async def test_a_command_that_hangs_is_killed(tmp_path: Path) -> None:
    hanging = command_alert("-c", "import time; time.sleep(60)", on=("failed",))
    policy = dataclasses.replace(FAST, timeout=0.5)
    sender = Alerter([hanging], state_path=tmp_path / "alerts.json", policy=policy)
    started = time.monotonic()
    sender.notify(job(status="failed"), "failed")
    await settled(sender, 1)
    await sender.aclose()
    assert time.monotonic() - started < 5
    assert sender.last_error is not None and "took longer than 0.5s" in sender.last_error
