"""Every client operation sends what the spec says: method, path, query and body; the right key."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from apikit import (
    ADMIN_KEY,
    API_KEY,
    job_json,
    json_response,
    page_json,
    resolve,
    spec_operation,
)
from openapi_schema_validator import OAS31Validator

from ftmon.api import errors
from ftmon.api.client import decode_result_file
from ftmon.config import Secret

CKPT = "ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd:ckpt-step-88"
PERM = {"object": "checkpoint.permission", "id": "cp_1", "created_at": 1, "project_id": "proj_a"}
FILE = {"id": "file-abc", "object": "file", "bytes": 10, "created_at": 1, "filename": "t.jsonl"}


def answer(request: httpx.Request) -> httpx.Response:
    """A plausible answer for any route, so each operation can be called."""
    path = request.url.path
    if "/permissions" in path:
        if request.method == "DELETE":
            return json_response(
                200, {"id": "cp_1", "object": "checkpoint.permission", "deleted": True}
            )
        return json_response(200, page_json([PERM]))
    if path.endswith("/content"):
        return httpx.Response(200, content=b"step,train_loss\n1,0.5\n")
    if path.startswith("/v1/files"):
        if request.method == "DELETE":
            return json_response(200, {"id": "file-abc", "object": "file", "deleted": True})
        if request.method == "GET" and path == "/v1/files":
            return json_response(200, page_json([FILE]))
        return json_response(200, FILE)
    if path.endswith("/events"):
        return json_response(200, page_json([]))
    if path.endswith("/checkpoints"):
        return json_response(200, page_json([]))
    if path == "/v1/fine_tuning/jobs" and request.method == "GET":
        return json_response(200, page_json([job_json()]))
    return json_response(200, job_json())


def body_schema(operation: dict[str, Any], content_type: str) -> dict[str, Any]:
    return resolve(operation["requestBody"]["content"][content_type]["schema"])


def check_against_spec(request: httpx.Request) -> tuple[str, dict[str, Any]]:
    """The request's route, query names and JSON body all belong to a spec operation."""
    relative = request.url.path.removeprefix("/v1")
    template, operation = spec_operation(request.method, relative)
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    for name in request.url.params:
        base = name.split("[", 1)[0]  # metadata[k] is the deepObject form of metadata
        assert base in declared, f"{name} is not a query parameter of {template}"
    if request.content and request.headers.get("content-type") == "application/json":
        schema = body_schema(operation, "application/json")
        OAS31Validator(schema).validate(json.loads(request.content))
    return template, operation


