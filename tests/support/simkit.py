"""The simulated world the tests share: its frozen start time, seed and keys, and small helpers.

``SIM_START`` is the one frozen start time of the suite: every frozen world, and every test that
needs a "now" for data it makes up, starts there.
"""

from __future__ import annotations

from typing import Any

import httpx

from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld

SIM_START = 1_780_000_000  # 2026-05-28T20:26:40Z: every frozen world starts here
SIM_SEED = 7
TEST_KEY = "sk-test-0000"
ADMIN_KEY = "sk-admin-test-0000"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}


def new_world(*, scenario: str = "default", seed: int = SIM_SEED) -> SimWorld:
    """A seeded world on a clock frozen at ``SIM_START`` (``default``: 15 jobs, every status)."""
    return SimWorld(seed=seed, clock=SimClock(start=SIM_START, speed=0), scenario=scenario)


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


def job_by_suffix(jobs: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(j for j in jobs if j.get("user_provided_suffix") == suffix)
