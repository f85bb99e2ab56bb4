"""``ftmon watch`` tells the user's [[alerts]] how the job went: once, remembered across runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from headkit import lifecycle_job
from support.cli import Run, Sim
from support.sink import WebhookSink


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[alerts]]\nkind = "webhook"\nurl = "{url}"\non = ["succeeded", "failed"]\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("FTMON_CONFIG", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_watch_sends_the_jobs_end_once(
    cli: Callable[..., Run], sim: Sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with WebhookSink() as sink:
        configure(tmp_path, monkeypatch, sink.url)
        jid = lifecycle_job(sim.world, "alerted")
        run = cli("watch", jid, "--json", "--interval", "15")
        assert run.code == 0, run.err
        [body] = sink.wait_for(1)
        assert body["event"] == "succeeded" and body["job"]["id"] == jid
        assert sink.url not in run.out + run.err  # the webhook URL is a secret
        # Watched again (now over when first seen) and with the state file: nothing new.
        again = cli("watch", jid, "--json", "--interval", "15")
        assert again.code == 0
        assert sink.wait_for(2, timeout=1.0) == [body]


def test_a_demo_sends_no_alert(
    cli: Callable[..., Run], sim: Sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with WebhookSink() as sink:
        configure(tmp_path, monkeypatch, sink.url)
        # (The test's connection serves the same simulated world with or without --demo.)
        jid = lifecycle_job(sim.world, "simulated")
        run = cli("watch", "--demo", jid, "--json", "--interval", "15")
        assert run.code == 0, run.err
        assert sink.wait_for(1, timeout=1.0) == []
