"""The async client: one shared ``httpx.AsyncClient`` for every fine-tuning and files operation.

It sends the right key to the right route (the admin key only on checkpoint permissions), turns
every failure into one :class:`~ftmon.api.errors.FtmonApiError`, and retries what is safe to retry.

On Azure OpenAI it sends the key in an ``api-key`` header, or a Microsoft Entra ID bearer token
(:mod:`ftmon.api.entra`: renewed before it expires, and once after a 401), never an admin key,
and never anything to OpenAI's own host. No redirect is followed, so no credential reaches a
host or port other than the configured one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from ftmon import __version__
from ftmon.aio import wait_within
from ftmon.api import errors
from ftmon.api.entra import (
    AZ_CLI_HINT,
    INSTALL_HINT,
    BearerTokens,
    EntraTokens,
    StaticToken,
    default_credential,
)
from ftmon.api.models import (
    CheckpointPermission,
    DeletedFile,
    DeletedModel,
    DeletedPermission,
    FileObject,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Model,
    Page,
    RunGraderResponse,
    ValidateGraderResponse,
)
from ftmon.api.retry import (
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
    server_says_retry,
)
from ftmon.config import Secret, Settings, is_openai_host, key_problem
from ftmon.localread import regular_file

M = TypeVar("M", bound=BaseModel)

#: Called before each retry with the error, the delay about to be slept, and the try number.
RetryHook = Callable[[errors.FtmonApiError, float, int], None]

#: Headers that carry a request id: OpenAI's, then Azure's.
_REQUEST_ID_HEADERS = ("x-request-id", "apim-request-id", "x-ms-request-id")

#: ``order`` spellings other list routes use, mapped to the ones the permissions route takes.
_PERMISSION_ORDER = {"asc": "ascending", "desc": "descending"}

#: Passed as ``deadline`` to wait as long as the transfer takes (uploads of big files).
NO_DEADLINE = -1.0


def _list_params(after: str | None, limit: int | None) -> dict[str, Any]:
    """The cursor parameters every list takes: ``after`` (an id) and ``limit``."""
    params: dict[str, Any] = {}
    if after:
        params["after"] = after
    if limit is not None:
        params["limit"] = limit
    return params


def _segment(value: str) -> str:
    """A path segment, quoted so that an id cannot climb out of its route.

    An id that cannot be put in a URL at all (a lone surrogate) is refused before sending.
    """
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise errors.InvalidRequestError(
            "This id cannot be sent: it holds characters that no URL can carry"
        ) from None


#: ``(bytes sent, total bytes)`` of an upload.
UploadProgress = Callable[[int, int], None]


class _ProgressReader:
    """An open binary file that says how far httpx has read it, and never reads past ``total``
    (its size when opened: the ``Content-Length`` httpx sends), even if the file grows.

    httpx learns its size by seeking to its end (no ``fileno``: ``fstat`` would tell the size
    of a file that grew since), and seeks to 0 before each send, so a retried upload starts
    again from the first byte.
    """

    def __init__(self, handle: IO[bytes], total: int, on_progress: UploadProgress | None) -> None:
        self._handle = handle
        self.total = total
        self._on_progress = on_progress
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        left = self.total - self.sent
        chunk = self._handle.read(left if size < 0 else min(size, left)) if left > 0 else b""
        if chunk:
            self.sent += len(chunk)
            if self._on_progress is not None:
                self._on_progress(self.sent, self.total)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_END:  # the end is where the upload ends, not where the file does
            offset, whence = self.total + offset, os.SEEK_SET
        self.sent = self._handle.seek(offset, whence)
        return self.sent

    def tell(self) -> int:
        return self._handle.tell()


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
        tokens: BearerTokens | None = None,
    ) -> None:
        """``tokens``: where Azure's bearer tokens come from; by default Entra ID sign-in for
        ``auth = "entra"``, ``AZURE_OPENAI_AD_TOKEN`` when set, else none (the key is sent)."""
        self.settings = settings
        self.tokens = tokens if tokens is not None else tokens_for(settings)
        # ``max_retries`` counts the tries after the first one.
        self.retry = retry or RetryPolicy(max_attempts=max(0, settings.max_retries) + 1)
        self._sleep = sleep
        self.on_retry = on_retry
        base = httpx.URL(settings.base_url)
        self._http = httpx.AsyncClient(
            # A query in the base URL (Azure's ``?api-version=``) is sent with every request:
            # left in the base URL it would be glued in front of each path.
            base_url=str(base.copy_with(query=None, fragment=None)).rstrip("/") + "/",
            params=list(base.params.multi_items()),
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
        if self.settings.auth_header == "api-key" or self.settings.provider == "azure":
            return {"api-key": key.reveal()}
        return {"Authorization": f"Bearer {key.reveal()}"}

    async def aclose(self) -> None:
        await self._http.aclose()
        if self.tokens is not None:
            self.tokens.close()

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
        auth: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> httpx.Response:
        all_headers = {**(headers or {}), **auth}
        # Built inside the awaited coroutine, so a URL that cannot be built (too long, a lone
        # surrogate) meets the same handler below as before.
        send = self._send_capped(
            method,
            path.lstrip("/"),
            params=params,
            json=json_body,
            files=files,
            data=data,
            headers=all_headers,
        )
        timeout = self.settings.timeout
        if deadline is None:
            # The overall deadline also covers transports that ignore httpx's own timeouts,
            # and servers that trickle a byte at a time.
            deadline = timeout + min(1.0, timeout)
        try:
            if deadline == NO_DEADLINE:
                response = await send
            else:
                response = await wait_within(send, deadline)
        except (httpx.ConnectTimeout, httpx.PoolTimeout):
            raise errors.RequestTimeoutError(
                f"No connection to {self._host()} within {timeout:g}s", request_sent=False
            ) from None
        except (httpx.TimeoutException, TimeoutError):
            raise errors.RequestTimeoutError(
                f"No answer within {timeout:g}s from {self._host()}"
            ) from None
        except httpx.ConnectError as exc:
            # Refused, unreachable or a name that does not resolve: nothing reached the server.
            raise errors.ConnectionFailedError(
                f"Cannot connect to {self._host()}: {_reason(exc)}", request_sent=False
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise errors.ConnectionFailedError(
                f"The connection to {self._host()} broke: {_reason(exc)}"
            ) from None
        except httpx.HTTPError as exc:
            raise errors.ConnectionFailedError(f"Request failed: {_reason(exc)}") from None
        except (httpx.InvalidURL, UnicodeError) as exc:
            # Not an httpx.HTTPError: an id longer than a URL may be, say. Nothing was sent.
            raise errors.InvalidRequestError(
                f"This request cannot be sent: {type(exc).__name__}"
            ) from None
        if response.status_code >= 400:
            error = errors.error_for_status(
                response.status_code,
                reason=response.reason_phrase,
                body=_json_or_none(response),
                request_id=_request_id(response),
                retry_after=_retry_after(response),
            )
            if admin and response.status_code in (401, 403):
                error.message = error.message.replace("The API key", "The admin key").replace(
                    "This key", "This admin key"
                )
            error.should_retry = server_says_retry(response.headers.get("x-should-retry"))
            raise error
        if 300 <= response.status_code < 400:
            where = response.headers.get("location") or "elsewhere"
            raise errors.FtmonApiError(
                f"The server redirected ({response.status_code}) to {where}: check the base URL",
                status_code=response.status_code,
                request_id=_request_id(response),
            )
        return response

    async def _send_capped(self, method: str, url: str, **parts: Any) -> httpx.Response:
        """Send and read the answer, decoded, up to ``max_answer_bytes``: past that, stop.

        httpx would read a whole body into memory (a 4 MB gzip that inflates to 4 GiB, or a body
        that never ends, only against a deadline); streamed, no answer holds more than the cap
        plus one decoded chunk. ``parts`` are ``build_request``'s (params, json, files...).
        """
        request = self._http.build_request(method, url, **parts)
        response = await self._http.send(request, stream=True)
        limit = self.settings.max_answer_bytes
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise errors.ResponseTooLargeError(
                        f"The answer from {self._host()} passed {_size(limit)} once decoded; "
                        "reading stopped there (max_answer_bytes in the config file)",
                        status_code=response.status_code,
                        request_id=_request_id(response),
                    )
            # What ``read()`` would have kept: the decoded body, for .content, .text and .json().
            response._content = bytes(body)
        finally:
            await response.aclose()
        return response

    def _redact(self, error: errors.FtmonApiError) -> None:
        """Servers have echoed a wrong key back in the error text: never pass it on."""
        settings = self.settings
        keys = (settings.api_key, settings.admin_key, settings.entra_token)
        error.redact(*(s.reveal() for s in keys if s))
        if self.tokens is not None:
            error.redact(*self.tokens.secrets())

    def _host(self) -> str:
        url = httpx.URL(self.settings.base_url)
        if not url.host:
            return self.settings.base_url
        return f"{url.host}:{url.port}" if url.port else url.host

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
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> httpx.Response:
        """Send with retries; a request that is not safe to repeat is retried only if unsent.

        ``deadline`` bounds the whole exchange (default: the timeout plus a little;
        :data:`NO_DEADLINE` for transfers whose length depends on their size).
        """
        self._check_credentials(admin)
        attempt = 0
        renewed = False  # a bearer token renewed after a 401, once per request
        while True:
            attempt += 1
            token: Secret | None = None
            try:
                if admin:
                    auth = self._auth_headers(self.settings.admin_key)
                elif self.tokens is not None:
                    token = await self.tokens.token()
                    auth = {"Authorization": f"Bearer {token.reveal()}"}
                else:
                    auth = self._auth_headers(self.settings.api_key)
                return await self._send_once(
                    method,
                    path,
                    params=params,
                    json_body=json_body,
                    files=files,
                    data=data,
                    admin=admin,
                    auth=auth,
                    headers=headers,
                    deadline=deadline,
                )
            except errors.FtmonApiError as exc:
                if token is not None and exc.status_code == 401:
                    if not renewed and self.tokens is not None:
                        renewed = True
                        try:
                            fresh = await self.tokens.renew(token)
                        except errors.FtmonApiError as failed:
                            self._redact(failed)
                            raise failed from None
                        if fresh is not None:
                            attempt -= 1  # a renewal is not a retry: the budget stays
                            continue
                    self._token_refused(exc)
                self._redact(exc)
                if not self._may_retry(exc, attempt, safe_to_repeat):
                    raise
                delay = self.retry.backoff(attempt, exc.retry_after)
                if self.on_retry is not None:
                    try:
                        self.on_retry(exc, delay, attempt)
                    except Exception:  # a status-line hook must not turn a retry into a crash
                        pass
                await self._sleep(delay)

    def _check_credentials(self, admin: bool) -> None:
        """Refuse before sending what must not be sent: no key, a key no header can carry, an
        Azure credential on its way to OpenAI's host, an admin call on Azure."""
        settings = self.settings
        azure = settings.provider == "azure"
        if azure and is_openai_host(httpx.URL(settings.base_url).host):
            raise errors.InvalidRequestError(
                "Azure OpenAI credentials are never sent to OpenAI's host: set the Azure "
                "endpoint (AZURE_OPENAI_ENDPOINT, base_url in the profile, or --base-url)"
            )
        if admin and azure:
            raise errors.InvalidRequestError(
                "Azure OpenAI has no checkpoint permissions: it does not share checkpoints "
                "with other projects"
            )
        if admin and not settings.admin_key:
            raise errors.MissingAdminKeyError(
                "Checkpoint permissions need an admin key: set OPENAI_ADMIN_KEY "
                "or admin_key in the config file"
            )
        missing = settings.missing_credentials()
        if not admin and self.tokens is None and not settings.api_key and missing:
            raise errors.MissingApiKeyError(missing[0].upper() + missing[1:])
        key = settings.admin_key if admin else (None if self.tokens else settings.api_key)
        problem = key_problem(key.reveal()) if key else None
        if problem:
            # httpx would refuse the header, and its message would quote the key.
            name = "admin key" if admin else "API key"
            raise errors.InvalidKeyError(f"The {name} cannot be sent: {problem}")

    def _token_refused(self, exc: errors.FtmonApiError) -> None:
        """A 401 for a bearer token that was renewed, or cannot be: say which, and what to do."""
        if isinstance(self.tokens, StaticToken):
            exc.message = (
                "Azure OpenAI refused the Entra ID token in AZURE_OPENAI_AD_TOKEN (401): it "
                "has probably expired (such tokens last about an hour) and ftmon cannot renew "
                f"it. Put a fresh one there ({AZ_CLI_HINT}), or let ftmon sign in and renew "
                f'tokens itself: auth = "entra" in the profile or --entra ({INSTALL_HINT})'
            )
        else:
            exc.message = (
                "Azure OpenAI refused the Entra ID token (401), a freshly fetched one too: "
                "check that the signed-in identity belongs to the resource's tenant and that "
                "the resource accepts Entra ID sign-in"
            )
        exc.args = (exc.message,)

    def _may_retry(self, exc: errors.FtmonApiError, attempt: int, safe_to_repeat: bool) -> bool:
        """As the official SDK decides (see :mod:`ftmon.api.retry`), stricter only for what is
        not safe to send twice."""
        if attempt >= self.retry.max_attempts:
            return False
        if self.retry.waits_too_long(exc.retry_after):
            return False  # the SDK does not retry when asked to wait past two minutes
        if exc.should_retry is False:
            return False
        if exc.should_retry is True and safe_to_repeat:
            return True
        if not exc.retryable:
            return False
        if safe_to_repeat:
            return exc.status_code is None or is_retryable_status(exc.status_code)
        # Not safe to repeat (a job create, an upload): only when the server surely did not act
        # on it: it refused by rate limit, or the request never left this machine.
        return exc.status_code == 429 or exc.request_sent is False

    async def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = await self.request(method, path, **kwargs)
        return _parse(model, _decode_json(response), response)

    async def _page(self, item: type[M], path: str, **kwargs: Any) -> Page[M]:
        response = await self.request("GET", path, **kwargs)
        asked = (kwargs.get("params") or {}).get("limit")
        return _parse_page(item, response, limit=asked if isinstance(asked, int) else None)

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
        params = _list_params(after, limit)
        if without_metadata:
            params["metadata"] = "null"
        for key, value in (metadata or {}).items():
            params[f"metadata[{key}]"] = value
        return await self._page(FineTuningJob, "fine_tuning/jobs", params=params)

    async def retrieve_job(self, job_id: str) -> FineTuningJob:
        return await self._model(FineTuningJob, "GET", f"fine_tuning/jobs/{_segment(job_id)}")

    async def retrieve_job_json(self, job_id: str) -> dict[str, Any]:
        """The job's JSON exactly as the API sent it, for exports (the typed model turns
        ``null`` lists into ``[]``); checked to be a job like :meth:`retrieve_job`."""
        response = await self.request("GET", f"fine_tuning/jobs/{_segment(job_id)}")
        body = _decode_json(response)
        _parse(FineTuningJob, body, response)
        return dict(body)

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

    async def delete_job(self, job_id: str) -> None:
        """Delete a finished job: Azure OpenAI only (``DELETE /fine_tuning/jobs/{id}``, answered
        204 No Content); OpenAI has no such route."""
        await self.request("DELETE", f"fine_tuning/jobs/{_segment(job_id)}")

    async def list_events(
        self, job_id: str, *, after: str | None = None, limit: int | None = None
    ) -> Page[FineTuningJobEvent]:
        """One page of a job's events, newest first; ``after`` pages back in time."""
        params = _list_params(after, limit)
        return await self._page(
            FineTuningJobEvent, f"fine_tuning/jobs/{_segment(job_id)}/events", params=params
        )

    async def list_checkpoints(
        self, job_id: str, *, after: str | None = None, limit: int | None = None
    ) -> Page[FineTuningJobCheckpoint]:
        params = _list_params(after, limit)
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
        params = _list_params(after, limit)
        if project_id:
            params["project_id"] = project_id
        if order:
            params["order"] = _PERMISSION_ORDER.get(order, order)
        return await self._page(
            CheckpointPermission, self._permissions_path(checkpoint), params=params, admin=True
        )

    async def create_permissions(
        self, checkpoint: str, project_ids: list[str]
    ) -> Page[CheckpointPermission]:
        """Share a checkpoint with projects; the answer lists the new permissions."""
        response = await self.request(
            "POST",
            self._permissions_path(checkpoint),
            json_body={"project_ids": list(project_ids)},
            admin=True,
        )
        return _parse_page(CheckpointPermission, response)

    async def delete_permission(self, checkpoint: str, permission_id: str) -> DeletedPermission:
        response = await self.request(
            "DELETE",
            f"{self._permissions_path(checkpoint)}/{_segment(permission_id)}",
            admin=True,
        )
        return _parse_deleted(DeletedPermission, permission_id, response)

    # -- graders (alpha) -----------------------------------------------------------------------

    async def validate_grader(self, grader: Mapping[str, Any]) -> ValidateGraderResponse:
        """Ask the API whether ``grader`` is valid; an invalid one is refused (400,
        :class:`~ftmon.api.errors.BadRequestError` with the API's reason)."""
        return await self._model(
            ValidateGraderResponse,
            "POST",
            "fine_tuning/alpha/graders/validate",
            json_body={"grader": dict(grader)},
        )

    async def run_grader(
        self,
        grader: Mapping[str, Any],
        model_sample: str,
        item: Mapping[str, Any] | None = None,
    ) -> RunGraderResponse:
        """Grade one model sample (``item`` fills the grader's ``{{item.*}}`` templates).

        Not retried blindly: a model grader's tokens are billed on every run.
        """
        body: dict[str, Any] = {"grader": dict(grader), "model_sample": model_sample}
        if item is not None:
            body["item"] = dict(item)
        return await self._model(
            RunGraderResponse,
            "POST",
            "fine_tuning/alpha/graders/run",
            json_body=body,
            safe_to_repeat=False,
        )

    # -- models ------------------------------------------------------------------------------

    async def list_models(self) -> Page[Model]:
        """Every model the key can use, in one answer (the API has no paging here): OpenAI's
        and the organisation's fine-tuned ones. Up to ``MAX_MODELS`` are read; past that the
        page says there is more, as a capped list does. An organisation's list is long (the
        big simulated one: 21,364 models, most of a second to parse): parsed off the loop."""
        response = await self.request("GET", "models")
        return await asyncio.to_thread(_parse_page, Model, response, limit=MAX_MODELS)

    async def retrieve_model(self, model_id: str) -> Model:
        return await self._model(Model, "GET", f"models/{_segment(model_id)}")

    async def delete_model(self, model_id: str) -> DeletedModel:
        """Delete a fine-tuned model (the Owner role is needed). Not retried blindly: a repeat
        after a lost answer would read as a 404 for a model that was deleted."""
        response = await self.request(
            "DELETE", f"models/{_segment(model_id)}", safe_to_repeat=False
        )
        return _parse_deleted(DeletedModel, model_id, response)

    # -- files -------------------------------------------------------------------------------

    async def list_files(
        self,
        *,
        purpose: str | None = None,
        after: str | None = None,
        limit: int | None = None,
        order: str | None = None,
    ) -> Page[FileObject]:
        params = _list_params(after, limit)
        for name, value in (("purpose", purpose), ("order", order)):
            if value:
                params[name] = value
        return await self._page(FileObject, "files", params=params)

    async def retrieve_file(self, file_id: str) -> FileObject:
        return await self._model(FileObject, "GET", f"files/{_segment(file_id)}")

    async def delete_file(self, file_id: str) -> DeletedFile:
        response = await self.request("DELETE", f"files/{_segment(file_id)}")
        return _parse_deleted(DeletedFile, file_id, response)

    async def upload_file(
        self,
        path: str | Path,
        *,
        purpose: str = "fine-tune",
        filename: str | None = None,
        expires_after_seconds: int | None = None,
        on_progress: UploadProgress | None = None,
    ) -> FileObject:
        """Upload a local file, streamed in 64 KiB chunks; ``on_progress(sent, total)`` is
        called on the event loop as they go out, the last time with ``sent == total``.

        Only a regular file is read (a FIFO or a device would never end: ``OSError``), and no
        more of it than its size when opened. Not retried blindly: a repeat would store a
        second copy; a retry that is safe starts again from byte 0.
        """
        file = Path(path)
        handle = await asyncio.to_thread(lambda: regular_file(file).open("rb"))
        try:
            total = os.fstat(handle.fileno()).st_size
            reader = _ProgressReader(handle, total, on_progress)
            form: dict[str, Any] = {"purpose": purpose}
            if expires_after_seconds is not None:
                form["expires_after[anchor]"] = "created_at"
                form["expires_after[seconds]"] = str(int(expires_after_seconds))
            uploaded = await self._model(
                FileObject,
                "POST",
                "files",
                files={"file": (filename or file.name, reader, "application/jsonl")},
                data=form,
                safe_to_repeat=False,
                deadline=NO_DEADLINE,
            )
        finally:
            handle.close()
        if on_progress is not None:
            on_progress(total, total)
        return uploaded

    async def file_content(self, file_id: str) -> bytes:
        """The raw bytes of a file."""
        response = await self.request(
            "GET",
            f"files/{_segment(file_id)}/content",
            headers={"Accept": "*/*"},
            # Result files run to megabytes: more time than a JSON answer, but still bounded.
            deadline=self.settings.timeout * 4 + 1.0,
        )
        return response.content

    async def result_csv(self, file_id: str) -> str:
        """A job's result file as CSV text, decoded from base64 where a server sent it so."""
        return decode_result_file(await self.file_content(file_id))


