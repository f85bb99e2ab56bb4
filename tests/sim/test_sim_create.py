"""POST /fine_tuning/jobs validates like OpenAI and starts a job that runs to the end.

On both flavours: Azure answers a created job or file with 201 and errors in its shape, and the
same bodies are refused (its own create validation is not published; the simulator keeps
OpenAI's).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.flavors import BOTH, assert_error, created_code, error_param, expected_status
from support.simkit import get_json, suffix_of

from ftmon.sim.clock import SimClock

pytestmark = BOTH
JOBS = "/fine_tuning/jobs"
OK = (200, 201)  # a create: 200 on OpenAI, 201 on Azure
GOOD_LINE = (
    b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n'
)


async def _upload(client: httpx.AsyncClient, content: bytes, name: str = "train.jsonl") -> str:
    response = await client.post(
        "/files", files={"file": (name, content)}, data={"purpose": "fine-tune"}
    )
    assert response.status_code in OK, response.text
    return response.json()["id"]


async def test_created_job_runs_through_the_lifecycle(
    sim_http: httpx.AsyncClient, sim_clock: SimClock, flavor: str
) -> None:
    training = await _upload(sim_http, GOOD_LINE * 20)
    validation = await _upload(sim_http, GOOD_LINE * 5, "valid.jsonl")
    response = await sim_http.post(
        JOBS,
        json={
            "model": "gpt-4.1-mini",
            "training_file": training,
            "validation_file": validation,
            "suffix": "my-run",
            "seed": 42,
            "metadata": {"owner": "me"},
            "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
            "integrations": [{"type": "wandb", "wandb": {"project": "p"}}],
        },
    )
    assert response.status_code == created_code(flavor), response.text
    job = response.json()
    assert job["status"] == expected_status("validating_files", flavor)
    assert job["id"].startswith("ftjob-")
    assert job["model"] == "gpt-4.1-mini-2025-04-14" and job["seed"] == 42
    assert job["method"]["supervised"]["hyperparameters"] == {
        "batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": 2,
    }  # fmt: skip
    assert job["integrations"][0]["wandb"]["project"] == "p"
    listed = await get_json(sim_http, JOBS, params={"limit": 1})
    assert listed["data"][0]["id"] == job["id"]  # the newest job
    sim_clock.advance(3600)
    done = await get_json(sim_http, f"{JOBS}/{job['id']}")
    assert done["status"] == "succeeded"
    assert done["fine_tuned_model"].startswith("ft:gpt-4.1-mini-2025-04-14:acme-ml:my-run:")
    assert done["metadata"] == {"owner": "me"} and suffix_of(done) == "my-run"
    checkpoints = (await get_json(sim_http, f"{JOBS}/{job['id']}/checkpoints"))["data"]
    assert [c["step_number"] for c in checkpoints] == [40, 20]  # 20 examples x 2 epochs
    # A continued fine-tune from the new model is accepted.
    again = await sim_http.post(
        JOBS, json={"model": done["fine_tuned_model"], "training_file": training}
    )
    assert again.status_code in OK and again.json()["model"] == done["fine_tuned_model"]


async def test_dpo_and_reinforcement_jobs(sim_http: httpx.AsyncClient) -> None:
    training = await _upload(sim_http, GOOD_LINE * 12)
    dpo = await sim_http.post(
        JOBS,
        json={
            "model": "gpt-4o-mini",
            "training_file": training,
            "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
        },
    )
    assert dpo.status_code in OK
    assert dpo.json()["method"]["dpo"]["hyperparameters"]["beta"] == 0.2
    assert dpo.json()["hyperparameters"] is None
    grader = {
        "type": "string_check",
        "name": "g",
        "input": "a",
        "reference": "b",
        "operation": "eq",
    }
    rft = await sim_http.post(
        JOBS,
        json={
            "model": "o4-mini",
            "training_file": training,
            "method": {
                "type": "reinforcement",
                "reinforcement": {"grader": grader, "hyperparameters": {"reasoning_effort": "low"}},
            },
        },
    )
    assert rft.status_code in OK, rft.text
    block = rft.json()["method"]["reinforcement"]
    assert block["grader"] == grader and block["hyperparameters"]["reasoning_effort"] == "low"
    assert block["hyperparameters"]["eval_interval"] == "auto"


def _bad_bodies(training: str, results: str) -> list[tuple[Any, str | None]]:
    grader = {
        "type": "string_check",
        "name": "g",
        "input": "a",
        "reference": "b",
        "operation": "eq",
    }
    base = {"model": "gpt-4o-mini", "training_file": training}

    def method(kind: str, block: Any = None) -> dict[str, Any]:
        return {**base, "method": {"type": kind, **({kind: block} if block else {})}}

    return [
        ({"training_file": training}, "model"),
        ({"model": "gpt-4o-mini"}, "training_file"),
        ({**base, "model": "gpt-9"}, "model"),
        ({**base, "model": 4}, "model"),
        ({**base, "training_file": "file-missing"}, "training_file"),
        ({**base, "training_file": results}, "training_file"),
        ({**base, "validation_file": "x"}, "validation_file"),
        ({**base, "suffix": ""}, "suffix"),
        ({**base, "seed": -1}, "seed"),
        ({**base, "metadata": {"k": 1}}, "metadata"),
        ({**base, "colour": "red"}, None),
        (
            method("supervised", {"hyperparameters": {"n_epochs": 0}}),
            "method.supervised.hyperparameters.n_epochs",
        ),
        (method("dpo", {"hyperparameters": {"beta": 3}}), "method.dpo.hyperparameters.beta"),
        (method("rlhf"), "method.type"),
        ({**method("reinforcement"), "model": "o4-mini"}, "method.reinforcement.grader"),
        (method("reinforcement", {"grader": grader}), "model"),
        ({**base, "integrations": [{"type": "x"}]}, "integrations[0]"),
        (["not", "an", "object"], None),
    ]


async def test_bad_bodies_are_400_with_param(sim_http: httpx.AsyncClient, flavor: str) -> None:
    training = await _upload(sim_http, GOOD_LINE * 12)
    results = (await get_json(sim_http, "/files", params={"purpose": "fine-tune-results"}))["data"]
    before = len((await get_json(sim_http, JOBS, params={"limit": 100}))["data"])
    for body, param in _bad_bodies(training, results[0]["id"]):
        response = await sim_http.post(JOBS, json=body)
        assert response.status_code == 400, (body, response.text)
        error = assert_error(response.json(), flavor, azure_code="invalidPayload")
        assert error_param(error) == param, (body, error)
    after = len((await get_json(sim_http, JOBS, params={"limit": 100}))["data"])
    assert after == before  # nothing was created


@pytest.mark.parametrize("raw", [b"", b"{not json", b"null"])
async def test_unparsable_body_is_400(sim_http: httpx.AsyncClient, raw: bytes, flavor: str) -> None:
    response = await sim_http.post(JOBS, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert_error(response.json(), flavor, azure_code="invalidPayload")


async def test_a_broken_training_file_fails_at_validation(
    sim_http: httpx.AsyncClient, sim_clock: SimClock, flavor: str
) -> None:
    training = await _upload(sim_http, GOOD_LINE * 3 + b"this is not json\n" + GOOD_LINE)
    job = (
        await sim_http.post(JOBS, json={"model": "gpt-4o-mini", "training_file": training})
    ).json()
    assert job["status"] == expected_status("validating_files", flavor)
    sim_clock.advance(120)
    failed = await get_json(sim_http, f"{JOBS}/{job['id']}")
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "invalid_training_file"
    assert failed["error"]["param"] == "training_file"
    assert "Line 4" in failed["error"]["message"]


async def test_file_upload_rules(sim_http: httpx.AsyncClient, sim_clock: SimClock) -> None:
    no_purpose = await sim_http.post("/files", files={"file": ("a.jsonl", b"{}\n")})
    assert no_purpose.status_code == 400 and error_param(no_purpose.json()["error"]) == "purpose"
    no_file = await sim_http.post("/files", data={"purpose": "fine-tune"}, files={"x": ("a", b"")})
    assert no_file.status_code == 400 and error_param(no_file.json()["error"]) == "file"
    csv_for_tuning = await sim_http.post(
        "/files", files={"file": ("a.csv", b"a,b\n")}, data={"purpose": "fine-tune"}
    )
    assert csv_for_tuning.status_code == 400
    wrong_purpose = await sim_http.post(
        "/files", files={"file": ("a.jsonl", b"{}\n")}, data={"purpose": "fun"}
    )
    assert wrong_purpose.status_code == 400
    not_multipart = await sim_http.post("/files", json={"purpose": "fine-tune"})
    assert not_multipart.status_code == 400
    expiring = await sim_http.post(
        "/files",
        files={"file": ("a.jsonl", b"{}\n")},
        data={"purpose": "batch", "expires_after[anchor]": "created_at",
              "expires_after[seconds]": "3600"},
    )  # fmt: skip
    assert expiring.status_code in OK
    body = expiring.json()
    assert body["expires_at"] == body["created_at"] + 3600
    sim_clock.advance(3601)
    assert (await sim_http.get(f"/files/{body['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (GOOD_LINE * 4, "invalid_n_examples", "has 4 example(s)"),
        (
            GOOD_LINE * 12
            + b'{"input": {"messages": []}, "preferred_output": [], '
            + b'"non_preferred_output": []}\n',
            "invalid_training_file",
            "Line 13",
        ),
        (
            GOOD_LINE * 11 + b'{"messages": [{"role": "user", "content": "no answer"}]}\n',
            "invalid_training_file",
            "Line 12",
        ),
    ],
    ids=["too-few", "dpo-record-in-supervised", "no-assistant"],
)
async def test_training_file_is_checked_for_the_method(
    sim_http: httpx.AsyncClient, sim_clock: SimClock, content: bytes, code: str, words: str
) -> None:
    """The simulator fails a job on a bad file the way the real service does."""
    training = await _upload(sim_http, content)
    job = (
        await sim_http.post(JOBS, json={"model": "gpt-4o-mini", "training_file": training})
    ).json()
    sim_clock.advance(120)
    failed = await get_json(sim_http, f"{JOBS}/{job['id']}")
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == code and failed["error"]["param"] == "training_file"
    assert words in failed["error"]["message"]
