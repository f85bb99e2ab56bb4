"""The organisation's fine-tuned models joined with the jobs and checkpoints that made them, and
in words (no Textual: ``ftmon models`` and, later, the TUI's models view show the same).

A model is joined to its job by name: a job's ``fine_tuned_model`` is its final model; a
checkpoint's model (``...:ckpt-step-N``) carries an id of its own, so the job's checkpoint list
says which job made it, or, when that list was not read, the one job whose model shares the
name's ``ft:<base>:<org>:<suffix>`` stem (with several such jobs, its job is unknown).

Two marks come out of the join: a model **whose job is unknown** (made in another project, by a
job since deleted, or by a job the list did not reach) and a succeeded job **whose model is
gone** (its ``fine_tuned_model`` is not in ``GET /models``: deleted, or its base retired).

:func:`read_inventory` reads what the join needs, and :func:`inventory_lines` words it: the one
read and the one listing of ``ftmon models`` and the TUI's models view. What the read costs, in
requests: one ``GET /models`` (the API sends every model in one answer), every page of
``GET /fine_tuning/jobs`` once (100 jobs a page), and one ``GET .../checkpoints`` (one page: a job
keeps 3 or 4) for each job that needs it (a succeeded job with a listed model, for its best
checkpoint; a job that may have made a listed checkpoint model), newest first, at most
:data:`CHECKPOINT_READS` of them, 8 at a time. Past that cap the older jobs show no best
checkpoint (their checkpoint models still join by name); ``Inventory.unread`` says how many.
The simulator's big world (10,000 jobs, 21,364 models): 301 requests, about 3.5 s over loopback.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, overload

from rich.text import Text

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, Model
from ftmon.api.pagination import iter_items, iter_pages
from ftmon.monitor import reads
from ftmon.present.keep import keep_advice
from ftmon.text import local_time, one_line

#: ``owned_by`` of OpenAI's own models, as ``GET /models`` sends it.
BASE_OWNERS = frozenset({"openai", "system", "openai-internal"})
_STEP = re.compile(r":ckpt-step-(\d+)$")

UNKNOWN_JOB = "job unknown"
MODEL_GONE = "model gone"
UNKNOWN_JOB_WHY = "made by a job this key cannot list (another project, or a deleted job)"
MODEL_GONE_WHY = "the job succeeded, its model is not listed (deleted, or its base model retired)"


class ModelInfo(NamedTuple):
    """What the join and its words need of a model of ``GET /models``: kept instead of the
    parsed :class:`~ftmon.api.models.Model` (one object where that is two), so that a big
    organisation's listing held open weighs little on memory and on the garbage collector."""

    id: str
    created: int | None
    owned_by: str | None
    shutdown_date: str | None

    @classmethod
    def of(cls, model: Model | ModelInfo) -> ModelInfo:
        if isinstance(model, ModelInfo):
            return model
        return cls(model.id, model.created, model.owned_by, model.shutdown_date)


class JobInfo(NamedTuple):
    """What the join and its words need of a job: one object where the parsed
    :class:`~ftmon.api.models.FineTuningJob` is a dozen (its hyperparameters, method, error, and
    each one's set of fields). 10,000 parsed jobs held through the join made the collector's
    full passes take a third of a second each, on the event loop whatever thread allocated."""

    id: str
    model: str | None
    fine_tuned_model: str | None
    display_suffix: str | None
    created_at: int | None
    finished_at: int | None
    status_key: str
    method_type: str

    @classmethod
    def of(cls, job: FineTuningJob | JobInfo) -> JobInfo:
        if isinstance(job, JobInfo):
            return job
        return cls(
            job.id,
            job.model,
            job.fine_tuned_model,
            job.display_suffix,
            job.created_at,
            job.finished_at,
            job.status_key,
            job.method_type,
        )


def is_fine_tuned(model: Model | ModelInfo) -> bool:
    """A model of the organisation's, not one of OpenAI's."""
    return model.id.startswith("ft:") or (model.owned_by or "").lower() not in BASE_OWNERS


def is_base_model(name: str) -> bool:
    """Whether a model name is one of OpenAI's (``ftmon models rm`` refuses those unsent).

    Fine-tuned names start ``ft:`` (and the legacy ``<base>:ft-<org>...``); anything else is
    OpenAI's, which its delete refuses.
    """
    return not (name.startswith("ft:") or ":ft-" in name)


def checkpoint_step(name: str) -> int | None:
    """N of a checkpoint's model name ``...:ckpt-step-N``; None for a final model."""
    found = _STEP.search(name)
    return int(found.group(1)) if found else None


