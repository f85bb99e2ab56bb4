"""A provider's differences put in front of the in-process simulator, for front-end tests.

:class:`FrontTransport` wraps a transport to the simulator (any flavour) and changes what the
front ends must cope with, each switched on by itself:

* ``deletes``: ``DELETE /fine_tuning/jobs/{id}`` as Azure OpenAI answers it: 204 for a job in a
  final state, 400 for one that is not; from then on the job is 404 and left out of lists;
* ``ignore_metadata``: the job list ignores ``metadata[...]`` (Azure's may), answering as if
  unfiltered;
* ``refuse_creates``: ``POST /fine_tuning/jobs`` answers 403 as OpenAI's wind-down does (an
  OpenAI-shaped body; the real one is not published), or with ``refuse_body``.

``requests`` records ``(method, path)`` of everything sent, so a test can say nothing was.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import httpx

FINAL = {"succeeded", "failed", "cancelled"}

#: The 403's body when none is given: OpenAI's error shape, the words a guess.
WINDDOWN_BODY: dict[str, Any] = {
    "error": {
        "message": "Fine-tuning job creation is no longer available for this organization.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
}

_JOB = re.compile(r"(?P<base>.*/fine_tuning/jobs)/(?P<id>[^/]+)(?P<rest>/.*)?")
_LIST = re.compile(r".*/fine_tuning/jobs/?")


def _error(status: int, message: str) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    return httpx.Response(status, json=body)


class FrontTransport(httpx.AsyncBaseTransport):
    """The simulator behind ``inner``, with the switched-on differences (see the module)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        deletes: bool = True,
        ignore_metadata: bool = False,
        refuse_creates: bool = False,
        refuse_body: dict[str, Any] | None = None,
    ) -> None:
        self.inner = inner
        self.deletes = deletes
        self.ignore_metadata = ignore_metadata
        self.refuse_creates = refuse_creates
        self.refuse_body = refuse_body or WINDDOWN_BODY
        self.deleted: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        #: The query of every list request, as sent (before any was ignored).
        self.asked: list[str] = []

    def sent(self, method: str, pattern: str = "") -> list[str]:
        """Paths of the ``method`` requests sent whose path holds ``pattern``."""
        return [p for m, p in self.requests if m == method and pattern in p]

    async def _read(self, request: httpx.Request) -> httpx.Response:
        """The simulator's answer read whole, as a fresh response (its body decoded)."""
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        skip = {"content-length", "content-encoding", "transfer-encoding"}
        headers = {k: v for k, v in response.headers.items() if k.lower() not in skip}
        return httpx.Response(response.status_code, headers=headers, content=content)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        method = request.method
        self.requests.append((method, path))
        job = _JOB.fullmatch(path)
        if job is not None:
            job_id = unquote(job["id"])
            if job_id in self.deleted:
                return _error(404, f"No such job: {job_id}")
            if method == "DELETE" and not job["rest"] and self.deletes:
                found = await self._read(httpx.Request("GET", request.url, headers=request.headers))
                if found.status_code != 200:
                    return found
                status = str(found.json().get("status", "")).lower()
                if status not in FINAL:
                    return _error(400, f"Job {job_id} is {status}: only a finished job is deleted")
                self.deleted.add(job_id)
                return httpx.Response(204)
        elif _LIST.fullmatch(path):
            if method == "POST" and self.refuse_creates:
                return httpx.Response(403, json=self.refuse_body)
            if method == "GET":
                return await self._list(request)
        return await self.inner.handle_async_request(request)

    async def _list(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        self.asked.append(url.query.decode())
        if self.ignore_metadata:
            kept = [(k, v) for k, v in url.params.multi_items() if not k.startswith("metadata")]
            url = url.copy_with(params=kept)
            request = httpx.Request("GET", url, headers=request.headers)
        if not self.ignore_metadata and not self.deleted:
            return await self.inner.handle_async_request(request)
        response = await self._read(request)
        if response.status_code != 200 or not self.deleted:
            return response
        body = response.json()
        body["data"] = [j for j in body.get("data", []) if j.get("id") not in self.deleted]
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(200, headers=headers, content=json.dumps(body).encode())
