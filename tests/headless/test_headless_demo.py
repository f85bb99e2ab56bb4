"""``--demo``: the real connection code with the simulator in process; no key, no network."""

from __future__ import annotations

import json

import pytest

from ftmon.cli import main


@pytest.mark.parametrize("argv", [["--demo", "jobs", "--json"], ["jobs", "--json", "--demo"]])
def test_demo_before_or_after_the_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    jobs = json.loads(capsys.readouterr().out)
    assert len(jobs) == 15 and len({j["status"] for j in jobs}) >= 8


def test_demo_needs_no_admin_key_for_perms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "jobs", "--status", "succeeded", "--limit", "1", "--json"]) == 0
    job = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["--demo", "checkpoints", job, "--json"]) == 0
    name = json.loads(capsys.readouterr().out)[0]["fine_tuned_model_checkpoint"]
    assert main(["--demo", "perms", "list", name]) == 0
    assert capsys.readouterr().err == "ftmon: not shared with any project\n"


def test_a_top_level_interval_reaches_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    from ftmon.cli import build_parser

    args = build_parser().parse_args(["--interval", "7", "--demo", "watch", "ftjob-x"])
    assert args.interval == 7 and args.demo is True and args.json is False
    args = build_parser().parse_args(["watch", "ftjob-x", "--interval", "3"])
    assert args.interval == 3 and args.demo is False
