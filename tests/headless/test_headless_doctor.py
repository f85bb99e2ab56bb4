"""The stall and queue doctor in the headless commands: ``watch --json``'s ``stall`` records
(once when a flag starts, once when it clears), the human line, ``--stall-exit`` (exit 9), and
the flags in ``ftmon jobs`` and ``ftmon show``; thresholds from the config's ``[doctor]``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from headkit import lifecycle_job
from support.cli import Run, Sim

from ftmon import exits
from ftmon.sim.world import SimWorld

Cli = Callable[..., Run]


@pytest.fixture(autouse=True)
def one_minute_stall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stall after a minute without a step (the default floor is 5 minutes)."""
    config = tmp_path / "config.toml"
    config.write_text("[doctor]\nstall_min_minutes = 1\nqueue_minutes = 30\n")
    monkeypatch.setenv("FTMON_CONFIG", str(config))


def at_sleep(n: int, action: Callable[[SimWorld], Any]) -> Callable[[SimWorld], None]:
    count = 0

    def hook(world: SimWorld) -> None:
        nonlocal count
        count += 1
        if count == n:
            action(world)

    return hook


def stalls(run: Run) -> list[dict[str, Any]]:
    return [r for r in run.records() if r["type"] == "stall"]


def test_watch_json_writes_a_stall_record_when_it_starts_and_when_it_clears(
    cli: Cli, sim: Sim
) -> None:
    jid = lifecycle_job(sim.world, "stuck", total_steps=60)
    sim.on_sleep.append(at_sleep(3, lambda w: w.freeze_job(jid)))  # running by then
    sim.on_sleep.append(at_sleep(12, lambda w: w.freeze_job(jid, False)))
    run = cli("watch", jid, "--json", "--interval", "15")
    assert run.code == exits.OK, run.err
    started, cleared = stalls(run)  # one each: not one a poll
    assert started["job_id"] == jid and started["started"] == ["stalled"]
    assert started["cleared"] == []
    found = started["diagnosis"]
    assert found["flags"] == ["stalled"] and found["step_seconds"] == 2.0
    assert found["stalled_for"] > 60 and found["last_step"] is not None
    assert [p["phase"] for p in found["phases"]] == ["validating", "queued", "running"]
    assert cleared["started"] == [] and cleared["cleared"] == ["stalled"]
    assert cleared["diagnosis"]["flags"] == []
    kinds = [r["type"] for r in run.records()]
    assert kinds.index("stall") < len(kinds) - 1 and kinds[-1] == "end"


def test_watch_human_says_it_in_a_line(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "stuck-human", total_steps=60)
    sim.on_sleep.append(at_sleep(3, lambda w: w.freeze_job(jid)))
    sim.on_sleep.append(at_sleep(12, lambda w: w.freeze_job(jid, False)))
    run = cli("watch", jid, "--interval", "15")
    assert run.code == exits.OK, run.err
    lines = run.out.splitlines()
    said = [line for line in lines if "stalled: no new step for" in line]
    assert len(said) == 1 and "(usual 2.0s)" in said[0]
    assert sum("no longer stalled" in line for line in lines) == 1


def test_stall_exit_ends_the_watch_with_its_own_code(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "stuck-exit", total_steps=60)
    sim.on_sleep.append(at_sleep(3, lambda w: w.freeze_job(jid)))
    run = cli("watch", jid, "--json", "--interval", "15", "--stall-exit")
    assert run.code == exits.STALLED == 9
    records = run.records()
    assert records[-2]["type"] == "stall" and records[-2]["started"] == ["stalled"]
    assert records[-1]["type"] == "end" and records[-1]["exit_code"] == 9
    assert "stalled" in run.err and "--stall-exit" in run.err
    assert sim.world.get_job(jid)["status"] == "running"  # only the watch ended
    # Without the flag, a stall is reported and the watch goes on (to the job's end).
    sim.world.freeze_job(jid, False)
    assert cli("watch", jid, "--json", "--interval", "15").code == exits.OK


def test_jobs_and_show_name_the_flags(cli: Cli, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    stuck = lifecycle_job(sim.world, "stuck-list", total_steps=60)
    waiting = lifecycle_job(sim.world, "long-wait", total_steps=60)
    sim.world.clock.advance(15)
    sim.world.stretch_queue(waiting, 7200)
    sim.world.clock.advance(30)
    sim.world.freeze_job(stuck)
    sim.world.clock.advance(2400)  # 40 minutes: stalled, and queued for longer than 30
    listing = cli("jobs", "--limit", "5")
    assert listing.code == 0, listing.err
    rows = {line.split()[2]: line for line in listing.out.splitlines()[1:] if line.strip()}
    assert "stalled 40m" in rows[stuck] and "long queue 40m" in rows[waiting]
    assert "flag" in listing.out.splitlines()[0]
    shown = cli("show", stuck)
    assert shown.code == 0
    flag = next(line for line in shown.out.splitlines() if line.startswith("flag"))
    assert "stalled: no new step for 40m" in flag and "(usual 2.0s)" in flag
    phases = next(line for line in shown.out.splitlines() if line.startswith("phases"))
    assert "validating 10s · queued 10s · running" in phases
    assert "long queue: queued for" in cli("show", waiting).out


def test_jobs_without_flags_has_no_flag_column(cli: Cli, sim: Sim) -> None:
    run = cli("jobs")
    assert run.code == 0 and "flag" not in run.out.splitlines()[0]
