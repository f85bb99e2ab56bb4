"""Reading the API's answers as they were sent, for the archive (not the models' re-serialisation).

Everything goes through :meth:`FineTuningClient.request`, so the archive gets the client's keys
on the right routes, its retries and its caps (no answer past ``max_answer_bytes``); pages are
walked as :mod:`ftmon.api.pagination` walks them (the last item's id as the next ``after``, a
repeated cursor or too many pages ends the walk), but the items are kept as the JSON objects
the API sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.pagination import MAX_PAGES

#: The largest page the fine-tuning lists take.
PAGE_SIZE = 100
#: The most pages of one job's events walked: 10 million events (a reinforcement job of
#: 100,000 steps has a little more than 100,000). They are spooled to disk, not held.
EVENT_PAGES = 100_000


def segment(value: str) -> str:
    """An id as one path segment: it cannot climb out of its route."""
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise errors.InvalidRequestError("This id cannot be put in a URL") from None


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise errors.DecodeError(f"The answer for {what} is not JSON ({len(body)} bytes)") from None


async def get_object(client: FineTuningClient, path: str, *, admin: bool = False) -> dict[str, Any]:
    """One object (a job, a file's metadata) as the API sent it."""
    response = await client.request("GET", path, admin=admin)
    body = _json(response.content, path)
    if not isinstance(body, dict):
        raise errors.DecodeError(f"The answer for {path} is not a JSON object")
    return body


async def pages(
    client: FineTuningClient,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    limit: int = PAGE_SIZE,
    admin: bool = False,
    max_pages: int = MAX_PAGES,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every page of a newest-first list, each as the list of objects the API sent.

    Items that are not JSON objects are left out; a page holding more than ``limit`` items is
    cut to ``limit`` (a server that ignores it must not fill memory); past ``max_pages`` the
    walk ends with ``TooManyPagesError`` (a server inventing cursors).
    """
    after: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        query = {**(params or {}), "limit": limit, **({"after": after} if after else {})}
        response = await client.request("GET", path, params=query, admin=admin)
        body = _json(response.content, path)
        if isinstance(body, list):  # some compatible servers send a bare array: one page
            body = {"data": body, "has_more": False}
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise errors.DecodeError(f"The answer for {path} is not a list object")
        items = [item for item in body["data"][:limit] if isinstance(item, dict)]
        yield items
        last = items[-1].get("id") if items else None
        if body.get("has_more") is not True or not isinstance(last, str) or last in seen:
            return
        seen.add(last)
        after = last
    raise errors.TooManyPagesError(f"Stopped after {max_pages:,} pages of {path}")


async def content(client: FineTuningClient, file_id: str) -> bytes:
    """A file's content, the bytes as sent (capped as every answer is)."""
    return await client.file_content(file_id)


def job_path(job_id: str) -> str:
    return f"fine_tuning/jobs/{segment(job_id)}"


def permissions_path(checkpoint: str) -> str:
    return f"fine_tuning/checkpoints/{segment(checkpoint)}/permissions"


def file_path(file_id: str) -> str:
    return f"files/{segment(file_id)}"
