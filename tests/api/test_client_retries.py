"""Retries: what is retried, how long the client waits, and what is never sent twice."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from apikit import job_json, json_response

from ftmon.api import errors
from ftmon.api.retry import (
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
    server_says_retry,
)


def script(*answers: httpx.Response | Exception):
    """A handler that gives these answers in turn (raising the exceptions), then the last one."""
    queue: Iterator[httpx.Response | Exception] = iter(answers)
    last: list[httpx.Response | Exception] = [answers[-1]]

    def handle(request: httpx.Request) -> httpx.Response:
        answer = next(queue, last[0])
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle


def fail(status: int, **headers: str) -> httpx.Response:
    return json_response(status, {"error": {"message": f"status {status}"}}, **headers)


OK = json_response(200, job_json())
NO_JITTER = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=30.0, jitter=0.0)


# -- Retry-After ---------------------------------------------------------------------------------


async def test_retry_after_seconds_is_honoured(harness):
    h = harness(script(fail(429, **{"retry-after": "7"}), OK), retry=NO_JITTER)
    job = await h.client.retrieve_job("ftjob-1")
    assert job.id == "ftjob-1"
    assert h.sleeps == [7.0]
    assert len(h.requests) == 2


async def test_retry_after_ms_is_preferred(harness):
    h = harness(
        script(fail(429, **{"retry-after-ms": "250", "retry-after": "1"}), OK), retry=NO_JITTER
    )
    await h.client.retrieve_job("ftjob-1")
    assert h.sleeps == [0.25]


async def test_retry_after_up_to_two_minutes_is_honoured_in_full(harness):
    # The SDK honours a server-directed wait up to 120 s (it was capped at 30 here before).
    for header, wait in [({"retry-after": "120"}, 120.0), ({"retry-after-ms": "95500"}, 95.5)]:
        h = harness(script(fail(429, **header), OK), retry=NO_JITTER)
        await h.client.retrieve_job("ftjob-1")
        assert h.sleeps == [wait]
        assert len(h.requests) == 2


async def test_retry_after_as_an_http_date_within_two_minutes_is_honoured(harness):
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=90), usegmt=True)
    h = harness(script(fail(503, **{"retry-after": soon}), OK), retry=NO_JITTER)
    await h.client.retrieve_job("ftjob-1")
    assert len(h.sleeps) == 1 and 85.0 <= h.sleeps[0] <= 90.0


@pytest.mark.parametrize(
    "header",
    [
        {"retry-after": "121"},
        {"retry-after": "3600"},
        {"retry-after-ms": "120001"},
        {"retry-after": format_datetime(datetime(2999, 1, 1, tzinfo=timezone.utc), usegmt=True)},
    ],
)
async def test_a_wait_past_two_minutes_is_not_retried_at_once(harness, header):
    """As the SDK: no retry now; the error carries the wait, which the engine honours."""
    h = harness(script(fail(429, **header), OK), retry=NO_JITTER)
    with pytest.raises(errors.RateLimitError) as info:
        await h.client.retrieve_job("ftjob-1")
    assert len(h.requests) == 1 and h.sleeps == []
    assert info.value.retry_after is not None and info.value.retry_after > 120


@pytest.mark.parametrize("value", ["0", "-4", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
async def test_a_wait_of_nothing_or_of_nonsense_falls_back_to_backoff(harness, value):
    h = harness(script(fail(429, **{"retry-after": value}), OK), retry=NO_JITTER)
    await h.client.retrieve_job("ftjob-1")
    assert h.sleeps == [1.0]  # the first backoff step, as with no header at all


async def test_the_policy_limit_of_a_server_directed_wait_can_be_set(harness):
    policy = RetryPolicy(max_attempts=2, base_delay=1.0, max_retry_after=20.0, jitter=0.0)
    h = harness(script(fail(429, **{"retry-after": "20"}), OK), retry=policy)
    await h.client.retrieve_job("ftjob-1")
    assert h.sleeps == [20.0]
    h = harness(script(fail(429, **{"retry-after": "21"}), OK), retry=policy)
    with pytest.raises(errors.RateLimitError):
        await h.client.retrieve_job("ftjob-1")


# -- x-should-retry --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 503])
@pytest.mark.parametrize("value", ["false", "False", " false "])
async def test_x_should_retry_false_is_obeyed(harness, status, value):
    h = harness(script(fail(status, **{"x-should-retry": value}), OK), retry=NO_JITTER)
    with pytest.raises(errors.FtmonApiError) as info:
        await h.client.retrieve_job("ftjob-1")
    assert info.value.status_code == status
    assert len(h.requests) == 1 and h.sleeps == [] and h.retries == []


@pytest.mark.parametrize("status", [400, 403, 404, 501])
async def test_x_should_retry_true_forces_a_retry(harness, status):
    h = harness(script(fail(status, **{"x-should-retry": "true"}), OK), retry=NO_JITTER)
    job = await h.client.retrieve_job("ftjob-1")
    assert job.id == "ftjob-1"
    assert len(h.requests) == 2 and h.sleeps == [1.0]


async def test_x_should_retry_true_still_spends_the_budget(harness):
    h = harness(script(fail(400, **{"x-should-retry": "true"})), retry=NO_JITTER)
    with pytest.raises(errors.BadRequestError):
        await h.client.retrieve_job("ftjob-1")
    assert len(h.requests) == NO_JITTER.max_attempts


async def test_x_should_retry_true_does_not_send_a_create_twice(harness):
    """No idempotency key goes with a create: a 500 may have started a paid run, whatever the
    header says; only an answer that proves nothing was done (429) is sent again."""
    body = {"model": "gpt-4o-mini", "training_file": "file-abc"}
    h = harness(script(fail(500, **{"x-should-retry": "true"}), OK), retry=NO_JITTER)
    with pytest.raises(errors.ServerError):
        await h.client.create_job(body)
    assert len(h.requests) == 1
    h = harness(script(fail(429, **{"x-should-retry": "true"}), OK), retry=NO_JITTER)
    await h.client.create_job(body)
    assert len(h.requests) == 2


async def test_an_unknown_x_should_retry_is_the_status_deciding(harness):
    h = harness(script(fail(503, **{"x-should-retry": "maybe"}), OK), retry=NO_JITTER)
    await h.client.retrieve_job("ftjob-1")
    assert len(h.requests) == 2
    h = harness(script(fail(400, **{"x-should-retry": "maybe"}), OK), retry=NO_JITTER)
    with pytest.raises(errors.BadRequestError):
        await h.client.retrieve_job("ftjob-1")


def test_server_says_retry():
    assert [server_says_retry(v) for v in ("true", "TRUE", "false", "", "1", None)] == [
        True,
        True,
        False,
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:28:30 -0000", 30.0),  # parses as a naive time: still GMT
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(header, seconds):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after(header, now=now) == seconds


# -- backoff -------------------------------------------------------------------------------------


def test_backoff_grows_exponentially_within_jitter_bounds():
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0, jitter=0.25, rng=random.Random(3))
    for attempt in range(1, 12):
        nominal = min(0.5 * 2 ** (attempt - 1), 30.0)
        samples = [policy.backoff(attempt) for _ in range(200)]
        assert all(nominal * 0.75 <= d <= min(nominal * 1.25, 30.0) for d in samples)
        if nominal < 30.0:
            assert len(set(samples)) > 100  # jittered, not one fixed value


def test_backoff_without_jitter_doubles_until_the_cap():
    policy = RetryPolicy(base_delay=0.5, max_delay=5.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_for_a_huge_attempt_number_is_the_cap():
    assert RetryPolicy(max_delay=9.0).backoff(10_000) <= 9.0


def test_default_backoff_is_the_sdks_half_a_second_to_eight():
    policy = RetryPolicy(jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert RetryPolicy().max_retry_after == 120.0


def test_same_rng_seed_same_delays():
    a = RetryPolicy(rng=random.Random(11))
    b = RetryPolicy(rng=random.Random(11))
    assert [a.backoff(n) for n in range(1, 6)] == [b.backoff(n) for n in range(1, 6)]


async def test_client_sleeps_grow_between_tries_and_hook_sees_each(harness):
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=60.0, rng=random.Random(5))
    h = harness(script(fail(502), fail(503), fail(500), OK), retry=policy)
    await h.client.list_jobs()
    assert len(h.requests) == 4
    assert len(h.sleeps) == 3
    for n, delay in enumerate(h.sleeps, start=1):
        assert 0.75 * 2 ** (n - 1) <= delay <= 1.25 * 2 ** (n - 1)
    assert h.retries == [
        ("ServerError", h.sleeps[0], 1),
        ("ServerError", h.sleeps[1], 2),
        ("ServerError", h.sleeps[2], 3),
    ]


async def test_attempt_budget_is_bounded(harness):
    h = harness(script(fail(503)), retry=RetryPolicy(max_attempts=3, rng=random.Random(1)))
    with pytest.raises(errors.ServerError) as info:
        await h.client.list_jobs()
    assert len(h.requests) == 3
    assert len(h.sleeps) == 2
    assert info.value.status_code == 503


async def test_max_retries_setting_counts_tries_after_the_first(harness):
    from ftmon.api.client import FineTuningClient
    from ftmon.config import Secret, Settings

    for retries, tries in [(0, 1), (2, 3)]:
        sent: list[httpx.Request] = []

        def handle(request: httpx.Request, sent=sent) -> httpx.Response:
            sent.append(request)
            return fail(503)

        async def no_sleep(_: float) -> None:
            return None

        client = FineTuningClient(
            Settings(api_key=Secret("sk-test-0123456789abcdef"), max_retries=retries),
            transport=httpx.MockTransport(handle),
            sleep=no_sleep,
        )
        async with client:
            with pytest.raises(errors.ServerError):
                await client.list_jobs()
        assert len(sent) == tries


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 520, 529])
async def test_passing_failures_are_retried(harness, status):
    h = harness(script(fail(status), OK), retry=NO_JITTER)
    await h.client.retrieve_job("ftjob-1")
    assert len(h.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501, 505])
async def test_lasting_failures_are_not_retried(harness, status):
    h = harness(script(fail(status), OK), retry=NO_JITTER)
    with pytest.raises(errors.FtmonApiError):
        await h.client.retrieve_job("ftjob-1")
    assert len(h.requests) == 1
    assert h.sleeps == [] and h.retries == []


def test_retryable_statuses():
    assert [s for s in range(400, 600) if is_retryable_status(s)] == [
        408,
        409,
        429,
        500,
        *range(502, 505),
        *range(506, 600),
    ]
    assert not is_retryable_status(None)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadError("reset"),
    ],
    ids=["connect", "read-timeout", "protocol", "read"],
)
async def test_network_failures_are_retried_for_reads(harness, exc):
    h = harness(script(exc, OK), retry=NO_JITTER)
    await h.client.list_jobs()
    assert len(h.requests) == 2


# -- never twice: job create and upload -----------------------------------------------------------

CREATE = {"model": "gpt-4o-mini", "training_file": "file-1"}


@pytest.mark.parametrize(
    "first",
    [
        fail(500),
        fail(502),
        fail(503),
        fail(409),
        fail(408),
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
    ids=["500", "502", "503", "409", "408", "timeout", "dropped"],
)
async def test_create_job_is_not_repeated_when_the_server_may_have_acted(harness, first):
    h = harness(script(first, OK), retry=NO_JITTER)
    with pytest.raises(errors.FtmonApiError):
        await h.client.create_job(CREATE)
    assert len(h.requests) == 1
    assert h.sleeps == []


async def test_create_job_is_not_repeated_after_the_overall_deadline(harness):
    import asyncio

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    h = harness(hang, retry=NO_JITTER, timeout=0.02)
    with pytest.raises(errors.RequestTimeoutError):
        await h.client.create_job(CREATE)
    assert len(h.requests) == 1
    assert h.sleeps == []


@pytest.mark.parametrize(
    "first",
    [fail(429, **{"retry-after": "2"}), httpx.ConnectError("Connection refused")],
    ids=["429", "refused"],
)
async def test_create_job_is_retried_when_the_server_surely_did_not_act(harness, first):
    h = harness(script(first, OK), retry=NO_JITTER)
    job = await h.client.create_job(CREATE)
    assert job.id == "ftjob-1"
    assert len(h.requests) == 2
    assert all(r.method == "POST" for r in h.requests)


async def test_create_job_retried_after_connect_timeout(harness):
    h = harness(script(httpx.ConnectTimeout("connect"), OK), retry=NO_JITTER)
    await h.client.create_job(CREATE)
    assert len(h.requests) == 2


@pytest.mark.parametrize(
    "first", [fail(500), httpx.ReadTimeout("no answer")], ids=["500", "timeout"]
)
async def test_upload_is_not_repeated(harness, tmp_path, first):
    source = tmp_path / "t.jsonl"
    source.write_text("{}\n")
    h = harness(script(first, json_response(200, {"id": "file-1"})), retry=NO_JITTER)
    with pytest.raises(errors.FtmonApiError):
        await h.client.upload_file(source)
    assert len(h.requests) == 1


async def test_upload_is_retried_after_a_rate_limit(harness, tmp_path):
    source = tmp_path / "t.jsonl"
    source.write_text("{}\n")
    h = harness(script(fail(429), json_response(200, {"id": "file-1"})), retry=NO_JITTER)
    seen: list[int] = []
    uploaded = await h.client.upload_file(source, on_progress=lambda sent, total: seen.append(sent))
    assert uploaded.id == "file-1"
    assert len(h.requests) == 2
    assert all(b"{}\n" in r.content and b"fine-tune" in r.content for r in h.requests)
    assert seen == [3, 3, 3]  # each try sent the whole file from byte 0; then the end


async def test_retry_hook_errors_carry_retry_after(harness):
    seen: list[errors.FtmonApiError] = []
    h = harness(script(fail(429, **{"retry-after": "3"}), OK), retry=NO_JITTER)
    h.client.on_retry = lambda exc, delay, attempt: seen.append(exc)
    await h.client.list_jobs()
    assert [(type(e), e.retry_after) for e in seen] == [(errors.RateLimitError, 3.0)]


async def test_out_of_quota_is_not_retried_and_says_so(harness):
    quota = json_response(
        429,
        {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}},
        **{"retry-after": "1"},
    )
    h = harness(script(quota, OK), retry=NO_JITTER)
    with pytest.raises(errors.RateLimitError) as info:
        await h.client.list_jobs()
    assert len(h.requests) == 1
    assert str(info.value).startswith("The account is out of quota")
    assert info.value.retryable is False


async def test_a_failing_retry_hook_does_not_stop_the_retry(harness):
    def broken(exc: Exception, delay: float, attempt: int) -> None:
        raise RuntimeError("status line gone")

    h = harness(script(fail(503), OK), retry=NO_JITTER)
    h.client.on_retry = broken
    assert (await h.client.retrieve_job("ftjob-1")).id == "ftjob-1"
    assert len(h.requests) == 2
