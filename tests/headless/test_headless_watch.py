"""``watch`` and ``events --follow``: followed to the end, exit codes, faults survived."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from headkit import lifecycle_job
from support.cli import Run, Sim
from support.simkit import TEST_KEY

from ftmon import exits
from ftmon.sim.world import SimWorld

Cli = Callable[..., Run]


def events_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["event"] for r in records if r["type"] == "event"]


def statuses(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["previous"], r["status"]) for r in records if r["type"] == "status"]


def at_sleep(n: int, action: Callable[[SimWorld], Any]) -> Callable[[SimWorld], None]:
    """A hook that runs ``action`` once, after the command's ``n``-th sleep."""
    count = 0

    def hook(world: SimWorld) -> None:
        nonlocal count
        count += 1
        if count == n:
            action(world)

    return hook


def test_watch_follows_a_job_to_success_and_exits_0(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "ok-run")
    run = cli("watch", jid, "--json", "--interval", "15")
    assert run.code == exits.OK, run.err
    records = run.records()
    assert records[0]["type"] == "job" and records[0]["job"]["status"] == "validating_files"
    end = records[-1]
    assert end == {
        "type": "end",
        "job_id": jid,
        "status": "succeeded",
        "exit_code": 0,
        "fine_tuned_model": sim.world.get_job(jid)["fine_tuned_model"],
        "error": None,
    }
    # Every event the simulator wrote, in order, each once.
    assert events_of(records) == sim.world.events_record(jid)["data"]
    chain = statuses(records)
    assert chain[0][0] == "validating_files" and chain[-1][1] == "succeeded"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chain))
    progress = [(r["step"], r["total_steps"]) for r in records if r["type"] == "progress"]
    assert progress[-1] == (30, 30)
    assert [p[0] for p in progress] == sorted(p[0] for p in progress)
    ckpts = [r["checkpoint"]["id"] for r in records if r["type"] == "checkpoint"]
    assert sorted(ckpts) == sorted(c["id"] for c in sim.world.list_checkpoints(jid, limit=50)[0])
    assert all(s == 15 for s in sim.sleeps)  # polled on the interval, never faster


def test_watch_human_output(cli: Cli, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    jid = lifecycle_job(sim.world, "ok-human")
    run = cli("watch", jid, "--interval", "15")
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].startswith(f"◌ validating_files  {jid}  gpt-4o-mini-2024-07-18  ok-human")
    record = sim.world.events_record(jid)["data"]
    metrics = [e for e in record if e.get("type") == "metrics"]
    # Watched from its start: every event but the metrics ones, which the progress lines say.
    assert sum(1 for line in lines if "  info   " in line) == len(record) - len(metrics)
    progress = [line for line in lines if "  progress  " in line]
    assert progress and "  progress  30/30 100% · train loss " in progress[-1]
    assert any(line.endswith("status  running → ✔ succeeded") for line in lines)
    assert any("  checkpoint  step 10  ft:" in line for line in lines)
    assert lines[-1] == f"✔ succeeded  {sim.world.get_job(jid)['fine_tuned_model']}"
    assert "\x1b" not in run.out and "\r" not in run.out  # not a terminal: plain lines


def test_watch_shows_the_last_events_of_a_long_history_then_progress_lines(
    cli: Cli, sim: Sim
) -> None:
    """The 911-line flood: a person sees the newest 5 events of the history and how many
    older ones were left out, then progress lines at most every 30 s; --json still has every
    event. (Into a pipe each line is whole, one an event, for grep.)"""
    jid = lifecycle_job(sim.world, "long-human", total_steps=300)
    sim.world.clock.advance(400)  # 100+ events already
    before = len(sim.world.events_record(jid)["data"])
    assert before > 50
    run = cli("watch", jid, "--interval", "5")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    skipped = next(i for i, line in enumerate(lines) if line.startswith("… "))
    assert lines[skipped].startswith(f"… {before - 5} older events")
    assert f"not shown (ftmon events {jid} lists them)" in lines[skipped]
    history = [line for line in lines[skipped : skipped + 12] if "  info   Step " in line]
    assert len(history) == 5
    progress = [line for line in lines if "  progress  " in line]
    assert 2 <= len(progress) < 60  # one per 30 s of a run of minutes, not one per step
    assert "300/300 100%" in progress[-1]
    every = cli("watch", jid, "--json", "--interval", "5").records()
    assert sum(r["type"] == "event" for r in every) == len(sim.world.events_record(jid)["data"])