def tokens_for(settings: Settings) -> BearerTokens | None:
    """The bearer tokens these settings call for: Entra ID sign-in (``auth = "entra"``), the
    static ``AZURE_OPENAI_AD_TOKEN``, or none (a key is sent). Azure OpenAI only."""
    if settings.provider != "azure":
        return None
    if settings.auth == "entra":
        return EntraTokens(default_credential)
    if settings.entra_token is not None:
        return StaticToken(settings.entra_token)
    return None


def decode_result_file(content: bytes) -> str:
    """CSV text from a result file's bytes, plain or base64-encoded (both seen in the wild).

    Also unwraps a JSON string (the spec types the content as ``application/json`` string) and a
    ``data:...;base64,`` URL. Anything that does not decode to UTF-8 text is returned as it came.
    """
    text = content.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            inner = json.loads(text)
        except ValueError:
            inner = None
        if isinstance(inner, str):
            return decode_result_file(inner.encode("utf-8"))
    if text.startswith("data:") and ";base64," in text.split("\n", 1)[0]:
        text = text.split(";base64,", 1)[1]
    elif "," in text:  # base64 has no commas: this is CSV already
        return text
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True)
        plain = decoded.decode("utf-8")
    except (binascii.Error, ValueError):
        return text
    if not plain or any(ord(c) < 32 and c not in "\r\n\t" for c in plain):
        return text  # a word that merely looked like base64
    return plain.lstrip("\ufeff").strip()


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms`` (OpenAI) or ``Retry-After``."""
    millis = response.headers.get("retry-after-ms")
    if millis:
        seconds = parse_retry_after(millis)
        if seconds is not None:
            return seconds / 1000
    return parse_retry_after(response.headers.get("retry-after"))


def _request_id(response: httpx.Response) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError):
        # Not JSON: a short plain-text body still says something (HTML pages say nothing).
        text = response.text.strip() if len(response.content) <= 300 else ""
        return text if text and not text.startswith("<") else None


def _decode_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError):
        raise errors.DecodeError(
            f"The server's answer is not JSON ({response.status_code}, "
            f"{len(response.content)} bytes)",
            status_code=response.status_code,
            request_id=_request_id(response),
        ) from None


def _parse_page(item: type[M], response: httpx.Response, *, limit: int | None = None) -> Page[M]:
    """A list answer; a bare JSON array (some compatible servers) counts as one whole page.

    No page is taken with more items than were asked for (``limit``; the largest page the API
    documents when none was): a server that ignores ``limit`` and sends a million events would
    otherwise have every one validated and held. The extra items are dropped and counted as
    unreadable ones are; the page then says there is more, from its last kept item.
    """
    body = _decode_json(response)
    if isinstance(body, list):
        body = {"object": "list", "data": body, "has_more": False}
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return _parse(Page[item], body, response)  # type: ignore[valid-type]
    raw_items = body["data"]
    cap = limit if limit is not None and limit > 0 else MAX_PAGE_ITEMS
    dropped = max(0, len(raw_items) - cap)
    if dropped:
        raw_items = raw_items[:cap]
        body = {**body, "has_more": True}
    # Item by item: one unreadable item is left out and counted, never the whole page.
    items: list[M] = []
    for raw in raw_items:
        try:
            items.append(item.model_validate(raw))
        except (ValidationError, RecursionError, TypeError, ValueError):
            continue
    page = _parse(Page[item], {**body, "data": []}, response)  # type: ignore[valid-type]
    page.data = items
    page.unreadable = len(raw_items) - len(items) + dropped
    last = raw_items[-1] if raw_items else None
    if page.unreadable and isinstance(last, dict) and isinstance(last.get("id"), str):
        if not items or getattr(items[-1], "id", None) != last["id"]:
            page.cursor = last["id"]
    return page


#: The largest page the API documents (files: 10,000): the cap when a call asked for no size.
MAX_PAGE_ITEMS = 10_000
#: The most models one ``GET /models`` is read for: every checkpoint of every job is a model.
MAX_MODELS = 100_000


def _parse_deleted(model: type[M], object_id: str, response: httpx.Response) -> M:
    """A delete answer; an empty ``204 No Content`` (some compatible servers) means deleted."""
    if response.status_code == 204 or not response.content.strip():
        return model.model_validate({"id": object_id, "deleted": True})
    return _parse(model, _decode_json(response), response)


def _parse(model: type[M], body: Any, response: httpx.Response) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        found = exc.errors()
        where = ".".join(str(p) for p in found[0]["loc"]) if found else ""
        where = where or "body"
        raise errors.DecodeError(
            f"The server's answer has an unexpected shape at {where}",
            status_code=response.status_code,
            request_id=_request_id(response),
        ) from None


def _size(count: int) -> str:
    """Bytes as a person reads them: ``64 MiB``, ``512 KiB``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"
