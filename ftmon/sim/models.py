"""``/v1/models``: the base models, the fine-tuned models the world's jobs made, one from elsewhere.

What the spec says (``listModels``, ``retrieveModel``, ``deleteModel``): a list is one page
``{"object": "list", "data": [...]}``, a model is ``{id, object: "model", created, owned_by}``
(``shutdown_date`` optional), a delete answers ``{id, object: "model", deleted: true}`` and needs
the Owner role. The API reference's examples show ``owned_by`` as ``"openai"`` (or ``"system"``)
for OpenAI's models and the organisation for a fine-tuned one.

What the simulator chooses where the spec is silent (guesses, said so):

- A succeeded job's model and its kept checkpoints' models (``...:ckpt-step-N``) are listed,
  created when each checkpoint was; a running, failed or cancelled job's are not.
- A deleted model leaves the list and answers 404 from then on; the job keeps its
  ``fine_tuned_model`` (as the real API does: the job is history) and its checkpoint list.
- Deleting a model of OpenAI's is refused with 403 before anything else; the message is a guess
  (the real wording is not published). An unknown model is a 404 ``model_not_found``, the shape
  OpenAI sends for a model that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ftmon.sim.errors import ApiError, not_found
from ftmon.sim.ids import token
from ftmon.sim.jobs import SimJob

DAY = 86400

#: OpenAI's models the simulator lists: (id, age in days at the world's start, owned_by).
#: Every base model a seeded job uses is among them; a job on another base adds its own.
BASE_MODELS = (
    ("gpt-4o-mini-2024-07-18", 500, "system"),
    ("gpt-4o-2024-08-06", 480, "system"),
    ("gpt-4.1-2025-04-14", 230, "system"),
    ("gpt-4.1-mini-2025-04-14", 230, "system"),
    ("gpt-4.1-nano-2025-04-14", 230, "system"),
    ("o4-mini-2025-04-16", 228, "system"),
    ("gpt-3.5-turbo", 1000, "openai"),
)


def model_entry(model_id: str, created: float, owned_by: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": int(created), "owned_by": owned_by}


def unknown_model(model_id: str) -> ApiError:
    return not_found(
        f"The model '{model_id}' does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )


def base_model_refused(model_id: str) -> ApiError:
    # A guess: the spec says only that deleting needs the Owner role of the model's organisation.
    return ApiError(
        403,
        f"You do not have permission to delete the model '{model_id}': only fine-tuned models "
        "your organization owns can be deleted.",
        param="model",
        code="model_not_deletable",
    )


def job_models(job: SimJob) -> list[tuple[str, int]]:
    """(model id, created) of a succeeded job: each kept checkpoint's model, its own model too."""
    if job.status != "succeeded":
        return []
    found = {job.checkpoint_name(step): int(t) for step, t in job.checkpoint_times()}
    if job.model_name not in found:
        finished = getattr(job.progress, "finished_at", None)
        found[job.model_name] = int(finished if finished is not None else job.created_at)
    return list(found.items())


class ModelRegistry:
    """The models a world lists, given its jobs; deleted ones remembered."""

    def __init__(self, organization_id: str, org_slug: str, start: float, seed: int) -> None:
        self.organization_id = organization_id
        self.base = {name: start - age * DAY for name, age, _ in BASE_MODELS}
        self.owners = {name: owner for name, _, owner in BASE_MODELS}
        self.deleted: set[str] = set()
        #: Fine-tuned models of the organisation made by a job this world does not know (made
        #: in another project, or a job since deleted): added by the seeded scenarios.
        self.foreign: dict[str, float] = {}
        self._seed = seed
        self._slug = org_slug

    def add_foreign(self, base: str, suffix: str, created: float) -> str:
        name = f"ft:{base}:{self._slug}:{suffix}:{token(self._seed, 'foreign', suffix, length=8)}"
        self.foreign[name] = created
        return name

    def listing(self, jobs: Iterable[SimJob], now: float) -> list[dict[str, Any]]:
        """Every model that exists now, oldest first (the API's order is not documented)."""
        entries: dict[str, dict[str, Any]] = {}
        for name, created in self.base.items():
            entries[name] = model_entry(name, created, self.owners[name])
        fine_tuned: dict[str, float] = dict(self.foreign)
        for job in jobs:
            if job.created_at > now:
                continue
            base = job.config.model
            if not base.startswith("ft:") and base not in entries:
                entries[base] = model_entry(base, job.created_at - 30 * DAY, "system")
            fine_tuned.update(job_models(job))
        for name, created in fine_tuned.items():
            if name not in self.deleted:
                entries[name] = model_entry(name, created, self.organization_id)
        return sorted(entries.values(), key=lambda e: (e["created"], e["id"]))

    def find(self, model_id: str, maker: SimJob | None, jobs: Iterable[SimJob], now: float) -> Any:
        """One model that exists now (404 otherwise); ``maker`` is the job that made it, if any."""
        if model_id in self.deleted:
            raise unknown_model(model_id)
        if model_id in self.base:
            return model_entry(model_id, self.base[model_id], self.owners[model_id])
        if model_id in self.foreign:
            return model_entry(model_id, self.foreign[model_id], self.organization_id)
        if maker is not None:
            for name, created in job_models(maker):
                if name == model_id:
                    return model_entry(name, created, self.organization_id)
            raise unknown_model(model_id)
        if model_id.startswith("ft:"):
            raise unknown_model(model_id)
        for entry in self.listing(jobs, now):  # a base model only a job names: rare, walk them
            if entry["id"] == model_id:
                return entry
        raise unknown_model(model_id)
