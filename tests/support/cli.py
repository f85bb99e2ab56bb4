"""ftmon's commands against the simulator: in process (the ``cli`` fixture), or as the program.

In process, :func:`route_to_sim` sends every command's connection to a simulator app on a world,
with the keys in the environment as a user's are. The world's clock is frozen; when a command
sleeps between polls, the clock moves forward by that much instead, so a job runs its whole life
in milliseconds and every run prints the same thing. Client retries do not wait at all.
:func:`command_runner` then runs ``ftmon ARGV`` through :func:`ftmon.cli.main` and returns a
:class:`Run`. The root ``conftest.py`` puts the two together as the ``cli`` fixture (on the
shared, spec-checked ``sim_app``); a suite with its own world or keys calls them itself.

As a program, :func:`program_env` is the environment for the installed ``ftmon`` (:data:`FTMON`)
pointed at a simulator over TCP; the root fixture ``cli_env`` is that for ``sim_tcp``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ftmon.api.client import FineTuningClient
from ftmon.cli import main
from ftmon.config import Settings
from ftmon.headless import runner
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld
from support.simkit import ADMIN_KEY, TEST_KEY

#: The installed console script, beside this interpreter.
FTMON = Path(sys.executable).with_name("ftmon")


class Run(NamedTuple):
    """What a command left behind: its exit code, stdout and stderr (``code, out, err = run``)."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def records(self) -> list[dict[str, Any]]:
        """JSON Lines: one object per line, every line one object."""
        return [json.loads(line) for line in self.out.splitlines()]


@dataclass
class Sim:
    """Hooks a test sets on the in-process connection, and what the commands did with it."""

    world: SimWorld
    #: Called with the world after each sleep of a command (to inject faults, cancel, ...).
    on_sleep: list[Callable[[SimWorld], None]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    connects: int = 0


def route_to_sim(
    monkeypatch: pytest.MonkeyPatch,
    world: SimWorld,
    app: Any,
    *,
    api_key: str = TEST_KEY,
    admin_key: str = ADMIN_KEY,
) -> Sim:
    """Every command's client goes to ``app`` (an ASGI app serving ``world``) in process; the
    keys are set in the environment, where the command's settings read them."""
    monkeypatch.setenv("OPENAI_API_KEY", api_key)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", admin_key)
    state = Sim(world)

    def connect(args: Any, settings: Settings) -> runner.Connection:
        state.connects += 1

        async def no_wait(seconds: float) -> None:
            return None

        async def sleep(seconds: float) -> None:
            state.sleeps.append(seconds)
            world.clock.advance(seconds)
            for hook in state.on_sleep:
                hook(world)

        client = FineTuningClient(
            replace(settings, base_url="http://sim.test/v1"),
            transport=sim_transport(app),
            sleep=no_wait,
        )
        return runner.Connection(
            client, now=world.clock.now, clock=world.clock.now, sleep=sleep, world=world
        )

    monkeypatch.setattr(runner, "connect", connect)
    return state


def command_runner(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``run("jobs", "--json")``: ``ftmon jobs --json`` in process, its output captured."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def program_env(base_url: str, **extra: str) -> dict[str, str]:
    """The environment for ``ftmon`` run as a program against ``base_url`` with the test key:
    this process's, which the root fixture cleared of the user's settings."""
    return {**os.environ, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": TEST_KEY, **extra}
