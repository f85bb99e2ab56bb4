"""Export one job to a directory: its JSON, every event, the metrics, the checkpoints, a loss plot.

Files written (the job id is sanitised into the default directory name):

* ``job.json``: the job as the API sent it;
* ``events.jsonl``: every event, oldest first, read through every page (not only the engine's
  in-memory tail), deduplicated on id and on (created_at, message);
* ``metrics.csv``: step and one column per metric, from the result file once the job succeeded,
  else from the metrics events;
* ``checkpoints.json``: every checkpoint, by step;
* ``loss.svg``: training and validation loss against step, a small self-contained SVG.

Nothing exported holds a key: every file's text passes through the same redaction, which replaces
the configured API and admin keys should a server ever have echoed one back.
The TUI (``e``) and ``ftmon export`` both call :func:`export_job`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from pydantic import BaseModel

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.api.pagination import iter_items
from ftmon.monitor.series import LABELS, MetricSeries
from ftmon.safefile import prepare_directory, write_text_atomic
from ftmon.text import one_line, redact

PAGE_SIZE = 100
FILES = ("job.json", "events.jsonl", "metrics.csv", "checkpoints.json", "loss.svg")


@dataclass
class ExportResult:
    """Where everything went, and how much of it there was."""

    directory: Path
    paths: dict[str, Path] = field(default_factory=dict)
    events: int = 0
    steps: int = 0
    checkpoints: int = 0
    metrics_source: str = "events"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a toast: where it went and how much it holds."""
        return (
            f"{self.events:,} events, {self.steps:,} steps, {self.checkpoints} checkpoints "
            f"in {one_line(self.directory)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "files": {name: str(path) for name, path in self.paths.items()},
            "events": self.events,
            "steps": self.steps,
            "checkpoints": self.checkpoints,
            "metrics_source": self.metrics_source,
            "notes": list(self.notes),
        }


def safe_name(text: str) -> str:
    """A file name from API text: letters, digits, ``-_.`` only, never empty or a dot path."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", one_line(text))[:100].strip("._")
    return name or "job"


def default_directory(job_id: str, base: Path | None = None) -> Path:
    """``./ftmon-export-<job id>``."""
    return (base or Path.cwd()) / f"ftmon-export-{safe_name(job_id)}"


def client_secrets(client: FineTuningClient) -> list[str]:
    """The key strings this client holds: never to appear in an export."""
    settings = client.settings
    return [s.reveal() for s in (settings.api_key, settings.admin_key) if s and s.reveal()]


def _as_json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_unset=True)


# -- fetching ---------------------------------------------------------------------------------


async def fetch_job_json(client: FineTuningClient, job_id: str) -> dict[str, Any]:
    """The job exactly as the API sent it (the typed model would turn ``null`` lists into [])."""
    response = await client.request("GET", f"fine_tuning/jobs/{quote(job_id, safe='')}")
    try:
        body = response.json()
        FineTuningJob.model_validate(body)
    except ValueError:  # not JSON, or not a job (pydantic's ValidationError is a ValueError)
        raise errors.DecodeError(
            f"The server's answer for job {one_line(job_id, width=60)} is not a job",
            status_code=response.status_code,
        ) from None
    return body


async def fetch_all_events(client: FineTuningClient, job_id: str) -> list[FineTuningJobEvent]:
    """Every event of the job, oldest first, walking every page; duplicates dropped."""
    newest_first: list[FineTuningJobEvent] = []
    seen_ids: set[str] = set()
    seen_keys: set[tuple[int | None, str]] = set()
    async for event in iter_items(
        lambda after: client.list_events(job_id, after=after, limit=PAGE_SIZE)
    ):
        if (event.id and event.id in seen_ids) or event.dedupe_key in seen_keys:
            continue
        if event.id:
            seen_ids.add(event.id)
        seen_keys.add(event.dedupe_key)
        newest_first.append(event)
    newest_first.reverse()
    return newest_first


async def fetch_all_checkpoints(
    client: FineTuningClient, job_id: str
) -> list[FineTuningJobCheckpoint]:
    """Every checkpoint of the job, by step."""
    items = [
        c
        async for c in iter_items(
            lambda after: client.list_checkpoints(job_id, after=after, limit=PAGE_SIZE)
        )
    ]
    items.sort(key=lambda c: (c.step_number or 0, c.created_at or 0))
    return items


async def series_for(
    client: FineTuningClient,
    job: FineTuningJob,
    events: Sequence[FineTuningJobEvent],
    notes: list[str] | None = None,
) -> tuple[MetricSeries, str]:
    """The job's metrics and their source: the result file when it succeeded, else the events."""
    if job.status_key == "succeeded" and job.result_files:
        series = MetricSeries()
        try:
            text = await client.result_csv(job.result_files[0])
        except errors.FtmonApiError as exc:
            if notes is not None:
                notes.append(f"result file unreadable ({one_line(exc)}); used the metrics events")
        else:
            if series.fill_from_csv(text):
                return series, "result_file"
    series = MetricSeries()
    for event in events:
        series.add_event(event)
    return series, "events"


