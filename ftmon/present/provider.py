"""What one provider does and the other does not, in the words every front end uses.

The TUI's keys and dialogs and the headless commands say the same thing when a provider has no
such thing (Azure OpenAI shares no checkpoints; OpenAI deletes no jobs), when a job cannot be
deleted yet, what a delete removes, and what OpenAI's wind-down of job creation means.

Facts, with their sources:

* Azure OpenAI's ``DELETE /fine_tuning/jobs/{id}`` "deletes the fine-tune job specified by the
  given fine-tune-id" and answers 204 No Content (Azure OpenAI REST reference, "Fine Tuning -
  Delete", api-version 2024-10-21). The fine-tuned model is a resource of its own, deleted by
  its own call (``DELETE /openai/v1/models/{model}``, Foundry REST reference "Delete a model"),
  and a deployment of it by another; a job's events and checkpoints are read under the job's
  path, so they go with it.
* Azure OpenAI has no checkpoint-permission routes (its v1 and dated specs have none).
* OpenAI winds down self-serve fine-tuning: organisations that never fine-tuned could no
  longer create jobs from 2026-05-07, inactive ones from 2026-07-02, and every organisation from
  2027-01-06 (OpenAI's deprecations page). The create call then fails with 403 (users report
  "permission denied", e.g. ed-donner/llm_engineering#3258; the body is not documented), while
  existing jobs and fine-tuned models keep working until their base models retire.
"""

from __future__ import annotations

from ftmon.api import errors
from ftmon.api.models import is_final, normalise_status
from ftmon.api.status_rules import CONSEQUENCES, StatusRules

#: ``P`` on Azure, and ``ftmon perms`` there: said instead of sending anything.
NO_CHECKPOINT_SHARING = (
    "Azure OpenAI has no checkpoint sharing: checkpoint permissions are OpenAI's only"
)

#: What deleting a job does, said in the dialog and at ``ftmon delete``'s prompt.
DELETE_CONSEQUENCE = (
    "Azure OpenAI deletes the job's record: the job, its events and its checkpoints can no "
    "longer be read from the API; this cannot be undone. The fine-tuned model is not deleted "
    "(models and their deployments are deleted on their own), nor are the training files."
)


def consequence(rules: StatusRules, action: str) -> str:
    """What ``cancel``, ``pause`` or ``resume`` does to a run, said before it is asked for; on
    Azure OpenAI a pause also writes a deployable checkpoint (its fine-tuning docs, "Pause and
    resume")."""
    text = CONSEQUENCES[action]
    if action == "pause" and rules.pause_needs_step:
        text += f" {rules.label} writes a deployable checkpoint as it pauses."
    return text


def delete_refusal(rules: StatusRules, status: str | None) -> str | None:
    """Why the job cannot be deleted, in words; None when it can."""
    if not rules.deletes_jobs:
        return f"{rules.label} has no job delete (Azure OpenAI has)"
    if not is_final(status):
        shown = normalise_status(status) or "unknown"
        return f"only a finished job can be deleted; this one is {shown}"
    return None


#: The line said under a refused create once recognised as the wind-down.
CREATION_CLOSED = (
    "OpenAI no longer lets this organisation create fine-tuning jobs (self-serve fine-tuning "
    "is winding down; for every organisation from 2027-01-06). Existing jobs and fine-tuned "
    "models keep working until their base models retire; Azure OpenAI still fine-tunes "
    "(ftmon --azure)."
)


def creation_closed(exc: errors.FtmonApiError, rules: StatusRules) -> bool:
    """True when a job create was refused as OpenAI's wind-down refuses it: a 403 from OpenAI
    that names no missing scope (a restricted key without the fine-tuning scope is another
    problem, whose message says so and is kept as it is; Azure's 403s are its own roles')."""
    if exc.status_code != 403 or rules.provider != "openai":
        return False
    said = " ".join(filter(None, (exc.api_message, exc.api_code))).lower()
    return "scope" not in said
