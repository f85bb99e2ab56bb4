"""Pagination over newest-first lists: one page, every page lazily, and the event tail.

The event tail is what makes following a job cheap and exact: each poll asks for the newest page,
stops at the first event it already has, and hands back only the new ones, oldest first. Ids have
been unstable on some deployments, so an event also counts as known by (created_at, message).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel

from ftmon.api.errors import TooManyPagesError
from ftmon.api.models import FineTuningJobEvent, Page

T = TypeVar("T", bound=BaseModel)

#: The most pages one walk follows (100,000 jobs at 100 a page, more than any organisation
#: has); past it, an error.
MAX_PAGES = 1_000
#: The most pages one poll of a job's events walks back: more new events than this many pages
#: hold since the last poll is not a real job (the oldest of them are skipped).
MAX_TAIL_PAGES = 1_000

#: Fetches one page given the ``after`` cursor (None for the newest page).
PageFetcher = Callable[[str | None], Awaitable[Page[T]]]


async def iter_pages(
    fetch: PageFetcher[T], *, after: str | None = None, max_pages: int = MAX_PAGES
) -> AsyncIterator[Page[T]]:
    """Every page, newest first, fetched only as the caller asks for the next.

    Past ``max_pages`` the walk ends with :class:`TooManyPagesError`: a server that invents a
    new cursor on every page must not be followed until memory runs out.
    """
    cursor = after
    seen_cursors: set[str] = {after} if after else set()
    pages = 0
    while True:
        if pages >= max_pages:
            raise TooManyPagesError(
                f"Stopped after {pages:,} pages: the server keeps handing out more "
                "(a list that long is not a real one)"
            )
        page = await fetch(cursor)
        pages += 1
        yield page
        cursor = page.next_after
        # A server that hands back the same cursor twice would loop forever: stop instead.
        if cursor is None or cursor in seen_cursors:
            return
        seen_cursors.add(cursor)


async def iter_items(fetch: PageFetcher[T], *, after: str | None = None) -> AsyncIterator[T]:
    """Every item of every page, lazily."""
    async for page in iter_pages(fetch, after=after):
        for item in page.data:
            yield item


class EventTail:
    """The events of one job that this process has seen, and how to fetch only newer ones.

    ``remember`` bounds memory: only the keys of the newest events are kept, which is all that
    stopping at "the first known event" needs.
    """

    def __init__(self, *, page_size: int = 100, remember: int = 5000) -> None:
        self.page_size = page_size
        remember = max(1, remember)
        self._ids: deque[str] = deque(maxlen=remember)
        self._id_set: set[str] = set()
        self._keys: deque[tuple[int | None, str]] = deque(maxlen=remember)
        self._key_set: set[tuple[int | None, str]] = set()
        self.newest_id: str | None = None
        self.total_seen = 0

    def is_known(self, event: FineTuningJobEvent) -> bool:
        # An empty id is no id: servers that send "" for every event would make all known.
        return bool(event.id and event.id in self._id_set) or event.dedupe_key in self._key_set

    def _remember(self, event: FineTuningJobEvent) -> None:
        if event.id:
            if len(self._ids) == self._ids.maxlen:
                self._id_set.discard(self._ids[0])
            self._ids.append(event.id)
            self._id_set.add(event.id)
        key = event.dedupe_key
        if len(self._keys) == self._keys.maxlen:
            self._key_set.discard(self._keys[0])
        self._keys.append(key)
        self._key_set.add(key)
        self.newest_id = event.id or self.newest_id
        self.total_seen += 1

    def seed(self, events_oldest_first: list[FineTuningJobEvent]) -> None:
        """Mark events as already known (e.g. restored from a previous session)."""
        for event in events_oldest_first:
            if not self.is_known(event):
                self._remember(event)

    async def poll(
        self, fetch: PageFetcher[FineTuningJobEvent], *, max_pages: int | None = None
    ) -> list[FineTuningJobEvent]:
        """New events since the last poll, oldest first.

        Walks pages newest first until it meets a known event (or the list ends). Nothing is
        committed until the walk completes, so an error half way loses nothing: the next poll
        walks again. ``max_pages`` caps the first load of a huge history (the oldest are skipped);
        without it, ``MAX_TAIL_PAGES`` does, so a server inventing cursors cannot grow a walk
        without end.
        """
        if max_pages is None:
            max_pages = MAX_TAIL_PAGES
        fresh: list[FineTuningJobEvent] = []
        batch_keys: set[tuple[int | None, str]] = set()
        batch_ids: set[str] = set()
        pages = 0
        async for page in iter_pages(fetch):
            pages += 1
            met_known = False
            for event in page.data:
                if self.is_known(event):
                    met_known = True
                    break
                if event.dedupe_key in batch_keys or (event.id and event.id in batch_ids):
                    continue  # the same event twice in one walk (a page shifted under us)
                batch_keys.add(event.dedupe_key)
                if event.id:
                    batch_ids.add(event.id)
                fresh.append(event)
            if met_known or (max_pages is not None and pages >= max_pages):
                break
        fresh.reverse()
        for event in fresh:
            self._remember(event)
        return fresh