async def fetch_series(client: FineTuningClient, job: FineTuningJob) -> tuple[MetricSeries, str]:
    """A job's metrics and their source, fetching events only when the result file will not do.

    For :class:`~ftmon.tui.screens.compare.CompareScreen` on jobs the engine does not track.
    """
    if job.status_key == "succeeded" and job.result_files:
        series, source = await series_for(client, job, ())
        if source == "result_file":
            return series, source
    return await series_for(client, job, await fetch_all_events(client, job.id))


async def compare_series(
    client: FineTuningClient, jobs: Sequence[FineTuningJob]
) -> dict[str, tuple[str, MetricSeries]]:
    """What CompareScreen takes, for ``jobs``: job id -> (title, series)."""
    found: dict[str, tuple[str, MetricSeries]] = {}
    for job in jobs:
        found[job.id] = (job_title(job), (await fetch_series(client, job))[0])
    return found


# -- writing ----------------------------------------------------------------------------------


def metrics_csv(series: MetricSeries) -> str:
    """Step and one column per metric present (our names: train_loss, valid_loss...)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = series.names()
    writer.writerow(["step", *names])
    for row in series.rows():
        writer.writerow([row["step"], *(_csv_number(row.get(n)) for n in names)])
    return out.getvalue()


def _csv_number(value: Any) -> str:
    return "" if value is None else repr(float(value))


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


async def export_job(
    client: FineTuningClient,
    job_id: str,
    directory: Path | None = None,
) -> ExportResult:
    """Fetch everything about ``job_id`` and write it to ``directory`` (created if needed).

    Raises ``FtmonApiError`` if the job or its events cannot be read, ``OSError`` if the files
    cannot be written.
    """
    raw = await fetch_job_json(client, job_id)
    job = FineTuningJob.model_validate(raw)
    events = await fetch_all_events(client, job.id)
    checkpoints = await fetch_all_checkpoints(client, job.id)
    result = ExportResult(directory=Path(directory or default_directory(job.id)))
    series, result.metrics_source = await series_for(client, job, events, result.notes)
    title = job_title(job)
    texts = {
        "job.json": _dump(raw),
        "events.jsonl": "".join(json.dumps(_as_json(e), ensure_ascii=True) + "\n" for e in events),
        "metrics.csv": metrics_csv(series),
        "checkpoints.json": _dump([_as_json(c) for c in checkpoints]),
        "loss.svg": loss_svg([(title, series)], title=f"loss · {title}"),
    }
    secrets = client_secrets(client)
    result.events, result.steps, result.checkpoints = len(events), len(series), len(checkpoints)
    result.paths = await asyncio.to_thread(_write_all, result.directory, texts, secrets)
    return result


def _write_all(directory: Path, texts: dict[str, str], secrets: list[str]) -> dict[str, Path]:
    """Every file written safely (:mod:`ftmon.safefile`): no link followed, none half-written."""
    prepare_directory(directory)
    paths: dict[str, Path] = {}
    for name, text in texts.items():
        paths[name.split(".", 1)[0]] = write_text_atomic(directory, name, redact(text, secrets))
    return paths


def job_title(job: FineTuningJob) -> str:
    """The job's id, and its suffix when it has one."""
    suffix = one_line(job.display_suffix, width=40)
    return one_line(job.id) + (f" ({suffix})" if suffix else "")


# -- the SVG chart ----------------------------------------------------------------------------

#: One colour per job (training solid, validation dashed); a single job uses the first two.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
SINGLE = {"train_loss": "#1f77b4", "valid_loss": "#ff7f0e", "full_valid_loss": "#2ca02c"}
WIDTH, HEIGHT = 800, 450
MARGIN = {"left": 70, "right": 24, "top": 44, "bottom": 52}


@dataclass(frozen=True)
class SvgCurve:
    label: str
    points: list[tuple[float, float]]
    color: str
    dashed: bool = False
    dots: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _tick_label(value: float) -> str:
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _thin(points: list[tuple[float, float]], columns: int) -> list[tuple[float, float]]:
    """At most about two points per pixel column (its lowest and highest): spikes stay."""
    if len(points) <= 2 * columns + 2:
        return points
    first, last = points[0][0], points[-1][0]
    span = (last - first) or 1.0
    buckets: dict[int, list[tuple[float, float]]] = {}
    for point in points:
        buckets.setdefault(int((point[0] - first) / span * (columns - 1)), []).append(point)
    out: list[tuple[float, float]] = []
    for column in sorted(buckets):
        chunk = buckets[column]
        low = min(chunk, key=lambda p: p[1])
        high = max(chunk, key=lambda p: p[1])
        out.extend(sorted({low, high}))
    return out


