"""The ``/_sim`` control routes: faults, scripted jobs, the clock, the wind-down and stats.

No auth."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from ftmon.sim.errors import bad_request, not_found
from ftmon.sim.params import Call, endpoint
from ftmon.sim.world import SimWorld

FAULT_FIELDS = ("kind", "count", "duration", "retry_after", "delay", "route", "method")


class ControlApi:
    """Test and demo controls of one world (outside the OpenAI namespace)."""

    def __init__(self, world: SimWorld) -> None:
        self.world = world

    def add_fault(self, call: Call) -> Any:
        body = call.body
        if not isinstance(body, dict) or "kind" not in body:
            raise bad_request('expected {"kind": ..., "count" or "duration": ...}', param="kind")
        unknown = set(body) - set(FAULT_FIELDS)
        if unknown:
            raise bad_request(f"unknown fault fields: {sorted(unknown)}")
        try:
            fault = self.world.faults.add(**body)
        except (TypeError, ValueError) as exc:
            raise bad_request(str(exc)) from None
        return fault.to_dict()

    def list_faults(self, call: Call) -> Any:
        return {"object": "list", "data": self.world.faults.active()}

    def clear_faults(self, call: Call) -> Any:
        return {"cleared": self.world.faults.clear()}

    def add_job(self, call: Call) -> Any:
        return self.world.add_job(call.body)

    def advance(self, call: Call) -> Any:
        body = call.body if isinstance(call.body, dict) else {}
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise bad_request('expected {"seconds": a number >= 0}', param="seconds")
        self.world.clock.advance(seconds)
        return {"now": self.world.tick()}

    def winddown(self, call: Call) -> Any:
        """``POST /_sim/winddown`` ``{"refuse_creates": true|false}``: refuse new jobs (403) as
        OpenAI's fine-tuning wind-down does, or stop refusing."""
        body = call.body if isinstance(call.body, dict) else {}
        refuse = body.get("refuse_creates")
        if not isinstance(refuse, bool) or set(body) != {"refuse_creates"}:
            raise bad_request('expected {"refuse_creates": true or false}', param="refuse_creates")
        with self.world.lock:
            self.world.refuse_creates = refuse
        return {"refuse_creates": refuse}

    def get_winddown(self, call: Call) -> Any:
        return {"refuse_creates": self.world.refuse_creates}

    def stats(self, call: Call) -> Any:
        return self.world.stats_snapshot()

    def reset_stats(self, call: Call) -> Any:
        self.world.stats.reset()
        return self.world.stats_snapshot()

    def events(self, call: Call) -> Any:
        return self.world.events_record(call.path["job_id"])

    def freeze(self, call: Call) -> Any:
        """``POST /_sim/jobs/{id}/freeze``: the running job trains no step until
        ``DELETE`` of the same route (it stays ``running``: a stall)."""
        return self.world.freeze_job(call.path["job_id"], True)

    def unfreeze(self, call: Call) -> Any:
        return self.world.freeze_job(call.path["job_id"], False)

    def queue(self, call: Call) -> Any:
        """``POST /_sim/jobs/{id}/queue`` ``{"seconds": N}``: a job not yet running stays N
        seconds longer in the queue."""
        body = call.body if isinstance(call.body, dict) else {}
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise bad_request('expected {"seconds": a number >= 0}', param="seconds")
        return self.world.stretch_queue(call.path["job_id"], float(seconds))

    def unknown(self, call: Call) -> Any:
        raise not_found("No such simulator control route.")

    def routes(self) -> list[Route]:
        table: list[tuple[str, str, Any, str]] = [
            ("POST", "/_sim/faults", self.add_fault, "json"),
            ("GET", "/_sim/faults", self.list_faults, "none"),
            ("DELETE", "/_sim/faults", self.clear_faults, "none"),
            ("POST", "/_sim/jobs", self.add_job, "json"),
            ("POST", "/_sim/jobs/{job_id}/freeze", self.freeze, "none"),
            ("DELETE", "/_sim/jobs/{job_id}/freeze", self.unfreeze, "none"),
            ("POST", "/_sim/jobs/{job_id}/queue", self.queue, "json"),
            ("POST", "/_sim/advance", self.advance, "json"),
            ("POST", "/_sim/winddown", self.winddown, "json"),
            ("GET", "/_sim/winddown", self.get_winddown, "none"),
            ("GET", "/_sim/stats", self.stats, "none"),
            ("DELETE", "/_sim/stats", self.reset_stats, "none"),
            ("GET", "/_sim/events/{job_id}", self.events, "none"),
        ]
        routes = [Route(path, endpoint(fn, body), methods=[m]) for m, path, fn, body in table]
        everything = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        routes.append(Route("/_sim/{rest:path}", endpoint(self.unknown), methods=everything))
        return routes
