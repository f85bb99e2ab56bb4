"""The seeded worlds: ``default`` (every status, method and quirk once), ``big`` and ``empty``.

All times are relative to the clock at build time, so a frozen clock gives the same world on
every run: the job list, the ids and every loss value are reproducible from the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ftmon.sim.files import FileRecord
from ftmon.sim.ids import token
from ftmon.sim.jobs import JobConfig, SimJob
from ftmon.sim.lifecycle import RunPlan
from ftmon.sim.training_data import training_jsonl
from ftmon.sim.world_view import WorldView

MINUTE, HOUR, DAY = 60, 3600, 86400
BIG_JOBS = 10_000
BIG_EVENTS = 100_000
BIG_REWARD_STEPS = 100_000
BIG_REWARD_EVAL_INTERVAL = 100  # 1,000 validation steps, each a checkpoint (the best 3 kept)

STRING_CHECK = {
    "type": "string_check",
    "name": "exact answer",
    "input": "{{sample.output_text}}",
    "reference": "{{item.reference_answer}}",
    "operation": "eq",
}
SCORE_MODEL = {
    "type": "score_model",
    "name": "rubric grader",
    "model": "gpt-4.1-2025-04-14",
    "input": [
        {
            "role": "user",
            "content": "Score the answer from 0 to 1 against the reference.\n"
            "Reference: {{item.reference_answer}}\nAnswer: {{sample.output_text}}",
        }
    ],
    "range": [0, 1],
}
INVALID_FILE_ERROR = {
    "code": "invalid_training_file",
    "message": "The job failed due to an invalid training file. Invalid file format. Line 12, "
    'key "messages": At least one message must be from the assistant.',
    "param": "training_file",
}
TOO_FEW_EXAMPLES_ERROR = {
    "code": "invalid_n_examples",
    "message": "The job failed due to an invalid training file. Training file has 7 example(s), "
    "but must have at least 10 examples",
    "param": "training_file",
}


@dataclass
class Seeded:
    """One job of the default world, its times relative to the world's start (T0)."""

    key: str
    suffix: str | None
    model: str
    kind: str
    age: float  # created this many seconds before T0
    epochs: int
    steps_per_epoch: int
    seconds_per_step: float
    hyper: dict[str, Any]
    resolved: dict[str, Any]
    validate: float = 45.0
    queue: float = 120.0
    every: int = 1
    validation: bool = True
    metadata: dict[str, str] | None = None
    wandb: bool = False
    integrations_null: bool = False
    error_style: str = "null"
    base64_results: bool = False
    grader: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None
    examples: int = 40
    actions: list[tuple[str, float]] = field(default_factory=list)  # (action, seconds before T0)
    pause_seconds: float = 8.0


