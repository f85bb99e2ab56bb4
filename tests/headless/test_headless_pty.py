"""On a real terminal: the confirmation prompt, colour, and Ctrl-C while it waits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from support.cli import FTMON
from support.pty import PtyProcess

from ftmon import exits
from ftmon.sim.world import SimWorld

Terminal = Callable[..., PtyProcess]


@pytest.fixture
def terminal(cli_env: dict[str, str]) -> Iterator[Terminal]:
    """``terminal("cancel", job)``: the installed ``ftmon`` on a pty, against ``sim_tcp``."""
    started: list[PtyProcess] = []

    def start(*argv: str, **env: str) -> PtyProcess:
        term = PtyProcess([str(FTMON), *argv], env={**cli_env, **env}).start()
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()


def ended(term: PtyProcess, timeout: float = 10) -> tuple[int | None, bytes]:
    """The exit code, and every byte the command wrote."""
    code = term.wait_exit(timeout)
    term.wait_eof()
    return code, term.raw_output()


@pytest.fixture
def running(sim_world: SimWorld) -> str:
    return sim_world.highlights["job:support-bot-v3"]


def test_the_prompt_asks_and_yes_cancels(
    terminal: Terminal, sim_world: SimWorld, running: str
) -> None:
    term = terminal("cancel", running)
    term.wait_for_output(b"[y/N] ", timeout=20)
    assert f"Cancel job {running} (support-bot-v3), now running?".encode() in term.raw_output()
    term.send(b"y\r")
    code, seen = ended(term)
    assert code == 0
    assert b"cancel sent" in seen
    assert b"\x1b[" in seen  # a terminal gets colour
    assert sim_world.get_job(running)["status"] in ("cancelled", "cancelling")


def test_enter_alone_is_no(terminal: Terminal, sim_world: SimWorld, running: str) -> None:
    term = terminal("pause", running)
    term.wait_for_output(b"[y/N] ", timeout=20)
    term.send(b"\r")
    assert ended(term)[0] == exits.REFUSED
    assert sim_world.get_job(running)["status"] == "running"


def test_ctrl_c_at_the_prompt_exits_130_at_once(
    terminal: Terminal, sim_world: SimWorld, running: str
) -> None:
    term = terminal("cancel", running)
    term.wait_for_output(b"[y/N] ", timeout=20)
    started = time.monotonic()
    term.send(b"\x03")
    code = term.wait_exit(10)
    assert code == exits.INTERRUPTED
    assert time.monotonic() - started < 5
    assert b"Traceback" not in ended(term)[1]
    assert sim_world.get_job(running)["status"] == "running"


def test_no_color_on_a_terminal(terminal: Terminal, sim_world: SimWorld) -> None:
    code, seen = ended(terminal("jobs", NO_COLOR="1"))
    assert code == 0
    assert b"ftjob-" in seen and b"\x1b" not in seen
    header = seen.splitlines()[0].split()
    # (A flag column follows when the doctor flags a job: this world's clock stands still in
    # May while the command reads ages against today, so its queued job has waited months.)
    assert header[:6] == [b"status", b"id", b"model", b"suffix", b"progress", b"age"]
    assert header[6:] in ([], [b"flag"])