CALLS = [
    ("create_job", lambda c: c.create_job({"model": "gpt-4o-mini", "training_file": "file-1"}),
     "POST", "/fine_tuning/jobs", {}),
    ("list_jobs", lambda c: c.list_jobs(after="ftjob-9", limit=5),
     "GET", "/fine_tuning/jobs", {"after": "ftjob-9", "limit": "5"}),
    ("retrieve_job", lambda c: c.retrieve_job("ftjob-1"), "GET", "/fine_tuning/jobs/ftjob-1", {}),
    ("retrieve_job_json", lambda c: c.retrieve_job_json("ftjob-1"),
     "GET", "/fine_tuning/jobs/ftjob-1", {}),
    ("cancel_job", lambda c: c.cancel_job("ftjob-1"),
     "POST", "/fine_tuning/jobs/ftjob-1/cancel", {}),
    ("pause_job", lambda c: c.pause_job("ftjob-1"), "POST", "/fine_tuning/jobs/ftjob-1/pause", {}),
    ("resume_job", lambda c: c.resume_job("ftjob-1"),
     "POST", "/fine_tuning/jobs/ftjob-1/resume", {}),
    ("list_events", lambda c: c.list_events("ftjob-1", after="ev-3", limit=50),
     "GET", "/fine_tuning/jobs/ftjob-1/events", {"after": "ev-3", "limit": "50"}),
    ("list_checkpoints", lambda c: c.list_checkpoints("ftjob-1", after="ck-2", limit=10),
     "GET", "/fine_tuning/jobs/ftjob-1/checkpoints", {"after": "ck-2", "limit": "10"}),
    ("list_permissions",
     lambda c: c.list_permissions(CKPT, project_id="proj_a", after="cp_0", limit=3,
                                  order="ascending"),
     "GET", f"/fine_tuning/checkpoints/{CKPT}/permissions",
     {"project_id": "proj_a", "after": "cp_0", "limit": "3", "order": "ascending"}),
    ("create_permissions", lambda c: c.create_permissions(CKPT, ["proj_a", "proj_b"]),
     "POST", f"/fine_tuning/checkpoints/{CKPT}/permissions", {}),
    ("delete_permission", lambda c: c.delete_permission(CKPT, "cp_1"),
     "DELETE", f"/fine_tuning/checkpoints/{CKPT}/permissions/cp_1", {}),
    ("list_files", lambda c: c.list_files(purpose="fine-tune", after="file-0", limit=2,
                                          order="asc"),
     "GET", "/files", {"purpose": "fine-tune", "after": "file-0", "limit": "2", "order": "asc"}),
    ("retrieve_file", lambda c: c.retrieve_file("file-abc"), "GET", "/files/file-abc", {}),
    ("delete_file", lambda c: c.delete_file("file-abc"), "DELETE", "/files/file-abc", {}),
    ("file_content", lambda c: c.file_content("file-abc"), "GET", "/files/file-abc/content", {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "call", "method", "path", "query"), CALLS, ids=[c[0] for c in CALLS]
)
async def test_each_operation_matches_the_spec(harness, name, call, method, path, query):
    h = harness(answer)
    await call(h.client)
    assert len(h.requests) == 1
    request = h.last
    assert request.method == method
    assert request.url.path == "/v1" + path
    assert dict(request.url.params) == query
    check_against_spec(request)
    admin = "/permissions" in path
    expected = ADMIN_KEY if admin else API_KEY
    assert request.headers["authorization"] == f"Bearer {expected}"


async def test_create_job_sends_the_body_as_json(harness):
    h = harness(answer)
    body = {
        "model": "gpt-4o-mini",
        "training_file": "file-1",
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}},
        "metadata": {"team": "a"},
    }
    job = await h.client.create_job(body)
    assert json.loads(h.last.content) == body
    assert h.last.headers["content-type"] == "application/json"
    assert job.id == "ftjob-1"


async def test_create_permissions_sends_project_ids_and_returns_the_list(harness):
    h = harness(answer)
    page = await h.client.create_permissions(CKPT, ["proj_a", "proj_b"])
    assert json.loads(h.last.content) == {"project_ids": ["proj_a", "proj_b"]}
    assert [p.project_id for p in page.data] == ["proj_a"]


async def test_list_jobs_metadata_filter_uses_deep_object_form(harness):
    h = harness(answer)
    await h.client.list_jobs(metadata={"team": "vision", "run": "7"})
    assert h.last.url.params.get("metadata[team]") == "vision"
    assert h.last.url.params.get("metadata[run]") == "7"
    assert b"metadata%5Bteam%5D=vision" in h.last.url.query


async def test_list_jobs_without_metadata_sends_metadata_null(harness):
    h = harness(answer)
    await h.client.list_jobs(without_metadata=True)
    assert dict(h.last.url.params) == {"metadata": "null"}


async def test_list_jobs_sends_no_empty_params(harness):
    h = harness(answer)
    page = await h.client.list_jobs()
    assert h.last.url.query == b""
    assert [j.id for j in page.data] == ["ftjob-1"]


@pytest.mark.parametrize(("given", "sent"), [("asc", "ascending"), ("desc", "descending")])
async def test_permission_order_short_forms_become_the_spec_words(harness, given, sent):
    h = harness(answer)
    await h.client.list_permissions(CKPT, order=given)
    assert h.last.url.params["order"] == sent


async def test_ids_cannot_climb_out_of_their_route(harness):
    h = harness(answer)
    await h.client.retrieve_job("../files/x?y")
    assert h.last.url.raw_path == b"/v1/fine_tuning/jobs/..%2Ffiles%2Fx%3Fy"


async def test_checkpoint_model_name_with_colons_is_one_segment(harness):
    h = harness(answer)
    await h.client.list_permissions(CKPT)
    assert h.last.url.path == f"/v1/fine_tuning/checkpoints/{CKPT}/permissions"


