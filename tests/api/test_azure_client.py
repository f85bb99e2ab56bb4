"""The client on Azure OpenAI: both kinds of routes, the ``api-key`` header, the static Entra
token of ``AZURE_OPENAI_AD_TOKEN``, and what is refused before anything is sent."""

from __future__ import annotations

import httpx
import pytest
from apikit import job_json, json_response, page_json, settings

from ftmon.api import errors
from ftmon.api.client import tokens_for
from ftmon.api.entra import EntraTokens, StaticToken
from ftmon.config import Secret
from ftmon.exits import AUTH, code_for

AZURE_KEY = "0123456789abcdef0123456789abcdef"
AD_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.signature"
DATED = "https://res.openai.azure.com/openai?api-version=2024-10-21"
V1 = "https://res.openai.azure.com/openai/v1"


def azure(**overrides):
    values = {
        "provider": "azure",
        "auth_header": "api-key",
        "api_key": Secret(AZURE_KEY),
        "admin_key": None,
        "base_url": DATED,
    }
    values.update(overrides)
    return settings(**values)


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/fine_tuning/jobs"):
        return json_response(200, page_json([job_json()]))
    return json_response(200, job_json())


async def test_the_dated_routes_carry_the_api_version_on_every_request(harness):
    h = harness(answer, **vars(azure()))
    await h.client.list_jobs(limit=5, after="ftjob-0")
    await h.client.retrieve_job("ftjob-1")
    await h.client.cancel_job("ftjob-1")
    paths = [(r.method, r.url.path) for r in h.requests]
    assert paths == [
        ("GET", "/openai/fine_tuning/jobs"),
        ("GET", "/openai/fine_tuning/jobs/ftjob-1"),
        ("POST", "/openai/fine_tuning/jobs/ftjob-1/cancel"),
    ]
    for request in h.requests:
        assert request.url.host == "res.openai.azure.com"
        assert request.url.params["api-version"] == "2024-10-21"
        assert request.headers["api-key"] == AZURE_KEY
        assert "authorization" not in request.headers
        assert "openai-organization" not in request.headers
    assert h.requests[0].url.params["limit"] == "5"
    assert h.requests[0].url.params["after"] == "ftjob-0"


async def test_the_v1_routes_need_no_api_version(harness):
    h = harness(answer, **vars(azure(base_url=V1)))
    await h.client.list_jobs()
    assert h.last.url.path == "/openai/v1/fine_tuning/jobs"
    assert "api-version" not in h.last.url.params
    assert h.last.headers["api-key"] == AZURE_KEY


async def test_the_key_goes_in_api_key_even_if_the_settings_say_bearer(harness):
    h = harness(answer, **vars(azure(auth_header="bearer")))
    await h.client.retrieve_job("ftjob-1")
    assert h.last.headers["api-key"] == AZURE_KEY and "authorization" not in h.last.headers


async def test_nothing_goes_to_openais_host_with_azure_credentials(harness):
    for extra in ({}, {"entra_token": Secret(AD_TOKEN)}):
        h = harness(answer, **vars(azure(base_url="https://api.openai.com/v1", **extra)))
        with pytest.raises(errors.InvalidRequestError) as info:
            await h.client.list_jobs()
        assert "never sent to OpenAI's host" in str(info.value)
        assert h.requests == []


async def test_checkpoint_permissions_are_not_asked_of_azure(harness):
    h = harness(answer, **vars(azure(admin_key=Secret("sk-admin-0123456789abcdefghij"))))
    with pytest.raises(errors.InvalidRequestError, match="Azure OpenAI has no checkpoint perm"):
        await h.client.list_permissions("ft:gpt-4o-mini:org::x:ckpt-step-1")
    assert h.requests == []


async def test_no_credentials_says_every_way_to_give_one(harness):
    h = harness(answer, **vars(azure(api_key=None)))
    with pytest.raises(errors.MissingApiKeyError) as info:
        await h.client.list_jobs()
    for words in ("AZURE_OPENAI_API_KEY", 'auth = "entra"', "--entra", "AZURE_OPENAI_AD_TOKEN"):
        assert words in str(info.value)
    assert h.requests == []


def test_which_tokens_the_settings_call_for():
    assert tokens_for(azure()) is None
    assert isinstance(tokens_for(azure(entra_token=Secret(AD_TOKEN))), StaticToken)
    assert isinstance(tokens_for(azure(auth="entra", entra_token=Secret(AD_TOKEN))), EntraTokens)
    # OpenAI never sends an Azure token.
    assert tokens_for(settings(entra_token=Secret(AD_TOKEN), auth="entra")) is None


async def test_the_static_token_is_a_bearer_token_in_place_of_the_key(harness):
    h = harness(answer, **vars(azure(entra_token=Secret(AD_TOKEN))))
    await h.client.retrieve_job("ftjob-1")
    assert h.last.headers["authorization"] == f"Bearer {AD_TOKEN}"
    assert "api-key" not in h.last.headers


async def test_an_expired_static_token_says_so_and_what_to_do(harness):
    def refuse(request: httpx.Request) -> httpx.Response:
        # A server that echoes what it was sent: never passed on.
        auth = request.headers["authorization"]
        return json_response(401, {"error": {"code": "401", "message": f"Token expired: {auth}"}})

    h = harness(refuse, **vars(azure(entra_token=Secret(AD_TOKEN))))
    with pytest.raises(errors.AuthenticationError) as info:
        await h.client.list_jobs()
    text = str(info.value)
    assert "AZURE_OPENAI_AD_TOKEN" in text and "expired" in text
    assert "az account get-access-token" in text and "pip install 'ftmon[azure]'" in text
    assert AD_TOKEN not in text and AD_TOKEN not in repr(info.value.to_dict())
    assert len(h.requests) == 1  # nothing can renew it: no second try
    assert code_for(info.value) == AUTH
