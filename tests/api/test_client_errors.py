"""Every way a request can fail becomes one typed error a person can read, and never shows a key."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from apikit import ADMIN_KEY, API_KEY, job_json, json_response, settings

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy

ONE_TRY = RetryPolicy(max_attempts=1)


def api_error(status: int, message: str, **headers: str) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": "bad_thing"}}
    return json_response(status, body, **headers)


@pytest.mark.parametrize(
    ("status", "cls", "kind", "words"),
    [
        (400, errors.BadRequestError, "bad_request", "rejected"),
        (401, errors.AuthenticationError, "authentication", "API key was not accepted"),
        (403, errors.PermissionDeniedError, "permission_denied", "may not"),
        (404, errors.NotFoundError, "not_found", "Not found"),
        (408, errors.RequestTimeoutError, "timeout", "timed out"),
        (409, errors.ConflictError, "conflict", "Conflict"),
        (422, errors.UnprocessableEntityError, "unprocessable", "could not be processed"),
        (429, errors.RateLimitError, "rate_limited", "Rate limited"),
        (500, errors.ServerError, "server_error", "server failed (500"),
        (503, errors.ServerError, "server_error", "server failed (503"),
        (418, errors.FtmonApiError, "error", "Unexpected answer (418"),
    ],
)
async def test_status_maps_to_a_typed_error_with_the_api_message_and_request_id(
    harness, status, cls, kind, words
):
    h = harness(
        lambda r: api_error(status, "Job ftjob-1 is not running.", **{"x-request-id": "req_123"}),
        retry=ONE_TRY,
    )
    with pytest.raises(errors.FtmonApiError) as info:
        await h.client.cancel_job("ftjob-1")
    exc = info.value
    assert type(exc) is cls
    assert exc.kind == kind
    assert exc.status_code == status
    text = str(exc)
    assert words in text
    assert "Job ftjob-1 is not running." in text
    assert "req_123" in text
    assert "\n" not in text
    assert API_KEY not in text and ADMIN_KEY not in text
    assert exc.to_dict() == {
        "kind": kind,
        "message": exc.message,
        "status_code": status,
        "api_message": "Job ftjob-1 is not running.",
        "code": "bad_thing",
        "param": None,
        "request_id": "req_123",
    }


async def test_azure_request_id_header_is_used(harness):
    h = harness(lambda r: api_error(404, "gone", **{"apim-request-id": "az-9"}), retry=ONE_TRY)
    with pytest.raises(errors.NotFoundError) as info:
        await h.client.retrieve_job("x")
    assert info.value.request_id == "az-9"


@pytest.mark.parametrize(
    ("body", "api_message"),
    [
        ({"error": "plain words"}, "plain words"),
        ({"message": "top-level message"}, "top-level message"),
        ({"detail": "Not Found"}, "Not Found"),
        ({"error": None, "message": "null error"}, "null error"),
        ({"error": {"message": "line one\nline two\x1b[31m"}}, "line one line two\x1b[31m"),
        ({"error": {}}, None),
        ([1, 2], None),
    ],
)
async def test_error_body_shapes(harness, body, api_message):
    h = harness(lambda r: json_response(400, body), retry=ONE_TRY)
    with pytest.raises(errors.BadRequestError) as info:
        await h.client.list_jobs()
    assert info.value.api_message == api_message
    assert "\n" not in str(info.value)


async def test_plain_text_error_body_is_kept_html_is_not(harness):
    h = harness(lambda r: httpx.Response(502, text="upstream connect error"), retry=ONE_TRY)
    with pytest.raises(errors.ServerError) as info:
        await h.client.list_jobs()
    assert str(info.value) == "The server failed (502 Bad Gateway): upstream connect error"

    h = harness(
        lambda r: httpx.Response(502, text="<html><body>Bad gateway</body></html>"),
        retry=ONE_TRY,
    )
    with pytest.raises(errors.ServerError) as info:
        await h.client.list_jobs()
    assert str(info.value) == "The server failed (502 Bad Gateway)"


async def test_a_key_echoed_by_the_server_is_redacted(harness):
    echo = f"Incorrect API key provided: {API_KEY}. Admin: {ADMIN_KEY}"
    h = harness(lambda r: api_error(401, echo, **{"x-request-id": "req_1"}), retry=ONE_TRY)
    with pytest.raises(errors.AuthenticationError) as info:
        await h.client.list_jobs()
    exc = info.value
    for text in (str(exc), repr(exc), str(exc.to_dict()), str(exc.args)):
        assert API_KEY not in text and ADMIN_KEY not in text
    assert "Incorrect API key provided: ****" in str(exc)


async def test_a_key_echoed_in_the_request_id_is_redacted(harness):
    """A server (or a proxy before it) that puts what it was sent into x-request-id or
    apim-request-id must not get the key printed with the error."""
    for header in ("x-request-id", "apim-request-id"):
        h = harness(
            lambda r, header=header: api_error(500, "boom", **{header: API_KEY}), retry=ONE_TRY
        )
        with pytest.raises(errors.ServerError) as info:
            await h.client.list_jobs()
        exc = info.value
        for text in (str(exc), repr(exc), str(exc.to_dict()), str(exc.request_id)):
            assert API_KEY not in text, header
        assert exc.request_id == "****"


async def test_admin_route_auth_failure_names_the_admin_key(harness):
    h = harness(lambda r: api_error(401, "bad admin key"), retry=ONE_TRY)
    with pytest.raises(errors.AuthenticationError) as info:
        await h.client.list_permissions("ft:x:y:z:ckpt-step-1")
    assert str(info.value).startswith("The admin key was not accepted")


async def test_redirect_says_check_the_base_url(harness):
    h = harness(
        lambda r: httpx.Response(301, headers={"location": "https://api.example.test/v1/x"}),
        retry=ONE_TRY,
    )
    with pytest.raises(errors.FtmonApiError) as info:
        await h.client.list_jobs()
    assert "redirected (301) to https://api.example.test/v1/x" in str(info.value)
    assert "base URL" in str(info.value)


# -- bodies that cannot be read ------------------------------------------------------------------


async def test_undecodable_body_is_a_decode_error(harness):
    h = harness(
        lambda r: httpx.Response(200, text="<html>login</html>", headers={"x-request-id": "r7"}),
        retry=ONE_TRY,
    )
    with pytest.raises(errors.DecodeError) as info:
        await h.client.retrieve_job("ftjob-1")
    assert "not JSON" in str(info.value)
    assert "r7" in str(info.value)


async def test_invalid_utf8_body_is_a_decode_error(harness):
    h = harness(lambda r: httpx.Response(200, content=b"\xff\xfe{"), retry=ONE_TRY)
    with pytest.raises(errors.DecodeError):
        await h.client.list_jobs()


@pytest.mark.parametrize(
    ("call", "body", "where"),
    [
        (lambda c: c.retrieve_job("x"), {"object": "fine_tuning.job"}, "id"),
        (lambda c: c.retrieve_job("x"), [job_json()], "body"),
        (lambda c: c.retrieve_job("x"), None, "body"),
        (lambda c: c.list_jobs(), {"data": "nope"}, "data"),
    ],
)
async def test_unexpected_shape_names_where(harness, call, body, where):
    h = harness(lambda r: json_response(200, body), retry=ONE_TRY)
    with pytest.raises(errors.DecodeError) as info:
        await call(h.client)
    assert str(info.value) == f"The server's answer has an unexpected shape at {where}"


async def test_decode_errors_on_success_are_not_retried(harness):
    h = harness(lambda r: httpx.Response(200, text="oops"))
    with pytest.raises(errors.DecodeError):
        await h.client.list_jobs()
    assert len(h.requests) == 1


# -- timeouts and connections ---------------------------------------------------------------------


async def test_httpx_timeout_is_a_timeout_error(harness):
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    h = harness(slow, retry=ONE_TRY, timeout=12.0)
    with pytest.raises(errors.RequestTimeoutError) as info:
        await h.client.list_jobs()
    assert str(info.value) == "No answer within 12s from api.example.test"
    assert info.value.retryable


async def test_a_transport_that_hangs_times_out(harness):
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    h = harness(hang, retry=ONE_TRY, timeout=0.02)
    with pytest.raises(errors.RequestTimeoutError) as info:
        await h.client.list_jobs()
    assert "No answer within 0.02s" in str(info.value)


async def test_a_hanging_transport_is_retried_then_gives_up(harness):
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    h = harness(hang, retry=RetryPolicy(max_attempts=2, jitter=0.0), timeout=0.02)
    with pytest.raises(errors.RequestTimeoutError):
        await h.client.list_jobs()
    assert len(h.requests) == 2
    assert [name for name, _, _ in h.retries] == ["RequestTimeoutError"]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_connection_refused_on_a_real_closed_port():
    port = closed_port()
    delays: list[float] = []

    async def no_sleep(seconds: float) -> None:
        delays.append(seconds)

    client = FineTuningClient(
        settings(base_url=f"http://127.0.0.1:{port}/v1", timeout=5.0),
        retry=RetryPolicy(max_attempts=2, jitter=0.0),
        sleep=no_sleep,
    )
    async with client:
        with pytest.raises(errors.ConnectionFailedError) as info:
            await client.list_jobs()
    exc = info.value
    assert str(exc).startswith(f"Cannot connect to 127.0.0.1:{port}")
    assert exc.request_sent is False
    assert exc.kind == "connection"
    assert len(delays) == 1  # retried once, then gave up
    assert API_KEY not in str(exc)


async def test_create_job_on_a_closed_port_is_retried_since_nothing_was_sent():
    port = closed_port()
    tries: list[int] = []

    async def no_sleep(seconds: float) -> None:
        return None

    client = FineTuningClient(
        settings(base_url=f"http://127.0.0.1:{port}/v1"),
        retry=RetryPolicy(max_attempts=3, jitter=0.0),
        sleep=no_sleep,
        on_retry=lambda exc, delay, attempt: tries.append(attempt),
    )
    async with client:
        with pytest.raises(errors.ConnectionFailedError):
            await client.create_job({"model": "m", "training_file": "f"})
    assert tries == [1, 2]


@pytest.mark.parametrize(
    ("exc", "cls", "words"),
    [
        (httpx.RemoteProtocolError("Server disconnected"), errors.ConnectionFailedError, "broke"),
        (httpx.ReadError("reset by peer"), errors.ConnectionFailedError, "broke"),
        (httpx.WriteError(""), errors.ConnectionFailedError, "WriteError"),
        (httpx.PoolTimeout("pool"), errors.RequestTimeoutError, "No connection"),
        (httpx.ConnectTimeout("connect"), errors.RequestTimeoutError, "No connection"),
        (httpx.TooManyRedirects("loop"), errors.ConnectionFailedError, "Request failed"),
    ],
)
async def test_transport_failures_map_to_the_family(harness, exc, cls, words):
    def boom(request: httpx.Request) -> httpx.Response:
        raise exc

    h = harness(boom, retry=ONE_TRY)
    with pytest.raises(cls) as info:
        await h.client.list_jobs()
    assert words in str(info.value)


def test_errors_never_hold_a_key_in_str():
    exc = errors.error_for_status(401, body={"error": {"message": "nope"}}, request_id="r")
    exc.redact("nope")
    assert "nope" not in str(exc)
    assert str(exc) == "The API key was not accepted (401 Unauthorized): **** (request r)"


async def test_unreadable_items_are_left_out_and_counted_not_the_whole_page(harness):
    """One job with no id, or an event that is not an object, must not hide its neighbours."""
    jobs = {"data": [{"status": "running"}, job_json(), {"id": {"x": 1}}], "has_more": False}
    h = harness(lambda r: httpx.Response(200, json=jobs), retry=ONE_TRY)
    page = await h.client.list_jobs()
    assert [j.id for j in page.data] == [job_json()["id"]]
    assert page.unreadable == 2
    h = harness(lambda r: httpx.Response(200, json={"data": [1, 2]}), retry=ONE_TRY)
    events = await h.client.list_events("x")
    assert events.data == [] and events.unreadable == 2
