"""The installed ``ftmon`` (and ``python -m ftmon``) over real TCP against the simulator."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from headkit import lifecycle_job
from support.cli import FTMON

from ftmon import exits
from ftmon.sim.world import SimWorld

TIMEOUT = 60

Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def ftmon(cli_env: dict[str, str]) -> Runner:
    """``ftmon("jobs", extra={...})``: the installed program on ``sim_tcp``, to its end."""

    def run(*argv: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(FTMON), *argv],
            env={**cli_env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    return run


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_installed_script_lists_jobs_as_json(ftmon: Runner, sim_world: SimWorld) -> None:
    assert FTMON.exists()
    done = ftmon("jobs", "--all", "--json")
    assert done.returncode == 0, done.stderr
    assert [j["id"] for j in json.loads(done.stdout)] == [
        j["id"] for j in sim_world.list_jobs(limit=100)[0]
    ]


def test_python_dash_m_shows_a_job(cli_env: dict[str, str], sim_world: SimWorld) -> None:
    jid = sim_world.highlights["job:faq-bot-v2"]
    done = subprocess.run(
        [sys.executable, "-m", "ftmon", "show", jid],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["status", "✔", "succeeded"]
    assert any(line.split() == ["id", jid] for line in lines)
    assert "\x1b" not in done.stdout  # a pipe: no colour


@pytest.mark.parametrize(("suffix", "code"), [("faq-bot-v2", 0), ("intent-v1", 1), ("ranker", 3)])
def test_watch_exit_code_says_how_the_job_ended(
    ftmon: Runner, sim_world: SimWorld, suffix: str, code: int
) -> None:
    done = ftmon("watch", sim_world.highlights[f"job:{suffix}"], "--json")
    assert done.returncode == code, done.stderr
    last = json.loads(done.stdout.splitlines()[-1])
    assert last["type"] == "end" and last["exit_code"] == code


@pytest.fixture
def ticking(sim_world: SimWorld) -> Iterator[None]:
    """Move the simulated clock 5 s every 20 ms of real time while a test runs."""
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.02):
            sim_world.clock.advance(5)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


def test_watch_a_live_job_over_tcp_with_faults(
    ftmon: Runner, sim_world: SimWorld, ticking: None
) -> None:
    jid = lifecycle_job(sim_world, "over-tcp", total_steps=120, seconds_per_step=1)
    for kind in ("503", "drop", "garbage", "502"):
        sim_world.faults.add(kind)
    done = ftmon("watch", jid, "--json", "--interval", "0.1")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    events = [r["event"] for r in records if r["type"] == "event"]
    assert events == sim_world.events_record(jid)["data"]
    assert records[-1]["status"] == "succeeded"


def test_not_found_over_tcp(ftmon: Runner) -> None:
    done = ftmon("events", "ftjob-nope")
    assert done.returncode == exits.NOT_FOUND
    assert done.stderr.startswith("ftmon: Not found (404)") and done.stderr.count("\n") == 1


def test_a_rejected_key_is_exit_5_and_never_shown(ftmon: Runner) -> None:
    key = "sk-invalid-verysecret123456"
    done = ftmon("jobs", extra={"OPENAI_API_KEY": key})
    assert done.returncode == exits.AUTH
    assert "401" in done.stderr and "verysecret" not in done.stderr + done.stdout
    assert done.stderr.count("\n") == 1


def test_no_key_at_all_is_exit_5(ftmon: Runner, cli_env: dict[str, str]) -> None:
    done = ftmon("jobs", extra={"OPENAI_API_KEY": ""})
    assert done.returncode == exits.AUTH
    assert done.stderr.startswith("ftmon: No API key")


def test_network_down_past_the_retry_budget_is_exit_6(ftmon: Runner, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("max_retries = 1\n")
    config.chmod(0o600)
    url = f"http://127.0.0.1:{closed_port()}/v1"
    extra = {"OPENAI_BASE_URL": url, "FTMON_CONFIG": str(config)}
    done = ftmon("jobs", extra=extra)
    assert done.returncode == exits.UNREACHABLE
    assert done.stderr.startswith("ftmon: Cannot connect to 127.0.0.1")
    assert "Traceback" not in done.stderr
    started = time.monotonic()
    done = ftmon(
        "watch", "ftjob-x", "--json", "--interval", "0.1", "--give-up-after", "0.5", extra=extra
    )
    assert done.returncode == exits.UNREACHABLE
    assert "giving up: Cannot connect" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["exit_code"] == 6
    assert time.monotonic() - started < 20


def _sigint_as_at_a_terminal() -> None:  # pragma: no cover - in the child, before exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130_at_once(cli_env: dict[str, str], sim_world: SimWorld) -> None:
    jid = sim_world.highlights["job:support-bot-v3"]  # running; the frozen clock never ends it
    proc = subprocess.Popen(
        [str(FTMON), "watch", jid, "--interval", "0.2"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A suite started in the background (``.ci/run &``) hands its children SIGINT ignored,
        # as a shell does for background jobs; a person at a terminal has it on.
        preexec_fn=_sigint_as_at_a_terminal,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert jid in first
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == exits.INTERRUPTED
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


def test_a_closed_pipe_ends_quietly(cli_env: dict[str, str], sim_world: SimWorld) -> None:
    events = [{"message": f"event number {n}", "offset_seconds": n} for n in range(3000)]
    jid = sim_world.add_job({"suffix": "chatty", "status": "running", "events": events})["id"]
    sim_world.clock.advance(4000)
    proc = subprocess.Popen(
        [str(FTMON), "events", jid],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().endswith("event number 0\n")
    proc.stdout.close()
    code = proc.wait(timeout=TIMEOUT)
    assert code == exits.BROKEN_PIPE
    assert proc.stderr.read() == ""
