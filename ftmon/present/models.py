"""The organisation's fine-tuned models joined with the jobs and checkpoints that made them, and
in words (no Textual: ``ftmon models`` and, later, the TUI's models view show the same).

A model is joined to its job by name: a job's ``fine_tuned_model`` is its final model; a
checkpoint's model (``...:ckpt-step-N``) carries an id of its own, so the job's checkpoint list
says which job made it, or, when that list was not read, the one job whose model shares the
name's ``ft:<base>:<org>:<suffix>`` stem (with several such jobs, its job is unknown).

Two marks come out of the join: a model **whose job is unknown** (made in another project, by a
job since deleted, or by a job the list did not reach) and a succeeded job **whose model is
gone** (its ``fine_tuned_model`` is not in ``GET /models``: deleted, or its base retired).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, Model
from ftmon.present.keep import keep_advice

#: ``owned_by`` of OpenAI's own models, as ``GET /models`` sends it.
BASE_OWNERS = frozenset({"openai", "system", "openai-internal"})
_STEP = re.compile(r":ckpt-step-(\d+)$")

UNKNOWN_JOB = "job unknown"
MODEL_GONE = "model gone"
UNKNOWN_JOB_WHY = "made by a job this key cannot list (another project, or a deleted job)"
MODEL_GONE_WHY = "the job succeeded, its model is not listed (deleted, or its base model retired)"


def is_fine_tuned(model: Model) -> bool:
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

    model: Model
    job: FineTuningJob | None
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

    job: FineTuningJob
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


def checkpoint_jobs(models: Iterable[Model], jobs: Sequence[FineTuningJob]) -> list[FineTuningJob]:
    """The jobs whose checkpoints the join needs, newest first: every succeeded job with a model
    listed (its best checkpoint), and each job that may have made a listed checkpoint model
    (one sharing its name's stem)."""
    listed = {m.id for m in models if is_fine_tuned(m)}
    stems = {stem(name) for name in listed if checkpoint_step(name) is not None}
    wanted = []
    for job in jobs:
        final = job.fine_tuned_model
        if final and (final in listed or stem(final) in stems):
            wanted.append(job)
    return sorted(wanted, key=lambda j: j.created_at or 0, reverse=True)


def build_inventory(
    models: Iterable[Model],
    jobs: Sequence[FineTuningJob],
    checkpoints: Mapping[str, Sequence[FineTuningJobCheckpoint]],
    *,
    unread: int = 0,
) -> Inventory:
    """The join; ``checkpoints`` by job id, for the jobs whose checkpoints were read."""
    listed = {m.id: m for m in models if is_fine_tuned(m)}
    groups: dict[str, JobModels] = {}
    by_name: dict[str, tuple[FineTuningJob, int | None]] = {}
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
    stems: dict[str, list[FineTuningJob]] = {}
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
