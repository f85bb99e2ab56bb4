"""``ftmon checkpoints``: the one to keep marked and why, and ``--best`` for scripts."""

from __future__ import annotations

from collections.abc import Callable

from support.cli import Run

from ftmon import exits
from ftmon.sim.world import SimWorld

CLI = Callable[..., Run]


def job(world: SimWorld, key: str) -> str:
    return world.highlights[f"job:{key}"]


def test_checkpoints_mark_the_one_to_keep_and_say_the_rule(cli: CLI, sim_world: SimWorld) -> None:
    code, out, _ = cli("checkpoints", job(sim_world, "support-bot"))
    assert code == 0
    marked = [line for line in out.splitlines() if line.endswith("(keep)")]
    assert len(marked) == 1 and ":ckpt-step-" not in marked[0]  # the final model is best here
    assert "keep: step 120 (lowest full validation loss)" in out


def test_best_prints_only_the_model_name_and_json_the_record(cli: CLI, sim_world: SimWorld) -> None:
    rft = job(sim_world, "math-rft")
    code, out, _ = cli("checkpoints", rft, "--best")
    assert code == 0
    name = out.strip()
    assert name.startswith("ft:") and "\n" not in name
    listed = cli("checkpoints", rft).out
    kept = next(line for line in listed.splitlines() if line.endswith("(keep)"))
    assert name in kept
    record = cli("checkpoints", rft, "--best", "--json").json()
    assert record["fine_tuned_model_checkpoint"] == name
    assert record["object"] == "fine_tuning.job.checkpoint"


def test_best_with_nothing_to_choose_is_exit_4(cli: CLI, sim_world: SimWorld) -> None:
    code, out, err = cli("checkpoints", job(sim_world, "tiny-test"), "--best")
    assert code == exits.NOT_FOUND
    assert out == "" and "no checkpoints" in err
