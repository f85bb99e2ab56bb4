"""The simulated OpenAI account: jobs, files, permissions, faults and stats on one clock.

State is derived lazily: each call first brings the active jobs up to the clock's ``now``
(:meth:`SimWorld.tick`), so there are no background tasks and a frozen clock means a frozen world.
All public methods are thread-safe (the TCP server runs in its own thread).
"""

from __future__ import annotations

import bisect
import gc
import itertools
import math
import threading
from typing import Any

from ftmon.sim.added_jobs import build_added_job
from ftmon.sim.clock import SimClock
from ftmon.sim.create import CreateContext, build_created_job
from ftmon.sim.errors import ApiError, bad_request, not_found
from ftmon.sim.faults import FaultInjector
from ftmon.sim.files import PURPOSES, FileRecord, FileStore
from ftmon.sim.ids import digest_int, token
from ftmon.sim.jobs import SimJob
from ftmon.sim.lifecycle import Lifecycle
from ftmon.sim.models import ModelRegistry, base_model_refused
from ftmon.sim.permissions import PermissionStore
from ftmon.sim.results import ResultsCsv
from ftmon.sim.seed_world import populate
from ftmon.sim.stats import SimStats
from ftmon.sim.training_data import training_jsonl
from ftmon.sim.winddown import creation_refused

SCENARIOS = ("default", "big", "empty")
FLAVORS = ("openai", "azure")
BIG_EVENTS_JOB_ID = "ftjob-big-events"
BIG_REWARDS_JOB_ID = "ftjob-big-rewards"
NO_METADATA = "null"  # the value of ``metadata=null``: jobs without metadata


