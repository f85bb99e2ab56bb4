"""Entra ID tokens with a fake credential whose tokens last seconds, on an injected clock.

No azure-identity needed: the token source takes any object with ``get_token(*scopes)``
returning ``(token, expires_on)`` like ``azure.core.credentials.AccessToken``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from typing import Any, NamedTuple

import httpx
import pytest
from apikit import job_json, json_response, settings

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.entra import ENTRA_SCOPE, EntraTokens, default_credential
from ftmon.api.retry import RetryPolicy
from ftmon.exits import AUTH, UNREACHABLE, code_for

AZURE = "https://res.openai.azure.com/openai/v1"


class AccessToken(NamedTuple):
    """The shape of ``azure.core.credentials.AccessToken``."""

    token: str
    expires_on: int


class Clock:
    """A frozen wall clock that moves only when told."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeCredential:
    """Mints numbered tokens that live ``lifetime`` seconds on ``clock``; notes each call."""

    def __init__(self, clock: Clock, lifetime: float = 10.0, *, delay: float = 0.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.minted: dict[str, float] = {}  # token -> expires_on
        self.calls: list[tuple[tuple[str, ...], float, int]] = []  # scopes, when, thread
        self.closed = False

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append((scopes, self.clock(), threading.get_ident()))
        if self.delay:
            time.sleep(self.delay)  # blocking, as a real sign-in is
        token = f"entra-token-{len(self.minted):05d}-abcdefghijklmnop"
        expires_on = int(self.clock() + self.lifetime)
        self.minted[token] = expires_on
        return AccessToken(token, expires_on)

    def close(self) -> None:
        self.closed = True


class Api:
    """A mock Azure API that takes a bearer token only while it lives (on ``clock``)."""

    def __init__(self, credential: FakeCredential, clock: Clock) -> None:
        self.credential = credential
        self.clock = clock
        self.seen: list[tuple[str, float]] = []  # token, when
        self.revoked: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        self.seen.append((token, self.clock()))
        expires_on = self.credential.minted.get(token)
        if "api-key" in request.headers or expires_on is None:
            return json_response(401, {"error": {"code": "401", "message": "Unauthorized"}})
        if self.clock() >= expires_on or token in self.revoked:
            return json_response(
                401, {"error": {"code": "401", "message": f"Token expired: {token}"}}
            )
        return json_response(200, job_json())


def entra_client(
    credential: FakeCredential, clock: Clock, api: Any, **kwargs: Any
) -> tuple[FineTuningClient, EntraTokens]:
    tokens = EntraTokens(credential, clock=clock)
    client = FineTuningClient(
        settings(provider="azure", auth="entra", base_url=AZURE, api_key=None, admin_key=None),
        transport=httpx.MockTransport(api),
        tokens=tokens,
        retry=kwargs.pop("retry", RetryPolicy(max_attempts=1)),
        **kwargs,
    )
    return client, tokens


async def test_an_hour_of_requests_always_carries_a_live_token():
    clock = Clock()
    credential = FakeCredential(clock, lifetime=10.0)
    api = Api(credential, clock)
    client, tokens = entra_client(credential, clock, api)
    async with client:
        start = clock.now
        while clock.now < start + 3600:
            await client.retrieve_job("ftjob-1")  # raises on any 401
            clock.now += 0.7
    assert len(api.seen) > 5000
    assert all(when < credential.minted[token] for token, when in api.seen)
    # Renewed before each token's end (at 90% of its 10 s life), never after it.
    renewals = [when for _, when, _ in credential.calls[1:]]
    previous = list(credential.minted.values())[:-1]
    assert all(when < end for when, end in zip(renewals, previous, strict=True))
    assert 3600 / 10 <= len(credential.calls) <= 3600 / 8.5
    assert tokens.fetched == len(credential.calls)


async def test_renewal_margin_is_five_minutes_for_an_hour_long_token():
    clock = Clock()
    credential = FakeCredential(clock, lifetime=3600.0)
    tokens = EntraTokens(credential, clock=clock)
    first = await tokens.token()
    clock.now += 3600 - 300 - 1
    assert await tokens.token() == first
    clock.now += 2
    assert await tokens.token() != first
    assert len(credential.calls) == 2


async def test_the_token_is_asked_for_off_the_event_loop_with_the_cognitive_services_scope():
    clock = Clock()
    credential = FakeCredential(clock)
    await EntraTokens(credential, clock=clock).token()
    scopes, _, thread = credential.calls[0]
    assert scopes == (ENTRA_SCOPE,) == ("https://cognitiveservices.azure.com/.default",)
    assert thread != threading.get_ident()


async def test_two_requests_at_once_cause_one_renewal():
    clock = Clock()
    credential = FakeCredential(clock, lifetime=60.0, delay=0.2)
    api = Api(credential, clock)
    client, _ = entra_client(credential, clock, api)
    async with client:
        await asyncio.gather(client.retrieve_job("a"), client.retrieve_job("b"))
        assert len(credential.calls) == 1
        clock.now += 59  # past the renewal point of both
        await asyncio.gather(*(client.retrieve_job(str(n)) for n in range(5)))
        assert len(credential.calls) == 2
    assert len({token for token, _ in api.seen[2:]}) == 1


async def test_a_401_renews_once_and_retries_once():
    clock = Clock()
    credential = FakeCredential(clock, lifetime=600.0)
    api = Api(credential, clock)
    client, _ = entra_client(credential, clock, api)
    async with client:
        await client.retrieve_job("ftjob-1")
        api.revoked.add(api.seen[-1][0])  # the server no longer takes it, though it is young
        job = await client.retrieve_job("ftjob-1")
    assert job.id == "ftjob-1"
    assert len(credential.calls) == 2
    assert len(api.seen) == 3  # the first, the refused one, its one retry with the new token
    assert api.seen[1][0] != api.seen[2][0]


async def test_a_second_401_is_an_error_not_a_loop_and_shows_no_token():
    clock = Clock()
    credential = FakeCredential(clock, lifetime=600.0)

    def refuse(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        return json_response(401, {"error": {"code": "401", "message": f"Bad token {auth}"}})

    client, _ = entra_client(credential, clock, refuse, retry=RetryPolicy(max_attempts=4))
    async with client:
        with pytest.raises(errors.AuthenticationError) as info:
            await client.retrieve_job("ftjob-1")
    assert len(credential.calls) == 2
    text = str(info.value) + repr(info.value.to_dict())
    assert "a freshly fetched one too" in text
    assert not any(token in text for token in credential.minted)


async def test_concurrent_401s_renew_once():
    clock = Clock()
    credential = FakeCredential(clock, lifetime=600.0, delay=0.1)
    api = Api(credential, clock)
    client, _ = entra_client(credential, clock, api)
    async with client:
        await client.retrieve_job("warm")
        api.revoked.add(api.seen[-1][0])
        await asyncio.gather(*(client.retrieve_job(str(n)) for n in range(4)))
    assert len(credential.calls) == 2


async def test_a_credential_that_cannot_sign_in_is_one_clear_line_and_no_request():
    class ClientAuthenticationError(Exception):
        pass

    class CredentialUnavailableError(ClientAuthenticationError):
        pass

    class Nobody:
        def get_token(self, *scopes: str) -> AccessToken:
            raise CredentialUnavailableError(
                "DefaultAzureCredential failed to retrieve a token from the included "
                "credentials.\nAttempted credentials:\n\tEnvironmentCredential: ..."
            )

    sent: list[httpx.Request] = []
    client = FineTuningClient(
        settings(provider="azure", auth="entra", base_url=AZURE, api_key=None),
        transport=httpx.MockTransport(lambda r: sent.append(r) or json_response(200, {})),
        tokens=EntraTokens(Nobody()),
        retry=RetryPolicy(max_attempts=3),
    )
    async with client:
        with pytest.raises(errors.SignInError) as info:
            await client.list_jobs()
    message = str(info.value)
    assert message.startswith("Entra ID sign-in failed: DefaultAzureCredential failed")
    assert "\n" not in message and "az login" in message
    assert sent == []
    assert code_for(info.value) == AUTH


async def test_a_sign_in_service_out_of_reach_is_retried_and_may_pass():
    clock = Clock()
    good = FakeCredential(clock)

    class Flaky:
        def __init__(self) -> None:
            self.calls = 0

        def get_token(self, *scopes: str) -> AccessToken:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("login service unreachable")
            return good.get_token(*scopes)

    sleeps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = FineTuningClient(
        settings(provider="azure", auth="entra", base_url=AZURE, api_key=None),
        transport=httpx.MockTransport(Api(good, clock)),
        tokens=EntraTokens(Flaky(), clock=clock),
        retry=RetryPolicy(max_attempts=3, jitter=0.0),
        sleep=no_sleep,
    )
    async with client:
        # a create too: nothing was sent, so trying again cannot start a second run
        await client.create_job({"model": "gpt-4o-mini", "training_file": "file-a"})
    assert sleeps == [0.5]
    error = errors.SignInError("x", request_sent=False)
    assert error.retryable and code_for(error) == UNREACHABLE


async def test_no_azure_identity_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # as if not installed
    tokens = EntraTokens(default_credential)
    with pytest.raises(errors.SignInError, match=r"pip install 'ftmon\[azure\]'") as info:
        await tokens.token()
    assert not info.value.retryable


@pytest.mark.parametrize(
    "answer", [("", 1), ("bad token with spaces", 1), (None, None), ("tok-0123456789", "soon")]
)
async def test_an_unusable_answer_from_the_credential_is_an_error(answer):
    class Odd:
        def get_token(self, *scopes: str) -> Any:
            return answer

    with pytest.raises(errors.SignInError) as info:
        await EntraTokens(Odd()).token()
    assert "bad token" not in str(info.value)


async def test_closing_the_client_closes_the_credential():
    clock = Clock()
    credential = FakeCredential(clock)
    client, _ = entra_client(credential, clock, Api(credential, clock))
    await client.retrieve_job("x")
    await client.aclose()
    assert credential.closed


def test_azure_log_lines_never_reach_stderr_where_the_tui_draws():
    """azure-identity logs each failed sign-in as a warning; with no logging set up Python
    would print it on stderr, over the TUI."""
    script = (
        "import logging\n"
        "from ftmon.api.entra import quiet_azure_logs\n"
        "logging.getLogger('azure.identity._credentials.chained').warning('before')\n"
        "quiet_azure_logs()\n"
        "logging.getLogger('azure.identity._credentials.chained').warning('after')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr.splitlines() == ["before"]
