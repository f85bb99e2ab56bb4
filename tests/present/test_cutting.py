"""The cutting rules of issue 15 point 1: ids cut only in the middle, progress never cut, model
names losing their date before being cut, values broken only between tokens, glyphs distinct."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from support.simkit import SIM_START as NOW

from ftmon.api.models import FineTuningJob
from ftmon.monitor.series import MetricSeries
from ftmon.present.fields import STATUS_STYLE, status_word
from ftmon.present.rows import COLUMNS, cell_text, heading, job_row, list_layout, render_header
from ftmon.text import cut_name, end_cut, middle_cut, wrap_tokens

JOB_ID = "ftjob-g0nCH3X2cbLiaP5y9n1krNrZ"
CKPT = "ft:gpt-4o-mini-2024-07-18:acme-ml:support-bot:9uJPavMj:ckpt-step-300"


def job(**fields: object) -> FineTuningJob:
    data = {"id": JOB_ID, "status": "running", "created_at": NOW - 600, **fields}
    return FineTuningJob.model_validate(data)


@pytest.mark.parametrize("width", range(2, 40))
def test_an_id_is_cut_in_its_middle_keeping_its_start_and_its_end(width: int) -> None:
    cut = middle_cut(JOB_ID, width)
    assert cell_len(cut) <= width
    if width >= len(JOB_ID):
        assert cut == JOB_ID
    else:
        head, tail = cut.split("…")
        assert JOB_ID.startswith(head) and JOB_ID.endswith(tail)
        assert len(tail) >= len(head)  # the end tells ids apart, ``ftjob-`` does not


def test_a_checkpoint_name_keeps_its_step_when_cut() -> None:
    for width in range(16, len(CKPT)):
        cut = cut_name(CKPT, width)
        assert cut.endswith(":ckpt-step-300") and cell_len(cut) <= width
        assert cut.startswith("ft:" if width >= 20 else "f")
    # Step 30 and step 300 never read alike.
    assert cut_name(CKPT.replace("300", "30"), 24) != cut_name(CKPT, 24)


def test_wide_characters_are_counted_in_cells() -> None:
    text = "模型" * 10
    assert cell_len(middle_cut(text, 9)) <= 9
    assert cell_len(end_cut(text, 9)) <= 9
    assert end_cut("short", 9) == "short"


def test_values_break_only_between_tokens() -> None:
    assert wrap_tokens(CKPT, 30) == [
        "ft:gpt-4o-mini-2024-07-18:",
        "acme-ml:support-bot:9uJPavMj:",
        "ckpt-step-300",
    ]
    sentence = "The job failed due to an invalid training file."
    lines = wrap_tokens(sentence, 14)
    assert " ".join(lines) == sentence
    assert all(len(line) <= 14 for line in lines)
    # Only a token wider than a whole line is folded: there is no other way to show it.
    assert wrap_tokens(JOB_ID, 20) == [JOB_ID[:20], JOB_ID[20:]]


def test_a_time_or_a_number_is_one_token() -> None:
    """The overview's ETA at 120x36 broke as ``10:`` / ``02:44``."""
    eta = "in 3m (2026-12-05 10:02:44)"
    assert wrap_tokens(eta, 24) == ["in 3m (2026-12-05", "10:02:44)"]
    assert wrap_tokens("trained tokens 1,234,567", 20) == ["trained tokens", "1,234,567"]
    # A colon between words still breaks (a model name's parts).
    assert wrap_tokens("ft:gpt-4o:org", 8) == ["ft:", "gpt-4o:", "org"]


def test_every_status_has_its_own_glyph_none_an_ellipsis() -> None:
    glyphs = [glyph for glyph, _ in STATUS_STYLE.values()]
    assert len(set(glyphs)) == len(glyphs)
    assert "…" not in glyphs and all(cell_len(g) == 1 for g in glyphs)
    assert all(len(status_word(status)) <= 10 for status in STATUS_STYLE)


def _row(**fields: object) -> object:
    series = MetricSeries()
    series.total_steps = 4500
    series.add(4500, {"train_loss": 0.1})
    return job_row(job(**fields), series, NOW)


def test_progress_is_never_cut_it_shows_a_percentage_where_steps_have_no_room() -> None:
    row = _row(status="succeeded")
    assert row.progress == "4500/4500 100%"  # type: ignore[attr-defined]
    assert cell_text(row, "progress", 14) == "4500/4500 100%"  # type: ignore[arg-type]
    for width in range(4, 14):
        assert cell_text(row, "progress", width) == "100%"  # type: ignore[arg-type]


def test_a_model_loses_its_date_before_it_is_cut() -> None:
    row = _row(model="gpt-4o-mini-2024-07-18")
    assert cell_text(row, "model", 23) == "gpt-4o-mini-2024-07-18"  # type: ignore[arg-type]
    assert cell_text(row, "model", 12) == "gpt-4o-mini"  # type: ignore[arg-type]
    assert cell_text(row, "model", 8) == "gpt-4o-…"  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [30, 44, 58, 71, 76, 77, 95, 103, 140])
def test_every_column_has_a_heading_and_no_id_is_cut_at_its_end(width: int) -> None:
    layout = list_layout(width)
    row = _row(suffix="support-bot-v3", model="gpt-4o-mini-2024-07-18")
    for column, column_width in layout:
        assert heading(column, column_width).strip(), column.name
        shown = cell_text(row, column.name, column_width)  # type: ignore[arg-type]
        assert cell_len(shown) <= column_width
        if column.name == "id":
            assert shown == JOB_ID or ("…" in shown and JOB_ID.endswith(shown.split("…")[1]))
    header = render_header(layout, sort="status").plain
    assert header.startswith(("status▾", "▾"))


def test_the_status_shows_in_words_where_there_is_room() -> None:
    row = _row(status="validating_files")
    assert cell_text(row, "status", 12) == "◌ validating"  # type: ignore[arg-type]
    assert cell_text(row, "status", 1) == "◌"  # type: ignore[arg-type]
    assert {c.name for c, _ in list_layout(77)} >= {"status", "id", "progress"}
    assert [c.name for c in COLUMNS][:2] == ["status", "id"]