def name_parts(name: str) -> tuple[str | None, str | None]:
    """(base model, suffix) read from ``ft:<base>:<org>:<suffix>:<id>[:ckpt-step-N]``."""
    parts = _STEP.sub("", name).split(":")
    if len(parts) < 2 or parts[0] != "ft":
        return None, None
    base = parts[1] or None
    suffix = parts[3] if len(parts) >= 5 and parts[3] else None
    return base, suffix


def stem(name: str) -> str:
    """``ft:<base>:<org>:<suffix>``: what a job's models share (the id after it differs)."""
    parts = _STEP.sub("", name).split(":")
    return ":".join(parts[:-1]) if len(parts) > 1 else name


@dataclass(frozen=True)
class Best:
    """A job's best checkpoint by ``present.keep``'s rule."""

    rule: str
    step: int | None
    value: float | None
    model: str | None

    @property
    def words(self) -> str:
        """``best: step 60, highest full validation mean reward 0.6212``, or why there is none."""
        if self.value is None:
            return self.rule
        return f"best: step {self.step or 0:,}, {self.rule} {self.value:.4f}"


@dataclass
class ModelRow:
    """One fine-tuned model; ``job`` None: its job is unknown."""

    model: ModelInfo
    job: JobInfo | None
    step: int | None  # a checkpoint's step; None for a job's final model
    best: bool = False  # the job's best checkpoint by the rule
    #: The projects it is shared with (``ftmon models --shared``); None: not read.
    shared: list[str] | None = None

    @property
    def base(self) -> str | None:
        return (self.job.model if self.job else None) or name_parts(self.model.id)[0]

    @property
    def suffix(self) -> str | None:
        return (self.job.display_suffix if self.job else None) or name_parts(self.model.id)[1]


@dataclass
class JobModels:
    """A job and the models it made that are listed; ``gone``: its final model is not."""

    job: JobInfo
    rows: list[ModelRow] = field(default_factory=list)
    best: Best | None = None
    gone: bool = False
    checkpoints_read: bool = False


@dataclass
class Inventory:
    groups: list[JobModels]  # newest job first
    unknown: list[ModelRow]  # models whose job is unknown, newest first
    #: Jobs whose checkpoints were not read (past the cap): no best, checkpoint models unjoined.
    unread: int = 0

    @property
    def gone(self) -> list[JobModels]:
        return [g for g in self.groups if g.gone]

    @property
    def rows(self) -> list[ModelRow]:
        """Every listed model: each job's (newest job first), then those of unknown jobs."""
        return [row for g in self.groups for row in g.rows] + self.unknown


def checkpoint_jobs(
    models: Iterable[Model | ModelInfo], jobs: Sequence[FineTuningJob | JobInfo]
) -> list[JobInfo]:
    """The jobs whose checkpoints the join needs, newest first: every succeeded job with a model
    listed (its best checkpoint), and each job that may have made a listed checkpoint model
    (one sharing its name's stem)."""
    listed = {m.id for m in models if is_fine_tuned(m)}
    stems = {stem(name) for name in listed if checkpoint_step(name) is not None}
    wanted = []
    for job in jobs:
        final = job.fine_tuned_model
        if final and (final in listed or stem(final) in stems):
            wanted.append(JobInfo.of(job))
    return sorted(wanted, key=lambda j: j.created_at or 0, reverse=True)