def test_watch_on_a_terminal_rewrites_one_progress_line(
    sim: Sim, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A terminal: the progress is one line redrawn with \\r (cleared before each other line),
    made a line of its own at the end."""
    from ftmon.headless import watch

    real = watch.WatchReporter

    class OnATerminal(real):  # type: ignore[misc, valid-type]
        def __init__(self, ctx: Any) -> None:
            super().__init__(ctx, live=True)

    monkeypatch.setattr(watch, "WatchReporter", OnATerminal)
    jid = lifecycle_job(sim.world, "live-human")
    from ftmon.cli import main

    assert main(["watch", jid, "--interval", "15"]) == 0
    out = capsys.readouterr().out
    assert "\r" in out and "\x1b" not in out
    drawn = [part for part in out.split("\r") if part.startswith("progress  ")]
    assert len(drawn) >= 3 and drawn[-1].startswith("progress  30/30 100%")
    # Each redraw first wipes the line with spaces; the other lines start on a clean line.
    shown = out.split("\n")
    assert any(
        line.endswith("\rprogress  30/30 100% · train loss " + line.rsplit(" ", 1)[-1])
        for line in shown
    )
    assert shown[-2].startswith("✔ succeeded")


def test_watch_a_failed_job_exits_1_with_its_error(cli: Cli, sim: Sim) -> None:
    failure = {"code": "invalid_training_file", "message": "Line 3 is not JSON", "param": None}
    jid = lifecycle_job(sim.world, "will-fail", failure=failure)
    run = cli("watch", jid, "--json", "--interval", "15")
    assert run.code == exits.JOB_FAILED
    end = run.records()[-1]
    assert end["status"] == "failed" and end["exit_code"] == 1
    assert end["error"]["code"] == "invalid_training_file"
    human = cli("watch", jid)
    assert human.code == 1
    assert human.out.splitlines()[-1] == "✘ failed  invalid_training_file: Line 3 is not JSON"


def test_watch_a_cancelled_job_exits_3(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "to-cancel", total_steps=300)
    sim.on_sleep.append(at_sleep(4, lambda w: w.cancel_job(jid)))
    run = cli("watch", jid, "--json", "--interval", "15")
    assert run.code == exits.JOB_CANCELLED
    records = run.records()
    assert records[-1]["status"] == "cancelled" and records[-1]["exit_code"] == 3
    assert events_of(records) == sim.world.events_record(jid)["data"]


def test_watch_waits_through_a_pause(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "paused-once", total_steps=60)
    sim.on_sleep.append(at_sleep(3, lambda w: w.pause_job(jid)))
    sim.on_sleep.append(at_sleep(8, lambda w: w.resume_job(jid)))
    run = cli("watch", jid, "--json", "--interval", "15")
    assert run.code == exits.OK
    seen = [s for _, s in statuses(run.records())]
    assert "paused" in seen and seen[-1] == "succeeded"
    assert seen.index("paused") < len(seen) - 1


@pytest.mark.parametrize(
    ("suffix", "code", "status"),
    [("faq-bot-v2", 0, "succeeded"), ("intent-v1", 1, "failed"), ("ranker", 3, "cancelled")],
)
def test_watch_a_finished_job_ends_after_one_poll(
    cli: Cli, sim: Sim, suffix: str, code: int, status: str
) -> None:
    jid = sim.world.highlights[f"job:{suffix}"]
    run = cli("watch", jid, "--json")
    assert run.code == code
    records = run.records()
    assert records[-1]["status"] == status
    assert events_of(records) == sim.world.events_record(jid)["data"]
    assert statuses(records) == []  # no change was seen: it had ended already
    assert sim.sleeps == []


def test_watch_across_faults_loses_and_repeats_no_event(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "flaky", total_steps=240, seconds_per_step=2)
    kinds: list[dict[str, Any]] = [
        {"kind": "503", "count": 2},
        {"kind": "drop"},
        {"kind": "garbage"},
        {"kind": "429", "retry_after": 1},
        {"kind": "500", "count": 9},  # outlasts the client's retries: the engine backs off
        {"kind": "502", "route": f"/fine_tuning/jobs/{jid}/events", "count": 5},
        {"kind": "503", "route": f"/fine_tuning/jobs/{jid}/checkpoints", "count": 6},
    ]
    served = 0

    def inject(world: SimWorld) -> None:
        nonlocal served
        if served == len(kinds) or world.get_job(jid)["status"] == "succeeded":
            return  # each fault once, then quiet: the end is then seen as healthy
        spec = dict(kinds[served])
        served += 1
        world.faults.add(spec.pop("kind"), **spec)

    sim.on_sleep.append(inject)
    run = cli("watch", jid, "--json", "--interval", "40")
    assert run.code == exits.OK, run.err
    records = run.records()
    events = events_of(records)
    record = sim.world.events_record(jid)["data"]
    assert len(record) == 4 + 240 + 6  # opening events, a metrics event a step, closing events
    assert [e["id"] for e in events] == [e["id"] for e in record]
    assert events == record
    # Every fault was met whole: the job runs ~8 minutes (15 polls or more), the first 7 set one.
    assert served == len(kinds)
    assert sim.world.faults.served == {
        "503": 2 + 6,
        "drop": 1,
        "garbage": 1,
        "429": 1,
        "500": 9,
        "502": 5,
    }
    health = [r["state"] for r in records if r["type"] == "health"]
    assert "failing" in health and health[-1] == "ok"
    assert records[-1]["type"] == "end"


def test_watch_gives_up_when_the_api_stays_down(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "down", total_steps=300)
    sim.on_sleep.append(at_sleep(2, lambda w: w.faults.add("503", duration=600)))
    run = cli("watch", jid, "--json", "--interval", "10", "--give-up-after", "120")
    assert run.code == exits.UNREACHABLE
    assert run.err.startswith("ftmon: no good answer for 2m 00s, giving up: The server failed (503")
    assert run.err.count("\n") == 1
    end = run.records()[-1]
    assert end["type"] == "end" and end["exit_code"] == 6 and end["status"] == "queued"
    assert 110 <= sum(sim.sleeps[1:]) <= 130


def test_watch_a_missing_job_exits_4_at_once(cli: Cli, sim: Sim) -> None:
    run = cli("watch", "ftjob-missing")
    assert run.code == exits.NOT_FOUND
    assert run.out == ""
    assert run.err.startswith("ftmon: Not found (404): Could not find fine-tuning job: ftjob-miss")
    assert sim.sleeps == []
    assert cli("watch", "ftjob-missing", "--json").records()[-1]["exit_code"] == 4


def test_watch_with_a_rejected_key_exits_5(
    cli: Cli, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-invalid-secretvalue99")
    jid = sim.world.highlights["job:faq-bot-v2"]
    run = cli("watch", jid)
    assert run.code == exits.AUTH
    assert "401" in run.err and "secretvalue99" not in run.err + run.out
    assert sim.sleeps == []
    assert TEST_KEY not in run.err


def test_ctrl_c_exits_130_at_once(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "interrupted", total_steps=300)

    def interrupt(world: SimWorld) -> None:
        raise KeyboardInterrupt

    sim.on_sleep.append(at_sleep(2, interrupt))
    run = cli("watch", jid)
    assert run.code == exits.INTERRUPTED
    assert len(sim.sleeps) == 2


# -- events --follow -----------------------------------------------------------------------------


def test_events_follow_tails_until_the_job_ends(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "tailed")
    run = cli("events", jid, "--follow", "--json", "--interval", "15")
    assert run.code == 0
    assert run.records() == sim.world.events_record(jid)["data"]
    human = cli("events", jid, "--follow")
    assert human.code == 0
    assert len(human.out.splitlines()) == sim.world.events_record(jid)["count"]


def test_events_follow_since_skips_the_history_before(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "tailed-since", total_steps=60)
    sim.world.clock.advance(40)
    history = sim.world.events_record(jid)["data"]
    run = cli("events", jid, "--follow", "--since", history[-2]["id"], "--json")
    assert run.code == 0 and run.err == ""
    assert run.records() == sim.world.events_record(jid)["data"][len(history) - 1 :]


def test_events_follow_on_a_failed_job_still_exits_0(cli: Cli, sim: Sim) -> None:
    jid = sim.world.highlights["job:intent-v1"]
    run = cli("events", jid, "--follow", "--json")
    assert run.code == 0
    assert run.records() == sim.world.events_record(jid)["data"]


def test_watch_does_not_wait_forever_on_checkpoints_that_keep_failing(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "no-ckpts")
    route = f"/fine_tuning/jobs/{jid}/checkpoints"
    sim.world.faults.add("503", route=route, duration=600)
    run = cli("watch", jid, "--json", "--interval", "15")
    assert run.code == exits.OK
    records = run.records()
    assert events_of(records) == sim.world.events_record(jid)["data"]
    assert not [r for r in records if r["type"] == "checkpoint"]
    assert records[-1]["status"] == "succeeded"
