"""Which actions a job's status allows, per provider: one table for every front end.

The footer, help, the palette, the confirmation dialogs and the headless commands all ask here,
so ftmon never offers what the API would refuse with a 400 (pausing a queued job was offered
before this table existed) and every dialog says truthfully what "no" keeps ("Keep it paused").

OpenAI (API reference, "Pause fine-tuning" / "Resume fine-tuning"; the simulator refuses the
same): a job can be paused only while ``running``, resumed only while ``paused``, cancelled in
any state that is not final. Azure OpenAI (its fine-tuning docs, "Pause and resume"): the same,
with its extra statuses ``created``, ``pending`` and ``resuming``, and a pause only once the job
has trained at least one step (pausing writes a deployable checkpoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ftmon.api.models import FINAL_STATUSES, normalise_status
from ftmon.config import Settings

#: What each action (cancel, pause, resume) does to a run, said in the dialog that asks for it.
CONSEQUENCES: dict[str, str] = {
    "cancel": "Training stops for good: a cancelled job cannot be resumed, and the steps it has "
    "not run are lost.",
    "pause": "Training stops at the next step and the job waits, paused, until you resume it.",
    "resume": "Training continues from where it paused, and billing with it.",
}

#: Every status of either provider in the order a job meets them.
LIFECYCLE = (
    "created",
    "pending",
    "validating_files",
    "queued",
    "running",
    "pausing",
    "paused",
    "resuming",
    "cancelling",
    "succeeded",
    "failed",
    "cancelled",
)
#: The statuses of a job that has not begun training: no step, no checkpoint yet.
BEFORE_TRAINING = frozenset(LIFECYCLE[: LIFECYCLE.index("running")])

#: How a status reads after "Keep it …" in a dialog's "no" button.
_KEEP_WORDS = {
    "validating_files": "validating",
    "queued": "queued",
    "pending": "queued",
    "created": "queued",
    "running": "running",
    "pausing": "pausing",
    "paused": "paused",
    "resuming": "resuming",
    "cancelling": "cancelling",
}


@dataclass(frozen=True)
class StatusRules:
    """The statuses from which a provider's API accepts each action."""

    provider: str
    #: The provider's own name, as said to the user.
    label: str
    final: frozenset[str]
    cancellable: frozenset[str]
    pausable: frozenset[str]
    resumable: frozenset[str]
    #: A pause needs a trained step (Azure).
    pause_needs_step: bool = False
    #: The provider shares checkpoints with other projects (OpenAI's checkpoint permissions).
    shares_checkpoints: bool = True
    #: The provider deletes a finished job (Azure: ``DELETE /fine_tuning/jobs/{id}``).
    deletes_jobs: bool = False

    def statuses(self) -> list[str]:
        """Every status this provider's jobs can have, in the order a job meets them."""
        known = self.final | self.cancellable | self.pausable | self.resumable
        return [s for s in LIFECYCLE if s in known] + sorted(known - set(LIFECYCLE))

    def allows(self, action: str, status: str | None, *, steps_done: int | None = None) -> bool:
        """True when the API would accept ``action`` for a job in ``status``.

        ``steps_done`` is the job's last trained step when known; unknown never hides an action
        that the status allows (the API then judges).
        """
        return self.refusal(action, status, steps_done=steps_done) is None

    def refusal(
        self, action: str, status: str | None, *, steps_done: int | None = None
    ) -> str | None:
        """Why the API would refuse ``action`` for a job in ``status``, in words; None if not."""
        folded = normalise_status(status)
        shown = folded or "unknown"
        if action == "cancel":
            if folded in self.cancellable:
                return None
            if folded in self.final:
                return f"the job has already {shown}"
            return f"{self.label} does not cancel a job that is {shown}"
        if action == "pause":
            if folded not in self.pausable:
                return f"{self.label} pauses only running jobs; this one is {shown}"
            if self.pause_needs_step and steps_done is not None and steps_done < 1:
                return f"{self.label} pauses a job only after it has trained a step"
            return None
        if action == "resume":
            if folded in self.resumable:
                return None
            return f"only a paused job can be resumed; this one is {shown}"
        return f"unknown action {action}"

    def keep_label(self, status: str | None) -> str:
        """The "no" of a dialog: what declining keeps ("Keep it paused")."""
        word = _KEEP_WORDS.get(normalise_status(status))
        return f"Keep it {word}" if word else "Keep the job as it is"


OPENAI = StatusRules(
    provider="openai",
    label="OpenAI",
    final=FINAL_STATUSES,
    cancellable=frozenset(
        {"validating_files", "queued", "pending", "running", "pausing", "paused"}
    ),
    pausable=frozenset({"running"}),
    resumable=frozenset({"paused"}),
)

AZURE = StatusRules(
    provider="azure",
    label="Azure OpenAI",
    final=FINAL_STATUSES,
    cancellable=frozenset(
        {
            "created",
            "pending",
            "validating_files",
            "queued",
            "running",
            "pausing",
            "paused",
            "resuming",
        }
    ),
    pausable=frozenset({"running"}),
    resumable=frozenset({"paused"}),
    pause_needs_step=True,
    shares_checkpoints=False,
    deletes_jobs=True,
)

#: Host names of Azure OpenAI endpoints (resource names are the first label).
_AZURE_HOST_SUFFIXES = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
)


def rules_for(base_url: str, auth_header: str = "bearer") -> StatusRules:
    """The rules of the provider behind ``base_url``: Azure by its host or its ``api-key``
    header, OpenAI (and any compatible server) otherwise."""
    host = (urlsplit(base_url).hostname or "").lower()
    if auth_header == "api-key" or host.endswith(_AZURE_HOST_SUFFIXES):
        return AZURE
    return OPENAI


def provider_rules(settings: Settings) -> StatusRules:
    """The rules for these settings: Azure when the provider is set to it, else by the URL and
    header (:func:`rules_for`)."""
    if settings.provider == "azure":
        return AZURE
    return rules_for(settings.base_url, settings.auth_header)