async def test_upload_is_multipart_with_file_and_purpose(harness, tmp_path):
    source = tmp_path / "train.jsonl"
    source.write_bytes(b'{"messages": []}\n')
    h = harness(answer)
    uploaded = await h.client.upload_file(source, expires_after_seconds=3600)
    request = h.last
    assert request.method == "POST" and request.url.path == "/v1/files"
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.content
    assert b'name="file"; filename="train.jsonl"' in body
    assert b'{"messages": []}' in body
    assert b'name="purpose"\r\n\r\nfine-tune' in body
    assert b'name="expires_after[anchor]"\r\n\r\ncreated_at' in body
    assert b'name="expires_after[seconds]"\r\n\r\n3600' in body
    _, operation = spec_operation("POST", "/files")
    fields = body_schema(operation, "multipart/form-data")["properties"]
    assert {"file", "purpose", "expires_after"} <= set(fields)
    assert uploaded.id == "file-abc"


async def test_upload_streams_the_file_as_it_was_when_opened_with_progress(harness, tmp_path):
    source = tmp_path / "train.jsonl"
    first = b'{"messages": []}\n' * 20_000  # 340 KB: several 64 KiB chunks
    source.write_bytes(first)
    seen: list[tuple[int, int]] = []

    def grow(sent: int, total: int) -> None:
        seen.append((sent, total))
        with source.open("ab") as more:  # written while it is sent: not part of this upload
            more.write(b'{"late": true}\n' * 1000)

    h = harness(answer)
    await h.client.upload_file(source, on_progress=grow)
    body = h.last.content
    assert first in body and b"late" not in body
    assert int(h.last.headers["content-length"]) == len(body)
    assert len(seen) > 3 and seen[-1] == (len(first), len(first))
    assert {total for _, total in seen} == {len(first)}


async def test_a_jobs_json_is_kept_as_sent_and_checked_to_be_a_job(harness):
    sent = job_json(integrations=None, unknown_field={"kept": True})
    h = harness(lambda request: json_response(200, sent))
    assert await h.client.retrieve_job_json("ftjob-1") == sent
    await h.client.retrieve_job_json("../files/x?y")
    assert h.last.url.raw_path == b"/v1/fine_tuning/jobs/..%2Ffiles%2Fx%3Fy"
    h = harness(lambda request: json_response(200, {"object": "list", "data": []}))
    with pytest.raises(errors.DecodeError):
        await h.client.retrieve_job_json("ftjob-1")


async def test_file_content_accepts_any_type(harness):
    h = harness(answer)
    content = await h.client.file_content("file-abc")
    assert content == b"step,train_loss\n1,0.5\n"
    assert h.last.headers["accept"] == "*/*"


# -- the keys --------------------------------------------------------------------------------


async def test_admin_key_only_on_permission_routes(harness):
    h = harness(answer)
    await h.client.list_jobs()
    await h.client.list_permissions(CKPT)
    await h.client.create_permissions(CKPT, ["proj_a"])
    await h.client.delete_permission(CKPT, "cp_1")
    await h.client.retrieve_file("file-abc")
    sent = [(r.url.path.split("/")[2], r.headers["authorization"]) for r in h.requests]
    assert sent == [
        ("fine_tuning", f"Bearer {API_KEY}"),
        ("fine_tuning", f"Bearer {ADMIN_KEY}"),
        ("fine_tuning", f"Bearer {ADMIN_KEY}"),
        ("fine_tuning", f"Bearer {ADMIN_KEY}"),
        ("files", f"Bearer {API_KEY}"),
    ]
    for request in h.requests:
        other = API_KEY if "/permissions" in request.url.path else ADMIN_KEY
        assert other not in str(request.headers)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_permissions(CKPT),
        lambda c: c.create_permissions(CKPT, ["proj_a"]),
        lambda c: c.delete_permission(CKPT, "cp_1"),
    ],
    ids=["list", "create", "delete"],
)
async def test_missing_admin_key_fails_before_any_request(harness, call):
    h = harness(answer, admin_key=None)
    with pytest.raises(errors.MissingAdminKeyError) as info:
        await call(h.client)
    assert h.requests == []
    assert "OPENAI_ADMIN_KEY" in str(info.value)


async def test_missing_api_key_fails_before_any_request(harness):
    h = harness(answer, api_key=None)
    with pytest.raises(errors.MissingApiKeyError) as info:
        await h.client.list_jobs()
    assert h.requests == []
    assert "OPENAI_API_KEY" in str(info.value)


async def test_admin_key_alone_still_lists_permissions(harness):
    h = harness(answer, api_key=None)
    await h.client.list_permissions(CKPT)
    assert h.last.headers["authorization"] == f"Bearer {ADMIN_KEY}"


