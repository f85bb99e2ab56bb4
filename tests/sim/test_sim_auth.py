"""Keys: any bearer or api-key header works; permissions need an admin key; OpenAI-shaped errors.

OpenAI only: the azure flavour's keys, Entra ID tokens and 401s are in ``test_sim_azure.py``.
"""

from __future__ import annotations

import httpx
import pytest
from support.simkit import ADMIN_HEADERS, get_json

from ftmon.sim.world import SimWorld

ROUTES = [
    ("GET", "/fine_tuning/jobs"),
    ("POST", "/fine_tuning/jobs"),
    ("GET", "/fine_tuning/jobs/ftjob-x/events"),
    ("POST", "/fine_tuning/jobs/ftjob-x/cancel"),
    ("GET", "/files"),
    ("GET", "/files/file-x/content"),
    ("POST", "/fine_tuning/alpha/graders/validate"),
    ("GET", "/fine_tuning/checkpoints/ft:x/permissions"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_missing_key_is_401(sim_http: httpx.AsyncClient, method: str, path: str) -> None:
    response = await sim_http.request(method, path, headers={"Authorization": ""})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["message"].startswith("You didn't provide an API key.")
    assert error["type"] == "invalid_request_error" and error["code"] is None
    assert response.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer sk-anything"},
        {"Authorization": "bearer lowercase-scheme"},
        {"Authorization": "", "api-key": "azure-style-key"},
    ],
)
async def test_any_key_is_accepted(sim_http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await sim_http.get("/fine_tuning/jobs", headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic abc"])
async def test_malformed_authorization_is_401(sim_http: httpx.AsyncClient, header: str) -> None:
    response = await sim_http.get("/fine_tuning/jobs", headers={"Authorization": header})
    assert response.status_code == 401


async def test_an_invalid_key_is_401_and_not_echoed(sim_http: httpx.AsyncClient) -> None:
    response = await sim_http.get(
        "/fine_tuning/jobs", headers={"Authorization": "Bearer sk-invalid-secret123"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert "secret123" not in response.text


async def test_permissions_need_an_admin_key(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    jobs = sim_world.list_jobs(limit=100)[0]
    model = next(j["fine_tuned_model"] for j in jobs if j["status"] == "succeeded")
    url = f"/fine_tuning/checkpoints/{model}/permissions"
    for method, path, body in [
        ("GET", url, None),
        ("POST", url, {"project_ids": ["proj_x"]}),
        ("DELETE", f"{url}/cp_x", None),
    ]:
        refused = await sim_http.request(method, path, json=body)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "insufficient_permissions"
    created = await sim_http.post(url, json={"project_ids": ["proj_x"]}, headers=ADMIN_HEADERS)
    assert created.status_code == 200
    body = created.json()
    assert body["object"] == "list" and body["has_more"] is False
    permission = body["data"][0]
    assert permission["object"] == "checkpoint.permission" and permission["id"].startswith("cp_")
    assert body["first_id"] == body["last_id"] == permission["id"]
    listed = await get_json(sim_http, url, headers=ADMIN_HEADERS)
    assert listed["data"] == [permission]
    deleted = await sim_http.delete(f"{url}/{permission['id']}", headers=ADMIN_HEADERS)
    assert deleted.json() == {
        "object": "checkpoint.permission",
        "id": permission["id"],
        "deleted": True,
    }
    again = await sim_http.delete(f"{url}/{permission['id']}", headers=ADMIN_HEADERS)
    assert again.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"project_ids": []},
        {"project_ids": "proj_a"},
        {"project_ids": [3]},
        {"project_ids": ["p"], "x": 1},
    ],
)
async def test_bad_permission_bodies_are_400(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, body: dict[str, object]
) -> None:
    model = next(
        j["fine_tuned_model"] for j in sim_world.list_jobs(limit=100)[0] if j["fine_tuned_model"]
    )
    response = await sim_http.post(
        f"/fine_tuning/checkpoints/{model}/permissions", json=body, headers=ADMIN_HEADERS
    )
    assert response.status_code == 400


async def test_duplicate_project_is_400(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    model = next(
        j["fine_tuned_model"] for j in sim_world.list_jobs(limit=100)[0] if j["fine_tuned_model"]
    )
    url = f"/fine_tuning/checkpoints/{model}/permissions"
    assert (
        await sim_http.post(url, json={"project_ids": ["p1"]}, headers=ADMIN_HEADERS)
    ).status_code == 200
    dup = await sim_http.post(url, json={"project_ids": ["p1"]}, headers=ADMIN_HEADERS)
    assert dup.status_code == 400 and dup.json()["error"]["param"] == "project_ids"


async def test_unknown_route_is_an_openai_404(sim_http: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/embeddings"),
        ("PATCH", "/fine_tuning/jobs"),
        ("GET", "/files/a/b/c"),
    ]:
        response = await sim_http.request(method, path)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == f"Invalid URL ({method} /v1{path})"


async def test_every_response_has_a_request_id(sim_http: httpx.AsyncClient) -> None:
    ids = set()
    for path in ["/fine_tuning/jobs", "/nope", "http://sim.test/_sim/stats"]:
        response = await sim_http.get(path)
        ids.add(response.headers["x-request-id"])
    assert len(ids) == 3
