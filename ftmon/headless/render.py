"""Jobs, events, checkpoints and metrics as human lines (``Text``) and as JSON data.

Human text goes through :mod:`ftmon.text` and :mod:`ftmon.present`, like the TUI's; JSON carries
the objects as the API sent them (fields it did not send are left out, unknown ones kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from rich.cells import cell_len
from rich.text import Text

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.headless.output import hang
from ftmon.headless.tables import GAP, render
from ftmon.monitor.series import KNOWN_NAMES, LABELS, METRIC_NAMES, MetricSeries
from ftmon.present.columns import LONG, Column
from ftmon.present.fields import (
    Field,
    checkpoint_rows,
    status_style,
    status_text,
)
from ftmon.present.keep import KeepAdvice
from ftmon.present.plot import metric_label
from ftmon.present.rows import progress_text
from ftmon.text import age, local_time, one_line

LEVEL_STYLE = {"warn": "yellow", "warning": "yellow", "error": "red"}


def as_json(model: BaseModel) -> dict[str, Any]:
    """An API object as the server sent it, for ``--json``."""
    return model.model_dump(mode="json", exclude_unset=True)


# -- jobs ----------------------------------------------------------------------------------------


def status_cell(status: str | None) -> Text:
    glyph, colour = status_style(status)
    return Text(f"{glyph} {status_text(status)}", style=colour)


JOB_COLUMNS = (
    Column("status", min=9),
    Column("id"),
    Column("model", min=8),
    Column("suffix", min=6),
    Column("progress", right=True),
    Column("age", right=True),
)
#: The first line of a job on a terminal too narrow for every column whole; the model, the
#: suffix and the doctor's flag go on a second line under the id.
NARROW_COLUMNS = (
    Column("status", min=9),
    Column("id"),
    Column("progress", right=True),
    Column("age", right=True),
)


def jobs_table(
    jobs: Sequence[FineTuningJob],
    series: dict[str, MetricSeries],
    now: float,
    width: int,
    flags: dict[str, str] | None = None,
) -> list[Text]:
    """The job list; ``flags`` (job id -> the doctor's words, :func:`~ftmon.present.doctor.
    flag_brief`) adds a ``flag`` column when any job has one.

    Every value whole, on one line a job when the width has room for them all; otherwise (80
    columns) two: status, id, progress and age, then the model (with its date) and the suffix
    under the id, so nothing that names the job is cut (a line still never passes the width:
    a cell longer than any real value gives way, with ``…``).
    """
    flags = {k: v for k, v in (flags or {}).items() if v}
    rows = [
        [
            status_cell(job.status),
            Text(one_line(job.id)),
            Text(one_line(job.model) or "—"),
            Text(one_line(job.display_suffix) or "—"),
            Text(progress_text(job, series.get(job.id))),
            Text(age(job.created_at, now), style="dim"),
        ]
        for job in jobs
    ]
    columns: tuple[Column, ...] = JOB_COLUMNS
    if flags:
        columns = (*JOB_COLUMNS, Column("flag"))
        for job, row in zip(jobs, rows, strict=True):
            row.append(Text(flags.get(job.id, ""), style="bold yellow"))
    # The usual widths (a cell longer than any real value, a 10 KB id, is cut in either form).
    usual = [
        max([len(c.heading)] + [n for row in rows if (n := row[i].cell_len) <= LONG])
        for i, c in enumerate(columns)
    ]
    if sum(usual) + GAP * (len(columns) - 1) <= width:
        return render(columns, rows, width)
    return _two_line_jobs(rows, width)


def _two_line_jobs(rows: Sequence[Sequence[Text]], width: int) -> list[Text]:
    """A job in two lines: :data:`NARROW_COLUMNS`, then ``model · suffix · flag`` under the id."""
    first = [[row[0], row[1], row[4], row[5]] for row in rows]
    lines = render(NARROW_COLUMNS, first, width)
    # Where the id column begins: the status column's width and the gap.
    indent = max(0, lines[0].plain.index("id")) if lines and "id" in lines[0].plain else 0
    indent = min(indent, max(0, width // 3))

    def second(cells: Sequence[Text], style: str) -> Text:
        line = Text(" " * indent)
        line.append_text(Text(" · ", style="dim").join(c for c in cells if c.plain))
        if style:
            line.stylize(style, indent)
        if line.cell_len > width:
            line.truncate(width, overflow="ellipsis")
        return line

    out = [lines[0], second([Text("model"), Text("suffix")], "bold")]
    for row, line in zip(rows, lines[1:], strict=True):
        out.append(line)
        suffix = [row[3]] if row[3].plain != "—" else []
        out.append(second([row[2], *suffix, *row[6:]], ""))
    return out


def field_lines(fields: Sequence[Field]) -> list[Text]:
    """``label  value`` lines, labels padded to one column, as the TUI's detail lists them."""
    pad = max((len(f.label) for f in fields), default=0)
    lines = []
    for f in fields:
        line = Text(f"{f.label:<{pad}}  ", style="dim")
        line.append(f.value, style=f.style or "")
        lines.append(line)
    return lines


def job_headline(job: FineTuningJob) -> Text:
    """``▶ running  ftjob-…  gpt-4o-mini  suffix``: who is being watched."""
    line = status_cell(job.status)
    line.append(f"  {one_line(job.id)}", style="bold")
    line.append(f"  {one_line(job.model) or '—'}")
    suffix = one_line(job.display_suffix)
    if suffix:
        line.append(f"  {suffix}", style="cyan")
    return line


# -- events --------------------------------------------------------------------------------------


def event_line(event: FineTuningJobEvent) -> Text:
    """``2026-11-26 14:03:07  info   Step 10/300: training loss=1.23``, on one line."""
    level = one_line(event.level) or "info"
    line = Text(local_time(event.created_at), style="dim")
    line.append("  ")
    line.append(f"{level:<5}", style=LEVEL_STYLE.get(level.lower(), "dim"))
    line.append("  ")
    line.append(one_line(event.message))
    return line


#: Cells before an event's message: its time, its level and their gaps.
EVENT_INDENT = 28


def event_indent(event_text: Text, width: int) -> int:
    """Where the lines after the first of an event broken to ``width`` begin: under its
    message, or under the line's start when one of the message's words (a model name) would
    not fit there."""
    room = width - EVENT_INDENT
    longest = max((cell_len(word) for word in event_text.plain[EVENT_INDENT:].split()), default=0)
    return EVENT_INDENT if longest <= room and room >= 20 else 4


def event_lines(event: FineTuningJobEvent, width: int) -> list[Text]:
    """:func:`event_line` in ``width`` cells, broken between words (:func:`hang`)."""
    line = event_line(event)
    return hang(line, width, event_indent(line, width))


def status_change_line(old: str | None, new: str | None, when: float | None) -> Text:
    line = Text(local_time(when), style="dim")
    line.append("  ")
    line.append("status", style="bold")
    line.append(f"  {status_text(old)} → ")
    line.append_text(status_cell(new))
    return line


# -- checkpoints ---------------------------------------------------------------------------------


def checkpoint_lines(
    checkpoints: tuple[FineTuningJobCheckpoint, ...],
    width: int = 80,
    *,
    advice: KeepAdvice | None = None,
) -> list[Text]:
    """Per checkpoint: step and the model name whole (to copy), then its metrics, wrapped; the
    one to keep marked ``(keep)``, and the advice (rule, gap, over-fitting) at the end."""
    lines: list[Text] = []
    best = advice.best.id if advice is not None and advice.best is not None else None
    rows = checkpoint_rows(checkpoints, best=best)
    pad = max((len(r["step"]) for r in rows), default=1)
    indent = " " * (pad + 7)
    for row in rows:
        head = Text(f"step {row['step']:>{pad}}  ", style="bold")
        head.append(row["model"])
        if row.get("keep"):
            head.append("  (keep)", style="bold")
        lines.append(head)
        metrics = [
            f"{_SHORT_BY_LABEL.get(k, k)} {v}"
            for k, v in row.items()
            if k not in {"step", "model", "keep"}
        ]
        current = ""
        for item in metrics:
            candidate = f"{current} · {item}" if current else item
            if current and len(indent) + len(candidate) > width:
                lines.append(Text(indent + current, style="dim"))
                candidate = item
            current = candidate
        if current:
            lines.append(Text(indent + current, style="dim"))
    if advice is not None:
        lines.extend(Text(line) for line in advice_lines(advice))
    return lines


def advice_lines(advice: KeepAdvice) -> list[str]:
    """Which checkpoint to keep and why, in plain lines."""
    if advice.best is None:
        return [f"keep: {advice.rule}"]
    out = [f"keep: step {advice.best.step_number:,} ({advice.rule})"]
    out += [note for note in (advice.gap, advice.overfitting) if note]
    return out


# -- metrics -------------------------------------------------------------------------------------

SHORT_LABELS = {
    "train_loss": "train loss",
    "valid_loss": "valid loss",
    "full_valid_loss": "full loss",
    "train_accuracy": "train acc",
    "valid_accuracy": "valid acc",
    "full_valid_accuracy": "full acc",
    "train_mean_reward": "train reward",
    "valid_mean_reward": "valid reward",
    "full_valid_mean_reward": "full reward",
    "full_valid_mean_parse_error": "parse errors",
    "reasoning_tokens_mean": "reasoning tokens",
}


_SHORT_BY_LABEL = {LABELS[name]: short for name, short in SHORT_LABELS.items()}


#: Fractions shown in four decimals whatever their values, as the loss always was.
FOUR_DECIMALS = frozenset(
    (
        *METRIC_NAMES,
        "train_mean_reward",
        "valid_mean_reward",
        "full_valid_mean_reward",
        "full_valid_mean_parse_error",
    )
)


def metric_cells(name: str, values: Sequence[float]) -> list[str]:
    """A metric's column of the table (NaN: no value, ``—``): loss, accuracy and reward in four
    decimals; another metric in whole numbers when every value is one (counts of tokens or
    samples), else in four decimals, or four figures when tiny or huge."""
    present = [v for v in values if v == v]
    if name in FOUR_DECIMALS:
        style = "{:.4f}"
    elif all(v.is_integer() and abs(v) < 1e15 for v in present):
        style = "{:.0f}"
    elif all(v == 0 or 1e-3 <= abs(v) < 1e6 for v in present):
        style = "{:.4f}"
    else:
        style = "{:.4g}"
    return [style.format(v) if v == v else "—" for v in values]


def metrics_table(series: MetricSeries, width: int) -> tuple[list[Text], int]:
    """A row a step, a column a metric, in the series' order; and how many metrics were left
    out for want of width.

    The known metrics (loss, accuracy, reward) always have their column, as narrow as the width
    makes them; the others follow while they fit whole and are left out from the first that
    does not, so the columns shown are always the first in the order. ``--csv`` and ``--json``
    carry every one.
    """
    names = series.names()
    steps = [str(step) for step in series.steps()]
    columns = [Column("step", right=True)]
    cells: list[list[str]] = [steps]
    used = max([4] + [len(step) for step in steps])
    for name in names:
        heading = SHORT_LABELS.get(name) or one_line(metric_label(name, LABELS))
        texts = metric_cells(name, series.arrays(name)[1])
        wide = max([cell_len(heading)] + [len(text) for text in texts])
        if name not in KNOWN_NAMES and used + GAP + wide > width:
            break  # this one and every one after it
        used += GAP + wide
        columns.append(Column(heading, right=True))
        cells.append(texts)
    rows = [[Text(column[i]) for column in cells] for i in range(len(steps))]
    return render(columns, rows, width), len(names) + 1 - len(columns)
