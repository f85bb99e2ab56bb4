"""Pydantic models of the fine-tuning and files API, tolerant of what real deployments send.

Every model keeps unknown fields (``extra="allow"``) so that nothing a server adds is lost, and
every enum-like field is a plain ``str`` so that ``paused``, ``pending``, ``SUCCESS`` or
tomorrow's status pass through as they are. Timestamps accept ints, floats, numeric strings and
ISO 8601 strings (Azure); lists accept ``null``.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


def normalise_status(status: str | None) -> str:
    """A status folded for comparisons: lower case, ``canceled`` spelled as OpenAI spells it."""
    folded = (status or "").strip().lower()
    return "cancelled" if folded == "canceled" else folded


def is_final(status: str | None) -> bool:
    """True for a job that will never change again (so is never polled again)."""
    return normalise_status(status) in FINAL_STATUSES


#: Past this a number is in milliseconds, not seconds (1e11 s is the year 5138).
_MILLIS_THRESHOLD = 100_000_000_000


def _seconds(number: float) -> int | None:
    if not math.isfinite(number):
        return None
    if abs(number) >= _MILLIS_THRESHOLD:
        number /= 1000
    return int(number)


def _to_timestamp(value: Any) -> int | None:
    """Unix seconds from an int, float, numeric string or ISO 8601 string; None if unreadable.

    Milliseconds are scaled to seconds; an ISO time without a zone is taken as UTC.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _seconds(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return _seconds(float(text))
        except ValueError:
            pass
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return int(when.timestamp())
    return None


def _to_list(value: Any) -> Any:
    """``null`` where a list is expected becomes an empty list."""
    return [] if value is None else value


def _to_str(value: Any) -> Any:
    """Scalars that should be strings are kept as strings; None stays None.

    A list or object where text belongs is shown as its compact JSON rather than refused, so
    one odd field cannot make a whole job (and the page it came on) unreadable.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    if isinstance(value, (list, dict)):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)[:2000]
        except (TypeError, ValueError, RecursionError):
            return None
    return value


def _to_id(value: Any) -> Any:
    """An id: a string, or a number taken as its string; anything else is refused."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _to_str_list(value: Any) -> Any:
    """A list of strings from a list of anything, a lone string, or nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return []
    return [text for text in (_to_str(item) for item in value) if isinstance(text, str)]


def _to_int(value: Any) -> int | None:
    """Whole numbers from ints, floats and numeric strings; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) else None


_FALSE_WORDS = frozenset({"", "0", "false", "no", "off", "null", "none"})


def _to_bool(value: Any) -> bool:
    """``"false"`` is false: a plain ``bool()`` would call every non-empty string true."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


Timestamp = Annotated[int | None, BeforeValidator(_to_timestamp)]
LooseStr = Annotated[str | None, BeforeValidator(_to_str)]
LooseInt = Annotated[int | None, BeforeValidator(_to_int)]
LooseBool = Annotated[bool, BeforeValidator(_to_bool)]
#: An id: required, but a number is taken as its string.
Id = Annotated[str, BeforeValidator(_to_id)]


class ApiModel(BaseModel):
    """Base: keep unknown fields, accept field names as given."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# A hyperparameter is "auto", a number, or something a future server invents.
HyperValue = Any


class JobError(ApiModel):
    code: LooseStr = None
    message: LooseStr = None
    param: LooseStr = None

    @property
    def is_error(self) -> bool:
        """An error object counts only when it says something (``{}`` and all-null do not)."""
        return bool(self.code or self.message)


