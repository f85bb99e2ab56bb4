"""Bounded pages: no page is taken with more items than asked for, and no walk of pages follows
a server that invents a new cursor on every page without end."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from apikit import API_KEY, job_json
from support.simkit import SIM_START

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.pagination import MAX_TAIL_PAGES, EventTail, iter_pages
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings


def client_for(handler: Any) -> FineTuningClient:
    settings = Settings(api_key=Secret(API_KEY), base_url="http://127.0.0.1:9/v1")
    return FineTuningClient(
        settings, transport=httpx.MockTransport(handler), retry=RetryPolicy(max_attempts=1)
    )


def event_json(n: int) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.event",
        "id": f"ftevent-{n}",
        "created_at": SIM_START - n,
        "level": "info",
        "message": f"Step {n}",
        "type": "message",
    }


async def test_a_page_bigger_than_asked_is_cut_and_counted() -> None:
    """A server that ignores ``limit`` (1,000 asked 20) must not have them all validated."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["limit"] == "20"
        data = [event_json(n) for n in range(1000)]
        return httpx.Response(200, json={"object": "list", "data": data, "has_more": False})

    async with client_for(handler) as client:
        page = await client.list_events("ftjob-1", limit=20)
    assert [e.id for e in page.data] == [f"ftevent-{n}" for n in range(20)]
    assert page.unreadable == 980
    assert page.has_more and page.next_after == "ftevent-19"  # the rest is read as a next page


async def test_a_page_of_the_size_asked_is_untouched() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        data = [job_json(f"ftjob-{n}") for n in range(5)]
        return httpx.Response(200, json={"object": "list", "data": data, "has_more": False})

    async with client_for(handler) as client:
        page = await client.list_jobs(limit=5)
    assert len(page.data) == 5 and page.unreadable == 0 and not page.has_more


async def test_a_walk_of_invented_cursors_stops_with_a_message() -> None:
    counter = itertools.count()

    def handler(request: httpx.Request) -> httpx.Response:
        n = next(counter)
        return httpx.Response(
            200,
            json={"object": "list", "data": [job_json(f"ftjob-{n}")], "has_more": True},
        )

    async with client_for(handler) as client:
        with pytest.raises(errors.TooManyPagesError, match="Stopped after 50 pages"):
            async for _ in iter_pages(lambda after: client.list_jobs(after=after), max_pages=50):
                pass
    assert next(counter) == 50  # no request past the cap


async def test_a_poll_of_new_events_has_a_cap_too() -> None:
    counter = itertools.count()
    fetched: list[str | None] = []

    async def fetch(after: str | None) -> Any:
        fetched.append(after)
        n = next(counter)
        from ftmon.api.models import FineTuningJobEvent, Page

        return Page[FineTuningJobEvent](data=[event_json(n)], has_more=True)

    tail = EventTail()
    events = await tail.poll(fetch)
    assert len(fetched) == MAX_TAIL_PAGES
    assert len(events) == MAX_TAIL_PAGES