async def test_key_that_cannot_go_in_a_header_fails_before_sending(harness):
    bad = "sk-test-abc\ndef0123456789"
    h = harness(answer, api_key=Secret(bad))
    with pytest.raises(errors.InvalidKeyError) as info:
        await h.client.list_jobs()
    assert h.requests == []
    assert "abc" not in str(info.value) and "API key" in str(info.value)


async def test_azure_api_key_header_mode(harness):
    h = harness(answer, auth_header="api-key")
    await h.client.list_jobs()
    await h.client.list_permissions(CKPT)
    assert h.requests[0].headers["api-key"] == API_KEY
    assert h.requests[1].headers["api-key"] == ADMIN_KEY
    assert all("authorization" not in r.headers for r in h.requests)


async def test_organization_and_project_headers(harness):
    h = harness(answer, organization="org-42", project="proj_7")
    await h.client.retrieve_job("ftjob-1")
    await h.client.list_permissions(CKPT)
    for request in h.requests:
        assert request.headers["openai-organization"] == "org-42"
        assert request.headers["openai-project"] == "proj_7"


async def test_no_organization_or_project_headers_when_unset(harness):
    h = harness(answer)
    await h.client.retrieve_job("ftjob-1")
    assert "openai-organization" not in h.last.headers
    assert "openai-project" not in h.last.headers


@pytest.mark.parametrize("base_url", ["http://host.test/openai/v1", "http://host.test/openai/v1/"])
async def test_base_url_with_a_path_prefix(harness, base_url):
    h = harness(answer, base_url=base_url)
    await h.client.list_events("ftjob-1")
    assert str(h.last.url) == "http://host.test/openai/v1/fine_tuning/jobs/ftjob-1/events"


async def test_base_url_query_goes_on_every_request(harness):
    h = harness(answer, base_url="https://res.openai.azure.com/openai/v1?api-version=preview")
    await h.client.list_jobs(limit=2)
    assert h.last.url.path == "/openai/v1/fine_tuning/jobs"
    assert dict(h.last.url.params) == {"api-version": "preview", "limit": "2"}


async def test_default_base_url_is_openai():
    from ftmon.api.client import FineTuningClient
    from ftmon.config import Settings

    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, job_json())

    client = FineTuningClient(
        Settings(api_key=Secret(API_KEY)), transport=httpx.MockTransport(record)
    )
    async with client:
        await client.retrieve_job("ftjob-1")
    assert str(seen[0].url) == "https://api.openai.com/v1/fine_tuning/jobs/ftjob-1"
    assert seen[0].headers["user-agent"].startswith("ftmon/")


# -- odd but valid answers --------------------------------------------------------------------


async def test_delete_answered_with_204_counts_as_deleted(harness):
    h = harness(lambda r: httpx.Response(204))
    deleted = await h.client.delete_file("file-abc")
    assert (deleted.id, deleted.deleted) == ("file-abc", True)
    gone = await h.client.delete_permission(CKPT, "cp_9")
    assert (gone.id, gone.deleted) == ("cp_9", True)


async def test_a_bare_json_array_is_one_page(harness):
    h = harness(lambda r: json_response(200, [job_json("a"), job_json("b")]))
    page = await h.client.list_jobs()
    assert [j.id for j in page.data] == ["a", "b"]
    assert page.next_after is None


# -- the result CSV ----------------------------------------------------------------------------

CSV = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,1.5,0.4,,\n"


@pytest.mark.parametrize(
    "content",
    [
        CSV.encode(),
        base64.b64encode(CSV.encode()),
        base64.encodebytes(CSV.encode()),  # wrapped at 76 columns, as some servers send it
        json.dumps(base64.b64encode(CSV.encode()).decode()).encode(),  # a JSON string
        json.dumps(CSV).encode(),
        b"data:text/csv;base64," + base64.b64encode(CSV.encode()),
        "\ufeff".encode() + CSV.encode(),
    ],
    ids=["plain", "base64", "base64-wrapped", "json-base64", "json-plain", "data-url", "bom"],
)
async def test_result_csv_plain_or_encoded(harness, content):
    h = harness(lambda r: httpx.Response(200, content=content))
    assert await h.client.result_csv("file-res") == CSV.strip()
    assert h.last.url.path == "/v1/files/file-res/content"


@pytest.mark.parametrize("word", ["step", "abcd", "", "not base64 at all!"])
def test_result_text_that_only_looks_like_base64_is_kept(word):
    assert decode_result_file(word.encode()) == word
