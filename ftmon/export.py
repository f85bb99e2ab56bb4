"""Export one job to a directory: its JSON, every event, the metrics, the checkpoints, a plot.

Files written (the job id is sanitised into the default directory name):

* ``job.json``: the job as the API sent it;
* ``events.jsonl``: every event, oldest first, read through every page (not only the engine's
  in-memory tail), deduplicated on id and on (created_at, message);
* ``metrics.csv``: step and one column per metric series (every number the metrics events or the
  result file hold, in the order of :meth:`~ftmon.monitor.series.MetricSeries.names`), from the
  result file once the job succeeded, else from the metrics events; series dropped over the cap
  are counted in the result's notes;
* ``checkpoints.json``: every checkpoint, by step;
* ``loss.svg``: training and validation loss against step, a small self-contained SVG; for a
  reinforcement job ``reward.svg`` instead: its mean reward (training, validation, full
  validation) and each grader's own reward against step, what the TUI's metrics tab shows first
  (:func:`ftmon.present.plot.method_charts`).

The plot's name says what it holds and depends on the job's method alone (``method.type``), never
on which metrics have arrived: ``reward.svg`` for ``reinforcement``, ``loss.svg`` for every other
method, so supervised and DPO exports are the files they always were (:data:`FILES`, byte for
byte) and a script can tell the name before it looks (:func:`plot_file`). A reinforcement export
has no ``loss.svg``: these jobs report no loss, so it only ever said "no metrics", and a file of
that name holding a reward would mislead whoever reads it as loss.

The reads are :mod:`ftmon.monitor.reads`' (as the engine's and the headless commands'), the CSV
is :meth:`~ftmon.monitor.series.MetricSeries.write_csv` (as ``ftmon metrics --csv``), the chart
:mod:`ftmon.present.svg`.

Nothing exported holds a key: every file's text passes through the same redaction, which replaces
the configured API and admin keys should a server ever have echoed one back.
The TUI (``e``) and ``ftmon export`` both call :func:`export_job`.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJob
from ftmon.monitor import reads
from ftmon.monitor.series import MetricSeries
from ftmon.present.fields import job_title
from ftmon.present.svg import loss_svg, reward_svg
from ftmon.safefile import prepare_directory, write_text_atomic
from ftmon.text import one_line, redact

FILES = ("job.json", "events.jsonl", "metrics.csv", "checkpoints.json", "loss.svg")


def plot_file(method: str) -> str:
    """The plot's file name for a job of ``method`` (``FineTuningJob.method_type``)."""
    return "reward.svg" if method == "reinforcement" else "loss.svg"


def files_for(method: str) -> tuple[str, ...]:
    """Every file an export of a job of ``method`` writes: :data:`FILES`, the plot (last) named
    for the method."""
    return (*FILES[:-1], plot_file(method))


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
    return await client.retrieve_job_json(job_id)


async def compare_series(
    client: FineTuningClient, jobs: Sequence[FineTuningJob]
) -> dict[str, tuple[str, MetricSeries]]:
    """What CompareScreen takes, for ``jobs`` the engine does not track: job id -> (title,
    series), each read as :func:`ftmon.monitor.reads.job_series` reads it (events only when the
    result file will not do)."""
    found: dict[str, tuple[str, MetricSeries]] = {}
    for job in jobs:
        found[job.id] = (job_title(job), (await reads.job_series(client, job)).series)
    return found


# -- writing ----------------------------------------------------------------------------------


def _csv_text(series: MetricSeries) -> str:
    """``metrics.csv``: :meth:`MetricSeries.write_csv`, as ``ftmon metrics --csv`` writes it."""
    out = io.StringIO()
    series.write_csv(out)
    return out.getvalue()


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
    events = await reads.all_events(client, job.id)
    # By step, oldest first (the file's order since its first version); of one step, by time.
    checkpoints = sorted(
        await reads.all_checkpoints(client, job.id),
        key=lambda c: (c.step_number or 0, c.created_at or 0),
    )
    result = ExportResult(directory=Path(directory or default_directory(job.id)))
    series, result.metrics_source, result.notes = await reads.job_series(client, job, events=events)
    title = job_title(job)
    texts = {
        "job.json": _dump(raw),
        "events.jsonl": "".join(json.dumps(_as_json(e), ensure_ascii=True) + "\n" for e in events),
        "metrics.csv": _csv_text(series),
        "checkpoints.json": _dump([_as_json(c) for c in checkpoints]),
    }
    plot = plot_file(job.method_type)
    if plot == "reward.svg":
        texts[plot] = reward_svg(series, title=f"mean reward · {title}")
    else:
        texts[plot] = loss_svg([(title, series)], title=f"loss · {title}")
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
