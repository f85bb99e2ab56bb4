"""The simulated world the tests share: its frozen start time, seed and keys, and small helpers.

``SIM_START`` is the one frozen start time of the suite: every frozen world, and every test that
needs a "now" for data it makes up, starts there.
"""

from __future__ import annotations

from typing import Any

import httpx

from ftmon.sim.azure import API_VERSION
from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld

SIM_START = 1_780_000_000  # 2026-05-28T20:26:40Z: every frozen world starts here
SIM_SEED = 7
TEST_KEY = "sk-test-0000"
ADMIN_KEY = "sk-admin-test-0000"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}
AZURE_KEY = "0123456789abcdef0123456789abcdef"  # Azure keys are 32 hex digits


def sim_client_settings(flavor: str, origin: str) -> dict[str, Any]:
    """``httpx.AsyncClient`` settings (base URL, params, key header) for the flavour's API.

    Paths relative to the base URL (``/fine_tuning/jobs``) then work on each: under ``/v1`` on
    openai, Azure's dated routes (``/openai/...?api-version=...``, ``api-key``) on azure, and
    Azure's v1 routes (``/openai/v1/...``) on azure-v1.
    """
    if flavor == "azure":
        return {
            "base_url": f"{origin}/openai",
            "params": {"api-version": API_VERSION},
            "headers": {"api-key": AZURE_KEY},
        }
    if flavor == "azure-v1":
        return {"base_url": f"{origin}/openai/v1", "headers": {"api-key": AZURE_KEY}}
    return {"base_url": f"{origin}/v1", "headers": {"Authorization": f"Bearer {TEST_KEY}"}}


def new_world(
    *, scenario: str = "default", seed: int = SIM_SEED, flavor: str = "openai"
) -> SimWorld:
    """A seeded world on a clock frozen at ``SIM_START`` (``default``: 15 jobs, every status)."""
    clock = SimClock(start=SIM_START, speed=0)
    return SimWorld(seed=seed, clock=clock, scenario=scenario, flavor=flavor)


async def get_json(client: httpx.AsyncClient, url: str, **kwargs: Any) -> Any:
    """GET and return the JSON body, failing loudly on a non-200."""
    response = await client.get(url, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


async def all_pages(
    client: httpx.AsyncClient, url: str, *, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a newest-first list, following ``after`` = last id of each page."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        query = {"limit": limit, **params, **({"after": after} if after else {})}
        body = await get_json(client, url, params=query)
        items.extend(body["data"])
        if not body["has_more"]:
            return items
        assert body["data"], "has_more with an empty page"
        after = body["data"][-1]["id"]


def suffix_of(job: dict[str, Any]) -> str | None:
    """The user's suffix: OpenAI's ``user_provided_suffix``, Azure's ``suffix``."""
    return job.get("user_provided_suffix", job.get("suffix"))


def job_by_suffix(jobs: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(j for j in jobs if suffix_of(j) == suffix)
