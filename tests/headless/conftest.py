"""Run ``ftmon`` commands as a user would, against the simulator, deterministically.

``cli("watch", job_id)`` calls :func:`ftmon.cli.main` in process with the client on the shared
``sim_app`` (every response checked against the OpenAPI spec). The world's clock is frozen; when a
command sleeps between polls, the clock moves forward by that much instead, so a job runs its whole
life in milliseconds and every run prints the same thing. Client retries do not wait at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from headkit import Run, Sim
from starlette.applications import Starlette
from support.simkit import ADMIN_KEY, TEST_KEY, USER_ENV

from ftmon.api.client import FineTuningClient
from ftmon.cli import main
from ftmon.headless import runner
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld


@pytest.fixture(autouse=True)
def quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """No user config, no real keys, UTC times, 80 columns: the same output everywhere."""
    for name in USER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FTMON_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def sim(sim_world: SimWorld, sim_app: Starlette, monkeypatch: pytest.MonkeyPatch) -> Sim:
    """Route every command's client to ``sim_app``; keys from the environment (test keys)."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    state = Sim(sim_world)

    def connect(args: Any, settings: Any) -> runner.Connection:
        state.connects += 1

        async def no_wait(seconds: float) -> None:
            return None

        async def sleep(seconds: float) -> None:
            state.sleeps.append(seconds)
            sim_world.clock.advance(seconds)
            for hook in state.on_sleep:
                hook(sim_world)

        client = FineTuningClient(
            replace(settings, base_url="http://sim.test/v1"),
            transport=sim_transport(sim_app),
            sleep=no_wait,
        )
        return runner.Connection(
            client, now=sim_world.clock.now, clock=sim_world.clock.now, sleep=sleep, world=sim_world
        )

    monkeypatch.setattr(runner, "connect", connect)
    return state


@pytest.fixture
def cli(sim: Sim, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``cli("jobs", "--json")``: run one command on the simulator; returns a :class:`Run`."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run