class SimWorld:
    """A seeded world; ``scenario`` is ``default`` (15 varied jobs), ``big`` or ``empty``.

    ``flavor`` is whose API the simulator serves: ``openai`` (``/v1/...``) or ``azure`` (Azure
    OpenAI's routes, keys, statuses and errors; see :mod:`ftmon.sim.azure`). The jobs are the same.
    ``refuse_creates`` makes ``POST /fine_tuning/jobs`` answer as OpenAI's fine-tuning wind-down
    does (see :mod:`ftmon.sim.winddown`).
    """

    BIG_EVENTS_JOB_ID = BIG_EVENTS_JOB_ID
    BIG_REWARDS_JOB_ID = BIG_REWARDS_JOB_ID

    def __init__(
        self,
        seed: int = 7,
        clock: SimClock | None = None,
        scenario: str = "default",
        *,
        flavor: str = "openai",
        refuse_creates: bool = False,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r}; choose from {', '.join(FLAVORS)}")
        self.seed = seed
        self.flavor = flavor
        self.refuse_creates = refuse_creates
        self._entra_tokens: dict[str, float] = {}  # Entra ID bearer token -> expires_on
        self.clock = clock or SimClock()
        self.scenario = scenario
        self.lock = threading.RLock()
        self.faults = FaultInjector()
        self.stats = SimStats()
        self.files = FileStore()
        self.permissions = PermissionStore(seed)
        self.organization_id = "org-" + token(seed, "organization")
        self.org_slug = "acme-ml"
        self.highlights: dict[str, str] = {}  # ids worth knowing, shown in /_sim/stats
        self._jobs: dict[str, SimJob] = {}
        self._order: list[tuple[int, int, str]] = []  # ascending (created_at, seq, id)
        self._active: dict[str, None] = {}  # jobs that may still change, in insertion order
        self._names: dict[str, str] = {}  # fine-tuned model / checkpoint name -> job id
        self._counters: dict[str, itertools.count[int]] = {}
        self.models = ModelRegistry(self.organization_id, self.org_slug, self.clock.now(), seed)
        if scenario != "empty":
            # A fine-tuned model of the organisation whose job this world does not know (made in
            # another project, or before its job was deleted): `ftmon models` marks it.
            self.highlights["foreign_model"] = self.models.add_foreign(
                "gpt-4o-mini-2024-07-18", "helpdesk-legacy", self.clock.now() - 400 * 86400
            )
        collecting = gc.isenabled()
        gc.disable()  # the big world makes ~10**5 small objects; GC passes would double the cost
        try:
            with self.lock:
                populate(self, scenario)
                self._order.sort()
                self.tick()
        finally:
            if collecting:
                gc.enable()
        if scenario == "big":
            # Hundreds of thousands of long-lived objects would make every full collection walk
            # them all (0.3 s a time, triggered by ordinary page rendering); they live as long as
            # the world, so take them out of the collector's sight.
            gc.freeze()

    # -- plumbing -------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def _next(self, name: str) -> int:
        return next(self._counters.setdefault(name, itertools.count(1)))

    def new_job_id(self) -> str:
        return "ftjob-" + token(self.seed, "job", self._next("job"))

    def new_file_id(self) -> str:
        return "file-" + token(self.seed, "file", self._next("file"), length=22)

    def new_seed(self, job_id: str) -> int:
        return digest_int(self.seed, "job-seed", job_id) % 2147483648

    def next_request_id(self) -> str:
        number = digest_int(self.seed, "request", self._next("request")) & ((1 << 128) - 1)
        return f"req_{number:032x}"

    def mint_entra_token(self, lifetime_seconds: float) -> tuple[str, float]:
        """A Microsoft Entra ID access token the azure flavour accepts until it expires.

        Returns ``(token, expires_on)``, ``expires_on`` in this world's clock seconds (as
        ``azure.core.credentials.AccessToken.expires_on`` is in epoch seconds). The azure flavour
        answers a bearer token it did not mint, or one past ``expires_on``, with 401.
        """
        if not lifetime_seconds > 0:
            raise ValueError("lifetime_seconds must be > 0")
        with self.lock:
            number = self._next("entra")
            body = token(self.seed, "entra", number, length=24)
            minted = f"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.sim-entra-{number}.{body}"
            expires_on = self.now() + lifetime_seconds
            self._entra_tokens[minted] = expires_on
            return minted, expires_on

    def entra_token_valid(self, bearer: str) -> bool:
        """Whether ``bearer`` is a token of :meth:`mint_entra_token` that has not expired."""
        with self.lock:
            expires_on = self._entra_tokens.get(bearer)
            return expires_on is not None and self.now() < expires_on

    def register(self, job: SimJob, *, keep_sorted: bool = True) -> SimJob:
        """Add a job (seeding uses ``keep_sorted=False`` and sorts once at the end)."""
        if job.id in self._jobs:
            raise ValueError(f"duplicate job id {job.id}")
        self._jobs[job.id] = job
        key = (job.created_at, len(self._jobs), job.id)
        job.order_key = key
        if keep_sorted:
            bisect.insort(self._order, key)
        else:
            self._order.append(key)
        self._active[job.id] = None
        return job

    def tick(self) -> float:
        """Bring every job that can still change up to now; returns now."""
        with self.lock:
            now = self.now()
            finished = []
            for job_id in self._active:
                job = self._jobs[job_id]
                job.sync(now)
                if not job.active and job.created_at <= now:
                    finished.append(job_id)
            for job_id in finished:
                del self._active[job_id]
            return now

    def _touch(self, job: SimJob) -> None:
        if job.active:
            self._active[job.id] = None

    # -- hooks called by jobs -------------------------------------------------------------

    def checkpoint_created(self, job: SimJob, name: str) -> None:
        self._names[name] = job.id

    def checkpoint_pruned(self, job: SimJob, name: str) -> None:
        self._names.pop(name, None)

    def job_succeeded(self, job: SimJob, t: float) -> list[str]:
        self._names[job.model_name] = job.id
        progress = job.progress
        assert isinstance(progress, Lifecycle) and job.method is not None
        csv = ResultsCsv(
            job.method.csv_shape(),
            progress.total_steps,
            job.method.csv_every(progress.plan.metrics_every),
            base64_encoded=job.config.base64_results,
        )
        record = FileRecord(
            id="file-" + token(job.id, "results", length=22),
            filename="step_metrics.csv",
            purpose="fine-tune-results",
            created_at=int(t),
            size=csv.size(),
            source=csv.render,
        )
        self.files.add(record)
        return [record.id]

    # -- jobs -----------------------------------------------------------------------------

    def has_job(self, job_id: str) -> bool:
        return job_id in self._jobs

    def job(self, job_id: str) -> SimJob:
        """A job that exists now (404 otherwise); state as of the last tick."""
        job = self._jobs.get(job_id)
        if job is None or job.created_at > self.now():
            raise not_found(
                f"Could not find fine-tuning job: {job_id}",
                param="fine_tuning_job_id",
                code="fine_tuning_job_not_found",
            )
        return job

    def get_job(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            self.tick()
            return self.job(job_id).to_dict()

    def list_jobs(
        self,
        *,
        after: str | None = None,
        limit: int = 20,
        metadata: dict[str, str] | str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest first; ``metadata`` is a dict to match, or ``"null"`` for jobs without any."""
        with self.lock:
            now = self.tick()
            stop = bisect.bisect_right(self._order, (now, math.inf))
            if after is not None:
                anchor = self._jobs.get(after)
                if anchor is None:
                    raise bad_request(f"No fine-tuning job found with id {after}", param="after")
                stop = min(stop, bisect.bisect_left(self._order, anchor.order_key))
            page: list[dict[str, Any]] = []
            for index in range(stop - 1, -1, -1):
                job = self._jobs[self._order[index][2]]
                if not _metadata_matches(job.metadata, metadata):
                    continue
                if len(page) == limit:
                    return page, True
                page.append(job.to_dict())
            return page, False

    def job_count(self) -> int:
        return len(self._jobs)

    def _context(self, now: float) -> CreateContext:
        return CreateContext(
            now=now,
            find_file=lambda file_id: self.files.find(file_id, now),
            is_fine_tuned_model=lambda name: name in self._names,
            new_job_id=self.new_job_id,
            new_seed=self.new_seed,
            organization_id=self.organization_id,
            org_slug=self.org_slug,
        )

    def create_job(self, body: Any) -> dict[str, Any]:
        """``POST /fine_tuning/jobs``: validates like OpenAI and starts the lifecycle."""
        with self.lock:
            now = self.tick()
            if self.refuse_creates:
                raise creation_refused()
            config, plan = build_created_job(body, self._context(now))
            job = self.register(SimJob.auto(config, plan, self))
            job.sync(now)
            return job.to_dict()

    def _act(self, job_id: str, action: str) -> dict[str, Any]:
        with self.lock:
            now = self.tick()
            job = self.job(job_id)
            getattr(job, action)(now)
            self._touch(job)
            return job.to_dict()

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        return self._act(job_id, "cancel")

    def pause_job(self, job_id: str) -> dict[str, Any]:
        return self._act(job_id, "pause")

    def resume_job(self, job_id: str) -> dict[str, Any]:
        return self._act(job_id, "resume")

    def freeze_job(self, job_id: str, frozen: bool = True) -> dict[str, Any]:
        """A test's stall: the running job stays ``running`` and trains no step (writes no
        metrics event) until unfrozen; unfrozen, it goes on from where it stopped."""
        with self.lock:
            now = self.tick()
            job = self.job(job_id)
            timeline = job.lifecycle()
            if frozen:
                timeline.freeze(now)
            else:
                timeline.unfreeze(now)
            self._touch(job)
            return job.to_dict()

    def stretch_queue(self, job_id: str, seconds: float) -> dict[str, Any]:
        """A test's long queue: a job not yet running waits ``seconds`` longer to start."""
        with self.lock:
            self.tick()
            job = self.job(job_id)
            job.lifecycle().stretch_queue(seconds)
            self._touch(job)
            return job.to_dict()

    def delete_job(self, job_id: str) -> None:
        """Azure's ``DELETE /fine_tuning/jobs/{id}``: forget a job that has ended.

        Azure's spec (FineTuning_Delete) answers 204 No Content. A job that has not ended is
        refused: Azure's error for it is not published, so the message is a guess.
        """
        with self.lock:
            self.tick()
            job = self.job(job_id)
            if job.active:
                raise ApiError(
                    400,
                    f"The fine-tuning job {job_id} cannot be deleted because its status is "
                    f"{job.status}; cancel it first or wait until it has ended.",
                    azure_code="unexpectedEntityState",
                )
            del self._jobs[job_id]
            index = bisect.bisect_left(self._order, job.order_key)
            if index < len(self._order) and self._order[index] == job.order_key:
                del self._order[index]
            self._active.pop(job_id, None)

    def list_events(
        self, job_id: str, *, after: str | None = None, limit: int = 20
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest first; ``after`` is an event id, the page holds events older than it."""
        with self.lock:
            self.tick()
            job = self.job(job_id)
            start = len(job.log) - 1
            if after is not None:
                index = job.event_index(after)
                if index is None:
                    raise bad_request(f"No event found with id {after} in {job_id}", param="after")
                start = index - 1
            end = max(-1, start - limit)
            return [job.event(i) for i in range(start, end, -1)], end >= 0

    def list_checkpoints(
        self, job_id: str, *, after: str | None = None, limit: int = 10
    ) -> tuple[list[dict[str, Any]], bool]:
        with self.lock:
            self.tick()
            items = list(reversed(self.job(job_id).checkpoints))
            if after is not None:
                ids = [c["id"] for c in items]
                if after not in ids:
                    raise bad_request(f"No checkpoint found with id {after}", param="after")
                items = items[ids.index(after) + 1 :]
            return [dict(c) for c in items[:limit]], len(items) > limit

    def events_record(self, job_id: str) -> dict[str, Any]:
        """The simulator's own full record of a job's events so far, oldest first."""
        with self.lock:
            self.tick()
            job = self._jobs.get(job_id)
            if job is None:
                raise not_found(f"Could not find fine-tuning job: {job_id}")
            data = [job.event(i) for i in range(len(job.log))]
            return {"object": "list", "job_id": job_id, "count": len(data), "data": data}

    def add_job(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Add a job with chosen content (see :mod:`ftmon.sim.added_jobs`); returns its JSON."""
        with self.lock:
            now = self.tick()
            job = self.register(build_added_job(spec, self))
            job.sync(now)
            return job.to_dict()

    # -- models ---------------------------------------------------------------------------

    def list_models(self) -> list[dict[str, Any]]:
        """``GET /models``: one page of every model (see :mod:`ftmon.sim.models`)."""
        with self.lock:
            now = self.tick()
            return self.models.listing(self._jobs.values(), now)

    def get_model(self, model_id: str) -> dict[str, Any]:
        with self.lock:
            now = self.tick()
            maker = self._jobs.get(self._names.get(model_id, ""))
            return self.models.find(model_id, maker, self._jobs.values(), now)

    def delete_model(self, model_id: str) -> dict[str, Any]:
        """``DELETE /models/{model}``: a fine-tuned model of the organisation leaves the list;
        the job that made it keeps its ``fine_tuned_model``. OpenAI's own models are refused."""
        with self.lock:
            entry = self.get_model(model_id)
            if entry["owned_by"] != self.organization_id:
                raise base_model_refused(model_id)
            self.models.deleted.add(model_id)
            self._names.pop(model_id, None)  # its permissions go with it
            return {"id": model_id, "object": "model", "deleted": True}

    # -- checkpoint permissions -----------------------------------------------------------

    def _model(self, name: str) -> str:
        if name not in self._names:
            raise not_found(
                f"The model '{name}' does not exist or you do not have access to it.",
                param="fine_tuned_model_checkpoint",
                code="model_not_found",
            )
        return name

    def list_permissions(self, model: str, **query: Any) -> tuple[list[dict[str, Any]], bool]:
        with self.lock:
            self.tick()
            return self.permissions.list(self._model(model), **query)

    def create_permissions(self, model: str, project_ids: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            now = self.tick()
            return self.permissions.create(self._model(model), project_ids, now)

    def delete_permission(self, model: str, permission_id: str) -> dict[str, Any]:
        with self.lock:
            self.tick()
            return self.permissions.delete(self._model(model), permission_id)

    # -- files ----------------------------------------------------------------------------

    def make_training_file(
        self,
        owner: str,
        created_at: float,
        *,
        examples: int = 20,
        method: str = "supervised",
        filename: str | None = None,
        file_id: str | None = None,
    ) -> FileRecord:
        content = training_jsonl(digest_int(self.seed, owner) & 0xFFFFFFFF, examples, method)
        record = FileRecord(
            id=file_id or self.new_file_id(),
            filename=filename or "train.jsonl",
            purpose="fine-tune",
            created_at=int(created_at),
            size=len(content),
            source=content,
        )
        return self.files.add(record)

    def upload_file(
        self, filename: str, purpose: str, content: bytes, *, expires_after: int | None = None
    ) -> dict[str, Any]:
        with self.lock:
            now = int(self.tick())
            if purpose not in PURPOSES:
                raise bad_request(
                    f"'{purpose}' is not one of {list(PURPOSES)} - 'purpose'", param="purpose"
                )
            if purpose == "fine-tune" and not filename.lower().endswith(".jsonl"):
                raise bad_request(
                    "Invalid file format for Fine-Tuning API. Must be .jsonl", param="file"
                )
            record = FileRecord(
                id=self.new_file_id(),
                filename=filename,
                purpose=purpose,
                created_at=now,
                size=len(content),
                source=content,
                expires_at=None if expires_after is None else now + expires_after,
            )
            return self.files.add(record).to_dict()

    def get_file(self, file_id: str) -> dict[str, Any]:
        with self.lock:
            return self.files.get(file_id, self.tick()).to_dict()

    def file_content(self, file_id: str) -> bytes:
        with self.lock:
            return self.files.get(file_id, self.tick()).content()

    def delete_file(self, file_id: str) -> dict[str, Any]:
        with self.lock:
            return self.files.delete(file_id, self.tick())

    def list_files(self, **query: Any) -> tuple[list[dict[str, Any]], bool]:
        with self.lock:
            return self.files.list(self.tick(), **query)

    # -- control --------------------------------------------------------------------------

    def stats_snapshot(self) -> dict[str, Any]:
        with self.lock:
            now = self.tick()
            snapshot = self.stats.snapshot()
            snapshot.update(
                faults_served=dict(self.faults.served),
                faults_served_total=sum(self.faults.served.values()),
                active_faults=self.faults.active(),
                now=now,
                speed=self.clock.speed,
                seed=self.seed,
                scenario=self.scenario,
                flavor=self.flavor,
                refuse_creates=self.refuse_creates,
                jobs=len(self._jobs),
                files=len(self.files),
                highlights=dict(self.highlights),
            )
            return snapshot


def _metadata_matches(value: Any, wanted: dict[str, str] | str | None) -> bool:
    if wanted is None:
        return True
    if wanted == NO_METADATA:
        return not value
    if not isinstance(value, dict) or not isinstance(wanted, dict):
        return False
    return all(value.get(k) == v for k, v in wanted.items())