SUPERVISED_AUTO = {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": 3}
RESOLVED_1 = {"batch_size": 1, "learning_rate_multiplier": 1.8}
RFT_HYPER = {
    "batch_size": "auto",
    "learning_rate_multiplier": "auto",
    "n_epochs": 2,
    "eval_interval": 5,
    "eval_samples": "auto",
    "compute_multiplier": "auto",
    "reasoning_effort": "medium",
}


def _seeded(
    key: str, model: str, kind: str, age: float, shape: tuple[int, int, float], **kw: Any
) -> Seeded:
    """A default-world job; ``shape`` is (epochs, steps per epoch, seconds per step)."""
    epochs, steps, sps = shape
    kw.setdefault("hyper", SUPERVISED_AUTO)
    kw.setdefault("resolved", RESOLVED_1)
    kw.setdefault("suffix", key)
    return Seeded(
        key=key,
        model=model,
        kind=kind,
        age=age,
        epochs=epochs,
        steps_per_epoch=steps,
        seconds_per_step=sps,
        **kw,
    )


GPT4O_MINI, GPT41, GPT41_MINI = (
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
)
O4_MINI = "o4-mini-2025-04-16"
# Oldest first. Comments give the status at the world's start.
DEFAULT_JOBS = [
    # succeeded x5: supervised with validation, DPO (base64 results), no validation + W&B,
    # reinforcement, and a small one with integrations null
    _seeded("support-bot", GPT4O_MINI, "supervised", 3 * DAY, (3, 40, 6.0), queue=300,
            metadata={"team": "support", "env": "prod"}),
    _seeded("tone-dpo", GPT41_MINI, "dpo", 2 * DAY, (2, 150, 3.0),
            hyper={"beta": 0.1, "batch_size": "auto", "learning_rate_multiplier": "auto",
                   "n_epochs": 2},
            resolved={"batch_size": 2, "learning_rate_multiplier": 0.8}, every=2,
            metadata={"team": "search"}, error_style="empty", base64_results=True),
    _seeded("sql-gen", GPT41, "supervised", 26 * HOUR, (4, 60, 5.0),
            hyper={"batch_size": 8, "learning_rate_multiplier": 0.5, "n_epochs": 4}, resolved={},
            validation=False, wandb=True, error_style="nulls"),
    _seeded("math-rft", O4_MINI, "reinforcement", 20 * HOUR, (2, 50, 20.0), hyper=RFT_HYPER,
            resolved={"batch_size": 4, "learning_rate_multiplier": 1.0, "eval_samples": 3,
                      "compute_multiplier": 1.0},
            metadata={"team": "reasoning", "experiment": "rft-03"}, grader=STRING_CHECK),
    _seeded("faq-bot-v2", GPT4O_MINI, "supervised", 8 * HOUR, (3, 10, 8.0), validation=False,
            metadata={"team": "support"}, integrations_null=True),
    # failed x2, at validation
    _seeded("intent-v1", GPT4O_MINI, "supervised", 6 * HOUR, (3, 20, 1.0), validate=40,
            failure=INVALID_FILE_ERROR, metadata={"team": "support", "env": "dev"}),
    _seeded("tiny-test", "gpt-4.1-nano-2025-04-14", "supervised", 5 * HOUR, (3, 7, 1.0),
            suffix=None, validate=25, validation=False, failure=TOO_FEW_EXAMPLES_ERROR, examples=7,
            error_style="empty"),
    # cancelled after two checkpoints
    _seeded("ranker", GPT41_MINI, "supervised", 4 * HOUR, (3, 200, 6.0),
            resolved={"batch_size": 4, "learning_rate_multiplier": 1.8}, every=4,
            metadata={"team": "search", "env": "staging"}, actions=[("cancel", 3 * HOUR)]),
    # paused 25 minutes ago
    _seeded("contracts", "gpt-4o-2024-08-06", "supervised", 2 * HOUR, (3, 800, 3.0),
            resolved={"batch_size": 2, "learning_rate_multiplier": 1.8}, validate=60, queue=600,
            every=4, actions=[("pause", 25 * MINUTE)], pause_seconds=20,
            metadata={"team": "legal", "env": "prod"}),
    # pausing (asked 3 s ago, paused 27 s after the start)
    _seeded("translator-de", GPT41_MINI, "supervised", 45 * MINUTE, (3, 1000, 1.5),
            resolved={"batch_size": 2, "learning_rate_multiplier": 1.8}, validate=60, queue=240,
            every=5, actions=[("pause", 3)], pause_seconds=30, metadata={"team": "i18n"}),
    # running x3: reinforcement (done in ~25 min), long (~50 min left), medium (~8 min left)
    _seeded("grader-rft", O4_MINI, "reinforcement", 35 * MINUTE, (2, 300, 5.5),
            hyper={**RFT_HYPER, "eval_interval": 10, "eval_samples": 4, "compute_multiplier": 1.5,
                   "reasoning_effort": "high"},
            resolved={"batch_size": 4, "learning_rate_multiplier": 1.0}, validate=60, queue=240,
            every=3, metadata={"team": "reasoning"}, grader=SCORE_MODEL),
    _seeded("catalog-long", GPT41_MINI, "supervised", 12 * MINUTE, (3, 1500, 0.8),
            resolved={"batch_size": 4, "learning_rate_multiplier": 1.8}, validate=40, queue=80,
            every=5, metadata={"team": "search", "env": "prod", "owner": "dana"}, wandb=True),
    _seeded("support-bot-v3", GPT4O_MINI, "supervised", 6 * MINUTE, (3, 200, 1.2), validate=30,
            queue=30, every=2, error_style="empty"),
    # queued (starts 90 s after the start), then validating_files (queued at +50 s)
    _seeded("legal-summarizer", GPT41, "supervised", 90, (3, 200, 2.0),
            resolved={"batch_size": 2, "learning_rate_multiplier": 1.8}, validate=30, queue=150,
            every=2, metadata={"team": "legal"}),
    _seeded("intent-classifier", GPT4O_MINI, "supervised", 10, (3, 100, 1.5), validate=60,
            queue=45, metadata={"team": "support", "env": "dev"}, error_style="nulls"),
]  # fmt: skip


def _method(kind: str, hyper: dict[str, Any], grader: dict[str, Any] | None) -> dict[str, Any]:
    method: dict[str, Any] = {"type": kind, kind: {"hyperparameters": dict(hyper)}}
    if kind == "reinforcement":
        method[kind]["grader"] = dict(grader or STRING_CHECK)
        method[kind]["response_format"] = None
    return method


def _broken_training_file(world: WorldView, job_id: str, created_at: float) -> FileRecord:
    """20 examples whose line 12 has no assistant message: matches INVALID_FILE_ERROR."""
    lines = training_jsonl(world.seed, 20).decode().splitlines(keepends=True)
    lines[11] = '{"messages": [{"role": "user", "content": "Where is my order?"}]}\n'
    content = "".join(lines).encode()
    return world.files.add(
        FileRecord(
            id="file-" + token(job_id, "training", length=22),
            filename="intent_train.jsonl",
            purpose="fine-tune",
            created_at=int(created_at),
            size=len(content),
            source=content,
        )
    )


def _add_default_job(world: WorldView, spec: Seeded, t0: int) -> None:
    job_id = "ftjob-" + token(world.seed, "seeded", spec.key)
    created = t0 - spec.age
    name = spec.suffix or "data"
    if spec.failure is INVALID_FILE_ERROR:
        training = _broken_training_file(world, job_id, created - 90)
    else:
        training = world.make_training_file(
            job_id,
            created - 90,
            examples=spec.examples,
            method=spec.kind,
            filename=f"{name}_train.jsonl",
            file_id="file-" + token(job_id, "training", length=22),
        )
    validation = None
    if spec.validation:
        validation = world.make_training_file(
            job_id + "/valid",
            created - 80,
            examples=max(10, spec.examples // 4),
            method=spec.kind,
            filename=f"{name}_valid.jsonl",
            file_id="file-" + token(job_id, "validation", length=22),
        )
    integrations: list[dict[str, Any]] | None = [] if not spec.integrations_null else None
    if spec.wandb:
        wandb = {"project": "ftmon-demo", "name": None, "entity": "acme", "tags": [name, "v3"]}
        integrations = [{"type": "wandb", "wandb": {**wandb, "run_id": job_id}}]
    batch = spec.resolved.get("batch_size", spec.hyper.get("batch_size", 1))
    config = JobConfig(
        id=job_id,
        model=spec.model,
        training_file=training.id,
        organization_id=world.organization_id,
        org_slug=world.org_slug,
        created_at=created,
        seed=world.new_seed(job_id),
        method=_method(spec.kind, spec.hyper, spec.grader),
        resolved=dict(spec.resolved),
        validation_file=validation.id if validation else None,
        suffix=spec.suffix,
        metadata=spec.metadata,
        integrations=integrations,
        error_style=spec.error_style,
        base64_results=spec.base64_results,
    )
    plan = RunPlan(
        created_at=created,
        total_steps=spec.epochs * spec.steps_per_epoch,
        n_epochs=spec.epochs,
        seconds_per_step=spec.seconds_per_step,
        validate_seconds=spec.validate,
        queue_seconds=spec.queue,
        finalize_seconds=45.0,
        pause_seconds=spec.pause_seconds,
        metrics_every=spec.every,
        tokens_per_step=350 * int(batch),
        failure=spec.failure,
    )
    job = world.register(SimJob.auto(config, plan, world), keep_sorted=False)
    for action, before in spec.actions:
        getattr(job, action)(t0 - before)
    world.highlights.setdefault(f"job:{spec.key}", job_id)


def populate_default(world: WorldView) -> None:
    t0 = int(world.now())
    for spec in DEFAULT_JOBS:
        _add_default_job(world, spec, t0)


def populate_big(world: WorldView) -> None:
    """10,000 jobs over ~200 days (the newest still active): among them one supervised job with
    100,000 events and one reinforcement job with 100,000 steps (two graders)."""
    t0 = int(world.now())
    rng = random.Random(world.seed * 7919 + 1)
    pool = [
        world.make_training_file(
            f"big-pool-{n}",
            t0 - 210 * DAY,
            examples=12,
            filename=f"dataset_{n:03d}.jsonl",
            file_id="file-" + token(world.seed, "big-pool", n, length=22),
        )
        for n in range(200)
    ]
    models = ("gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14", "gpt-4.1-2025-04-14",
              "gpt-4.1-nano-2025-04-14")  # fmt: skip
    span = 200 * DAY
    for n in range(BIG_JOBS - 2):  # and the two big jobs below
        created = t0 - span + n * (span // BIG_JOBS) + rng.randrange(0, 600)
        if n >= BIG_JOBS - 10:  # the newest few are still validating, queued or running
            created = t0 - (BIG_JOBS - n) * 90
        job_id = "ftjob-" + token(world.seed, "big", n)
        epochs = rng.choice((1, 2, 3, 3, 4))
        total = epochs * rng.choice((10, 20, 40, 80))
        fail = rng.random() < 0.07
        config = JobConfig(
            id=job_id,
            model=rng.choice(models),
            training_file=rng.choice(pool).id,
            organization_id=world.organization_id,
            org_slug=world.org_slug,
            created_at=created,
            seed=rng.randrange(2**31),
            method=_method("supervised", SUPERVISED_AUTO | {"n_epochs": epochs}, None),
            resolved={"batch_size": 1, "learning_rate_multiplier": 1.8},
            suffix=f"exp-{n:05d}",
            metadata={"batch": f"b{n % 50:02d}"} if n % 3 else None,
            error_style=("null", "empty", "nulls")[n % 3],
        )
        plan = RunPlan(
            created_at=created,
            total_steps=total,
            n_epochs=epochs,
            seconds_per_step=rng.uniform(1.0, 4.0),
            validate_seconds=30.0,
            queue_seconds=rng.uniform(30.0, 600.0),
            metrics_every=max(1, total // 20),
            tokens_per_step=350,
            failure=INVALID_FILE_ERROR if fail else None,
        )
        job = world.register(SimJob.auto(config, plan, world), keep_sorted=False)
        if not fail and rng.random() < 0.06:
            cancel_at = created + rng.uniform(60.0, 900.0)
            if cancel_at < t0:
                job.sync(cancel_at)
                if job.active:
                    job.cancel(cancel_at)
    _add_big_events_job(world, t0)
    _add_big_rewards_job(world, t0)


def _add_big_events_job(world: WorldView, t0: int) -> None:
    # 4 opening events + one metrics event per step + the closing ones (a "Checkpoint created"
    # for each epoch but the last, whose checkpoint is the model, and 4 more) = 100,000 exactly.
    epochs = 3
    total = BIG_EVENTS - 4 - (epochs - 1) - 4
    job_id = world.BIG_EVENTS_JOB_ID
    training = world.make_training_file(
        job_id, t0 - 4 * DAY, examples=50, filename="big_events_train.jsonl"
    )
    validation = world.make_training_file(
        job_id + "/valid", t0 - 4 * DAY, examples=20, filename="big_events_valid.jsonl"
    )
    config = JobConfig(
        id=job_id,
        model="gpt-4.1-mini-2025-04-14",
        training_file=training.id,
        organization_id=world.organization_id,
        org_slug=world.org_slug,
        created_at=t0 - 3 * DAY,
        seed=world.new_seed(job_id),
        method=_method("supervised", SUPERVISED_AUTO, None),
        resolved={"batch_size": 1, "learning_rate_multiplier": 1.8},
        validation_file=validation.id,
        suffix="big-events",
        metadata={"scenario": "big"},
    )
    plan = RunPlan(
        created_at=t0 - 3 * DAY,
        total_steps=total,
        n_epochs=epochs,
        seconds_per_step=1.5,
        validate_seconds=30.0,
        queue_seconds=60.0,
        metrics_every=1,
    )
    world.register(SimJob.auto(config, plan, world), keep_sorted=False)
    world.highlights["big_events_job"] = job_id


def _add_big_rewards_job(world: WorldView, t0: int) -> None:
    """A reinforcement job of 100,000 steps, a metrics event each (train reward, the nested
    ``scores``/``usage``/``errors``/``timing`` of two graders), validated every 100 steps.

    Like the supervised one it costs almost nothing to build: the metrics events are runs in the
    event log and each is made when asked for; only the 1,000 validation steps are visited (each
    makes a checkpoint, of which the best 3 and the final one are kept).
    """
    job_id = world.BIG_REWARDS_JOB_ID
    created = t0 - 4 * DAY
    grader = {
        "type": "multi",
        "name": "exact and rubric",
        "graders": {"exact": STRING_CHECK, "rubric": SCORE_MODEL},
        "calculate_output": "0.5 * exact + 0.5 * rubric",
    }
    training = world.make_training_file(
        job_id, created - 90, examples=50, method="reinforcement",
        filename="big_rewards_train.jsonl",
    )  # fmt: skip
    validation = world.make_training_file(
        job_id + "/valid", created - 80, examples=20, method="reinforcement",
        filename="big_rewards_valid.jsonl",
    )  # fmt: skip
    hyper = RFT_HYPER | {"n_epochs": 1, "eval_interval": BIG_REWARD_EVAL_INTERVAL}
    resolved = {
        "batch_size": 4,
        "learning_rate_multiplier": 1.0,
        "eval_samples": 3,
        "compute_multiplier": 1.0,
    }
    config = JobConfig(
        id=job_id,
        model=O4_MINI,
        training_file=training.id,
        organization_id=world.organization_id,
        org_slug=world.org_slug,
        created_at=created,
        seed=world.new_seed(job_id),
        method=_method("reinforcement", hyper, grader),
        resolved=resolved,
        validation_file=validation.id,
        suffix="big-rewards",
        metadata={"scenario": "big"},
    )
    plan = RunPlan(
        created_at=created,
        total_steps=BIG_REWARD_STEPS,
        n_epochs=1,
        seconds_per_step=2.0,
        validate_seconds=30.0,
        queue_seconds=60.0,
        metrics_every=1,
        tokens_per_step=1400,
    )
    world.register(SimJob.auto(config, plan, world), keep_sorted=False)
    world.highlights["big_rewards_job"] = job_id


def populate(world: WorldView, scenario: str) -> None:
    if scenario == "default":
        populate_default(world)
    elif scenario == "big":
        populate_big(world)
    # "empty": nothing at all, for first-run screens.