def build_inventory(
    models: Iterable[Model | ModelInfo],
    given_jobs: Sequence[FineTuningJob | JobInfo],
    checkpoints: Mapping[str, Sequence[FineTuningJobCheckpoint]],
    *,
    unread: int = 0,
) -> Inventory:
    """The join; ``checkpoints`` by job id, for the jobs whose checkpoints were read."""
    listed = {m.id: ModelInfo.of(m) for m in models if is_fine_tuned(m)}
    jobs = [JobInfo.of(job) for job in given_jobs]
    groups: dict[str, JobModels] = {}
    by_name: dict[str, tuple[JobInfo, int | None]] = {}
    for job in jobs:
        if job.fine_tuned_model:
            by_name[job.fine_tuned_model] = (job, None)
    by_id = {job.id: job for job in jobs}
    for job_id, found in checkpoints.items():
        for checkpoint in found:
            name = checkpoint.fine_tuned_model_checkpoint
            maker = by_id.get(job_id)
            if name and maker is not None and name not in by_name:
                by_name[name] = (maker, checkpoint.step_number)
    # A checkpoint model no checkpoint list named: the one job whose model shares its stem made
    # it (its checkpoints were not read); with none, or several, its job is unknown.
    stems: dict[str, list[JobInfo]] = {}
    for job in jobs:
        if job.fine_tuned_model:
            stems.setdefault(stem(job.fine_tuned_model), []).append(job)
    for name in listed:
        step = checkpoint_step(name)
        if name not in by_name and step is not None and len(stems.get(stem(name), ())) == 1:
            by_name[name] = (stems[stem(name)][0], step)
    for job in jobs:
        final = job.fine_tuned_model
        if final and job.status_key == "succeeded":
            group = groups.setdefault(job.id, JobModels(job))
            group.gone = final not in listed
    unknown: list[ModelRow] = []
    for name, model in listed.items():
        made = by_name.get(name)
        if made is None:
            unknown.append(ModelRow(model, None, checkpoint_step(name)))
            continue
        job, step = made
        groups.setdefault(job.id, JobModels(job)).rows.append(ModelRow(model, job, step))
    for job_id, group in groups.items():
        kept = checkpoints.get(job_id)
        if kept is None:
            continue
        group.checkpoints_read = True
        advice = keep_advice(group.job.method_type, kept, None)
        if advice.best is not None:
            best = advice.best
            group.best = Best(
                advice.rule,
                best.step_number,
                advice.scores.get(best.id),
                best.fine_tuned_model_checkpoint,
            )
            for row in group.rows:
                row.best = row.model.id == best.fine_tuned_model_checkpoint
        else:
            group.best = Best(advice.rule, None, None, None)
    for group in groups.values():
        group.rows.sort(key=lambda r: (r.step is None, r.step or 0))  # steps, then the final
    ordered = sorted(groups.values(), key=lambda g: g.job.created_at or 0, reverse=True)
    unknown.sort(key=lambda r: r.model.created or 0, reverse=True)
    return Inventory(ordered, unknown, unread)


def row_json(row: ModelRow) -> dict[str, Any]:
    return {
        "model": row.model.id,
        "kind": "final" if row.step is None else "checkpoint",
        "step": row.step,
        "job_id": row.job.id if row.job else None,
        "job_unknown": row.job is None,
        "base_model": row.base,
        "suffix": row.suffix,
        "created": row.model.created,
        "owned_by": row.model.owned_by,
        "shutdown_date": row.model.shutdown_date,
        "best_checkpoint": row.best,
        "shared_with": row.shared,
    }


def inventory_json(inventory: Inventory) -> dict[str, Any]:
    """``ftmon models --json``: every listed fine-tuned model, and the jobs whose model is gone."""
    models: list[dict[str, Any]] = []
    for group in inventory.groups:
        best = group.best
        for row in group.rows:
            models.append(
                {
                    **row_json(row),
                    "job_best": None
                    if best is None
                    else {
                        "rule": best.rule,
                        "step": best.step,
                        "value": best.value,
                        "model": best.model,
                    },
                }
            )
    models += [{**row_json(row), "job_best": None} for row in inventory.unknown]
    gone = [
        {
            "job_id": g.job.id,
            "model": g.job.fine_tuned_model,
            "base_model": g.job.model,
            "suffix": g.job.display_suffix,
            "finished_at": g.job.finished_at,
        }
        for g in inventory.gone
    ]
    return {
        "models": models,
        "jobs_whose_model_is_gone": gone,
        "checkpoints_unread": inventory.unread,
    }


# -- the read ----------------------------------------------------------------------------------

#: The most jobs whose checkpoints one inventory reads (one request each).
CHECKPOINT_READS = 200
#: Requests in flight at once while reading checkpoints.
PARALLEL = 8


async def _all_jobs(client: FineTuningClient) -> list[JobInfo]:
    """Every job, each kept as its :class:`JobInfo` as its page arrives (the parsed page is let
    go: 100 jobs at a time, never 10,000)."""
    jobs: dict[str, JobInfo] = {}
    async for page in iter_pages(lambda after: client.list_jobs(after=after, limit=100)):
        for job in page.data:
            if job.id not in jobs:
                jobs[job.id] = JobInfo.of(job)
    return list(jobs.values())


def _fine_tuned(models: Sequence[Model]) -> list[ModelInfo]:
    return [ModelInfo.of(m) for m in models if is_fine_tuned(m)]


async def _checkpoints(
    client: FineTuningClient, jobs: Sequence[JobInfo]
) -> dict[str, list[FineTuningJobCheckpoint]]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(job: JobInfo) -> tuple[str, list[FineTuningJobCheckpoint] | None]:
        async with gate:
            try:
                return job.id, await reads.all_checkpoints(client, job.id)
            except errors.NotFoundError:
                return job.id, None

    pairs = await asyncio.gather(*(one(job) for job in jobs))
    return {job_id: found for job_id, found in pairs if found is not None}


