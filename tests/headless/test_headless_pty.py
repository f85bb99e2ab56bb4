"""On a real terminal: the confirmation prompt, colour, and Ctrl-C while it waits."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from headkit import Terminal
from support.simkit import TEST_KEY

from ftmon import exits
from ftmon.sim.world import SimWorld


@pytest.fixture
def term_env(sim_tcp: str, tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "FTMON_")) and k not in ("NO_COLOR", "COLUMNS")
    }
    env.update(
        OPENAI_BASE_URL=sim_tcp,
        OPENAI_API_KEY=TEST_KEY,
        FTMON_CONFIG=str(tmp_path / "absent.toml"),
        TERM="xterm-256color",
        TZ="UTC",
    )
    return env


@pytest.fixture
def running(sim_world: SimWorld) -> str:
    return sim_world.highlights["job:support-bot-v3"]


def test_the_prompt_asks_and_yes_cancels(
    term_env: dict[str, str], sim_world: SimWorld, running: str
) -> None:
    term = Terminal(["cancel", running], term_env)
    term.wait_for(b"[y/N] ")
    assert f"Cancel job {running} (support-bot-v3), now running?".encode() in term.seen
    term.type(b"y\r")
    assert term.exit_code() == 0
    assert b"cancel sent" in term.seen
    assert b"\x1b[" in term.seen  # a terminal gets colour
    assert sim_world.get_job(running)["status"] in ("cancelled", "cancelling")


def test_enter_alone_is_no(term_env: dict[str, str], sim_world: SimWorld, running: str) -> None:
    term = Terminal(["pause", running], term_env)
    term.wait_for(b"[y/N] ")
    term.type(b"\r")
    assert term.exit_code() == exits.REFUSED
    assert sim_world.get_job(running)["status"] == "running"


def test_ctrl_c_at_the_prompt_exits_130_at_once(
    term_env: dict[str, str], sim_world: SimWorld, running: str
) -> None:
    term = Terminal(["cancel", running], term_env)
    term.wait_for(b"[y/N] ")
    started = time.monotonic()
    term.type(b"\x03")
    assert term.exit_code() == exits.INTERRUPTED
    assert time.monotonic() - started < 5
    assert b"Traceback" not in term.seen
    assert sim_world.get_job(running)["status"] == "running"


def test_no_color_on_a_terminal(term_env: dict[str, str], sim_world: SimWorld) -> None:
    term = Terminal(["jobs"], {**term_env, "NO_COLOR": "1"})
    assert term.exit_code() == 0
    assert b"ftjob-" in term.seen and b"\x1b" not in term.seen
    header = term.seen.splitlines()[0].split()
    assert header == [b"status", b"id", b"model", b"suffix", b"progress", b"age"]
