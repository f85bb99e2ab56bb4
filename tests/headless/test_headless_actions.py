"""``cancel``/``pause``/``resume`` and ``perms``: confirmation, read-only, admin key, exit codes."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from headkit import lifecycle_job
from support.cli import Run, Sim

from ftmon import exits
from ftmon.headless import prompt
from ftmon.sim.world import SimWorld

Cli = Callable[..., Run]


def status(world: SimWorld, job_id: str) -> str:
    return world.get_job(job_id)["status"]


@pytest.fixture
def running(sim: Sim) -> str:
    return sim.world.highlights["job:support-bot-v3"]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Pretend stdin is a terminal on which the user will type ``answer``."""

    def answer(text: str) -> None:
        monkeypatch.setattr(prompt, "stdin_is_terminal", lambda: True)
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return answer


def test_cancel_with_yes(cli: Cli, sim: Sim, running: str) -> None:
    run = cli("cancel", running, "--yes", "--json")
    assert run.code == 0, run.err
    assert run.json()["id"] == running
    assert status(sim.world, running) in ("cancelled", "cancelling")
    assert run.json()["status"] == status(sim.world, running)


def test_cancel_human_output(cli: Cli, sim: Sim, running: str) -> None:
    run = cli("cancel", running, "--yes")
    assert run.code == 0
    assert run.out.startswith("cancel sent: ") and running in run.out


def test_no_terminal_and_no_yes_refuses_before_any_request(
    cli: Cli, sim: Sim, running: str
) -> None:
    sim.world.stats.reset()
    run = cli("cancel", running)
    assert run.code == exits.USAGE
    expected = "needs confirmation and there is no terminal to ask on: pass --yes"
    assert run.err == f"ftmon: cancel {running} {expected}\n"
    assert sim.world.stats.total == 0
    assert status(sim.world, running) == "running"


def test_read_only_refuses(cli: Cli, sim: Sim, running: str) -> None:
    sim.world.stats.reset()
    for argv in (
        ["--read-only", "pause", running, "--yes"],
        ["--read-only", "perms", "rm", "ft:x:ckpt-step-1", "cp_1", "--yes"],
    ):
        run = cli(*argv)
        assert run.code == exits.REFUSED
        assert run.err.startswith("ftmon: read-only mode: will not ")
    assert sim.world.stats.total == 0
    assert status(sim.world, running) == "running"


def test_read_only_from_the_config_file(
    cli: Cli, sim: Sim, running: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"  # type: ignore[operator]
    config.write_text("read_only = true\n")
    monkeypatch.setenv("FTMON_CONFIG", str(config))
    assert cli("cancel", running, "--yes").code == exits.REFUSED


def test_prompt_yes_acts(
    cli: Cli, sim: Sim, running: str, terminal: Callable[[str], None], capsys: object
) -> None:
    terminal("y\n")
    run = cli("pause", running)
    assert run.code == 0
    assert f"Pause job {running} (support-bot-v3), now running? Training stops" in run.err
    assert "until you resume it. [y/N]" in run.err
    assert status(sim.world, running) in ("pausing", "paused")


def test_what_the_api_would_refuse_is_not_asked(
    cli: Cli, sim: Sim, terminal: Callable[[str], None]
) -> None:
    """The TUI's status rules: OpenAI pauses only running jobs; nothing is asked or sent."""
    queued = sim.world.highlights["job:legal-summarizer"]
    terminal("y\n")
    sim.world.stats.reset()
    run = cli("pause", queued)
    assert run.code == exits.REJECTED
    assert run.err == (
        f"ftmon: cannot pause {queued} (legal-summarizer): OpenAI pauses only running jobs; "
        "this one is queued; nothing was sent\n"
    )
    assert "[y/N]" not in run.err
    assert sim.world.stats.snapshot()["routes"] == {
        "GET /v1/fine_tuning/jobs/{fine_tuning_job_id}": 1
    }


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "maybe\n"])
def test_prompt_anything_but_yes_changes_nothing(
    cli: Cli, sim: Sim, running: str, terminal: Callable[[str], None], answer: str
) -> None:
    terminal(answer)
    run = cli("cancel", running)
    assert run.code == exits.REFUSED
    assert "not confirmed: nothing was changed" in run.err
    assert status(sim.world, running) == "running"


def test_pause_then_resume(cli: Cli, sim: Sim, running: str) -> None:
    assert cli("pause", running, "--yes").code == 0
    sim.world.clock.advance(60)
    assert status(sim.world, running) == "paused"
    run = cli("resume", running, "--yes", "--json")
    assert run.code == 0
    assert status(sim.world, running) not in ("paused", "pausing")


def test_cancelling_a_finished_job_is_rejected_with_the_api_message(cli: Cli, sim: Sim) -> None:
    done = sim.world.highlights["job:faq-bot-v2"]
    run = cli("cancel", done, "--yes")
    assert run.code == exits.REJECTED
    assert run.err.startswith("ftmon: ") and run.err.count("\n") == 1
    assert "Traceback" not in run.err