def _to_error(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        return {"message": value}
    return None


class Hyperparameters(ApiModel):
    """Hyperparameters of any method; unknown ones are kept as extra fields."""

    batch_size: HyperValue = None
    learning_rate_multiplier: HyperValue = None
    n_epochs: HyperValue = None
    beta: HyperValue = None
    reasoning_effort: HyperValue = None
    compute_multiplier: HyperValue = None
    eval_interval: HyperValue = None
    eval_samples: HyperValue = None

    def present(self) -> dict[str, Any]:
        """The hyperparameters that were actually sent, known and unknown, in a stable order."""
        values = {k: v for k, v in self.model_dump().items() if v is not None}
        return values


def _dict_or_none(value: Any) -> Any:
    return value if isinstance(value, dict) or value is None else None


def _dict_or_empty_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts_only(value: Any) -> list[Any]:
    """A list of objects; ``null`` is empty and stray non-objects are dropped."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


class MethodDetail(ApiModel):
    hyperparameters: Annotated[Hyperparameters | None, BeforeValidator(_dict_or_none)] = None
    grader: Annotated[dict[str, Any] | None, BeforeValidator(_dict_or_none)] = None


class Method(ApiModel):
    type: LooseStr = None
    supervised: Annotated[MethodDetail | None, BeforeValidator(_dict_or_none)] = None
    dpo: Annotated[MethodDetail | None, BeforeValidator(_dict_or_none)] = None
    reinforcement: Annotated[MethodDetail | None, BeforeValidator(_dict_or_none)] = None

    def detail(self) -> MethodDetail | None:
        """The block of the method named by ``type`` (``method.<type>``), if present."""
        name = (self.type or "").lower()
        value = (
            getattr(self, name, None) if name in {"supervised", "dpo", "reinforcement"} else None
        )
        if value is None and self.model_extra and isinstance(self.model_extra.get(name), dict):
            return MethodDetail.model_validate(self.model_extra[name])
        return value


class WandbSettings(ApiModel):
    project: LooseStr = None
    name: LooseStr = None
    entity: LooseStr = None
    tags: Annotated[list[LooseStr], BeforeValidator(_to_list)] = Field(default_factory=list)


class Integration(ApiModel):
    type: LooseStr = None
    wandb: Annotated[WandbSettings | None, BeforeValidator(_dict_or_none)] = None


class FineTuningJob(ApiModel):
    """A ``fine_tuning.job``; every field but ``id`` may be missing or odd."""

    id: Id
    object: LooseStr = "fine_tuning.job"
    created_at: Timestamp = None
    finished_at: Timestamp = None
    estimated_finish: Timestamp = None
    model: LooseStr = None
    fine_tuned_model: LooseStr = None
    organization_id: LooseStr = None
    status: LooseStr = None
    training_file: LooseStr = None
    validation_file: LooseStr = None
    result_files: Annotated[list[str], BeforeValidator(_to_str_list)] = Field(default_factory=list)
    trained_tokens: LooseInt = None
    seed: LooseInt = None
    suffix: LooseStr = None
    user_provided_suffix: LooseStr = None
    error: Annotated[JobError | None, BeforeValidator(_to_error)] = None
    hyperparameters: Annotated[Hyperparameters | None, BeforeValidator(_dict_or_none)] = None
    method: Annotated[Method | None, BeforeValidator(_dict_or_none)] = None
    integrations: Annotated[list[Integration], BeforeValidator(_dicts_only)] = Field(
        default_factory=list
    )
    metadata: Annotated[dict[str, Any] | None, BeforeValidator(_dict_or_none)] = None

    @property
    def status_key(self) -> str:
        return normalise_status(self.status)

    @property
    def is_final(self) -> bool:
        return is_final(self.status)

    @property
    def has_error(self) -> bool:
        return self.error is not None and self.error.is_error

    @property
    def method_type(self) -> str:
        """The method type the server names; supervised when it names none."""
        if self.method and self.method.type:
            return self.method.type
        return "supervised"

    @property
    def effective_hyperparameters(self) -> Hyperparameters | None:
        """``method.<type>.hyperparameters`` where present, else the top-level ones."""
        detail = self.method.detail() if self.method else None
        if detail and detail.hyperparameters is not None:
            return detail.hyperparameters
        return self.hyperparameters

    @property
    def display_suffix(self) -> str | None:
        """The user's suffix: ``suffix``, ``user_provided_suffix``, or from the model name."""
        if self.suffix:
            return self.suffix
        if self.user_provided_suffix:
            return self.user_provided_suffix
        # ft:<base>:<org>:<suffix>:<id>
        parts = (self.fine_tuned_model or "").split(":")
        if len(parts) == 5 and parts[0] == "ft" and parts[3]:
            return parts[3]
        return None


def _dict_or_empty(value: Any) -> Any:
    return value if isinstance(value, dict) else None


class FineTuningJobEvent(ApiModel):
    id: LooseStr = None
    object: LooseStr = "fine_tuning.job.event"
    created_at: Timestamp = None
    level: LooseStr = "info"
    message: LooseStr = ""
    type: LooseStr = None
    data: Annotated[dict[str, Any] | None, BeforeValidator(_dict_or_empty)] = None

    @property
    def dedupe_key(self) -> tuple[int | None, str]:
        """Event ids have been unstable on some deployments; this pair is not."""
        return (self.created_at, self.message or "")

    @property
    def is_metrics(self) -> bool:
        return (self.type or "").lower() == "metrics" or (
            bool(self.data) and "step" in (self.data or {}) and "train_loss" in (self.data or {})
        )


class CheckpointMetrics(ApiModel):
    step: float | None = None
    train_loss: float | None = None
    train_mean_token_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _loose_float(cls, value: Any) -> float | None:
        if isinstance(value, bool) or value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):  # an int past the float range
            return None

    def present(self) -> dict[str, float]:
        """Every metric with a value, known and unknown."""
        values = {k: v for k, v in self.model_dump().items() if isinstance(v, (int, float))}
        return values


class FineTuningJobCheckpoint(ApiModel):
    id: Id
    object: LooseStr = "fine_tuning.job.checkpoint"
    created_at: Timestamp = None
    fine_tuned_model_checkpoint: LooseStr = None
    fine_tuning_job_id: LooseStr = None
    step_number: LooseInt = None
    metrics: Annotated[CheckpointMetrics, BeforeValidator(_dict_or_empty_dict)] = Field(
        default_factory=CheckpointMetrics
    )


