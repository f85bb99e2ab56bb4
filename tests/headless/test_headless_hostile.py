"""Hostile text in API data: never markup, never an escape sequence on the terminal, no crash."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from support.cli import Run, Sim

from ftmon.headless import output

Cli = Callable[..., Run]

HOSTILE = (
    "[/bold][@click=app.quit]x[/] [link=http://evil.test]y[/link] :smile: "
    "\x1b]0;owned\x07 \x1b[2J\x1b[H \x1b]52;c;SGVsbG8=\x07 \x1bP1$r\x1b\\ \x9b31m "
    "\u202eevil\u202c \u200f\u2066 zero\u200bwidth"
)
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e", "\u202c", "\u200f", "\u2066", "\u200b")
SGR = re.compile(r"\x1b\[[0-9;]*m")

# An event level outside the spec's enum is served on purpose.
pytestmark = pytest.mark.sim_off_spec


@pytest.fixture
def hostile_job(sim: Sim) -> str:
    job_id = sim.world.add_job(
        {
            "suffix": HOSTILE,
            "status": "failed",
            "model": "gpt-4o-mini\x1b[5m" + HOSTILE[:30],
            "error": {"code": "bad\x1b]0;x\x07code", "message": HOSTILE, "param": None},
            "metadata": {"k\x1b[31m": "v\u202e" + HOSTILE[:40]},
            "events": [
                {"message": HOSTILE, "level": "warn\x1b[0m"},
                {"message": "multi\nline\r\nmessage\twith tab", "offset_seconds": 1},
            ],
        }
    )["id"]
    sim.world.clock.advance(5)
    return job_id


def assert_safe(text: str) -> None:
    for char in FORBIDDEN:
        assert char not in text, f"{char!r} reached the terminal"


COMMANDS = [
    ["jobs"],
    ["jobs", "--all"],
    ["show", "{job}"],
    ["events", "{job}"],
    ["events", "{job}", "--follow"],
    ["watch", "{job}"],
    ["checkpoints", "{job}"],
    ["metrics", "{job}"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a))
def test_human_output_is_clean_with_colour_off(cli: Cli, hostile_job: str, argv: list[str]) -> None:
    run = cli(*[a.format(job=hostile_job) for a in argv])
    assert run.code in (0, 1), run.err  # watch: the job failed
    assert_safe(run.out)
    assert_safe(run.err)


def test_markup_in_data_is_shown_as_text(cli: Cli, hostile_job: str) -> None:
    run = cli("show", hostile_job)
    assert "[/bold][@click=app.quit]x[/]" in run.out
    assert "[link=http://evil.test]y[/link]" in run.out and ":smile:" in run.out
    events = cli("events", hostile_job).out.splitlines()
    assert events[0].split("  ")[1].startswith("warn[0m")  # the level, cleaned, as text
    assert events[1].endswith("multi line message with tab")  # one event, one line


def test_colour_on_writes_only_ftmons_own_colour_codes(
    cli: Cli, hostile_job: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "wants_color", lambda stream, environ=None: True)
    for argv in (["jobs"], ["show", hostile_job], ["watch", hostile_job]):
        run = cli(*argv)
        assert "\x1b[" in run.out  # colour is on...
        assert_safe(SGR.sub("", run.out))  # ...and every escape is one of ours


def test_no_color_wins_over_a_terminal(
    cli: Cli, hostile_job: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert "\x1b[" in cli("show", hostile_job).out  # a terminal: colour
    monkeypatch.setenv("NO_COLOR", "1")
    run = cli("show", hostile_job)
    assert "\x1b" not in run.out and "[/bold]" in run.out


def test_json_carries_the_data_as_sent_and_safely(cli: Cli, hostile_job: str) -> None:
    show = cli("show", hostile_job, "--json")
    assert show.out.isascii() and "\x1b" not in show.out
    job = show.json()
    assert job["user_provided_suffix"] == HOSTILE
    assert job["error"]["message"] == HOSTILE
    events = cli("events", hostile_job, "--json").json()
    assert events[0]["message"] == HOSTILE and events[0]["level"] == "warn\x1b[0m"
    watch = cli("watch", hostile_job, "--json")
    assert watch.out.isascii()
    messages = [r["event"]["message"] for r in watch.records() if r["type"] == "event"]
    assert messages[0] == HOSTILE


def test_hostile_error_messages_from_the_api_are_cleaned(cli: Cli, sim: Sim) -> None:
    run = cli("show", "ftjob-\x1b]0;x\x07")
    assert run.code == 4
    assert_safe(run.err)
    assert run.err.startswith("ftmon: Not found (404)")
