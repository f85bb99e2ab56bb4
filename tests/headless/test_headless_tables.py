"""Human tables fit the width they are given, whatever the lengths of what the API sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rich.text import Text
from support.cli import Run

from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJob
from ftmon.headless import runner
from ftmon.headless.perms import PERM_COLUMNS
from ftmon.headless.render import jobs_table
from ftmon.headless.tables import render
from ftmon.present.columns import Column, fit_columns

HUGE = 10_000
NORMAL_ID = "ftjob-abcdefghijklmnopqrstuvwx"


def job(**fields: Any) -> FineTuningJob:
    body = {
        "id": NORMAL_ID,
        "status": "running",
        "model": "gpt-4o-mini-2024-07-18",
        "suffix": "support-bot",
        "created_at": 1000,
        **fields,
    }
    return FineTuningJob.model_validate(body)


HOSTILE_JOBS = {
    "id": [job(id="ftjob-" + "x" * HUGE), job()],
    "model": [job(model="m" * HUGE), job()],
    "suffix": [job(suffix="s" * HUGE), job()],
    "all": [job(id="ftjob-" + "i" * HUGE, model="m" * HUGE, suffix="s" * HUGE), job()],
    "wide": [job(id="ftjob-" + "漢" * 3000, suffix="字" * 3000)],
}


@pytest.mark.parametrize("width", [80, 40, 20, 1])
@pytest.mark.parametrize("kind", sorted(HOSTILE_JOBS))
def test_the_jobs_table_fits_whatever_the_lengths(kind: str, width: int) -> None:
    lines = jobs_table(HOSTILE_JOBS[kind], {}, now=4600, width=width)
    jobs = len(HOSTILE_JOBS[kind])
    # One line a job where every usual value fits whole (a hostile cell is cut either way),
    # two lines a job (the model and suffix under the id) where they would not.
    assert len(lines) in (jobs + 1, 2 * jobs + 2)
    assert all(line.cell_len <= width for line in lines), [line.cell_len for line in lines]
    if width == 80 and kind != "wide":
        body = "\n".join(line.plain for line in lines[1:])
        assert "…" in body  # the long one is cut, with an ellipsis
        assert NORMAL_ID in lines[-1].plain or NORMAL_ID in lines[-2].plain  # usual id whole
        first = [line.plain for line in lines if line.plain.startswith("▶")]
        assert all(line.rstrip().endswith("1h") for line in first)  # the columns after it


def test_usual_jobs_at_80_columns_keep_every_value_whole() -> None:
    """Too narrow for one line a job: two, with the model's date and the suffix whole."""
    lines = jobs_table([job(), job(status="succeeded", suffix=None)], {}, 4600, 80)
    assert [line.plain for line in lines] == [
        "status       id                              progress  age",
        "             model · suffix",
        "▶ running    ftjob-abcdefghijklmnopqrstuvwx         —   1h",
        "             gpt-4o-mini-2024-07-18 · support-bot",
        "✔ succeeded  ftjob-abcdefghijklmnopqrstuvwx      100%   1h",
        "             gpt-4o-mini-2024-07-18",
    ]
    hostile = jobs_table([job(id="ftjob-" + "x" * HUGE), job()], {}, 4600, 80)
    # A hostile row leaves the usual one whole: its id, and its model and suffix below.
    assert NORMAL_ID in hostile[-2].plain and hostile[-2].plain.endswith("1h")
    assert hostile[-1].plain == jobs_table([job()], {}, 4600, 80)[3].plain
    assert all(line.cell_len <= 80 for line in hostile)


def test_usual_jobs_on_a_wide_terminal_are_one_line_each_with_the_model_dated() -> None:
    lines = jobs_table([job(), job(status="succeeded", suffix=None)], {}, 4600, 120)
    assert [line.plain for line in lines] == [
        "status       id                              model                   suffix       "
        "progress  age",
        "▶ running    ftjob-abcdefghijklmnopqrstuvwx  gpt-4o-mini-2024-07-18  support-bot  "
        "       —   1h",
        "✔ succeeded  ftjob-abcdefghijklmnopqrstuvwx  gpt-4o-mini-2024-07-18  —            "
        "    100%   1h",
    ]


def widths(natural: list[int], columns: list[Column], width: int) -> list[int]:
    """The widths a headless table's columns get (the gap is the tables' two cells)."""
    return [w for _, w in fit_columns(columns, width, gap=2, natural=natural)]


def test_ids_stay_whole_while_other_columns_can_give_way() -> None:
    columns = [Column("id"), Column("model", min=8), Column("suffix", min=6)]
    assert widths([30, 30, 30], columns, 80)[0] == 30
    # Past the minimums, the widest gives way first: a huge id before a usual one.
    fitted = widths([10_000, 30, 8, 6], [Column("id"), *columns], 80)
    assert fitted[1:] == [30, 8, 6] and sum(fitted) + 3 * 2 == 80


def test_many_columns_fit_or_are_cut_at_the_width() -> None:
    columns = [Column(f"metric{n}", right=True) for n in range(60)]
    rows = [[Text(f"{n * 0.123456:.4f}") for n in range(60)] for _ in range(3)]
    for width in (80, 40, 5):
        lines = render(columns, rows, width)
        assert all(line.cell_len <= width for line in lines)


def test_the_permissions_table_fits_with_a_huge_project_id() -> None:
    rows = [[Text("cp_" + "p" * HUGE), Text("proj_" + "q" * HUGE), Text("2026-05-28 20:26")]]
    for width in (80, 40):
        lines = render(PERM_COLUMNS, rows, width)
        assert all(line.cell_len <= width for line in lines)
        assert lines[1].plain.endswith("  2026-05-28 20:26")  # the short cell stays whole


def _serve_jobs(jobs: list[dict[str, Any]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        body = {"object": "list", "data": jobs, "has_more": False}
        return httpx.Response(200, content=json.dumps(body).encode())

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("columns", ["80", "40"])
def test_ftmon_jobs_fits_the_terminal_with_a_10kb_id(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    jobs = [
        job(id="ftjob-" + "x" * HUGE, model="m" * HUGE, suffix="s" * HUGE).model_dump(),
        job().model_dump(),
    ]

    def connect(args: Any, settings: Any) -> runner.Connection:
        return runner.Connection(FineTuningClient(settings, transport=_serve_jobs(jobs)))

    monkeypatch.setattr(runner, "connect", connect)
    monkeypatch.setenv("COLUMNS", columns)
    run = cli("jobs")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == 6  # a header and each job in two lines
    assert max(len(line) for line in lines) <= int(columns)


@pytest.mark.parametrize("name", ["COLUMNS", "LINES"])
def test_a_terminal_size_that_is_a_digit_but_no_number_is_ignored(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """ "²" passes str.isdigit() and fails int(): it was an unexpected error (exit 70)."""
    monkeypatch.setenv(name, "²")
    run = cli("jobs")
    assert run.code == 0, run.err
    assert max(len(line) for line in run.out.splitlines()) <= 80
