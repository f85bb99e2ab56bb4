"""``ftmon grader validate|run`` and ``ftmon create --method reinforcement`` against the simulator.

Every simulator answer is checked against the OpenAPI spec (the ``cli`` fixture's ``sim_app``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import Run, Sim
from support.graders import EXACT, SIMILAR

from ftmon import exits
from ftmon.cli import main

Cli = Callable[..., Run]

WRONG_TYPE = {**EXACT, "type": "exact_match"}
API_REASON = "Invalid 'grader.type': expected one of string_check"
HOSTILE_NAME = "[bold]x[/] \x1b]0;owned\x07 \x1b[2J \u202eevil\u202c \x9b31m"
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e", "\u202c")
VALIDATE = "POST /v1/fine_tuning/alpha/graders/validate"
RUN = "POST /v1/fine_tuning/alpha/graders/run"


def write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value) if not isinstance(value, str) else value)
    return str(path)


def posts(sim: Sim, route: str) -> int:
    return sim.world.stats.snapshot()["routes"].get(route, 0)


# -- validate -----------------------------------------------------------------------------------


def test_validate_says_valid(cli: Cli, tmp_path: Path) -> None:
    run = cli("grader", "validate", write(tmp_path / "g.json", EXACT))
    assert (run.code, run.err) == (0, "")
    assert run.out == 'valid: string_check grader "exact"\n'


def test_validate_json_is_the_apis_answer(cli: Cli, tmp_path: Path) -> None:
    run = cli("grader", "validate", write(tmp_path / "g.json", SIMILAR), "--json")
    assert run.code == 0 and run.json() == {"grader": SIMILAR}


def test_validate_reads_stdin(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(EXACT)))
    run = cli("grader", "validate", "-")
    assert run.code == 0 and run.out.startswith("valid: ")


def test_a_grader_the_api_refuses_exits_7_with_its_reason(
    cli: Cli, sim: Sim, tmp_path: Path
) -> None:
    run = cli("grader", "validate", write(tmp_path / "g.json", WRONG_TYPE))
    assert run.code == exits.REJECTED == 7 and run.out == ""
    assert run.err.startswith("ftmon: The request was rejected (400 Bad Request): " + API_REASON)
    assert run.err.count("\n") == 1
    json_run = cli("grader", "validate", write(tmp_path / "g.json", WRONG_TYPE), "--json")
    assert json_run.code == 7 and json_run.out == ""
    assert posts(sim, VALIDATE) == 2


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "g.json: not JSON (line 1)"),
        ("[1, 2]", "g.json: must be a JSON object"),
        ("", "g.json: not JSON"),
    ],
)
def test_a_file_that_is_no_grader_is_refused_before_any_request(
    cli: Cli, sim: Sim, tmp_path: Path, content: str, words: str
) -> None:
    run = cli("grader", "validate", write(tmp_path / "g.json", content))
    assert run.code == exits.USAGE and words in run.err
    assert sim.world.stats.snapshot()["total"] == 0


def test_a_missing_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    run = cli("grader", "validate", str(tmp_path / "absent.json"))
    assert run.code == exits.USAGE
    assert run.err.startswith("ftmon: FILE: cannot read ") and "No such file" in run.err


def test_help_lists_examples_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("validate", "run"):
        with pytest.raises(SystemExit):
            main(["grader", action, "--help"])
        text = capsys.readouterr().out
        assert "examples:\n  ftmon grader " + action in text
        assert "  7    the API found the grader invalid (its reason on stderr)" in text
        assert "  2    bad arguments, or FILE (or --item) cannot be read" in text


# -- run -----------------------------------------------------------------------------------------


def test_run_prints_the_reward_and_the_grader(cli: Cli, tmp_path: Path) -> None:
    grader = write(tmp_path / "g.json", EXACT)
    hit = cli("grader", "run", grader, "--sample", "42", "--item", '{"label": "42"}')
    assert hit.code == 0, hit.err
    lines = hit.out.splitlines()
    assert lines[:2] == ["reward  1", 'grader  string_check "exact"']
    assert lines[2].startswith("took ") and len(lines) == 3
    miss = cli("grader", "run", grader, "--sample", "41", "--item", '{"label": "42"}')
    assert miss.code == 0 and miss.out.startswith("reward  0\n")  # a low reward is no failure


def test_run_reads_the_item_from_a_file_and_writes_json(cli: Cli, tmp_path: Path) -> None:
    grader = write(tmp_path / "g.json", SIMILAR)
    item = write(tmp_path / "item.json", {"answer": "a golden retriever"})
    run = cli(
        "grader", "run", grader, "--sample", "a golden retriver", "--item", f"@{item}", "--json"
    )
    assert run.code == 0, run.err
    answer = run.json()
    assert 0.5 < answer["reward"] < 1
    assert answer["metadata"]["name"] == "close" and answer["sub_rewards"] == {}
    assert answer["metadata"]["errors"]["other_error"] is False  # as sent, every flag


def test_run_without_an_item(cli: Cli, tmp_path: Path) -> None:
    grader = write(tmp_path / "g.json", {**EXACT, "reference": "yes"})
    run = cli("grader", "run", grader, "--sample", "yes")
    assert run.code == 0 and run.out.startswith("reward  1\n")


def test_run_of_a_refused_grader_exits_7(cli: Cli, tmp_path: Path) -> None:
    run = cli("grader", "run", write(tmp_path / "g.json", WRONG_TYPE), "--sample", "x")
    assert run.code == 7 and API_REASON in run.err and run.out == ""


@pytest.mark.parametrize(
    ("item", "words"),
    [("{bad", "--item: not JSON"), ('"text"', "--item: must be a JSON object")],
)
def test_a_bad_item_is_a_usage_error(
    cli: Cli, sim: Sim, tmp_path: Path, item: str, words: str
) -> None:
    run = cli("grader", "run", write(tmp_path / "g.json", EXACT), "--sample", "x", "--item", item)
    assert run.code == exits.USAGE and words in run.err
    assert posts(sim, RUN) == 0


def test_sample_is_required(cli: Cli, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        cli("grader", "run", write(tmp_path / "g.json", EXACT))
    assert info.value.code == exits.USAGE


def test_hostile_names_are_shown_cleaned_and_kept_in_json(cli: Cli, tmp_path: Path) -> None:
    grader = write(tmp_path / "g.json", {**EXACT, "name": HOSTILE_NAME})
    for argv in (["validate", grader], ["run", grader, "--sample", "a", "--item", '{"label":1}']):
        run = cli("grader", *argv)
        assert run.code == 0, run.err
        assert "[bold]x[/]" in run.out
        for char in FORBIDDEN:
            assert char not in run.out
        as_json = cli("grader", *argv, "--json")
        assert "\x1b" not in as_json.out  # escaped as \u001b
        name = as_json.json()["grader" if argv[0] == "validate" else "metadata"]["name"]
        assert name == HOSTILE_NAME


# -- create --method reinforcement: the grader is checked before anything is sent ----------------


def rft_file(tmp_path: Path) -> str:
    lines = [
        json.dumps({"messages": [{"role": "user", "content": f"{i} + 1?"}], "label": str(i + 1)})
        for i in range(12)
    ]
    return write(tmp_path / "rft.jsonl", "\n".join(lines) + "\n")


def create(cli: Cli, train: str, grader: str, *extra: str) -> Run:
    return cli(
        "create", "-m", "o4-mini-2025-04-16", "-t", train, "--method", "reinforcement",
        "--grader", grader, "--yes", *extra,
    )  # fmt: skip


def test_create_refuses_a_grader_the_api_refuses_before_uploading(
    cli: Cli, sim: Sim, tmp_path: Path
) -> None:
    files, jobs = len(sim.world.files), sim.world.job_count()
    run = create(cli, rft_file(tmp_path), f"@{write(tmp_path / 'g.json', WRONG_TYPE)}")
    assert run.code == exits.REJECTED and run.out == ""
    assert f"ftmon: --grader: the API refused it: {API_REASON}" in run.err
    assert run.err.rstrip().endswith("nothing was uploaded or created")
    assert (len(sim.world.files), sim.world.job_count()) == (files, jobs)
    assert posts(sim, VALIDATE) == 1 and posts(sim, "POST /v1/files") == 0


def test_create_with_a_valid_grader_creates_the_job(cli: Cli, sim: Sim, tmp_path: Path) -> None:
    run = create(cli, rft_file(tmp_path), json.dumps(EXACT), "--json")
    assert run.code == 0, run.err
    job = sim.world.get_job(run.json()["id"])
    assert job["method"]["reinforcement"]["grader"] == EXACT
    assert posts(sim, VALIDATE) == 1


def test_dry_run_checks_the_grader_too(cli: Cli, sim: Sim, tmp_path: Path) -> None:
    train = rft_file(tmp_path)
    bad = create(cli, train, json.dumps(WRONG_TYPE), "--dry-run")
    assert bad.code == exits.REJECTED and API_REASON in bad.err
    good = create(cli, train, json.dumps(EXACT), "--dry-run")
    assert good.code == 0 and json.loads(good.out)["method"]["reinforcement"]["grader"] == EXACT
    assert posts(sim, "POST /v1/files") == 0 and posts(sim, "POST /v1/fine_tuning/jobs") == 0
