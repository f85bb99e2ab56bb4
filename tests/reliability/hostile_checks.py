"""What "shown safely" means, as code: the checks every hostile payload's output must pass.

A string is safe for a terminal when it holds no control character but newline and tab (Unicode
Cc: C0, DEL, C1 such as the 8-bit CSI), no format character (Cf: bidi overrides and isolates,
zero-width joiners, the BOM), no lone surrogate (Cs) and no line or paragraph separator.
Markup is harmless only if it is never parsed; that is checked by what the screen shows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.headless import render
from ftmon.monitor.engine import Monitor
from ftmon.present.fields import checkpoint_rows, job_fields
from ftmon.present.rows import job_row, list_layout, render_row
from ftmon.tui.widgets.event_log import event_line

UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


def unsafe_chars(text: str, *, multiline: bool = False) -> list[str]:
    """The characters of ``text`` that must never reach a terminal (as ``repr``)."""
    bad = []
    for char in text:
        if multiline and char in "\n\t":
            continue
        if unicodedata.category(char) in UNSAFE_CATEGORIES:
            bad.append(repr(char))
    return sorted(set(bad))


@dataclass
class Rendered:
    """Every string ftmon would show for a job, by where it is shown."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, value: str | Text) -> None:
        self.texts[where] = value.plain if isinstance(value, Text) else value

    def problems(self) -> list[str]:
        found = []
        for where, text in self.texts.items():
            bad = unsafe_chars(text, multiline=where.endswith("(multiline)"))
            if bad:
                found.append(f"{where}: {', '.join(bad[:6])}")
        return found


def render_job(
    job: FineTuningJob,
    events: Iterable[FineTuningJobEvent],
    checkpoints: tuple[FineTuningJobCheckpoint, ...],
    monitor: Monitor,
    now: float,
) -> Rendered:
    """Everything the TUI and the headless commands make of one job, as plain strings."""
    out = Rendered()
    series = monitor.series(job.id) if monitor.is_loaded(job.id) else None
    for index, item in enumerate(job_fields(job, now, series)):
        out.add(f"overview[{index}].label", item.label)
        out.add(f"overview[{index}].value (multiline)", item.value)
    row = job_row(job, series, now)
    out.add("job list row", render_row(row, list_layout(160)))
    out.add("headless jobs", _join(render.jobs_table([job], {}, now, 120)))
    out.add("headless headline", render.job_headline(job))
    for index, event in enumerate(events):
        line = event_line(event)
        out.add(f"event log[{index}]", line.plain)
        out.add(f"headless event[{index}]", render.event_line(event))
    for index, row_cells in enumerate(checkpoint_rows(checkpoints)):
        out.add(f"checkpoint[{index}]", " ".join(f"{k}={v}" for k, v in row_cells.items()))
    out.add("headless checkpoints", _join(render.checkpoint_lines(checkpoints, 120)))
    return out


def _join(lines: list[Text]) -> str:
    return " | ".join(line.plain for line in lines)


def plain(value: Any) -> str:
    return value.plain if isinstance(value, Text) else str(value)
