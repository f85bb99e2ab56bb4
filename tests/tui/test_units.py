"""The app's pure parts: columns, rows, the filter, the desktop notification, the keymap."""

from __future__ import annotations

import pytest
from support.simkit import SIM_START as NOW

from ftmon.api.models import FineTuningJob
from ftmon.monitor.series import MetricSeries
from ftmon.present.rows import COLUMNS, job_row, list_layout, render_header, render_row
from ftmon.tui.bindings import MAIN_BINDINGS, MOVE_BINDINGS, PAN_BINDINGS, expand_keymap
from ftmon.tui.filtering import matches
from ftmon.tui.notify import desktop_notification


def job(**fields: object) -> FineTuningJob:
    data = {"id": "ftjob-abc123", "status": "running", "created_at": NOW - 600, **fields}
    return FineTuningJob.model_validate(data)


@pytest.mark.parametrize("width", [10, 30, 40, 60, 69, 77, 93, 120, 200])
def test_columns_fit_the_width_and_keep_the_essentials(width: int) -> None:
    layout = list_layout(width)
    names = [c.name for c, _ in layout]
    assert names[:2] == ["status", "id"]
    total = sum(w for _, w in layout) + len(layout) - 1
    if width >= 40:
        assert total <= width
    # Display order never changes, whatever is left out.
    order = [c.name for c in COLUMNS]
    assert names == [n for n in order if n in names]


def test_each_size_has_its_layout_and_the_wider_is_never_poorer() -> None:
    def widths(width: int) -> dict[str, int]:
        return {c.name: w for c, w in list_layout(width)}

    # 80x24 and 120x36 (77 and 76 cells): status words, whole ids, suffix, a percentage.
    for narrow in (76, 77):
        assert widths(narrow).keys() == {"status", "id", "suffix", "progress", "eta", "age"}
        assert widths(narrow)["id"] == 30 and widths(narrow)["status"] == 12
    # 160x48 (103 cells): the model's name and the steps too.
    assert widths(103).keys() == {"status", "id", "model", "suffix", "progress", "eta", "age"}
    assert widths(103)["progress"] == 14
    for small, large in ((40, 60), (60, 77), (77, 95), (95, 111), (111, 140)):
        poor, rich = widths(small), widths(large)
        assert poor.keys() <= rich.keys()
        # The wider may give a little of the suffix to the model, never status, id or progress.
        assert all(rich[name] >= poor[name] for name in ("status", "id", "progress"))


def test_row_shows_progress_eta_and_age_from_the_clock() -> None:
    series = MetricSeries()
    series.total_steps = 300
    series.add(120, {"train_loss": 0.5})
    row = job_row(job(estimated_finish=NOW + 900, suffix="bot"), series, NOW)
    assert (row.glyph, row.status, row.suffix) == ("▶", "running", "bot")
    assert row.progress == "120/300 40%"
    assert row.eta == "15m"
    assert row.age == "10m"
    text = render_row(row, list_layout(120))
    assert "120/300 40%" in text.plain
    assert text.plain.startswith("▶ running")


def test_row_cells_are_cut_with_an_ellipsis_never_wrapped() -> None:
    row = job_row(job(suffix="x" * 200, model="m" * 200), None, NOW)
    text = render_row(row, list_layout(77))
    assert len(text.plain) == 77
    assert "…" in text.plain and "\n" not in text.plain
    assert row.progress == "—"


def test_row_of_a_job_with_markup_and_controls_is_plain() -> None:
    row = job_row(job(suffix="[/bold]\x1b]0;x\x07", status="weird[/]"), None, NOW)
    assert row.suffix == "[/bold]]0;x"
    assert row.glyph == "?" and row.status == "weird[/]"
    assert "\x1b" not in render_row(row, list_layout(150)).plain


def test_header_lines_up_with_the_rows() -> None:
    layout = list_layout(100)
    header = render_header(layout).plain
    row = render_row(job_row(job(suffix="bot", model="gpt-4o"), None, NOW), layout).plain
    assert len(header) == len(row) == 100
    assert header.index("id") == row.index("ftjob-abc123")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", True),
        ("ABC123", True),
        ("running", True),
        ("gpt-4o", True),
        ("support", True),
        ("team=search", True),
        ("team=support", False),
        ("gpt-4o bot", True),
        ("gpt-4o nope", False),
        ("dpo", False),
    ],
)
def test_filter_matches_every_word_in_id_model_suffix_status_metadata(
    query: str, expected: bool
) -> None:
    subject = job(model="gpt-4o-mini", suffix="support-bot", metadata={"team": "search"})
    assert matches(subject, query) is expected


def test_desktop_notification_is_sanitised() -> None:
    sequence = desktop_notification("ftmon: job succeeded", "ftjob-1 ([/b]\x1b]52;c;x\x07;rm)")
    # Exactly the two sequences we mean, each ended by its own BEL.
    assert sequence.count("\x1b") == 2 and sequence.count("\x07") == 2
    osc9, osc777 = sequence.split("\x07")[:2]
    assert osc9 == "\x1b]9;ftmon: job succeeded: ftjob-1 ([/b]]52;c;x;rm)"
    assert osc777 == "\x1b]777;notify;ftmon: job succeeded;ftjob-1 ([/b]]52,c,x,rm)"


def test_desktop_notification_through_tmux_is_wrapped() -> None:
    sequence = desktop_notification("t", "b", tmux=True)
    assert sequence.startswith("\x1bPtmux;\x1b\x1b]9;t: b\x07\x1b\\")
    assert sequence.count("\x1bPtmux;") == 2


def test_every_binding_has_an_id_and_pairs_follow_each_other() -> None:
    for binding in (*MAIN_BINDINGS, *MOVE_BINDINGS, *PAN_BINDINGS):
        assert binding.id, binding
    assert expand_keymap({"pause_job": "Z"}) == {"pause_job": "Z", "resume_job": "Z"}
    assert expand_keymap({"resume_polling": "p"}) == {"pause_polling": "p", "resume_polling": "p"}
    assert expand_keymap({"pause_job": "Z", "resume_job": "R"}) == {
        "pause_job": "Z",
        "resume_job": "R",
    }
