"""On a real terminal: the confirmation prompt, colour, and Ctrl-C while it waits."""

from __future__ import annotations

import re
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
    lines = seen.splitlines()
    # 80 columns: each job in two lines, the model and suffix (and the doctor's flag, when
    # this world's clock, standing in May while the command reads against today, flags its
    # queued job) under the id.
    assert lines[0].split() == [b"status", b"id", b"progress", b"age"]
    assert lines[1].split()[:3] == [b"model", b"\xc2\xb7", b"suffix"]


def test_watch_on_a_terminal_keeps_one_live_progress_line(
    cli_env: dict[str, str], sim_world: SimWorld
) -> None:
    """80 columns: the newest events of the history, then the progress redrawn in place on
    one line under the other lines (never a line per step), each line within the width, the
    last progress left on screen when the job ends."""
    from headkit import lifecycle_job

    jid = lifecycle_job(sim_world, "live-pty", total_steps=60)
    sim_world.clock.advance(60)  # a history of 20-odd events
    # 80 columns, tall enough to keep every line of the watch on screen.
    term = PtyProcess([str(FTMON), "watch", jid, "--interval", "0.2"], env=cli_env, rows=60)
    term.start()
    deadline = time.monotonic() + 60
    while not term.exited() and time.monotonic() < deadline:
        time.sleep(0.25)
        sim_world.clock.advance(5)
    try:
        code, seen = ended(term, timeout=20)
    finally:
        term.close()
    assert code == 0, (sim_world.get_job(jid)["status"], seen[-800:])
    text = seen.decode()
    assert "\rprogress  " in text  # redrawn in place
    lines = [line for line in term.screen.display if line.strip()]
    older = next(i for i, line in enumerate(lines) if "older events" in line)
    # Too long for 80 columns: broken between words (where depends on how many are left out).
    first, second = lines[older].rstrip(), lines[older + 1].strip()
    assert re.fullmatch(
        rf"… \d+ older events.* \(ftmon events {jid} lists them\)", f"{first} {second}"
    ), (first, second)
    assert len(first) <= 80 and not first.endswith(" ") and second
    assert all(len(line.rstrip()) <= 80 for line in lines)
    steps = [line for line in lines if "Step " in line]
    assert len(steps) <= 5  # the history's newest five; then the progress line, not a line a step
    progress = [line for line in lines if line.startswith("progress  ")]
    assert len(progress) == 1 and "60/60 100%" in progress[0]
    assert lines[-1].startswith("✔ succeeded")
