"""Readable at 80x24, 120x36 and 160x48 (issue 15 point 1), and the job list's sort (point 5).

Snapshots of the job list, the overview and the checkpoints at the three sizes, and Pilot checks
of what a person relies on: every id whole or cut in its middle, a heading over every column,
status words where there is room, no value broken inside a token, checkpoint names that keep
their step and metrics that stay on screen; ``o`` sorts the list and its header says by what.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from rich.cells import cell_len
from tuikit import build_app, new_world, settle_workers

from ftmon.present.fields import STATUS_STYLE, Field
from ftmon.present.sorting import STATUS_ORDER
from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.widgets.checkpoints import checkpoint_layout, detail_lines
from ftmon.tui.widgets.job_list import JobListHeader
from ftmon.tui.widgets.overview import field_lines

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((120, 36), id="120x36"),
    pytest.param((160, 48), id="160x48"),
]
#: A succeeded job with checkpoints, a long fine-tuned model name and metadata.
JOB = "support-bot"


def world_and_app(key: str | None = JOB) -> tuple[SimWorld, FtmonApp]:
    world = new_world()
    job = world.highlights[f"job:{key}"] if key else None
    return world, build_app(world, job_id=job)  # type: ignore[return-value]


# -- snapshots -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_readable_job_list_and_overview(snap_compare: Any, size: tuple[int, int]) -> None:
    """The list (status words, whole ids, headings) and the overview (no value broken inside
    a token); at 120x36 and 160x48 the checkpoints too."""
    _, app = world_and_app()
    assert snap_compare(app, terminal_size=size, run_before=settle_workers)


def test_readable_checkpoints_80x24(snap_compare: Any) -> None:
    """The checkpoints tab at 80x24: names cut in their middle, metrics under each name."""
    _, app = world_and_app()
    assert snap_compare(app, terminal_size=(80, 24), press=["4"], run_before=settle_workers)


# -- what a person relies on -----------------------------------------------------------------


def _header(app: FtmonApp) -> str:
    header = app.main.query_one(JobListHeader)
    return render_plain(header)


def render_plain(widget: Any) -> str:
    return "".join(s.text for s in widget.render_line(0))


@pytest.mark.parametrize("size", SIZES)
async def test_every_id_is_whole_and_every_column_headed(size: tuple[int, int]) -> None:
    _, app = world_and_app()
    async with app.run_test(size=size) as pilot:
        await settle_workers(pilot)
        jobs = app.main.job_list
        header = _header(app)
        layout = jobs.current_layout()
        assert len(header.split()) == len(layout), header  # one heading per column
        assert header.startswith("status")
        for job_id in jobs.visible_ids:
            text = jobs.row_text(job_id)
            assert job_id in text, text  # whole at every one of the three sizes
            status = app.monitor.job(job_id).status  # type: ignore[union-attr]
            glyph = STATUS_STYLE[status][0]
            word = "validating" if status == "validating_files" else status
            assert text.startswith(f"{glyph} {word}"), text  # in words, beside the glyph
            assert "%" in text or "—" in text  # progress shown, never cut
        # The wide layouts are never poorer than the narrow one.
        names = [column.name for column, _ in layout]
        assert {"status", "id", "suffix", "progress", "eta", "age"} <= set(names)
        if size[0] >= 160:
            assert "model" in names


@pytest.mark.parametrize("size", SIZES)
async def test_no_overview_value_is_broken_inside_a_token(size: tuple[int, int]) -> None:
    _, app = world_and_app()
    async with app.run_test(size=size) as pilot:
        await settle_workers(pilot)
        overview = app.main.overview
        width = overview.scrollable_content_region.width
        lines = overview.lines_plain
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        for field in overview.fields:
            for token in re.split(r"(?<=[ :,/])", field.value):
                token = token.strip()
                if token and cell_len(token) <= width - 2:
                    assert any(token in line for line in lines), (token, lines)


async def test_checkpoints_keep_their_step_and_their_metrics_on_screen() -> None:
    _, app = world_and_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_workers(pilot)
        await pilot.press("4")
        await settle_workers(pilot)
        table = app.main.checkpoint_table
        assert table.models, "the job has checkpoints"
        # Nothing off screen to the right: no horizontal scrollbar, no column past the edge.
        assert not table.show_horizontal_scrollbar
        assert table.virtual_size.width <= table.scrollable_content_region.width
        metrics = [name for name, _ in table.rows_shown[0] if name not in ("step", "keep", "model")]
        assert metrics
        for index, model in enumerate(table.models):
            cell = table.get_row_at(index)[list(table.columns).index("model")].plain
            step = re.search(r"ckpt-step-\d+$", model)
            if step:  # every checkpoint but the final one, which is the job's model
                assert cell.splitlines()[0].endswith(step.group()), cell
            row = dict(table.rows_shown[index])
            for name in metrics:  # each metric in its column or on a line under the name
                assert name in cell or name in [str(c.label) for c in table.columns.values()]
                assert row[name] in cell or name in [str(c.label) for c in table.columns.values()]


def test_checkpoint_metrics_fit_in_columns_or_go_under_the_name() -> None:
    rows = [
        {
            "step": "300",
            "model": "ft:gpt-4o-mini-2024-07-18:acme:support-bot:9uJPavMj:ckpt-step-300",
            "train loss": "0.4123",
            "valid loss": "0.5000",
            "full valid loss": "0.5123",
        }
    ]
    wide = checkpoint_layout(rows, 200)
    assert not wide.detail and [n for n, _ in wide.columns][-1] == "full valid loss"
    cut = checkpoint_layout(rows, 80)  # the name gives way, down to 28 cells, metrics stay
    assert not cut.detail and 28 <= cut.model_width < 66
    narrow = checkpoint_layout(rows, 50)
    assert narrow.detail == ("train loss", "valid loss", "full valid loss")
    assert sum(w + 2 for _, w in narrow.columns) <= 50
    lines = detail_lines(rows[0], narrow.detail, narrow.model_width)
    assert lines == ["train loss 0.4123 · valid loss 0.5000", "full valid loss 0.5123"]


def test_overview_lines_for_a_narrow_pane() -> None:
    fields = [
        Field("status", "✔ succeeded"),
        Field("id", "ftjob-g0nCH3X2cbLiaP5y9n1krNrZ"),
        Field("fine-tuned model", "ft:gpt-4o-mini-2024-07-18:acme-ml:support-bot:9uJPavMj"),
        Field("  learning_rate_multiplier", "auto"),
        Field("error", "The job failed due to an invalid training file."),
    ]
    lines = [line.plain for line in field_lines(fields, 36)]
    assert lines == [
        "status       ✔ succeeded",
        "id ftjob-g0nCH3X2cbLiaP5y9n1krNrZ",  # whole, just after its label
        "fine-tuned model",
        "  ft:gpt-4o-mini-2024-07-18:acme-ml:",
        "  support-bot:9uJPavMj",
        "  learning_rate_multiplier auto",
        "error        The job failed due to",
        "             an invalid training",
        "             file.",
    ]


async def test_o_cycles_the_sort_and_the_header_shows_it() -> None:
    _, app = world_and_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_workers(pilot)
        jobs = app.main.job_list
        newest_first = list(jobs.visible_ids)
        assert "age▾" in _header(app)
        await pilot.press("j", "j")
        chosen = jobs.selected_id
        await pilot.press("o")
        await pilot.pause()
        assert jobs.sort == "status" and "status▾" in _header(app)
        assert jobs.selected_id == chosen  # the cursor stays on its job
        ranks = [
            STATUS_ORDER.get(app.monitor.job(i).status, 99)  # type: ignore[union-attr]
            for i in jobs.visible_ids
        ]
        assert ranks == sorted(ranks)
        await pilot.press("o")
        await pilot.pause()
        assert jobs.sort == "progress" and "%▾" in _header(app)
        fractions = [jobs.row(i).fraction for i in jobs.visible_ids]  # type: ignore[union-attr]
        known = [f for f in fractions if f is not None]
        assert known == sorted(known, reverse=True)
        assert fractions[: len(known)] == known  # unknown progress last
        await pilot.press("o")
        await pilot.pause()
        assert jobs.sort == "eta" and "eta▾" in _header(app)
        await pilot.press("o")
        await pilot.pause()
        assert jobs.sort == "created" and "age▾" in _header(app)
        assert list(jobs.visible_ids) == newest_first
        assert jobs.selected_id == chosen