async def read_inventory(client: FineTuningClient) -> Inventory:
    """The join, read with the requests the module's docstring counts.

    A source without ``GET /models`` (an archive, Azure's flavour of the simulator) raises the
    client's :class:`~ftmon.api.errors.NotFoundError`: each front end words it.
    """
    # Only the organisation's own, each as its ModelInfo: the parsed answer is let go at once.
    models = await asyncio.to_thread(_fine_tuned, (await client.list_models()).data)
    jobs = await _all_jobs(client)
    # The joins are pure and, for a big organisation, long (10,000 jobs and 21,364 models:
    # most of a second): off the event loop, so that a screen reading them stays live.
    wanted = await asyncio.to_thread(checkpoint_jobs, models, jobs)
    read = await _checkpoints(client, wanted[:CHECKPOINT_READS])
    unread = max(0, len(wanted) - CHECKPOINT_READS)
    return await asyncio.to_thread(build_inventory, models, jobs, read, unread=unread)


# -- in words ----------------------------------------------------------------------------------

#: The created time's width (``2026-12-04 23:48:10``) and the gap between columns.
CREATED_WIDTH = 19
GAP = 2
#: In the step column, beside a job's final model that is no longer listed.
MODEL_GONE_STEP = "gone"


@dataclass(frozen=True)
class InventoryLine:
    """One line of the listing and what it is about: a model (``row``), a job (``job``: its
    own line, its gone model's, its models'), or neither (a heading)."""

    text: Text
    row: ModelRow | None = None
    job: JobInfo | None = None


def step_text(row: ModelRow) -> str:
    step = "final" if row.step is None else f"{row.step:,}"
    return f"{step} ★" if row.best else step


def job_line(group: JobModels) -> Text:
    job = group.job
    line = Text(one_line(job.id), style="bold")
    line.append(f"  {one_line(job.model) or '—'}")  # whole: the date tells models apart
    suffix = one_line(job.display_suffix)
    if suffix:
        line.append(f"  {suffix}")
    if group.gone:
        line.append(f"  {MODEL_GONE}", style="bold red")
    if group.best is not None:
        line.append(f"  {group.best.words}", style="dim")
    return line


#: What a line of the listing is (:class:`InventoryLayout`'s entries).
HEADER, JOB_LINE, GONE_LINE, MODEL_LINE, SHARED_LINE, UNKNOWN_HEAD = range(6)


