"""Headless commands per provider: ``delete`` (Azure OpenAI only), ``perms`` refused on Azure,
``jobs --metadata`` filtered here when the server ignores the filter, and ``create`` refused by
OpenAI's wind-down said plainly.

Commands run in process on the OpenAI-flavoured simulator behind
:class:`support.fronts.FrontTransport` (Azure's job delete, a list that ignores ``metadata``,
creates refused with 403); ``--azure`` makes the settings say provider ``azure``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from support.cli import Run, command_runner
from support.fronts import FrontTransport
from support.simkit import TEST_KEY

from ftmon import exits
from ftmon.api.client import FineTuningClient
from ftmon.config import Settings
from ftmon.headless import prompt, runner
from ftmon.present.provider import CREATION_CLOSED, DELETE_CONSEQUENCE, NO_CHECKPOINT_SHARING
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld

Cli = Callable[..., Run]


class Routed:
    """Every command's client on the world's simulator behind one :class:`FrontTransport`."""

    def __init__(self, world: SimWorld, front: FrontTransport) -> None:
        self.world = world
        self.front = front
        self.connects = 0


@pytest.fixture
def routed(sim_world: SimWorld, monkeypatch: pytest.MonkeyPatch) -> Routed:
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"):
        monkeypatch.setenv(name, TEST_KEY)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://sim.test")
    state = Routed(sim_world, FrontTransport(sim_transport(create_app(sim_world))))

    def connect(args: Any, settings: Settings) -> runner.Connection:
        state.connects += 1
        client = FineTuningClient(
            replace(settings, base_url="http://sim.test/v1"), transport=state.front
        )
        now = sim_world.clock.now
        return runner.Connection(client, now=now, clock=now, world=sim_world)

    monkeypatch.setattr(runner, "connect", connect)
    return state


@pytest.fixture
def run(routed: Routed, capsys: pytest.CaptureFixture[str]) -> Cli:
    return command_runner(capsys)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Pretend stdin is a terminal on which the user will type ``answer``."""

    def answer(text: str) -> None:
        monkeypatch.setattr(prompt, "stdin_is_terminal", lambda: True)
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return answer


def job(world: SimWorld, key: str) -> str:
    return world.highlights[f"job:{key}"]


# -- delete ----------------------------------------------------------------------------------------


def test_delete_a_finished_job_on_azure(run: Cli, routed: Routed) -> None:
    finished = job(routed.world, "support-bot")
    done = run("delete", finished, "--azure", "--yes", "--json")
    assert done.code == exits.OK, done.err
    assert done.json() == {"id": finished, "object": "fine_tuning.job", "deleted": True}
    assert routed.front.sent("DELETE") == [f"/v1/fine_tuning/jobs/{finished}"]
    # Gone: the job is no longer listed, and naming it again is "not found".
    listed = run("jobs", "--azure", "--all", "--json")
    assert finished not in [j["id"] for j in listed.json()]
    again = run("delete", finished, "--azure", "--yes")
    assert again.code == exits.NOT_FOUND


def test_delete_human_output_names_the_model_that_stays(run: Cli, routed: Routed) -> None:
    finished = job(routed.world, "support-bot")
    model = routed.world.get_job(finished)["fine_tuned_model"]
    done = run("delete", finished, "--azure", "--yes")
    assert done.code == exits.OK, done.err
    assert done.out.startswith(f"deleted: {finished}")
    assert model in done.out and "stays" in done.out


def test_delete_asks_and_no_sends_nothing(
    run: Cli, routed: Routed, terminal: Callable[[str], None], capsys: Any
) -> None:
    finished = job(routed.world, "support-bot")
    terminal("n\n")
    done = run("delete", finished, "--azure")
    assert done.code == exits.REFUSED
    assert f"Delete job {finished}" in done.err and "succeeded" in done.err
    assert " ".join(DELETE_CONSEQUENCE.split()) in " ".join(done.err.split())
    assert not routed.front.sent("DELETE")


def test_delete_of_a_running_job_is_refused_with_the_reason(run: Cli, routed: Routed) -> None:
    running = job(routed.world, "catalog-long")
    done = run("delete", running, "--azure", "--yes")
    assert done.code == exits.REJECTED
    assert done.err == (
        f"ftmon: cannot delete {running} (catalog-long): only a finished job can be deleted; "
        "this one is running; nothing was sent\n"
    )
    assert not routed.front.sent("DELETE")


def test_delete_on_openai_is_refused_before_connecting(run: Cli, routed: Routed) -> None:
    done = run("delete", job(routed.world, "support-bot"), "--yes")
    assert done.code == exits.REJECTED
    assert done.err == (
        "ftmon: OpenAI has no job delete (Azure OpenAI has: --azure); nothing was sent\n"
    )
    assert routed.connects == 0 and not routed.front.requests


def test_delete_in_read_only_mode_or_without_a_terminal_sends_nothing(
    run: Cli, routed: Routed
) -> None:
    finished = job(routed.world, "support-bot")
    ro = run("--read-only", "delete", finished, "--azure", "--yes")
    assert ro.code == exits.REFUSED and "read-only mode: will not delete a job" in ro.err
    asked = run("delete", finished, "--azure")
    assert asked.code == exits.USAGE and "pass --yes" in asked.err
    assert routed.connects == 0


