"""Lists are newest first and page with ``after``/``limit``/``has_more`` as the spec describes.

On both flavours; Azure has no metadata filter and no permissions, which the tests of those say.
"""

from __future__ import annotations

import httpx
import pytest
from support.flavors import BOTH, assert_error, azure_errors, error_param
from support.simkit import ADMIN_HEADERS, all_pages, get_json, job_by_suffix, suffix_of

from ftmon.sim.world import SimWorld

pytestmark = BOTH
JOBS = "/fine_tuning/jobs"


async def test_jobs_newest_first_and_paged(sim_http: httpx.AsyncClient) -> None:
    first = await get_json(sim_http, JOBS, params={"limit": 4})
    assert first["object"] == "list" and len(first["data"]) == 4 and first["has_more"] is True
    every = await all_pages(sim_http, JOBS, limit=4)
    assert len(every) == 15 and len({j["id"] for j in every}) == 15
    assert every[:4] == first["data"]
    stamps = [j["created_at"] for j in every]
    assert stamps == sorted(stamps, reverse=True)
    whole = await get_json(sim_http, JOBS, params={"limit": 100})
    assert whole["data"] == every and whole["has_more"] is False
    default = await get_json(sim_http, JOBS)
    assert len(default["data"]) == 15  # default limit 20


async def test_jobs_after_the_last_page_is_empty(sim_http: httpx.AsyncClient) -> None:
    every = await all_pages(sim_http, JOBS, limit=100)
    tail = await get_json(sim_http, JOBS, params={"after": every[-1]["id"]})
    assert tail["data"] == [] and tail["has_more"] is False
    middle = await get_json(sim_http, JOBS, params={"after": every[6]["id"], "limit": 3})
    assert middle["data"] == every[7:10] and middle["has_more"] is True


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "integer_below_min_value"),
        ({"limit": "ten"}, "invalid_type"),
        ({"limit": 10001}, "integer_above_max_value"),
        ({"after": "ftjob-nope"}, None),
    ],
)
async def test_bad_list_parameters_are_400(
    sim_http: httpx.AsyncClient, params: dict[str, object], code: str | None, flavor: str
) -> None:
    response = await sim_http.get(JOBS, params=params)
    assert response.status_code == 400
    error = assert_error(response.json(), flavor, azure_code="invalidPayload")
    assert error_param(error) == next(iter(params))
    if flavor == "openai":
        assert error["code"] == code