class CheckpointPermission(ApiModel):
    id: Id
    object: LooseStr = "checkpoint.permission"
    created_at: Timestamp = None
    project_id: LooseStr = None


class DeletedPermission(ApiModel):
    id: Id
    object: LooseStr = "checkpoint.permission"
    deleted: LooseBool = True


class FileObject(ApiModel):
    id: Id
    object: LooseStr = "file"
    bytes: LooseInt = None
    created_at: Timestamp = None
    expires_at: Timestamp = None
    filename: LooseStr = None
    purpose: LooseStr = None
    status: LooseStr = None
    status_details: LooseStr = None


class DeletedFile(ApiModel):
    id: Id
    object: LooseStr = "file"
    deleted: LooseBool = True


class Model(ApiModel):
    """One entry of ``GET /models``: a base model or one of the organisation's fine-tuned ones."""

    id: Id
    object: LooseStr = "model"
    created: Timestamp = None
    owned_by: LooseStr = None
    #: A date (``2026-10-23``) when the model will stop answering, or None when not announced.
    shutdown_date: LooseStr = None


class DeletedModel(ApiModel):
    id: Id
    object: LooseStr = "model"
    deleted: LooseBool = True


T = TypeVar("T", bound=BaseModel)


class Page(ApiModel, Generic[T]):
    """One page of a list; ``after`` of the next page is the id of the last item."""

    object: LooseStr = "list"
    data: Annotated[list[T], BeforeValidator(_to_list)] = Field(default_factory=list)
    has_more: LooseBool = False
    first_id: LooseStr = None
    last_id: LooseStr = None
    #: Items left out because they could not be read at all (no usable id, say).
    unreadable: int = Field(default=0, exclude=True)
    #: The id of the last item as sent, when that item was one of the unreadable ones.
    cursor: str | None = Field(default=None, exclude=True)

    @property
    def next_after(self) -> str | None:
        """The cursor for the next page, or None when there is none.

        The id of the last item on this page, as the API documents ``after``; ``last_id`` only
        when the items carry no id.
        """
        if not self.has_more or not (self.data or self.cursor):
            return None
        if self.cursor:
            return self.cursor
        last = getattr(self.data[-1], "id", None)
        return last or self.last_id


# -- graders (the alpha endpoints) ---------------------------------------------------------------


def finite_number(value: Any) -> float | None:
    """A number from an int, float or numeric string; None for anything else or not finite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # an int past the float range (10**309)
        return None
    return number if math.isfinite(number) else None


LooseFloat = Annotated[float | None, BeforeValidator(finite_number)]
#: An object of anything (``null`` and non-objects read as ``{}``).
LooseDict = Annotated[dict[str, Any], BeforeValidator(_dict_or_empty_dict)]


class ValidateGraderResponse(ApiModel):
    """``POST /fine_tuning/alpha/graders/validate``: the grader as the API understood it."""

    grader: Annotated[dict[str, Any] | None, BeforeValidator(_dict_or_none)] = None


class GraderRunErrors(ApiModel):
    """What went wrong while a grader ran: boolean flags and a few detail strings.

    The flag names change with the grader kinds (``python_grader_runtime_error``,
    ``..._details``...): none is declared, every one is kept in the order sent, and
    :meth:`raised` reads them all.
    """

    def raised(self) -> tuple[list[str], dict[str, str]]:
        """The flags that are set (true), and the details that say something, by name."""
        flags: list[str] = []
        details: dict[str, str] = {}
        for name, value in (self.model_extra or {}).items():
            if isinstance(value, bool) or name.endswith("_error"):
                if value is not None and _to_bool(value):  # "false" is false
                    flags.append(name)
            elif value not in (None, "", [], {}):
                details[name] = value if isinstance(value, str) else str(value)
        return flags, details


class GraderRunMetadata(ApiModel):
    name: LooseStr = None
    type: LooseStr = None
    errors: Annotated[GraderRunErrors, BeforeValidator(_dict_or_empty_dict)] = Field(
        default_factory=GraderRunErrors
    )
    execution_time: LooseFloat = None
    scores: LooseDict = Field(default_factory=dict)
    #: The schema says an integer; the upstream example sends an object of token counts.
    token_usage: Any = None
    sampled_model_name: LooseStr = None


class RunGraderResponse(ApiModel):
    """``POST /fine_tuning/alpha/graders/run``: the reward of one sample, and how it came."""

    reward: LooseFloat = None
    metadata: Annotated[GraderRunMetadata, BeforeValidator(_dict_or_empty_dict)] = Field(
        default_factory=GraderRunMetadata
    )
    sub_rewards: LooseDict = Field(default_factory=dict)
    model_grader_token_usage_per_model: LooseDict = Field(default_factory=dict)
