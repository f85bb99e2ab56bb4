"""One simulated fine-tuning job: fixed settings, a progress source, and its JSON views.

The progress is either a :class:`~ftmon.sim.lifecycle.Lifecycle` (the realistic automatic timeline)
or a :class:`~ftmon.sim.script.ScriptProgress` (a test's script). Both write into the job's
:class:`~ftmon.sim.eventlog.EventLog`; this module turns the state into OpenAI-shaped dicts.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any, Protocol

from ftmon.sim.errors import bad_request
from ftmon.sim.eventlog import EventLog, Note
from ftmon.sim.ids import decode_index, digest_int, encode_index, token
from ftmon.sim.lifecycle import Lifecycle, RunPlan
from ftmon.sim.methods import KEEP_CHECKPOINTS, Method, method_for
from ftmon.sim.script import ScriptProgress, StatusChange

#: The 13 categories of the safety checks run on every fine-tuned model, as OpenAI's DPO guide
#: lists them ("Safety checks"); a reinforcement job's ``moderation_checks`` event reports them.
SAFETY_CATEGORIES = (
    "advice", "harassment/threatening", "hate", "hate/threatening", "highly-sensitive", "illicit",
    "propaganda", "self-harm/instructions", "self-harm/intent", "sensitive", "sexual/minors",
    "sexual", "violence",
)  # fmt: skip
SUPERVISED_KEYS = ("batch_size", "learning_rate_multiplier", "n_epochs")
ERROR_STYLES = {
    # How a healthy job's ``error`` reads: real servers send all three.
    "null": None,
    "empty": {},
    "nulls": {"code": None, "message": None, "param": None},
}


@dataclass
class JobConfig:
    """What a job was created with; never changes."""

    id: str
    model: str
    training_file: str
    organization_id: str
    org_slug: str
    created_at: float
    seed: int
    method: dict[str, Any]  # {"type": t, t: {"hyperparameters": {...as requested...}, ...}}
    resolved: dict[str, Any] = field(default_factory=dict)  # "auto" values once validated
    validation_file: str | None = None
    suffix: str | None = None
    metadata: dict[str, str] | None = None
    integrations: list[dict[str, Any]] | None = field(default_factory=list)
    error_style: str = "null"
    base64_results: bool = False

    @property
    def method_type(self) -> str:
        return str(self.method.get("type") or "supervised")


class JobHost(Protocol):
    """The world, as a job sees it: registries for model names and result files."""

    flavor: str  # "openai" or "azure": whose rules the job follows

    def checkpoint_created(self, job: SimJob, name: str) -> None: ...

    def checkpoint_pruned(self, job: SimJob, name: str) -> None: ...

    def job_succeeded(self, job: SimJob, t: float) -> list[str]: ...


class SimJob:
    """A job plus everything derived from it; create with :meth:`auto` or :meth:`scripted`."""

    def __init__(self, config: JobConfig, host: JobHost) -> None:
        self.config = config
        self.id = config.id
        self.host = host
        self.log = EventLog()
        self._checkpoints: list[tuple[int, float]] = []  # (step, time), the kept ones
        self.result_files: list[str] = []
        self.overrides: dict[str, Any] = {}
        self.method: Method | None = None
        self.progress: Lifecycle | ScriptProgress
        self.order_key: tuple[int, int, str] = (int(config.created_at), 0, config.id)
        self._key = digest_int(config.id, "events") & ((1 << 64) - 1)
        self._event_prefix = "ftevent-" + token(config.id, "events", length=13)

    @classmethod
    def auto(cls, config: JobConfig, plan: RunPlan, host: JobHost) -> SimJob:
        job = cls(config, host)
        block = config.method.get(config.method_type)
        block = block if isinstance(block, dict) else {}
        hyper = block.get("hyperparameters")
        job.method = method_for(
            config.method_type,
            config.seed,
            plan.total_steps,
            {**(hyper if isinstance(hyper, dict) else {}), **config.resolved},
            block.get("grader"),
            with_valid=config.validation_file is not None,
        )
        job.progress = Lifecycle(
            plan,
            job_id=config.id,
            training_file=config.training_file,
            validation_file=config.validation_file,
            log=job.log,
            hooks=job,
            marks=job.method.marks(plan.total_steps, plan.epoch_ends()),
        )
        job.progress.azure = host.flavor == "azure"
        return job

    @classmethod
    def scripted(
        cls,
        config: JobConfig,
        host: JobHost,
        *,
        status: str,
        timeline: list[StatusChange],
        notes: list[Note],
    ) -> SimJob:
        job = cls(config, host)
        job.progress = ScriptProgress(
            job_id=config.id,
            created_at=config.created_at,
            status=status,
            timeline=timeline,
            notes=notes,
            log=job.log,
        )
        return job

    # -- state -----------------------------------------------------------------------------

    @property
    def created_at(self) -> int:
        return int(self.config.created_at)

    @property
    def status(self) -> str:
        return self.progress.status

    @property
    def active(self) -> bool:
        return self.progress.active

    @property
    def metadata(self) -> Any:
        return self.overrides.get("metadata", self.config.metadata)

    @functools.cached_property
    def _name_stem(self) -> str:
        """``ft:<base>:<org>:<suffix>``, what every model name of the job starts with."""
        base = self.config.model
        if base.startswith("ft:"):
            base = base.split(":")[1]
        return f"ft:{base}:{self.config.org_slug}:{self.config.suffix or ''}"

    @functools.cached_property
    def model_name(self) -> str:
        """The fine-tuned model, ``ft:<base>:<org>:<suffix>:<8-character id>``."""
        return f"{self._name_stem}:{self.id.removeprefix('ftjob-')[:8]}"

    def sync(self, now: float) -> None:
        self.progress.advance(now)

    def cancel(self, now: float) -> None:
        self.sync(now)
        self.progress.cancel(now)

    def pause(self, now: float) -> None:
        self.sync(now)
        self.progress.pause(now)

    def resume(self, now: float) -> None:
        self.sync(now)
        self.progress.resume(now)

    def lifecycle(self) -> Lifecycle:
        """The automatic timeline, for the test controls (a scripted job has none: 400)."""
        if not isinstance(self.progress, Lifecycle):
            raise bad_request(f"Job {self.id} is scripted: it has no timeline to change.")
        return self.progress

    # -- lifecycle hooks -------------------------------------------------------------------

    def _final_step(self, step: int) -> bool:
        return isinstance(self.progress, Lifecycle) and step == self.progress.total_steps

    def on_checkpoint(self, step: int, t: float) -> None:
        """Keep the new checkpoint and drop the one the method's rule no longer keeps.

        Supervised (and DPO) jobs keep the last 3 epochs' checkpoints, as OpenAI's fine-tuning
        guide says. Reinforcement jobs keep "the three with the highest valid_reward_mean scores"
        (OpenAI's RFT guide); the last step's checkpoint is the job's model and is always kept.
        """
        assert self.method is not None
        self._checkpoints.append((step, t))
        self.host.checkpoint_created(self, self.checkpoint_name(step))
        steps = [s for s, _ in self._checkpoints]
        scored = [(score, s) for s in steps if (score := self.method.score(s)) is not None]
        if len(scored) < len(steps):
            kept = set(steps[-KEEP_CHECKPOINTS:])  # the newest, the final one among them
        else:
            ranked = sorted(scored, reverse=True)  # the best first; of equals, the later
            kept = {s for _, s in ranked[:KEEP_CHECKPOINTS]}
            kept |= {s for s in steps if self._final_step(s)}
        for entry in [e for e in self._checkpoints if e[0] not in kept]:
            self._checkpoints.remove(entry)
            self.host.checkpoint_pruned(self, self.checkpoint_name(entry[0]))

    def checkpoint_name(self, step: int) -> str:
        """The model name of the checkpoint at ``step``: its own 8-character id, as real ones
        have (``...:9uJPavaa:ckpt-step-100``); the last step's checkpoint is the job's model."""
        if self._final_step(step):
            return self.model_name
        return f"{self._name_stem}:{token(self.id, 'snapshot', step, length=8)}:ckpt-step-{step}"

    # The closing events, as real event lists word them.

    def snapshot_messages(self) -> list[str]:
        made = sorted(step for step, _ in self._checkpoints if not self._final_step(step))
        messages = [
            f"Checkpoint created at step {step} with Snapshot ID: {self.checkpoint_name(step)}"
            for step in made
        ]
        return [*messages, f"New fine-tuned model created: {self.model_name}"]

    def moderation_checks(self) -> tuple[str, dict[str, Any]] | None:
        """A ``moderation_checks`` event: the safety categories the model passed.

        OpenAI's guides say to "look for events of type moderation_checks for details about
        category results and enforcement"; the message and the ``data`` below are a guess (no
        example is published), reporting each category as passed, with its failure rate.
        """
        assert self.method is not None
        if not self.method.moderation_checks:
            return None
        results = [
            {
                "category": category,
                "passed": True,
                "failure_rate": round(max(0, digest_int(self.id, category) % 40 - 25) / 1000, 3),
                "threshold": 0.05,
            }
            for category in SAFETY_CATEGORIES
        ]
        data = {"snapshot": self.model_name, "passed": True, "results": results}
        return f"Moderation checks for snapshot {self.model_name} passed.", data

    def checkpoint_times(self) -> list[tuple[int, float]]:
        """(step, time) of each kept checkpoint, oldest first."""
        return list(self._checkpoints)

    @property
    def checkpoints(self) -> list[dict[str, Any]]:
        """The kept checkpoints, oldest first (made on demand: most are never looked at)."""
        return [self._checkpoint(step, t) for step, t in self._checkpoints]

    def _checkpoint(self, step: int, t: float) -> dict[str, Any]:
        assert self.method is not None
        metrics = self.method.checkpoint_metrics(step)
        return {
            "object": "fine_tuning.job.checkpoint",
            "id": "ftckpt_" + token(self.id, "checkpoint", step),
            "created_at": int(t),
            "fine_tuned_model_checkpoint": self.checkpoint_name(step),
            "fine_tuning_job_id": self.id,
            "metrics": metrics,
            "step_number": step,
        }

    def on_succeeded(self, t: float) -> None:
        self.result_files = self.host.job_succeeded(self, t)

    # -- JSON views ------------------------------------------------------------------------

    def _hyperparameters(self) -> dict[str, Any]:
        kind = self.config.method_type
        block = self.config.method.get(kind)
        requested = dict((block or {}).get("hyperparameters") or {})
        if self.status == "validating_files":
            return requested
        return {**requested, **self.config.resolved}

    def _method(self, shown: dict[str, Any]) -> dict[str, Any]:
        """The method object with the hyperparameters as shown now (fresh dicts, no aliasing)."""
        method = dict(self.config.method)
        kind = self.config.method_type
        if isinstance(method.get(kind), dict):
            block = dict(method[kind])
            block["hyperparameters"] = shown
            if isinstance(block.get("grader"), dict):
                block["grader"] = copy.deepcopy(block["grader"])
            method[kind] = block
        return method

    def to_dict(self) -> dict[str, Any]:
        """The ``fine_tuning.job`` object as of the last :meth:`sync` (a fresh dict)."""
        cfg, progress, status = self.config, self.progress, self.status
        shown = self._hyperparameters()
        top = None
        if cfg.method_type == "supervised":
            top = {k: shown[k] for k in SUPERVISED_KEYS if k in shown}
        error = progress.error or ERROR_STYLES[cfg.error_style]
        job: dict[str, Any] = {
            "object": "fine_tuning.job",
            "id": self.id,
            "model": cfg.model,
            "created_at": self.created_at,
            "finished_at": progress.finished_at,
            "fine_tuned_model": self.model_name if status == "succeeded" else None,
            "organization_id": cfg.organization_id,
            "result_files": list(self.result_files),
            "status": status,
            "validation_file": cfg.validation_file,
            "training_file": cfg.training_file,
            "hyperparameters": top,
            "trained_tokens": progress.trained_tokens,
            "error": None if error is None else dict(error),
            "seed": cfg.seed,
            "estimated_finish": progress.estimated_finish(),
            "integrations": copy.deepcopy(cfg.integrations)
            if cfg.integrations
            else cfg.integrations,
            "method": self._method(shown),
            "metadata": None if cfg.metadata is None else dict(cfg.metadata),
            "user_provided_suffix": cfg.suffix,
        }
        if progress.fields:
            job.update(copy.deepcopy(progress.fields))
        if self.overrides:
            job.update(copy.deepcopy(self.overrides))
        return job

    def event_id(self, index: int) -> str:
        return self._event_prefix + encode_index(self._key, index)

    def event_index(self, event_id: str) -> int | None:
        """The log position of one of this job's event ids, or None."""
        if not event_id.startswith(self._event_prefix):
            return None
        index = decode_index(self._key, event_id[len(self._event_prefix) :])
        if index is None or not 0 <= index < len(self.log):
            return None
        return index

    def event(self, index: int) -> dict[str, Any]:
        entry = self.log.get(index)
        if entry.note is not None:
            note = entry.note
            level, message, kind, data = note.level, note.message, note.type, note.data
            data = copy.deepcopy(data)
        else:
            assert isinstance(self.progress, Lifecycle) and self.method is not None
            message, data = self.method.metrics_event(
                entry.step, self.progress.total_steps, full=entry.full
            )
            level, kind = "info", "metrics"
        return {
            "object": "fine_tuning.job.event",
            "id": self.event_id(index),
            "created_at": int(entry.t),
            "level": level,
            "message": message,
            "data": data,
            "type": kind,
        }
