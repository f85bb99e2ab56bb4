"""Pages fetched only when needed, loops on a stuck cursor stopped, and the exact event tail."""

from __future__ import annotations

from typing import Any

import pytest

from ftmon.api.models import FineTuningJob, FineTuningJobEvent, Page
from ftmon.api.pagination import EventTail, iter_items, iter_pages


def event(n: int, *, id_: str | None = None, message: str | None = None) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.event",
        "id": id_ if id_ is not None else f"ev-{n}",
        "created_at": 1_700_000_000 + n,
        "level": "info",
        "message": message if message is not None else f"Step {n}/100: training loss=0.{n}",
        "type": "metrics",
        "data": {"step": n},
    }


class EventServer:
    """A job's events, newest first, served a page at a time like the API (``after`` = an id)."""

    def __init__(self, count: int = 0, *, page_size: int = 3) -> None:
        self.events: list[dict[str, Any]] = [event(n) for n in range(count, 0, -1)]
        self.page_size = page_size
        self.calls: list[str | None] = []
        self.fail_on_call: int | None = None

    def add(self, *numbers: int) -> None:
        for n in numbers:
            self.events.insert(0, event(n))

    async def fetch(self, after: str | None) -> Page[FineTuningJobEvent]:
        self.calls.append(after)
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise ConnectionError("dropped half way")
        start = 0
        if after is not None:
            start = next(i for i, e in enumerate(self.events) if e["id"] == after) + 1
        chunk = self.events[start : start + self.page_size]
        more = start + self.page_size < len(self.events)
        return Page[FineTuningJobEvent].model_validate(
            {"object": "list", "data": chunk, "has_more": more}
        )


def steps(events: list[FineTuningJobEvent]) -> list[int]:
    return [int((e.data or {})["step"]) for e in events]


# -- iter_pages / iter_items --------------------------------------------------------------


async def test_iter_pages_fetches_only_as_asked():
    server = EventServer(10, page_size=3)
    pages = iter_pages(server.fetch)
    first = await anext(pages)
    assert steps(first.data) == [10, 9, 8]
    assert server.calls == [None]
    second = await anext(pages)
    assert steps(second.data) == [7, 6, 5]
    assert server.calls == [None, "ev-8"]
    await pages.aclose()
    assert len(server.calls) == 2


async def test_iter_pages_walks_to_the_end():
    server = EventServer(10, page_size=3)
    pages = [p async for p in iter_pages(server.fetch)]
    assert [steps(p.data) for p in pages] == [[10, 9, 8], [7, 6, 5], [4, 3, 2], [1]]
    assert server.calls == [None, "ev-8", "ev-5", "ev-2"]


async def test_iter_pages_from_a_cursor():
    server = EventServer(10, page_size=4)
    pages = [p async for p in iter_pages(server.fetch, after="ev-5")]
    assert [steps(p.data) for p in pages] == [[4, 3, 2, 1]]


async def test_iter_items_is_lazy_and_in_order():
    server = EventServer(10, page_size=3)
    taken = []
    async for item in iter_items(server.fetch):
        taken.append(item)
        if len(taken) == 4:
            break
    assert steps(taken) == [10, 9, 8, 7]
    assert len(server.calls) == 2  # the third page was never asked for


def job_page(ids: list[str], *, has_more: bool = True) -> Page[FineTuningJob]:
    return Page[FineTuningJob].model_validate(
        {"data": [{"id": i} for i in ids], "has_more": has_more}
    )


async def test_a_cursor_that_repeats_stops_the_walk():
    calls: list[str | None] = []

    async def stuck(after: str | None) -> Page[FineTuningJob]:
        calls.append(after)
        if len(calls) > 10:
            raise AssertionError("looping")
        return job_page(["a", "b"])  # has_more forever, always ending at "b"

    items = [j.id async for j in iter_items(stuck)]
    assert calls == [None, "b"]
    assert items == ["a", "b", "a", "b"]


async def test_a_server_that_returns_the_starting_cursor_stops_at_once():
    calls: list[str | None] = []

    async def stuck(after: str | None) -> Page[FineTuningJob]:
        calls.append(after)
        if len(calls) > 10:
            raise AssertionError("looping")
        return job_page(["x", "start"])

    pages = [p async for p in iter_pages(stuck, after="start")]
    assert len(pages) == 1 and calls == ["start"]


async def test_has_more_with_no_items_ends_the_walk():
    calls: list[str | None] = []

    async def empty(after: str | None) -> Page[FineTuningJob]:
        calls.append(after)
        return job_page([], has_more=True)

    assert [p async for p in iter_pages(empty)] != []
    assert calls == [None]


# -- EventTail ---------------------------------------------------------------------------


async def test_first_load_returns_everything_oldest_first():
    server = EventServer(8, page_size=3)
    tail = EventTail()
    new = await tail.poll(server.fetch)
    assert steps(new) == list(range(1, 9))
    assert tail.total_seen == 8
    assert tail.newest_id == "ev-8"


