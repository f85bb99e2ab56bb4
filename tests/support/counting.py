"""A client that notes every request the engine makes before it is sent: the budget tests and
``bench/active_budget.py`` count the same requests the same way."""

from __future__ import annotations

from typing import Any

from ftmon.api.client import FineTuningClient


class CountingClient:
    """Wraps a client; ``calls`` holds (kind, job id or page cursor) per request, ``listed``
    the jobs each page of the list brought. Anything else passes through untouched."""

    def __init__(self, client: FineTuningClient) -> None:
        self.client = client
        self.calls: list[tuple[str, str | None]] = []
        self.listed: list[tuple[str | None, list[str]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def list_jobs(self, **kwargs: Any) -> Any:
        self.calls.append(("list", kwargs.get("after")))
        page = await self.client.list_jobs(**kwargs)
        self.listed.append((kwargs.get("after"), [job.id for job in page.data]))
        return page

    async def retrieve_job(self, job_id: str) -> Any:
        self.calls.append(("get", job_id))
        return await self.client.retrieve_job(job_id)

    async def list_events(self, job_id: str, **kwargs: Any) -> Any:
        self.calls.append(("events", job_id))
        return await self.client.list_events(job_id, **kwargs)

    async def list_checkpoints(self, job_id: str, **kwargs: Any) -> Any:
        self.calls.append(("checkpoints", job_id))
        return await self.client.list_checkpoints(job_id, **kwargs)

    async def result_csv(self, file_id: str) -> str:
        self.calls.append(("result", file_id))
        return await self.client.result_csv(file_id)

    def clear(self) -> None:
        self.calls.clear()
        self.listed.clear()
