"""A job as one row of the job list, and how the columns share the width.

Pure functions, no Textual: a row is a small frozen value, so the list can tell a row that really
changed (repaint that one line) from one that did not (write nothing to the terminal).
Column widths depend only on the width of the list, never on the data, so a value that grows
(``—`` becoming ``120/900 13%``) repaints its own row and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from ftmon.api.models import FineTuningJob
from ftmon.monitor.series import MetricSeries
from ftmon.present import job_eta, job_progress, status_style, status_text
from ftmon.text import age, one_line


@dataclass(frozen=True)
class JobRow:
    """What one job's row shows, already cleaned of anything unsafe."""

    job_id: str
    glyph: str
    colour: str
    status: str
    id: str
    model: str
    suffix: str
    progress: str
    eta: str
    age: str

    def cell(self, name: str) -> str:
        return str(getattr(self, name))


def job_row(job: FineTuningJob, series: MetricSeries | None, now: float) -> JobRow:
    """The row for ``job`` at time ``now``; ``series`` gives the progress when it is loaded."""
    glyph, colour = status_style(job.status)
    return JobRow(
        job_id=job.id,
        glyph=glyph,
        colour=colour,
        status=status_text(job.status),
        id=one_line(job.id, width=80),
        model=one_line(job.model, width=80) or "—",
        suffix=one_line(job.display_suffix, width=80) or "",
        progress=job_progress(job, series).describe(),
        eta=job_eta(job, now),
        age=age(job.created_at, now),
    )


@dataclass(frozen=True)
class Column:
    """A column: its field and heading, its widths (least, preferred, most), how much it matters."""

    name: str
    title: str
    min: int
    pref: int
    max: int
    priority: int
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("glyph", "", 1, 1, 1, 100),
    Column("status", "status", 7, 9, 16, 25),
    Column("id", "id", 10, 18, 30, 90),
    Column("model", "model", 6, 12, 24, 60),
    Column("suffix", "suffix", 6, 10, 24, 55),
    Column("progress", "progress", 7, 13, 13, 70, right=True),
    Column("eta", "eta", 5, 6, 6, 35, right=True),
    Column("age", "age", 3, 4, 4, 30, right=True),
)
GAP = 1


def _total(columns: Sequence[Column], widths: dict[str, int]) -> int:
    return sum(widths[c.name] for c in columns) + GAP * max(0, len(columns) - 1)


def fit_columns(width: int, columns: Sequence[Column] = COLUMNS) -> list[tuple[Column, int]]:
    """Columns that fit in ``width`` cells, with their widths, in display order.

    The least important columns are left out until the rest fit at their preferred widths
    (the glyph and the id always stay); spare room is then shared out a cell at a time, the most
    important columns first, up to their ``max``. A width too small even for that shrinks the
    columns towards their ``min``.
    """
    chosen = list(columns)
    prefs = {c.name: c.pref for c in columns}
    while len(chosen) > 2 and _total(chosen, prefs) > width:
        chosen.remove(min(chosen, key=lambda c: c.priority))
    widths = {c.name: c.pref for c in chosen}
    over = _total(chosen, widths) - width
    for column in sorted(chosen, key=lambda c: c.priority):
        if over <= 0:
            break
        cut = min(over, column.pref - column.min)
        widths[column.name] -= cut
        over -= cut
    spare = max(0, -over)
    growing = sorted(chosen, key=lambda c: -c.priority)
    while spare > 0:
        # One cell at a time to each column that may grow, most important first.
        growing = [c for c in growing if widths[c.name] < c.max]
        if not growing:
            break
        for column in growing[:spare]:
            widths[column.name] += 1
            spare -= 1
    return [(c, widths[c.name]) for c in chosen]


def _fit(text: str, width: int, right: bool) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    if cell_len(text) > width:
        text = set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""
    pad = width - cell_len(text)
    return (" " * pad + text) if right else (text + " " * pad)


def render_row(row: JobRow, layout: Sequence[tuple[Column, int]]) -> Text:
    """One row as plain ``Text`` (never markup); the status glyph and word in their colour."""
    text = Text(no_wrap=True, end="")
    colour = Style(color=row.colour)
    for index, (column, width) in enumerate(layout):
        if index:
            text.append(" " * GAP)
        cell = _fit(row.cell(column.name), width, column.right)
        if column.name in ("glyph", "status"):
            text.append(cell, colour)
        elif column.name in ("eta", "age", "model") and cell.strip():
            text.append(cell, Style(dim=column.name != "model"))
        else:
            text.append(cell)
    return text


def render_header(layout: Sequence[tuple[Column, int]]) -> Text:
    """The column headings for ``layout``."""
    text = Text(no_wrap=True, end="", style=Style(bold=True, dim=True))
    for index, (column, width) in enumerate(layout):
        if index:
            text.append(" " * GAP)
        text.append(_fit(column.title, width, column.right))
    return text
