"""The alpha grader endpoints: validate a grader, run it on one sample.

Against the in-process simulator (every answer checked against the spec), once over TCP, and on a
mock transport for the request's shape and the odd answers real servers send.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from apikit import json_response, spec
from support.graders import EXACT, SIMILAR
from support.simkit import TEST_KEY

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import RunGraderResponse
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.sim.world import SimWorld

RUN_ROUTE = "/v1/fine_tuning/alpha/graders/run"
VALIDATE_ROUTE = "/v1/fine_tuning/alpha/graders/validate"


def sim_settings(base_url: str = "http://sim.test/v1") -> Settings:
    return Settings(api_key=Secret(TEST_KEY), base_url=base_url, timeout=5.0)


@pytest.fixture
async def client(sim_transport: httpx.AsyncBaseTransport) -> AsyncIterator[FineTuningClient]:
    async def no_sleep(_: float) -> None:
        return None

    async with FineTuningClient(
        sim_settings(),
        transport=sim_transport,
        retry=RetryPolicy(max_attempts=3, rng=random.Random(1)),
        sleep=no_sleep,
    ) as made:
        yield made


def posts(world: SimWorld, route: str) -> int:
    return world.stats.snapshot()["routes"].get(f"POST {route}", 0)


# -- validate ------------------------------------------------------------------------------------


async def test_a_valid_grader_comes_back_as_the_api_read_it(client: FineTuningClient):
    for grader in (EXACT, SIMILAR):
        answer = await client.validate_grader(grader)
        assert answer.grader == grader


async def test_an_invalid_grader_is_a_bad_request_with_the_apis_reason(client: FineTuningClient):
    with pytest.raises(errors.BadRequestError) as info:
        await client.validate_grader({**EXACT, "type": "exact_match"})
    error = info.value
    assert error.status_code == 400 and error.api_param == "grader.type"
    assert error.api_message.startswith("Invalid 'grader.type': expected one of string_check")
    assert error.api_message in str(error)

    with pytest.raises(errors.BadRequestError) as info:
        await client.validate_grader({"type": "string_check", "input": "a"})
    assert info.value.api_param == "grader.name"


async def test_validate_is_retried_after_a_server_error(
    client: FineTuningClient, sim_world: SimWorld
):
    sim_world.faults.add("503", route=VALIDATE_ROUTE, count=1)
    assert (await client.validate_grader(EXACT)).grader == EXACT
    assert posts(sim_world, VALIDATE_ROUTE) == 2


# -- run -----------------------------------------------------------------------------------------


async def test_a_string_check_scores_one_on_a_match_and_zero_otherwise(client: FineTuningClient):
    hit = await client.run_grader(EXACT, "42", {"label": "42"})
    miss = await client.run_grader(EXACT, "41", {"label": "42"})
    assert (hit.reward, miss.reward) == (1.0, 0.0)
    assert (hit.metadata.name, hit.metadata.type) == ("exact", "string_check")
    assert hit.metadata.errors.raised() == ([], {})
    assert hit.sub_rewards == {} and hit.metadata.execution_time is not None


async def test_text_similarity_scores_between_zero_and_one(client: FineTuningClient):
    same = await client.run_grader(SIMILAR, "a golden retriever", {"answer": "a golden retriever"})
    near = await client.run_grader(SIMILAR, "a golden retriver", {"answer": "a golden retriever"})
    assert same.reward == 1.0 and near.reward is not None and 0.5 < near.reward < 1.0


async def test_run_refuses_an_invalid_grader_with_the_apis_reason(client: FineTuningClient):
    with pytest.raises(errors.BadRequestError) as info:
        await client.run_grader({"name": "no type"}, "x")
    assert info.value.api_param == "grader.type"
    assert "Invalid 'grader.type'" in str(info.value)


async def test_run_is_not_sent_twice_after_a_server_error(
    client: FineTuningClient, sim_world: SimWorld
):
    # A model grader bills its tokens each time it runs: a 503 is reported, not repeated.
    sim_world.faults.add("503", route=RUN_ROUTE, count=1)
    with pytest.raises(errors.ServerError):
        await client.run_grader(EXACT, "42", {"label": "42"})
    assert posts(sim_world, RUN_ROUTE) == 1
    # A rate limit means it was not run: that one is waited out and sent again.
    sim_world.faults.add("429", route=RUN_ROUTE, count=1, retry_after=1)
    assert (await client.run_grader(EXACT, "42", {"label": "42"})).reward == 1.0
    assert posts(sim_world, RUN_ROUTE) == 3


async def test_over_tcp(sim_tcp: str):
    async def no_sleep(_: float) -> None:
        return None

    async with FineTuningClient(sim_settings(sim_tcp), sleep=no_sleep) as client:
        assert (await client.validate_grader(EXACT)).grader == EXACT
        assert (await client.run_grader(EXACT, "yes", {"label": "yes"})).reward == 1.0


# -- the request, and answers other than the simulator's ----------------------------------------


async def test_the_request_carries_item_only_when_given(harness):
    h = harness(lambda request: json_response(200, {"reward": 0.5}))
    await h.client.run_grader(EXACT, "text")
    assert h.last.url.path.endswith("/fine_tuning/alpha/graders/run")
    assert json.loads(h.last.content) == {"grader": EXACT, "model_sample": "text"}
    await h.client.run_grader(EXACT, "text", {"label": "x"})
    assert json.loads(h.last.content)["item"] == {"label": "x"}
    await h.client.validate_grader(EXACT)
    assert h.last.url.path.endswith("/fine_tuning/alpha/graders/validate")
    assert json.loads(h.last.content) == {"grader": EXACT}


def test_the_upstream_example_answer_reads():
    example = spec()["paths"]["/fine_tuning/alpha/graders/run"]["post"]["x-oaiMeta"]
    raw = json.loads(example["examples"][0]["response"])
    answer = RunGraderResponse.model_validate(raw)
    assert answer.reward == 1.0 and answer.metadata.type == "score_model"
    # The schema says an integer; the example sends token counts: kept as sent.
    assert answer.metadata.token_usage["total_tokens"] == 324
    assert answer.metadata.sampled_model_name == "gpt-4o-2024-08-06"
    assert answer.metadata.errors.raised() == ([], {})
    dumped = answer.model_dump(mode="json", exclude_unset=True)
    assert dumped == raw
    assert list(dumped["metadata"]["errors"]) == list(raw["metadata"]["errors"])  # order as sent


@pytest.mark.parametrize(
    ("raw", "reward", "flags", "details"),
    [
        ({}, None, [], {}),
        ({"reward": "0.25", "metadata": None, "sub_rewards": None}, 0.25, [], {}),
        ({"reward": "NaN", "metadata": []}, None, [], {}),
        (
            {
                "reward": 0,
                "metadata": {
                    "errors": {
                        "python_grader_runtime_error": True,
                        "python_grader_runtime_error_details": "ZeroDivisionError",
                        "sample_parse_error": "false",
                        "brand_new_error": "true",
                    },
                    "execution_time": "slow",
                },
            },
            0.0,
            ["python_grader_runtime_error", "brand_new_error"],
            {"python_grader_runtime_error_details": "ZeroDivisionError"},
        ),
    ],
)
def test_odd_answers_read_without_losing_anything(
    raw: dict[str, Any], reward: float | None, flags: list[str], details: dict[str, str]
):
    answer = RunGraderResponse.model_validate(raw)
    assert answer.reward == reward
    assert answer.metadata.errors.raised() == (flags, details)
    assert answer.sub_rewards == {}
