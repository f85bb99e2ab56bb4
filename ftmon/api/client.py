"""The async client: one shared ``httpx.AsyncClient`` for every fine-tuning and files operation.

It sends the right key to the right route (the admin key only on checkpoint permissions), turns
every failure into one :class:`~ftmon.api.errors.FtmonApiError`, and retries what is safe to retry.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from ftmon import __version__
from ftmon.api import errors
from ftmon.api.models import (
    CheckpointPermission,
    DeletedFile,
    DeletedPermission,
    FileObject,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Page,
)
from ftmon.api.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after
from ftmon.config import Secret, Settings

M = TypeVar("M", bound=BaseModel)

#: Called before each retry with the error, the delay about to be slept, and the try number.
RetryHook = Callable[[errors.FtmonApiError, float, int], None]


def _segment(value: str) -> str:
    """A path segment, quoted so that an id cannot climb out of its route."""
    return quote(value, safe="")


class FineTuningClient:
    """Every operation of the fine-tuning and files API, async, typed and retried.

    ``transport`` lets tests and ``--demo`` talk to the in-process simulator.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        on_retry: RetryHook | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy(max_attempts=settings.max_retries)
        self._sleep = sleep
        self.on_retry = on_retry
        self._http = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/") + "/",
            transport=transport,
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            headers=self._base_headers(),
            follow_redirects=False,
        )

    def _base_headers(self) -> dict[str, str]:
        headers = {"User-Agent": f"ftmon/{__version__}", "Accept": "application/json"}
        if self.settings.organization:
            headers["OpenAI-Organization"] = self.settings.organization
        if self.settings.project:
            headers["OpenAI-Project"] = self.settings.project
        return headers

    def _auth_headers(self, key: Secret | None) -> dict[str, str]:
        if key is None:
            return {}
        if self.settings.auth_header == "api-key":
            return {"api-key": key.reveal()}
        return {"Authorization": f"Bearer {key.reveal()}"}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> FineTuningClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport -------------------------------------------------------------------------

    async def _send_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json_body: Any,
        files: Any,
        data: Any,
        admin: bool,
    ) -> httpx.Response:
        key = self.settings.admin_key if admin else self.settings.api_key
        headers = self._auth_headers(key)
        try:
            # The overall deadline also covers transports that ignore httpx's own timeouts.
            response = await asyncio.wait_for(
                self._http.request(
                    method,
                    path.lstrip("/"),
                    params=params,
                    json=json_body,
                    files=files,
                    data=data,
                    headers=headers,
                ),
                timeout=self.settings.timeout + 1.0,
            )
        except (httpx.TimeoutException, asyncio.TimeoutError):
            raise errors.RequestTimeoutError(
                f"No answer within {self.settings.timeout:g}s from {self._host()}"
            ) from None
        except httpx.ConnectError as exc:
            raise errors.ConnectionFailedError(
                f"Cannot connect to {self._host()}: {_reason(exc)}"
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise errors.ConnectionFailedError(
                f"The connection to {self._host()} broke: {_reason(exc)}"
            ) from None
        except httpx.HTTPError as exc:
            raise errors.ConnectionFailedError(f"Request failed: {_reason(exc)}") from None
        if response.status_code >= 400:
            raise errors.error_for_status(
                response.status_code,
                reason=response.reason_phrase,
                body=_json_or_none(response),
                request_id=response.headers.get("x-request-id"),
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        return response

    def _host(self) -> str:
        return httpx.URL(self.settings.base_url).host or self.settings.base_url

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Any = None,
        data: Any = None,
        admin: bool = False,
        safe_to_repeat: bool = True,
    ) -> httpx.Response:
        """Send with retries; a request that is not safe to repeat is retried only if unsent."""
        if admin and not self.settings.admin_key:
            raise errors.MissingAdminKeyError(
                "Checkpoint permissions need an admin key: set OPENAI_ADMIN_KEY "
                "or admin_key in the config file"
            )
        if not admin and not self.settings.api_key:
            raise errors.MissingApiKeyError(
                "No API key: set OPENAI_API_KEY, api_key in the config file, or use --demo"
            )
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send_once(
                    method,
                    path,
                    params=params,
                    json_body=json_body,
                    files=files,
                    data=data,
                    admin=admin,
                )
            except errors.FtmonApiError as exc:
                if not self._may_retry(exc, attempt, safe_to_repeat):
                    raise
                delay = self.retry.backoff(attempt, exc.retry_after)
                if self.on_retry is not None:
                    self.on_retry(exc, delay, attempt)
                await self._sleep(delay)

    def _may_retry(self, exc: errors.FtmonApiError, attempt: int, safe_to_repeat: bool) -> bool:
        if attempt >= self.retry.max_attempts:
            return False
        if safe_to_repeat:
            return exc.retryable and (
                exc.status_code is None or exc.status_code in RETRYABLE_STATUS
            )
        # Not safe to repeat (a job create): only when the server surely did not act on it.
        return exc.status_code == 429 or (
            isinstance(exc, errors.ConnectionFailedError) and exc.message.startswith("Cannot")
        )

    async def _get_json(self, path: str, **kwargs: Any) -> Any:
        response = await self.request("GET", path, **kwargs)
        return _decode_json(response)

    async def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = await self.request(method, path, **kwargs)
        return _parse(model, _decode_json(response), response)

    async def _page(self, item: type[M], path: str, **kwargs: Any) -> Page[M]:
        response = await self.request("GET", path, **kwargs)
        return _parse(Page[item], _decode_json(response), response)  # type: ignore[valid-type]

    # -- jobs --------------------------------------------------------------------------------

    async def create_job(self, body: Mapping[str, Any]) -> FineTuningJob:
        """Create a job. Never retried blindly: a repeat could start a second paid run."""
        return await self._model(
            FineTuningJob, "POST", "fine_tuning/jobs", json_body=dict(body), safe_to_repeat=False
        )

    async def list_jobs(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        metadata: Mapping[str, str] | None = None,
        without_metadata: bool = False,
    ) -> Page[FineTuningJob]:
        """One page of jobs, newest first; ``without_metadata`` sends ``metadata=null``."""
        params: dict[str, Any] = {}
        if after:
            params["after"] = after
        if limit is not None:
            params["limit"] = limit
        if without_metadata:
            params["metadata"] = "null"
        for key, value in (metadata or {}).items():
            params[f"metadata[{key}]"] = value
        return await self._page(FineTuningJob, "fine_tuning/jobs", params=params)

    async def retrieve_job(self, job_id: str) -> FineTuningJob:
        return await self._model(FineTuningJob, "GET", f"fine_tuning/jobs/{_segment(job_id)}")

    async def cancel_job(self, job_id: str) -> FineTuningJob:
        return await self._model(
            FineTuningJob, "POST", f"fine_tuning/jobs/{_segment(job_id)}/cancel"
        )

    async def pause_job(self, job_id: str) -> FineTuningJob:
        return await self._model(
            FineTuningJob, "POST", f"fine_tuning/jobs/{_segment(job_id)}/pause"
        )

    async def resume_job(self, job_id: str) -> FineTuningJob:
        return await self._model(
            FineTuningJob, "POST", f"fine_tuning/jobs/{_segment(job_id)}/resume"
        )

    async def list_events(
        self, job_id: str, *, after: str | None = None, limit: int | None = None
    ) -> Page[FineTuningJobEvent]:
        """One page of a job's events, newest first; ``after`` pages back in time."""
        params: dict[str, Any] = {}
        if after:
            params["after"] = after
        if limit is not None:
            params["limit"] = limit
        return await self._page(
            FineTuningJobEvent, f"fine_tuning/jobs/{_segment(job_id)}/events", params=params
        )

    async def list_checkpoints(
        self, job_id: str, *, after: str | None = None, limit: int | None = None
    ) -> Page[FineTuningJobCheckpoint]:
        params: dict[str, Any] = {}
        if after:
            params["after"] = after
        if limit is not None:
            params["limit"] = limit
        return await self._page(
            FineTuningJobCheckpoint,
            f"fine_tuning/jobs/{_segment(job_id)}/checkpoints",
            params=params,
        )

    # -- checkpoint permissions (admin key) ---------------------------------------------------

    def _permissions_path(self, checkpoint: str) -> str:
        return f"fine_tuning/checkpoints/{_segment(checkpoint)}/permissions"

    async def list_permissions(
        self,
        checkpoint: str,
        *,
        project_id: str | None = None,
        after: str | None = None,
        limit: int | None = None,
        order: str | None = None,
    ) -> Page[CheckpointPermission]:
        """Projects a checkpoint is shared with; ``checkpoint`` is its ``ft:...`` model name."""
        params: dict[str, Any] = {}
        if project_id:
            params["project_id"] = project_id
        if after:
            params["after"] = after
        if limit is not None:
            params["limit"] = limit
        if order:
            params["order"] = order
        return await self._page(
            CheckpointPermission, self._permissions_path(checkpoint), params=params, admin=True
        )

    async def create_permissions(
        self, checkpoint: str, project_ids: list[str]
    ) -> Page[CheckpointPermission]:
        response = await self.request(
            "POST",
            self._permissions_path(checkpoint),
            json_body={"project_ids": list(project_ids)},
            admin=True,
        )
        return _parse(Page[CheckpointPermission], _decode_json(response), response)

    async def delete_permission(self, checkpoint: str, permission_id: str) -> DeletedPermission:
        return await self._model(
            DeletedPermission,
            "DELETE",
            f"{self._permissions_path(checkpoint)}/{_segment(permission_id)}",
            admin=True,
        )

    # -- files -------------------------------------------------------------------------------

    async def list_files(
        self,
        *,
        purpose: str | None = None,
        after: str | None = None,
        limit: int | None = None,
        order: str | None = None,
    ) -> Page[FileObject]:
        params: dict[str, Any] = {}
        for name, value in (("purpose", purpose), ("after", after), ("order", order)):
            if value:
                params[name] = value
        if limit is not None:
            params["limit"] = limit
        return await self._page(FileObject, "files", params=params)

    async def retrieve_file(self, file_id: str) -> FileObject:
        return await self._model(FileObject, "GET", f"files/{_segment(file_id)}")

    async def delete_file(self, file_id: str) -> DeletedFile:
        return await self._model(DeletedFile, "DELETE", f"files/{_segment(file_id)}")

    async def upload_file(
        self, path: Path, *, purpose: str = "fine-tune", filename: str | None = None
    ) -> FileObject:
        """Upload a file. Not retried blindly: a repeat would store a second copy."""
        content = await asyncio.to_thread(Path(path).read_bytes)
        return await self._model(
            FileObject,
            "POST",
            "files",
            files={"file": (filename or Path(path).name, content, "application/jsonl")},
            data={"purpose": purpose},
            safe_to_repeat=False,
        )

    async def file_content(self, file_id: str) -> bytes:
        """The raw bytes of a file."""
        response = await self.request("GET", f"files/{_segment(file_id)}/content")
        return response.content

    async def result_csv(self, file_id: str) -> str:
        """A job's result file as CSV text, decoded from base64 where a server sent it so."""
        return decode_result_file(await self.file_content(file_id))


def decode_result_file(content: bytes) -> str:
    """CSV text from a result file's bytes, plain or base64-encoded (both seen in the wild)."""
    text = content.decode("utf-8", errors="replace").strip()
    if "," in text:
        return text
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return text
    return decoded.decode("utf-8", errors="replace").strip()


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def _decode_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise errors.DecodeError(
            f"The server's answer is not JSON ({response.status_code}, "
            f"{len(response.content)} bytes)",
            status_code=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from None


def _parse(model: type[M], body: Any, response: httpx.Response) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise errors.DecodeError(
            f"The server's answer has an unexpected shape at {where}",
            status_code=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from None
