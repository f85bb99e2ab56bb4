"""A small API that serves the hostile corpus where a client will meet it.

* ``job`` payloads are jobs in the list (and answer their own retrieve);
* ``event`` and ``checkpoint`` payloads are the events / checkpoints of a carrier job each;
* ``error`` payloads answer a carrier job's events request with that status, headers and body;
* a ``page`` payload replaces the whole job list;
* ``GET /models`` lists every model a job or a checkpoint names (hostile names among them) and
  one model made elsewhere per hazard of the corpus, owned by the hazard; a delete answers yes.

Every carrier is an ordinary running job whose suffix names its payload, so a person reading a
screen (or a failure) knows what they are looking at. It is an ``httpx.MockTransport``: the
client, the engine and the app run unchanged on top of it, in process or in a pty probe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from corpus import HAZARDS, Payload, base_checkpoint, base_event, base_job
from support.simkit import SIM_START as NOW

GOOD_ID = "ftjob-neighbour-good"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    raw = json.dumps(body).encode()
    return httpx.Response(
        status, content=raw, headers={"content-type": "application/json", **(headers or {})}
    )


def _page(items: list[Any]) -> dict[str, Any]:
    return {"object": "list", "data": items, "has_more": False}


@dataclass
class HostileApi:
    """The routes of the fine-tuning API, answering from a list of payloads."""

    payloads: list[Payload]
    now: int = NOW
    #: Jobs as listed, newest first; carriers and the job payloads.
    jobs: list[Any] = field(default_factory=list)
    events: dict[str, list[Any]] = field(default_factory=dict)
    checkpoints: dict[str, list[Any]] = field(default_factory=dict)
    errors: dict[str, Payload] = field(default_factory=dict)
    carrier_of: dict[str, str] = field(default_factory=dict)  # payload name -> job id
    page: Payload | None = None
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    neighbour: bool = True

    def __post_init__(self) -> None:
        for index, payload in enumerate(self.payloads):
            self._place(index, payload)
        if self.neighbour:
            self.jobs.append(base_job(GOOD_ID, self.now - 5000))

    def _carrier(self, index: int, payload: Payload, prefix: str) -> str:
        job_id = f"ftjob-{prefix}-{index:03d}"
        body = base_job(job_id, self.now - 4000 + index)
        body["suffix"] = body["user_provided_suffix"] = payload.name[:60]
        self.jobs.append(body)
        self.carrier_of[payload.name] = job_id
        return job_id

    def _place(self, index: int, payload: Payload) -> None:
        if payload.kind == "job":
            self.jobs.append(payload.body)
            job_id = payload.body.get("id") if isinstance(payload.body, dict) else None
            if isinstance(job_id, str):
                self.carrier_of[payload.name] = job_id
        elif payload.kind == "event":
            self.events[self._carrier(index, payload, "ev")] = payload.body
        elif payload.kind == "checkpoint":
            job_id = self._carrier(index, payload, "ck")
            self.checkpoints[job_id] = payload.body
        elif payload.kind == "error":
            self.errors[self._carrier(index, payload, "er")] = payload
        elif payload.kind == "page":
            self.page = payload

    # -- serving -----------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.raw_path.decode("ascii").split("?", 1)[0])
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append((request.method, path, headers))
        rest = path.split("/v1/", 1)[-1]
        parts = rest.split("/")
        if parts[:2] == ["fine_tuning", "jobs"]:
            return self._jobs_route(parts[2:])
        if parts[:2] == ["fine_tuning", "checkpoints"] and parts[-1] == "permissions":
            return _json(
                _page(
                    [
                        {
                            "id": "cp_1",
                            "object": "checkpoint.permission",
                            "created_at": self.now,
                            "project_id": "proj_[/]\x1b]0;x\x07",
                        }
                    ]
                )
            )
        if parts[:1] == ["models"]:
            return self._models_route(request.method, parts[1:])
        if parts[:1] == ["files"] and parts[-1] == "content":
            return httpx.Response(200, content=b"step,train_loss\n1,0.5\n2,0.4\n")
        return _json({"error": {"message": "no such route", "code": None}}, 404)

    def models(self) -> list[dict[str, Any]]:
        """Every model named by a job or a checkpoint, and one from elsewhere per hazard."""
        names: list[str] = []
        for job in self.jobs:
            if isinstance(job, dict) and isinstance(job.get("fine_tuned_model"), str):
                names.append(job["fine_tuned_model"])
        for found in self.checkpoints.values():
            for checkpoint in found if isinstance(found, list) else ():
                name = (
                    checkpoint.get("fine_tuned_model_checkpoint")
                    if isinstance(checkpoint, dict)
                    else None
                )
                if isinstance(name, str):
                    names.append(name)
        listed = [
            {"id": name, "object": "model", "created": self.now - 60, "owned_by": "org-hostile"}
            for name in dict.fromkeys(names)
        ]
        for index, (hname, hazard) in enumerate(HAZARDS.items()):
            listed.append(
                {
                    "id": f"ft:gpt-4o-mini-2024-07-18:org-hostile:{hazard[:300]}:x{index}",
                    "object": "model",
                    "created": self.now - 120 - index,
                    "owned_by": f"{hname} {hazard[:300]}",
                }
            )
        return listed

    def _models_route(self, method: str, rest: list[str]) -> httpx.Response:
        if not rest or rest == [""]:
            return _json({"object": "list", "data": self.models()})
        name = "/".join(rest)
        if method == "DELETE":
            return _json({"id": name, "object": "model", "deleted": True})
        return _json({"id": name, "object": "model", "created": self.now, "owned_by": "x"})

    def _jobs_route(self, rest: list[str]) -> httpx.Response:
        if not rest or rest == [""]:
            if self.page is not None:
                return httpx.Response(
                    200, content=self.page.body, headers={"content-type": "application/json"}
                )
            return _json(_page(self.jobs))
        job_id = rest[0]
        tail = rest[1:]
        if not tail:
            job = self._find(job_id)
            if job is None:
                return _json({"error": {"message": f"no job {job_id[:80]}", "code": None}}, 404)
            return _json(job)
        if tail == ["events"]:
            if job_id in self.errors:
                payload = self.errors[job_id]
                return httpx.Response(
                    payload.status,
                    content=payload.body,
                    headers={"content-type": "application/json", **payload.headers},
                )
            default = [base_event(2, self.now - 30), base_event(1, self.now - 60)]
            return _json(_page(self.events.get(job_id, default)))
        if tail == ["checkpoints"]:
            default = [base_checkpoint(1, self.now - 30, job_id)]
            return _json(_page(self.checkpoints.get(job_id, default)))
        if tail and tail[-1] in ("cancel", "pause", "resume"):
            job = self._find(job_id)
            return _json(job) if job is not None else _json({"error": None}, 404)
        return _json({"error": {"message": "no such route"}}, 404)

    def _find(self, job_id: str) -> Any:
        for job in self.jobs:
            if isinstance(job, dict) and job.get("id") == job_id:
                return job
        return None