class InventoryLayout(Sequence[InventoryLine]):
    """The listing at a width, each line worded only when asked for.

    Its entries are ``(kind, group, row)`` (``group`` -1: the models whose job is unknown):
    plain tuples of numbers, which hold no reference and cost the garbage collector nothing,
    where 30,000 worded lines of a big organisation (each a Text and its lists) made its full
    passes long. The models view words the lines on show; ``ftmon models`` words them all
    (:func:`inventory_lines`).

    A model id is never cut while the terminal can hold it (an id cut short cannot be copied):
    the created time is shown only when there is room after the id and the step (★: the job's
    best checkpoint by the rule of ``ftmon checkpoints --best``).
    """

    INDENT = "  "

    def __init__(self, found: Inventory, width: int) -> None:
        self.found = found
        self.width = width
        rows = found.rows
        gone = [one_line(g.job.fine_tuned_model) for g in found.gone]
        self.model_width = max(
            [len(one_line(r.model.id)) for r in rows] + [len(n) for n in gone] + [5]
        )
        self.step_width = max(
            [len("step"), len(MODEL_GONE_STEP)] + [len(step_text(r)) for r in rows]
        )
        used = len(self.INDENT) + self.model_width + GAP + self.step_width
        self.dated = used + GAP + CREATED_WIDTH <= width
        entries: list[tuple[int, int, int]] = [(HEADER, 0, 0)]
        for g, group in enumerate(found.groups):
            entries.append((JOB_LINE, g, 0))
            if group.gone:
                entries.append((GONE_LINE, g, 0))
            for r, row in enumerate(group.rows):
                entries.append((MODEL_LINE, g, r))
                if row.shared:
                    entries.append((SHARED_LINE, g, r))
        if found.unknown:
            entries.append((UNKNOWN_HEAD, -1, 0))
            for r, row in enumerate(found.unknown):
                entries.append((MODEL_LINE, -1, r))
                if row.shared:
                    entries.append((SHARED_LINE, -1, r))
        self.entries = entries
        #: The lines a cursor rests on: a job's, its gone model's, a model's first line.
        self.stops = [n for n, e in enumerate(entries) if e[0] in (JOB_LINE, GONE_LINE, MODEL_LINE)]

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> InventoryLine: ...

    @overload
    def __getitem__(self, index: slice) -> list[InventoryLine]: ...

    def __getitem__(self, index: int | slice) -> InventoryLine | list[InventoryLine]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        kind, g, r = self.entries[index]
        row, job = self.about(index)
        line = InventoryLine(self._text(kind, g, r), row, job)
        line.text.rstrip()
        if line.text.cell_len > self.width:
            line.text.truncate(self.width, overflow="ellipsis")
        return line

    def about(self, index: int) -> tuple[ModelRow | None, JobInfo | None]:
        """(the model, the job) line ``index`` is about, without wording it."""
        kind, g, r = self.entries[index]
        if kind in (HEADER, UNKNOWN_HEAD):
            return None, None
        if kind in (JOB_LINE, GONE_LINE):
            return None, self.found.groups[g].job
        row = self.found.unknown[r] if g < 0 else self.found.groups[g].rows[r]
        return row, row.job

    def _text(self, kind: int, g: int, r: int) -> Text:
        indent, model_width, step_width = self.INDENT, self.model_width, self.step_width
        if kind == HEADER:
            header = Text(
                indent + "model".ljust(model_width) + " " * GAP + "step".rjust(step_width)
            )
            if self.dated:
                header.append(" " * GAP + "created")
            header.stylize("bold")
            return header
        if kind == UNKNOWN_HEAD:
            head = Text(UNKNOWN_JOB, style="bold yellow")
            head.append(f": {UNKNOWN_JOB_WHY}", style="dim")
            return head
        if kind == JOB_LINE:
            return job_line(self.found.groups[g])
        if kind == GONE_LINE:
            name = one_line(self.found.groups[g].job.fine_tuned_model).ljust(model_width)
            return Text(f"{indent}{name}{' ' * GAP}{MODEL_GONE_STEP:>{step_width}}", "red")
        row = self.found.unknown[r] if g < 0 else self.found.groups[g].rows[r]
        if kind == SHARED_LINE:
            return Text(f"{indent}  shared with {', '.join(row.shared or ())}", style="cyan")
        line = Text(indent + one_line(row.model.id).ljust(model_width))
        line.append(" " * GAP + step_text(row).rjust(step_width), style="green" if row.best else "")
        if self.dated:
            line.append(" " * GAP + local_time(row.model.created), style="dim")
        return line


def inventory_lines(found: Inventory, width: int) -> list[InventoryLine]:
    """Each job (newest first) over its models, then the models whose job is unknown: every
    line of :class:`InventoryLayout`, worded."""
    return list(InventoryLayout(found, width))


def inventory_summary(found: Inventory) -> str:
    """``12 fine-tuned models; 1 job unknown; ...``: the listing's last line."""
    models = sum(len(g.rows) for g in found.groups) + len(found.unknown)
    summary = f"{models} fine-tuned model{'s' if models != 1 else ''}"
    if found.unknown:
        summary += f"; {len(found.unknown)} {UNKNOWN_JOB}"
    if found.gone:
        count = len(found.gone)
        summary += f"; {count} job{'s' if count != 1 else ''} with its {MODEL_GONE}: "
        summary += MODEL_GONE_WHY
    return summary


def unread_note(found: Inventory) -> str | None:
    """What the checkpoint cap left out, if anything."""
    if not found.unread:
        return None
    return (
        f"checkpoints read for the newest {CHECKPOINT_READS} jobs only: {found.unread} "
        "older ones show no best checkpoint"
    )


#: The most models whose sharing :func:`read_sharing` reads (one request each).
SHARE_READS = 200


async def read_sharing(client: FineTuningClient, rows: Sequence[ModelRow]) -> None:
    """Each model's projects (admin key): one request per model, :data:`PARALLEL` at a time,
    the first :data:`SHARE_READS` rows only; a model the API no longer knows keeps ``None``.
    ``ftmon models --shared`` and the models view's ``s`` read the same."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(row: ModelRow) -> None:
        async with gate:
            try:
                row.shared = [
                    one_line(p.project_id)
                    async for p in iter_items(
                        lambda after: client.list_permissions(row.model.id, after=after, limit=100)
                    )
                ]
            except errors.NotFoundError:
                row.shared = None

    await asyncio.gather(*(one(row) for row in rows[:SHARE_READS]))