def curves_for(named: Sequence[tuple[str, MetricSeries]]) -> list[SvgCurve]:
    """Loss curves: one job's train/valid/full-valid, or each job's train (solid) and valid."""
    curves: list[SvgCurve] = []
    single = len(named) == 1
    for index, (label, series) in enumerate(named):
        color = PALETTE[index % len(PALETTE)]
        for name in ("train_loss", "valid_loss", "full_valid_loss"):
            points = [(float(s), v) for s, v in series.column(name)]
            if not points:
                continue
            if single:
                curves.append(
                    SvgCurve(
                        LABELS[name],
                        points,
                        SINGLE[name],
                        dots=name == "full_valid_loss",
                    )
                )
            elif name != "full_valid_loss":
                words = "train" if name == "train_loss" else "valid"
                dashed = name != "train_loss"
                text = f"{one_line(label)} · {words}"
                curves.append(SvgCurve(text, points, color, dashed=dashed))
    return curves


def loss_svg(named: Sequence[tuple[str, MetricSeries]], *, title: str = "loss") -> str:
    """An SVG line chart of loss against step, with axes, ticks and a legend."""
    return line_chart_svg(curves_for(named), title=title, y_label="loss")


def line_chart_svg(
    curves: Sequence[SvgCurve], *, title: str, x_label: str = "step", y_label: str = ""
) -> str:
    left, right, top, bottom = (MARGIN[k] for k in ("left", "right", "top", "bottom"))
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{WIDTH / 2:.0f}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="bold" fill="#222">{escape(one_line(title, width=90))}</text>',
    ]
    points = [p for c in curves for p in c.points]
    if not points:
        parts.append(
            f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle" '
            'fill="#666">no metrics</text>'
        )
        parts.append("</svg>")
        return "\n".join(parts) + "\n"
    x_max = max(p[0] for p in points)
    x_ticks = nice_ticks(0.0, max(1.0, x_max))
    x_hi = max(x_ticks[-1], x_max, 1.0)
    y_lo, y_hi = min(p[1] for p in points), max(p[1] for p in points)
    pad = (y_hi - y_lo) * 0.05 or max(abs(y_hi) * 0.05, 0.05)
    y_lo = 0.0 if y_lo >= 0 and y_lo - pad < 0 else y_lo - pad
    y_ticks = nice_ticks(y_lo, y_hi + pad)
    y_lo, y_hi = min(y_lo, y_ticks[0]), max(y_hi + pad, y_ticks[-1])

    def sx(x: float) -> float:
        return left + x / x_hi * plot_w

    def sy(y: float) -> float:
        return top + (1 - (y - y_lo) / ((y_hi - y_lo) or 1.0)) * plot_h

    for tick in y_ticks:
        y = sy(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e6e6e6"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{_tick_label(tick)}</text>"
        )
    for tick in x_ticks:
        x = sx(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#f0f0f0"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="#444">'
            f"{_tick_label(tick)}</text>"
        )
    parts.append(
        f'<path d="M{left},{top} V{top + plot_h} H{left + plot_w}" fill="none" stroke="#333"/>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{HEIGHT - 12}" text-anchor="middle" '
        f'fill="#222">{escape(x_label)}</text>'
    )
    if y_label:
        parts.append(
            f'<text x="16" y="{top + plot_h / 2:.0f}" text-anchor="middle" fill="#222" '
            f'transform="rotate(-90 16 {top + plot_h / 2:.0f})">{escape(y_label)}</text>'
        )
    parts.append(
        f'<clipPath id="plot"><rect x="{left}" y="{top}" width="{plot_w}" '
        f'height="{plot_h}"/></clipPath>'
    )
    for curve in curves:
        thin = _thin(curve.points, plot_w)
        if curve.dots or len(thin) == 1:
            for x, y in thin:
                parts.append(
                    f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{curve.color}"/>'
                )
            continue
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in thin)
        dash = ' stroke-dasharray="6 4"' if curve.dashed else ""
        parts.append(
            f'<polyline clip-path="url(#plot)" points="{coords}" fill="none" '
            f'stroke="{curve.color}" stroke-width="1.6" stroke-linejoin="round"{dash}/>'
        )
    parts.extend(_legend(curves, left + plot_w, top))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(curves: Sequence[SvgCurve], right: float, top: float) -> list[str]:
    labels = [escape(one_line(c.label, width=48)) for c in curves]
    width = 44 + 7 * max(len(one_line(c.label, width=48)) for c in curves)
    height = 8 + 18 * len(curves)
    x0, y0 = right - width - 8, top + 8
    out = [
        f'<g class="legend"><rect x="{x0:.0f}" y="{y0:.0f}" width="{width}" height="{height}" '
        'fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>'
    ]
    for index, (curve, label) in enumerate(zip(curves, labels, strict=True)):
        y = y0 + 16 + 18 * index
        if curve.dots:
            out.append(f'<circle cx="{x0 + 20:.0f}" cy="{y - 4:.0f}" r="3" fill="{curve.color}"/>')
        else:
            dash = ' stroke-dasharray="6 4"' if curve.dashed else ""
            out.append(
                f'<line x1="{x0 + 8:.0f}" y1="{y - 4:.0f}" x2="{x0 + 32:.0f}" y2="{y - 4:.0f}" '
                f'stroke="{curve.color}" stroke-width="2"{dash}/>'
            )
        out.append(f'<text x="{x0 + 38:.0f}" y="{y:.0f}" fill="#222">{label}</text>')
    out.append("</g>")
    return out
