"""Compare and ``N`` in a real terminal (issue 15 point 8): the keys as a person types them, in
bursts too, the screen read back from the pty.

``m j m C`` in one burst opens the comparison of the two jobs marked; ``x`` switches the axis and
the title says so; while the compared jobs run the legend moves on as the simulator's clock does
(the engine's own polls: nothing is asked for); ``N`` on a reinforcement job opens a form that
names the job and says what it did not copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from support.pty import PtyProcess

from bench.common import SimProcess, tui_env

pytestmark = pytest.mark.e2e

SIZE = (80, 24)
ESC = "\x1b"


def _running(sim: SimProcess) -> list[dict[str, Any]]:
    jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
    return [job for job in jobs if job["status"] == "running"]


@pytest.fixture
def term(sim: SimProcess, ftmon_script: str) -> Iterator[PtyProcess]:
    """ftmon at 80x24 on the newest running job, polling every second."""
    job = _running(sim)[0]
    env = tui_env(sim.base_url)
    cols, rows = SIZE
    with PtyProcess(
        [ftmon_script, "--job", job["id"], "--interval", "1"], cols=cols, rows=rows, env=env
    ) as running:
        running.wait_for(re.compile(re.escape(job["id"][:12])), timeout=30)
        running.wait_quiet(0.3)
        yield running
        assert not running.exited(), f"ftmon exited: {running.exit_report()}"


def _step_of(line: str) -> int:
    found = re.search(r"step (\d+)", line)
    assert found, line
    return int(found.group(1))


def test_the_metrics_tab_has_a_scale_and_a_step_axis_at_80x24(term: PtyProcess) -> None:
    term.send("3a")  # the metrics tab, then its other chart (accuracy) in the same burst
    term.wait_for(lambda text: "┤" in text and "accuracy · step" in text, timeout=10)
    term.wait_quiet(0.3)
    lines = term.lines()
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    labels = lines[axis + 1].strip("│ ").split()
    assert labels[0] == "0" and all(label.isdigit() for label in labels), lines[axis + 1]
    assert sum("┤" in line for line in lines) >= 2  # a y scale: more than one value
    # The burst's a went to the metrics tab it opened, not elsewhere: nothing else moved.
    assert "Compare runs" not in term.text()


def test_compare_opened_in_one_burst_follows_its_axis_and_its_running_jobs(
    term: PtyProcess, sim: SimProcess
) -> None:
    running = _running(sim)
    assert len(running) >= 2
    # The cursor is on the newest running job; the next row down is the next job.
    term.send("mjmC")
    term.wait_for("Compare runs · 2 jobs · loss against step", timeout=60)
    term.wait_quiet(0.3)
    lines = term.lines()
    ticks = next(i for i, line in enumerate(lines) if "└" in line) + 1
    labels = lines[ticks].split()
    assert labels[0] == "0" and all(label.isdigit() for label in labels), lines[ticks]
    assert "┤" in term.text()  # the y scale
    term.send("x")
    term.wait_for("loss against % of run", timeout=5)
    term.wait_for("100%", timeout=5)
    term.send("x")
    term.wait_for("loss against step", timeout=5)
    # The compared jobs run on: the legend moves with the simulator's clock.
    legend = [line for line in term.lines() if "━━" in line and "step" in line]
    assert legend
    before = _step_of(legend[0])
    sim.advance(60)

    def moved(text: str) -> bool:
        rows = [line for line in text.splitlines() if "━━" in line and "step" in line]
        return bool(rows) and _step_of(rows[0]) > before

    term.wait_for(moved, timeout=30)
    term.send(ESC)
    term.wait_for(lambda text: "Compare runs" not in text and "Overview" in text, timeout=5)


def test_capital_n_names_the_source_job_and_what_it_did_not_copy(
    sim: SimProcess, ftmon_script: str
) -> None:
    jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
    rft = next(job for job in jobs if (job.get("method") or {}).get("type") == "reinforcement")
    env = tui_env(sim.base_url)
    cols, rows = 120, 36
    with PtyProcess([ftmon_script, "--job", rft["id"]], cols=cols, rows=rows, env=env) as term:
        term.wait_for(re.compile(re.escape(rft["id"][:12])), timeout=30)
        term.wait_quiet(0.3)
        term.send("N")
        term.wait_for(f"New job like {rft['id']}", timeout=15)
        block = rft["method"]["reinforcement"]
        if set(block) - {"hyperparameters", "grader"}:
            term.wait_for("Not copied:", timeout=5)
        effort = (block.get("hyperparameters") or {}).get("reasoning_effort")
        if effort:
            term.wait_for(re.compile(r"Reasoning effort\s+" + re.escape(effort)), timeout=5)
        seed = rft.get("seed")
        if seed is not None:
            term.wait_for(re.compile(rf"Seed\s+{seed}\b"), timeout=5)
        term.send(ESC)
        term.wait_for("jobs", timeout=5)
        assert not term.exited()