async def test_metadata_filter(sim_http: httpx.AsyncClient, flavor: str) -> None:
    if azure_errors(flavor):
        # Azure's FineTuning_List takes no metadata parameter: the filter is not applied.
        every = await get_json(sim_http, JOBS, params={"limit": 100})
        search = await get_json(sim_http, JOBS, params={"metadata[team]": "search", "limit": 100})
        assert search == every and len(every["data"]) == 15
        return
    search = await get_json(sim_http, JOBS, params={"metadata[team]": "search"})
    assert len(search["data"]) == 3
    assert all(j["metadata"]["team"] == "search" for j in search["data"])
    both = await get_json(
        sim_http, JOBS, params={"metadata[team]": "search", "metadata[env]": "prod"}
    )
    assert [suffix_of(j) for j in both["data"]] == ["catalog-long"]
    paged = await all_pages(sim_http, JOBS, limit=1, **{"metadata[team]": "support"})
    assert len(paged) == 4 and all(j["metadata"]["team"] == "support" for j in paged)
    bare = await get_json(sim_http, JOBS, params={"metadata": "null"})
    assert bare["data"] and all(not j["metadata"] for j in bare["data"])
    none = await get_json(sim_http, JOBS, params={"metadata[team]": "nobody"})
    assert none == {"object": "list", "data": [], "has_more": False}
    bad = await sim_http.get(JOBS, params={"metadata": "team"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "metadata"


async def test_events_page_back_in_time(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    jobs = (await get_json(sim_http, JOBS))["data"]
    job = job_by_suffix(jobs, "support-bot")
    url = f"{JOBS}/{job['id']}/events"
    first = await get_json(sim_http, url, params={"limit": 7})
    assert len(first["data"]) == 7 and first["has_more"] is True
    events = await all_pages(sim_http, url, limit=7)
    assert events[:7] == first["data"]
    record = sim_world.events_record(job["id"])["data"]
    assert events == list(reversed(record))  # newest first, nothing lost or repeated
    assert len({e["id"] for e in events}) == len(events)
    stamps = [e["created_at"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    older = await get_json(sim_http, url, params={"after": events[10]["id"], "limit": 3})
    assert older["data"] == events[11:14]
    oldest = await get_json(sim_http, url, params={"after": events[-1]["id"]})
    assert oldest == {"object": "list", "data": [], "has_more": False}
    stale = await sim_http.get(url, params={"after": "ftevent-unknown"})
    assert stale.status_code == 400 and error_param(stale.json()["error"]) == "after"


async def test_checkpoints_pages(sim_http: httpx.AsyncClient) -> None:
    jobs = (await get_json(sim_http, JOBS))["data"]
    url = f"{JOBS}/{job_by_suffix(jobs, 'sql-gen')['id']}/checkpoints"
    whole = await get_json(sim_http, url)
    steps = [c["step_number"] for c in whole["data"]]
    assert steps == [240, 180, 120]  # newest first, only the last 3 epochs kept
    assert whole["first_id"] == whole["data"][0]["id"]
    assert whole["last_id"] == whole["data"][-1]["id"] and whole["has_more"] is False
    one = await get_json(sim_http, url, params={"limit": 1})
    assert one["data"] == whole["data"][:1] and one["has_more"] is True
    rest = await get_json(sim_http, url, params={"limit": 5, "after": one["last_id"]})
    assert rest["data"] == whole["data"][1:] and rest["has_more"] is False
    queued = job_by_suffix(jobs, "legal-summarizer")
    empty = await get_json(sim_http, f"{JOBS}/{queued['id']}/checkpoints")
    assert empty == {
        "object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None,
    }  # fmt: skip


async def test_files_order_purpose_and_after(sim_http: httpx.AsyncClient) -> None:
    newest = await get_json(sim_http, "/files")
    oldest = await get_json(sim_http, "/files", params={"order": "asc"})
    assert newest["data"] == list(reversed(oldest["data"])) and newest["has_more"] is False
    stamps = [f["created_at"] for f in newest["data"]]
    assert stamps == sorted(stamps, reverse=True)
    results = await get_json(sim_http, "/files", params={"purpose": "fine-tune-results"})
    assert len(results["data"]) == 5
    assert {f["filename"] for f in results["data"]} == {"step_metrics.csv"}
    page = await get_json(sim_http, "/files", params={"limit": 2})
    assert page["has_more"] is True and page["last_id"] == page["data"][-1]["id"]
    rest = await get_json(sim_http, "/files", params={"after": page["last_id"], "limit": 100})
    assert page["data"] + rest["data"] == newest["data"]
    bad = await sim_http.get("/files", params={"order": "newest"})
    assert bad.status_code == 400 and error_param(bad.json()["error"]) == "order"


async def test_permissions_order_and_pages(sim_http: httpx.AsyncClient, flavor: str) -> None:
    jobs = (await get_json(sim_http, JOBS))["data"]
    model = job_by_suffix(jobs, "support-bot")["fine_tuned_model"]
    url = f"/fine_tuning/checkpoints/{model}/permissions"
    if azure_errors(flavor):  # OpenAI only: Azure has no checkpoint permissions
        missing = await sim_http.get(url, headers=ADMIN_HEADERS)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "404"
        return
    for project in ("proj_1", "proj_2", "proj_3"):
        created = await sim_http.post(url, json={"project_ids": [project]}, headers=ADMIN_HEADERS)
        assert created.status_code == 200
    desc = await get_json(sim_http, url, headers=ADMIN_HEADERS)
    assert [p["project_id"] for p in desc["data"]] == ["proj_3", "proj_2", "proj_1"]
    asc = await get_json(
        sim_http, url, params={"order": "ascending", "limit": 2}, headers=ADMIN_HEADERS
    )
    assert [p["project_id"] for p in asc["data"]] == ["proj_1", "proj_2"] and asc["has_more"]
    rest = await get_json(
        sim_http, url, params={"order": "ascending", "after": asc["last_id"]}, headers=ADMIN_HEADERS
    )
    assert [p["project_id"] for p in rest["data"]] == ["proj_3"] and rest["has_more"] is False