# -- perms on Azure --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("perms", "list", "ft:gpt-4o-mini:org::abc:ckpt-step-10"),
        ("perms", "add", "ft:gpt-4o-mini:org::abc:ckpt-step-10", "proj_a", "--yes"),
        ("perms", "rm", "ft:gpt-4o-mini:org::abc:ckpt-step-10", "cp_1", "--yes"),
    ],
)
def test_perms_on_azure_says_there_is_no_checkpoint_sharing(
    run: Cli, routed: Routed, argv: tuple[str, ...]
) -> None:
    done = run(*argv, "--azure")
    assert done.code == exits.REJECTED
    assert done.err == f"ftmon: {NO_CHECKPOINT_SHARING}; nothing was sent\n"
    assert routed.connects == 0 and not routed.front.requests


# -- a metadata filter the server ignores ----------------------------------------------------------


@pytest.mark.parametrize("provider", [(), ("--azure",)])
def test_jobs_metadata_is_filtered_here_when_the_server_ignores_it(
    run: Cli, routed: Routed, provider: tuple[str, ...]
) -> None:
    routed.front.ignore_metadata = True
    every = run("jobs", "--all", "--json", *provider).json()
    search = [j["id"] for j in every if (j.get("metadata") or {}).get("team") == "search"]
    assert 1 < len(search) < len(every)
    listed = run("jobs", "--metadata", "team=search", "--all", "--json", *provider)
    assert listed.code == exits.OK, listed.err
    assert [j["id"] for j in listed.json()] == search
    # The server was asked to filter, and answered unfiltered.
    assert any("metadata" in str(p) for p in routed.front.asked)
    ranker = job(routed.world, "ranker")
    table = run("jobs", "--metadata", "team=search", "--metadata", "env=staging", *provider)
    assert table.code == exits.OK
    assert ranker in table.out
    assert [i for i in search if i in table.out] == [ranker]
    none = run("jobs", "--metadata", "team=nobody", *provider)
    assert (none.out, none.err) == ("", "ftmon: no jobs match\n")
    unknown = run("jobs", "--status", "nope", *provider)
    assert unknown.code == exits.USAGE
    if provider:  # Azure's statuses: its own besides OpenAI's
        assert "Azure OpenAI's are: created, pending, validating_files" in unknown.err
        assert "resuming" in unknown.err


# -- create refused by the wind-down ---------------------------------------------------------------


CREATE = ("create", "-m", "gpt-4o-mini-2024-07-18", "-t", "file-abc123", "--yes")


def test_create_refused_by_the_wind_down_says_what_it_means(run: Cli, routed: Routed) -> None:
    routed.front.refuse_creates = True
    done = run(*CREATE)
    assert done.code == exits.REJECTED
    lines = done.err.splitlines()
    assert "403" in lines[0]
    assert "no longer available for this organization" in lines[0]  # the API's own words
    assert lines[-1] == f"ftmon: {CREATION_CLOSED}"
    assert "Azure OpenAI still fine-tunes (ftmon --azure)" in lines[-1]
    assert done.out == ""


def test_a_403_that_names_a_missing_scope_is_kept_as_it_is(run: Cli, routed: Routed) -> None:
    routed.front.refuse_creates = True
    routed.front.refuse_body = {
        "error": {
            "message": "You have insufficient permissions for this operation. Missing scopes: "
            "api.fine_tuning.jobs.write.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    done = run(*CREATE)
    assert done.code == exits.AUTH
    assert "Missing scopes" in done.err
    assert CREATION_CLOSED not in done.err


def test_create_on_the_simulators_wind_down_switch(run: Cli, routed: Routed) -> None:
    """The simulator's own refusal (``world.refuse_creates``), in its own words."""
    routed.world.refuse_creates = True
    done = run(*CREATE)
    assert done.code == exits.REJECTED
    assert done.err.splitlines()[-1] == f"ftmon: {CREATION_CLOSED}"
    assert "403" in done.err.splitlines()[0]


# -- pause on Azure: a step first ------------------------------------------------------------------


def test_pause_on_azure_is_refused_before_a_step_is_trained(
    run: Cli, routed: Routed, terminal: Callable[[str], None]
) -> None:
    world = routed.world
    fresh = world.add_job(
        {
            "suffix": "fresh",
            "lifecycle": {
                "total_steps": 30,
                "n_epochs": 3,
                "seconds_per_step": 10_000,
                "validate_seconds": 1,
                "queue_seconds": 1,
                "finalize_seconds": 1,
            },
        }
    )["id"]
    world.clock.advance(5)
    assert world.get_job(fresh)["status"] == "running"
    terminal("y\n")
    done = run("pause", fresh, "--azure")
    assert done.code == exits.REJECTED
    assert done.err == (
        f"ftmon: cannot pause {fresh} (fresh): Azure OpenAI pauses a job only after it has "
        "trained a step; nothing was sent\n"
    )
    assert not routed.front.sent("POST", "/pause")
    # On OpenAI the same job is asked about (and paused on a yes).
    terminal("y\n")
    asked = run("pause", fresh)
    assert asked.code == exits.OK, asked.err
    assert "writes a deployable checkpoint" not in asked.err
    assert routed.front.sent("POST", "/pause")
