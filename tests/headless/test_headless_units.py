"""The pieces under the commands: exit codes, table fitting, colour decisions, help text."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.text import Text

from ftmon import exits
from ftmon.api import errors
from ftmon.api.models import FineTuningJob
from ftmon.cli import main
from ftmon.headless.output import Output, stream_width, wants_color
from ftmon.headless.render import jobs_table
from ftmon.headless.tables import render
from ftmon.present.columns import Column, fit_columns


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.NotFoundError("x", status_code=404), exits.NOT_FOUND),
        (errors.AuthenticationError("x", status_code=401), exits.AUTH),
        (errors.PermissionDeniedError("x", status_code=403), exits.AUTH),
        (errors.MissingApiKeyError("x"), exits.AUTH),
        (errors.MissingAdminKeyError("x"), exits.AUTH),
        (errors.ServerError("x", status_code=503), exits.UNREACHABLE),
        (errors.RateLimitError("x", status_code=429), exits.UNREACHABLE),
        (errors.ConnectionFailedError("x"), exits.UNREACHABLE),
        (errors.RequestTimeoutError("x"), exits.UNREACHABLE),
        (errors.BadRequestError("x", status_code=400), exits.REJECTED),
        (errors.ConflictError("x", status_code=409), exits.REJECTED),
        (errors.UnprocessableEntityError("x", status_code=422), exits.REJECTED),
    ],
)
def test_each_error_kind_has_its_exit_code(error: errors.FtmonApiError, code: int) -> None:
    assert exits.code_for(error) == code


def test_ids_are_never_cut_and_flexible_columns_give_way() -> None:
    columns = [Column("id"), Column("model", min=8), Column("suffix", min=6)]
    widths = [w for _, w in fit_columns(columns, 80, gap=2, natural=[30, 30, 30])]
    assert widths[0] == 30
    assert sum(widths) + 2 * 2 <= 80
    assert widths[1] >= 8 and widths[2] >= 6


def test_a_table_line_never_exceeds_the_width_when_minimums_allow() -> None:
    columns = [Column("status", min=9), Column("id"), Column("model", min=8)]
    rows = [[Text("▶ validating_files"), Text("ftjob-" + "x" * 24), Text("m" * 60)]]
    lines = render(columns, rows, 60)
    assert all(line.cell_len <= 60 for line in lines)
    assert "ftjob-" + "x" * 24 in lines[1].plain
    assert "…" in lines[1].plain


def test_the_jobs_table_fits_80_columns_with_long_names() -> None:
    job = FineTuningJob.model_validate(
        {
            "id": "ftjob-abcdefghijklmnopqrstuvwx",
            "status": "validating_files",
            "model": "gpt-4.1-mini-2025-04-14-with-a-very-long-name",
            "suffix": "a-suffix-that-is-far-too-long-to-fit",
            "created_at": 1000,
        }
    )
    lines = jobs_table([job], {}, now=4600, width=80)
    assert [line.plain.split()[0] for line in lines] == ["status", "model", "◌", job.model]
    assert all(line.cell_len <= 80 for line in lines)
    assert "ftjob-abcdefghijklmnopqrstuvwx" in lines[2].plain
    assert lines[2].plain.endswith("1h")
    # Under the id, the model whole (its date too) and as much of the suffix as fits.
    assert lines[3].plain.strip().startswith(f"{job.model} · a-suffix")


def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert not wants_color(io.StringIO(), {})
    assert wants_color(FakeTty(), {})
    assert not wants_color(FakeTty(), {"NO_COLOR": "1"})
    assert not wants_color(FakeTty(), {"TERM": "dumb"})
    assert wants_color(FakeTty(), {"NO_COLOR": ""})  # empty means unset, by the convention


def test_width_comes_from_columns_when_not_a_terminal() -> None:
    assert stream_width(io.StringIO(), {}) == 80
    assert stream_width(io.StringIO(), {"COLUMNS": "132"}) == 132


def test_colour_off_writes_no_escape_and_colour_on_does() -> None:
    for color, expect_escape in ((False, False), (True, True)):
        out = io.StringIO()
        Output(out, io.StringIO(), color=color).line(Text("failed", style="red"))
        assert ("\x1b[" in out.getvalue()) is expect_escape
        assert "failed" in out.getvalue()


def test_json_escapes_everything_a_terminal_could_act_on() -> None:
    out = io.StringIO()
    Output(out, io.StringIO()).record({"m": "\x1b]0;pwned\x07 \u202e \u009b31m é"})
    text = out.getvalue()
    assert text.isascii() and "\x1b" not in text
    assert "\\u001b" in text and "\\u202e" in text


def test_errors_are_one_clean_line() -> None:
    err = io.StringIO()
    Output(io.StringIO(), err).error("bad\x1b[31m\nthing \u202e")
    assert err.getvalue() == "ftmon: bad[31m thing\n"


@pytest.mark.parametrize(
    ("argv", "codes"),
    [
        (["watch"], ["0", "1", "3", "4", "5", "6", "130"]),
        (["jobs"], ["0", "2", "5", "6", "130"]),
        (["cancel"], ["0", "2", "4", "5", "6", "7", "8", "130"]),
        (["perms", "rm"], ["0", "4", "5", "8", "130"]),
        (["events"], ["0", "4", "6", "130"]),
    ],
)
def test_help_lists_options_and_exit_codes(
    argv: list[str], codes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "--json" in text and "--demo" in text
    block = text.split("exit codes:")[1]
    listed = [
        line.split()[0]
        for line in block.splitlines()
        if line.startswith("  ") and line.split()[0].isdigit()
    ]
    assert set(codes) <= set(listed)


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["jobs", "--limit", "0"])
    assert stop.value.code == exits.USAGE
    with pytest.raises(SystemExit) as stop:
        main(["jobs", "--limit", "3", "--all"])
    assert stop.value.code == exits.USAGE
    with pytest.raises(SystemExit) as stop:
        main(["jobs", "--metadata", "novalue"])
    assert stop.value.code == exits.USAGE


def test_a_bug_is_one_line_and_exit_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ftmon.headless import runner

    config = tmp_path / "ftmon.toml"
    config.write_text("")

    def broken(args: object, settings: object) -> runner.Connection:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(runner, "connect", broken)
    monkeypatch.delenv("FTMON_DEBUG", raising=False)
    assert main(["jobs", "--config", str(config)]) == exits.BUG
    err = capsys.readouterr().err
    assert err.startswith("ftmon: unexpected error") and "ZeroDivisionError" in err
    assert err.count("\n") == 1
    monkeypatch.setenv("FTMON_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["jobs", "--config", str(config)])


def test_every_headless_command_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    lines = capsys.readouterr().out.splitlines()
    listed = {line.split()[0] for line in lines if line.startswith("    ") and line.strip()}
    expected = {"jobs", "show", "events", "watch", "checkpoints", "metrics", "cancel", "pause"}
    expected |= {"resume", "perms", "create", "export", "files"}
    assert expected <= listed


def test_hang_breaks_between_words_indents_and_keeps_styles() -> None:
    from rich.text import Text

    from ftmon.headless.output import hang
    from ftmon.headless.render import EVENT_INDENT, event_indent

    text = Text()
    text.append("2026-05-28 20:27:32  info   ", style="dim")
    text.append("Checkpoint created at step 200 with Snapshot ID: " + "ft:" + "m" * 70)
    lines = hang(text, 80, event_indent(text, 80))
    assert [line.plain for line in lines] == [
        "2026-05-28 20:27:32  info   Checkpoint created at step 200 with Snapshot ID:",
        "    ft:" + "m" * 70,  # a model name too long to sit under the message: whole, under
    ]
    assert lines[0].spans[0].style == "dim"
    short = Text("2026-05-28 20:27:32  info   " + "word " * 20)
    wrapped = hang(short, 60, event_indent(short, 60))
    assert all(line.cell_len <= 60 for line in wrapped)
    assert all(line.plain.startswith(" " * EVENT_INDENT + "word") for line in wrapped[1:])
    # Only a word longer than a whole line is cut (folded); nothing passes the width.
    huge = hang(Text("x" * 200), 80)
    assert [line.cell_len for line in huge] == [80, 80, 48] and "".join(
        line.plain.strip() for line in huge
    ) == "x" * 200
    assert hang(Text("fits"), 80)[0].plain == "fits"


def test_a_long_line_is_broken_on_a_terminal_and_whole_into_a_pipe() -> None:
    from rich.text import Text

    long = Text(
        "cancel sent: ■ cancelled  ftjob-4FPtNTGu72N8ixdDRLWra3C5  "
        "gpt-4o-mini-2024-07-18  support-bot-v3"
    )
    for terminal, expected in ((True, 2), (False, 1)):
        out = io.StringIO()
        Output(out, io.StringIO(), color=False, width=80, terminal=terminal).fit(long)
        lines = out.getvalue().splitlines()
        assert len(lines) == expected
        assert " ".join(line.strip() for line in lines).split() == long.plain.split()
        if terminal:
            assert all(len(line) <= 80 for line in lines)
            assert lines[1] == "    gpt-4o-mini-2024-07-18  support-bot-v3"


def test_an_error_on_a_terminal_is_broken_between_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    err = FakeTty()
    monkeypatch.setattr("os.get_terminal_size", lambda fd: os.terminal_size((80, 24)))
    monkeypatch.setattr(FakeTty, "fileno", lambda self: 2, raising=False)
    name = "ft:gpt-4o-mini-2024-07-18:acme-ml:faq-bot-v2:uphyNf9h:ckpt-step-20"
    Output(io.StringIO(), err, color=False, width=80).error(
        f"checkpoint {name} is not shared with project proj_nope"
    )
    lines = err.getvalue().splitlines()
    assert lines[0] == "ftmon: checkpoint" and lines[1].strip().startswith(name)
    assert all(len(line) <= 80 for line in lines)
