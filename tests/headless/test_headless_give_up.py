"""``--give-up-after`` holds whatever the client's own retries do: the installed ``ftmon`` against
a loopback server that answers 429 with ``Retry-After: 30`` to everything, or drips a byte a
second. Each request alone would retry for minutes; the command must end near the give-up."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from headkit import HostileServer
from support.cli import FTMON, Run, Sim, program_env

from ftmon import exits
from ftmon.api.client import FineTuningClient
from ftmon.headless import runner
from ftmon.sim.transport import sim_transport

GIVE_UP = 2.0
#: Behavioural bound: the give-up, the last try it allows, and a slow start on a busy machine.
SLACK = 10.0


@pytest.fixture(params=["429", "drip"])
def server(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    srv = HostileServer(request.param)
    yield srv
    srv.close()


def run_against(server: HostileServer, tmp_path: Path, *argv: str) -> tuple[int, str, str, float]:
    config = tmp_path / "config.toml"
    config.write_text("max_retries = 20\ntimeout = 60\n")
    config.chmod(0o600)
    env = program_env(server.base_url, FTMON_CONFIG=str(config))
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(FTMON), *argv, "--give-up-after", f"{GIVE_UP:g}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=GIVE_UP + SLACK)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(
            f"still running {GIVE_UP + SLACK:g}s after start with --give-up-after {GIVE_UP:g}"
        )
    return proc.returncode, out, err, time.monotonic() - started


@pytest.mark.parametrize(
    "argv", [["watch", "ftjob-x", "--json"], ["events", "ftjob-x", "--follow"]], ids=" ".join
)
def test_give_up_ends_the_command_whatever_the_retries(
    server: HostileServer, tmp_path: Path, argv: list[str]
) -> None:
    code, out, err, took = run_against(server, tmp_path, *argv)
    assert code == exits.UNREACHABLE, err
    assert took >= GIVE_UP
    lines = err.splitlines()
    # Notes and one last line: no traceback, no word of a task left pending.
    assert all(line.startswith("ftmon: ") for line in lines), err
    assert lines[-1].startswith("ftmon: no good answer for 2s, giving up: "), err
    if server.mode == "429":
        assert "Rate limited (429" in lines[-1]
    else:
        assert "waiting for an answer" in lines[-1]
    if "--json" in argv:
        assert out.splitlines()[-1].startswith('{"type": "end"')
    assert server.requests >= 1


class SlowTransport(httpx.AsyncBaseTransport):
    """The simulator, each answer a little late: a slow link that is not failing."""

    def __init__(self, inner: httpx.AsyncBaseTransport, delay: float) -> None:
        self.inner, self.delay, self.requests = inner, delay, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await asyncio.sleep(self.delay)
        return await self.inner.handle_async_request(request)


def test_a_long_healthy_walk_of_the_history_is_not_cut(
    cli: Callable[..., Run], sim: Sim, sim_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [{"message": f"step {n}", "offset_seconds": n} for n in range(1000)]
    jid = sim.world.add_job({"suffix": "long", "status": "failed", "events": events})["id"]
    sim.world.clock.advance(2000)
    slow = SlowTransport(sim_transport(sim_app), 0.3)
    connect = runner.connect

    def slow_connect(args: Any, settings: Any) -> runner.Connection:
        conn = connect(args, settings)
        conn.client = FineTuningClient(conn.client.settings, transport=slow)
        return conn

    monkeypatch.setattr(runner, "connect", slow_connect)
    # Ten pages of events at 0.3 s each: 3 s in all, past the give-up (and the last try),
    # but every page is a good answer.
    run = cli("events", jid, "--follow", "--give-up-after", "0.5")
    assert run.code == 0, run.err
    assert len(run.out.splitlines()) == 1000
    assert slow.requests >= 11