async def test_later_polls_return_only_new_events_from_one_page():
    server = EventServer(8, page_size=3)
    tail = EventTail()
    await tail.poll(server.fetch)
    server.calls.clear()
    server.add(9, 10)
    new = await tail.poll(server.fetch)
    assert steps(new) == [9, 10]
    assert server.calls == [None]  # stopped at the first known event on the first page
    assert await tail.poll(server.fetch) == []
    assert tail.newest_id == "ev-10"


async def test_stops_at_the_first_known_event_across_pages():
    server = EventServer(5, page_size=3)
    tail = EventTail()
    await tail.poll(server.fetch)
    server.add(6, 7, 8, 9)
    server.calls.clear()
    new = await tail.poll(server.fetch)
    assert steps(new) == [6, 7, 8, 9]
    assert server.calls == [None, "ev-7"]  # page 2 holds ev-6 then the known ev-5: stop there


async def test_events_whose_ids_changed_are_known_by_time_and_message():
    server = EventServer(4, page_size=10)
    tail = EventTail()
    await tail.poll(server.fetch)
    # The deployment renumbers every event, and adds one.
    for e in server.events:
        e["id"] = "new-" + e["id"]
    server.add(5)
    new = await tail.poll(server.fetch)
    assert steps(new) == [5]


async def test_an_event_whose_message_changed_is_known_by_id():
    server = EventServer(3, page_size=10)
    tail = EventTail()
    await tail.poll(server.fetch)
    server.events[0]["message"] = "Step 3/100: (edited)"
    assert await tail.poll(server.fetch) == []


async def test_same_event_twice_in_one_walk_is_kept_once():
    pages = [
        [event(5), event(4), event(3)],
        [event(3), event(3, id_="ev-3b"), event(2)],  # shifted page repeats ev-3 (twice)
    ]

    async def fetch(after: str | None) -> Page[FineTuningJobEvent]:
        data = pages[0] if after is None else pages[1]
        return Page[FineTuningJobEvent].model_validate({"data": data, "has_more": after is None})

    new = await EventTail().poll(fetch)
    assert steps(new) == [2, 3, 4, 5]


async def test_two_events_with_one_id_in_one_walk_are_kept_once():
    async def fetch(after: str | None) -> Page[FineTuningJobEvent]:
        data = [event(2, id_="dup"), event(1, id_="dup")]
        return Page[FineTuningJobEvent].model_validate({"data": data, "has_more": False})

    new = await EventTail().poll(fetch)
    assert len(new) == 1


async def test_a_poll_that_fails_half_way_loses_and_repeats_nothing():
    server = EventServer(4, page_size=2)
    tail = EventTail()
    await tail.poll(server.fetch)
    server.add(5, 6, 7, 8, 9)
    server.calls.clear()
    server.fail_on_call = 2  # the first page arrives, the second does not
    with pytest.raises(ConnectionError):
        await tail.poll(server.fetch)
    assert tail.total_seen == 4
    server.fail_on_call = None
    new = await tail.poll(server.fetch)
    assert steps(new) == [5, 6, 7, 8, 9]
    assert await tail.poll(server.fetch) == []
    assert tail.total_seen == 9


async def test_max_pages_caps_a_huge_first_load_and_the_next_poll_is_exact():
    server = EventServer(100, page_size=10)
    tail = EventTail()
    new = await tail.poll(server.fetch, max_pages=2)
    assert steps(new) == list(range(81, 101))
    assert len(server.calls) == 2
    server.add(101)
    server.calls.clear()
    new = await tail.poll(server.fetch)
    assert steps(new) == [101]
    assert len(server.calls) == 1


async def test_memory_is_bounded_and_only_the_oldest_are_forgotten():
    server = EventServer(50, page_size=50)
    tail = EventTail(remember=10)
    await tail.poll(server.fetch)
    assert tail.total_seen == 50
    assert len(tail._ids) <= 10 and len(tail._id_set) <= 10
    assert len(tail._keys) <= 10 and len(tail._key_set) <= 10
    known = [FineTuningJobEvent.model_validate(event(n)) for n in (50, 41, 40, 1)]
    assert [tail.is_known(e) for e in known] == [True, True, False, False]
    server.add(51)
    assert steps(await tail.poll(server.fetch)) == [51]


async def test_seed_marks_events_known():
    server = EventServer(5, page_size=10)
    tail = EventTail()
    tail.seed([FineTuningJobEvent.model_validate(event(n)) for n in (1, 2, 3)])
    new = await tail.poll(server.fetch)
    assert steps(new) == [4, 5]


async def test_events_without_ids_are_tailed_by_time_and_message():
    events = [event(n, id_="") for n in (3, 2, 1)]

    async def fetch(after: str | None) -> Page[FineTuningJobEvent]:
        return Page[FineTuningJobEvent].model_validate({"data": events, "has_more": False})

    tail = EventTail()
    assert steps(await tail.poll(fetch)) == [1, 2, 3]
    events.insert(0, event(4, id_=""))
    assert steps(await tail.poll(fetch)) == [4]