def test_acting_on_a_missing_job_is_exit_4(cli: Cli) -> None:
    assert cli("resume", "ftjob-nope", "--yes").code == exits.NOT_FOUND


# -- perms ---------------------------------------------------------------------------------------


@pytest.fixture
def checkpoint(sim: Sim) -> str:
    job = sim.world.highlights["job:faq-bot-v2"]
    return sim.world.list_checkpoints(job, limit=1)[0][0]["fine_tuned_model_checkpoint"]


def test_perms_add_list_rm(cli: Cli, checkpoint: str) -> None:
    none = cli("perms", "list", checkpoint)
    assert (none.code, none.out, none.err) == (0, "", "ftmon: not shared with any project\n")
    added = cli("perms", "add", checkpoint, "proj_alpha", "proj_beta", "--yes", "--json")
    assert added.code == 0, added.err
    assert [p["project_id"] for p in added.json()] == ["proj_alpha", "proj_beta"]
    listed = cli("perms", "list", checkpoint, "--json").json()
    assert {p["project_id"] for p in listed} == {"proj_alpha", "proj_beta"}
    human = cli("perms", "list", checkpoint).out.splitlines()
    assert human[0].split() == ["id", "project", "created"] and len(human) == 3
    gone = listed[0]["id"]
    removed = cli("perms", "rm", checkpoint, gone, "--yes", "--json")
    assert removed.code == 0 and removed.json()["deleted"] is True
    assert [p["id"] for p in cli("perms", "list", checkpoint, "--json").json()] == [
        p["id"] for p in listed[1:]
    ]
    only = cli("perms", "list", checkpoint, "--project-id", listed[1]["project_id"], "--json")
    assert [p["id"] for p in only.json()] == [listed[1]["id"]]


def test_perms_rm_takes_the_project_id_as_perms_add_does(cli: Cli, checkpoint: str) -> None:
    cli("perms", "add", checkpoint, "proj_alpha", "proj_beta", "--yes")
    listed = {p["project_id"]: p["id"] for p in cli("perms", "list", checkpoint, "--json").json()}
    removed = cli("perms", "rm", checkpoint, "proj_alpha", "--yes")
    assert removed.code == 0, removed.err
    assert removed.out == f"removed {listed['proj_alpha']} (project proj_alpha)\n"
    left = cli("perms", "list", checkpoint, "--json").json()
    assert [p["project_id"] for p in left] == ["proj_beta"]
    # A project it is not shared with: exit 4, said on stderr, nothing removed.
    again = cli("perms", "rm", checkpoint, "proj_alpha", "--yes")
    assert (again.code, again.out) == (exits.NOT_FOUND, "")
    assert "is not shared with project proj_alpha" in again.err
    assert [p["project_id"] for p in cli("perms", "list", checkpoint, "--json").json()] == [
        "proj_beta"
    ]


def test_perms_rm_asks_before_removing_by_project(cli: Cli, checkpoint: str) -> None:
    cli("perms", "add", checkpoint, "proj_alpha", "--yes")
    run = cli("perms", "rm", checkpoint, "proj_alpha")
    assert run.code == exits.USAGE  # no terminal to ask on, no --yes
    assert len(cli("perms", "list", checkpoint, "--json").json()) == 1


def test_perms_without_an_admin_key_stop_before_any_request(
    cli: Cli, sim: Sim, checkpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    sim.world.stats.reset()
    for argv in (["list", checkpoint], ["add", checkpoint, "proj_x", "--yes"]):
        run = cli("perms", *argv)
        assert run.code == exits.AUTH
        assert run.err == (
            "ftmon: checkpoint permissions need an admin key: set OPENAI_ADMIN_KEY "
            "or admin_key in the config file\n"
        )
    assert sim.world.stats.total == 0 and sim.connects == 0


def test_perms_with_a_non_admin_key_is_refused_by_the_api(
    cli: Cli, checkpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-test-not-admin-0000")
    run = cli("perms", "list", checkpoint)
    assert run.code == exits.AUTH
    assert "not-admin" not in run.err


def test_perms_want_the_model_name_not_the_checkpoint_id(cli: Cli, sim: Sim) -> None:
    run = cli("perms", "list", "ftckpt_abc123")
    assert run.code == exits.USAGE
    assert "not its ftckpt_ id" in run.err and sim.connects == 0


def test_perms_on_an_unknown_checkpoint(cli: Cli) -> None:
    assert cli("perms", "list", "ft:gpt-4o-mini:nope:ckpt-step-1").code == exits.NOT_FOUND


def test_perms_add_needs_confirmation(cli: Cli, sim: Sim, checkpoint: str) -> None:
    run = cli("perms", "add", checkpoint, "proj_x")
    assert run.code == exits.USAGE and sim.connects == 0


def test_a_job_created_just_now_can_be_cancelled(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "short-lived")
    assert cli("cancel", jid, "-y").code == 0
    sim.world.clock.advance(30)
    assert status(sim.world, jid) == "cancelled"
