"""``POST /_sim/jobs``: a job with the content a test chooses.

The body is a job object (any fields, any values, also off-spec ones such as ``"status":
"PENDING"`` or string timestamps) plus three optional keys:

* ``events``: a script, ``[{"offset_seconds", "message", "level", "type", "data"}]``;
* ``status_timeline``: ``[{"offset_seconds", "status", ...fields}]`` changes over time;
* ``lifecycle``: ``true`` or plan settings (``total_steps``, ``n_epochs``, ``seconds_per_step``,
  ``validate_seconds``, ``queue_seconds``, ``finalize_seconds``, ``pause_seconds``,
  ``metrics_every``, ``failure``) for a job that runs the automatic lifecycle instead of a script.

Fields given are served exactly as given (they override what the simulator would compute).
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from ftmon.sim.errors import bad_request
from ftmon.sim.eventlog import Note
from ftmon.sim.jobs import ERROR_STYLES, JobConfig, SimJob
from ftmon.sim.lifecycle import RunPlan
from ftmon.sim.script import StatusChange
from ftmon.sim.world_view import WorldView

RESERVED = ("events", "status_timeline", "lifecycle")
PLAN_KEYS = {f.name for f in dataclass_fields(RunPlan)} - {"created_at"}


def _number(spec: dict[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"'{key}' must be a number", param=key)
    return float(value)


def _notes(script: Any, created_at: float) -> list[Note]:
    if script is None:
        return []
    if not isinstance(script, list):
        raise bad_request("'events' must be a list", param="events")
    notes = []
    for index, item in enumerate(script):
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            raise bad_request(f"events[{index}] needs a string 'message'", param="events")
        offset = _number(item, "offset_seconds", 0.0)
        notes.append(
            Note(
                created_at + offset,
                str(item.get("level", "info")),
                item["message"],
                str(item.get("type", "message")),
                item.get("data"),
            )
        )
    return notes


def _timeline(value: Any) -> list[StatusChange]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("'status_timeline' must be a list", param="status_timeline")
    changes = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise bad_request(
                f"status_timeline[{index}] must be an object", param="status_timeline"
            )
        rest = {k: v for k, v in item.items() if k not in ("offset_seconds", "status")}
        changes.append(StatusChange(_number(item, "offset_seconds", 0.0), item.get("status"), rest))
    return changes


def _plan(value: Any, created_at: float) -> RunPlan:
    settings = {} if value is True else value
    if not isinstance(settings, dict):
        raise bad_request("'lifecycle' must be true or an object", param="lifecycle")
    unknown = set(settings) - PLAN_KEYS
    if unknown:
        raise bad_request(f"unknown lifecycle settings: {sorted(unknown)}", param="lifecycle")
    settings = {"total_steps": 30, "n_epochs": 3, **settings}
    try:
        return RunPlan(created_at=created_at, **settings)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"invalid lifecycle: {exc}", param="lifecycle") from None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def build_added_job(spec: Any, world: WorldView) -> SimJob:
    """A new job from a control request; the caller registers it."""
    if not isinstance(spec, dict):
        raise bad_request("the body must be a JSON object")
    now = world.now()
    job_id = spec.get("id") or world.new_job_id()
    if not isinstance(job_id, str):
        raise bad_request("'id' must be a string", param="id")
    if world.has_job(job_id):
        raise bad_request(f"a job with id {job_id} already exists", param="id")
    raw_created = spec.get("created_at", int(now))
    numeric = isinstance(raw_created, (int, float)) and not isinstance(raw_created, bool)
    created_at = float(raw_created) if numeric else float(int(now))
    training_file = spec.get("training_file")
    if not isinstance(training_file, str):
        training_file = world.make_training_file(job_id, created_at).id
    method = spec.get("method")
    if not isinstance(method, dict) or not isinstance(method.get(method.get("type")), dict):
        method = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": "auto"}}}
    suffix = spec.get("user_provided_suffix", spec.get("suffix"))
    config = JobConfig(
        id=job_id,
        model=str(spec.get("model", "gpt-4o-mini-2024-07-18")),
        training_file=training_file,
        organization_id=str(spec.get("organization_id", world.organization_id)),
        org_slug=world.org_slug,
        created_at=created_at,
        seed=spec["seed"] if isinstance(spec.get("seed"), int) else world.new_seed(job_id),
        method=method,
        validation_file=_str_or_none(spec.get("validation_file")),
        suffix=_str_or_none(suffix),
        metadata=spec["metadata"] if isinstance(spec.get("metadata"), dict) else None,
        integrations=spec["integrations"] if isinstance(spec.get("integrations"), list) else [],
        error_style=spec["error_style"] if spec.get("error_style") in ERROR_STYLES else "null",
    )
    if spec.get("lifecycle"):
        if "status" in spec or "events" in spec or "status_timeline" in spec:
            raise bad_request(
                "a lifecycle job takes no status, events or status_timeline (they are scripted "
                "jobs' settings)",
                param="lifecycle",
            )
        job = SimJob.auto(config, _plan(spec["lifecycle"], created_at), world)
    else:
        job = SimJob.scripted(
            config,
            world,
            status=str(spec.get("status", "running")),
            timeline=_timeline(spec.get("status_timeline")),
            notes=_notes(spec.get("events"), created_at),
        )
    skip = {*RESERVED, "id", "status", "error_style"}
    job.overrides = {k: v for k, v in spec.items() if k not in skip}
    return job
