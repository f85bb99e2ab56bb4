"""One try at sending one alert: an HTTP POST, or a command run; what went wrong, in words.

A try ends well or raises :class:`SendFailed`, whose ``reason`` never holds the alert's URL, its
token or a key (each is blanked from whatever a server or the system said), and whose
``retry`` says whether another try may do better: a refused or dropped connection, a timeout,
a 5xx or a 429 (with its ``Retry-After``) may; a 4xx or a command that failed will not.

HTTP goes straight through an ``httpx`` transport, not a client: no redirect is followed (a
3xx is a failure) and httpx's client log line, which names the whole URL, is never written. A
proxy is used as the environment asks (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, with
``NO_PROXY``, read as the standard library reads them; never for this machine): a GPU box whose
only way out is a proxy still reaches Slack. The answer's body is read up to
:data:`ANSWER_CAP`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import httpx

from ftmon.aio import wait_within
from ftmon.alerts.events import safe
from ftmon.api.retry import parse_retry_after
from ftmon.config import AlertSpec
from ftmon.hosts import is_loopback
from ftmon.text import one_line

#: The most of an answer's body read (a webhook answers ``ok`` or a short error).
ANSWER_CAP = 16 * 1024
#: The most of a command's error output kept.
STDERR_CAP = 4 * 1024


class SendFailed(Exception):
    """A try that did not send; ``reason`` is for a person and holds no secret."""

    def __init__(self, reason: str, *, retry: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        #: Seconds the server asked to wait (``Retry-After``), if it said.
        self.retry_after = retry_after


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``/``HTTP_PROXY``, else
    ``ALL_PROXY``; the lower-case names first, as curl reads them), or None: none set, the host
    in ``NO_PROXY``, or this machine."""
    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or is_loopback(host):
        return None

    def named(name: str) -> str:
        return (env.get(name.lower()) or env.get(name.upper()) or "").strip()

    for entry in named("no_proxy").split(","):
        entry = entry.strip().lower().lstrip(".")
        if entry.startswith("[") and "]" in entry:  # [::1]:8080
            entry = entry[1 : entry.index("]")]
        elif entry.count(":") == 1:  # host:port
            entry = entry.split(":", 1)[0]
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    return named(f"{parts.scheme}_proxy") or named("all_proxy") or None


def transport_for(url: str, environ: Mapping[str, str] | None = None) -> httpx.AsyncHTTPTransport:
    """A transport for ``url``: straight, or through the environment's proxy."""
    proxy = proxy_for(url, environ)
    return httpx.AsyncHTTPTransport(retries=0, proxy=proxy)


def url_secrets(url: str) -> list[str]:
    """What of a webhook URL must never be repeated: the URL, and its path and every tail of it
    (``/services/T0/B0/XYZ``, ``T0/B0/XYZ``, ``B0/XYZ``, ``XYZ``) long enough to be a token."""
    parts = [url, url.split("://", 1)[-1]]
    try:
        target = httpx.URL(url).raw_path.decode("ascii", "replace")
    except (httpx.InvalidURL, ValueError):
        return parts
    path = target.split("?", 1)[0]
    parts += [target, *(path[i + 1 :] for i, c in enumerate(path) if c == "/"), path]
    if "?" in target:
        parts.append(target.split("?", 1)[1])
    return [p for p in parts if len(p) >= 8]


def _secret_parts(alert: AlertSpec, secrets: Iterable[str]) -> tuple[str, ...]:
    """Everything of the alert that must never be repeated: its URL, its path, its token."""
    parts = list(secrets)
    if alert.url is not None:
        parts += url_secrets(alert.url.reveal())
    if alert.token is not None:
        parts.append(alert.token.reveal())
    return tuple(sorted({p for p in parts if p}, key=len, reverse=True))


async def post(
    transport: httpx.AsyncBaseTransport,
    alert: AlertSpec,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    secrets: Iterable[str] = (),
) -> int:
    """POST ``body`` to the alert's URL; its status when 2xx, else :class:`SendFailed`."""
    assert alert.url is not None
    hidden = _secret_parts(alert, secrets)
    request = httpx.Request(
        "POST",
        alert.url.reveal(),
        content=body,
        headers=dict(headers),
        extensions={"timeout": httpx.Timeout(timeout).as_dict()},
    )
    try:
        status, answer, retry_after = await wait_within(_exchange(transport, request), timeout)
    except (TimeoutError, asyncio.TimeoutError, httpx.TimeoutException):  # 3.10: two classes
        raise SendFailed(f"no answer within {timeout:g}s", retry=True) from None
    except httpx.TransportError as exc:
        said = safe(str(exc), hidden, width=200) or type(exc).__name__
        raise SendFailed(f"cannot connect: {said}", retry=True) from None
    if 200 <= status < 300:
        return status
    said = safe(answer.decode("utf-8", "replace"), hidden, width=120)
    reason = f"HTTP {status}" + (f": {said}" if said else "")
    if 300 <= status < 400:
        raise SendFailed(f"HTTP {status}: a redirect, not followed (check the URL)")
    retry = status >= 500 or status in (408, 429)
    raise SendFailed(reason, retry=retry, retry_after=retry_after if retry else None)


async def _exchange(
    transport: httpx.AsyncBaseTransport, request: httpx.Request
) -> tuple[int, bytes, float | None]:
    response = await transport.handle_async_request(request)
    try:
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > ANSWER_CAP:
                del body[ANSWER_CAP:]
                break
    finally:
        await response.aclose()
    return response.status_code, bytes(body), parse_retry_after(response.headers.get("retry-after"))


async def run_command(
    argv: tuple[str, ...],
    env: Mapping[str, str],
    *,
    timeout: float,
    secrets: Iterable[str] = (),
) -> None:
    """Run ``argv`` (no shell) with ``env``; :class:`SendFailed` if it cannot start, fails or
    takes longer than ``timeout`` (then it is killed, its process group too)."""
    hidden = tuple(secrets)
    name = os.path.basename(argv[0])
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=sys.platform != "win32",
        )
    except FileNotFoundError:
        raise SendFailed(f"no such program: {one_line(name, width=80)}") from None
    except OSError as exc:
        raise SendFailed(
            f"cannot start {one_line(name, width=80)}: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        stderr = await wait_within(_finish(process), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        _kill(process)
        with contextlib.suppress(Exception):
            await wait_within(process.wait(), 2.0)
        raise SendFailed(f"{one_line(name, width=80)} took longer than {timeout:g}s") from None
    except BaseException:
        _kill(process)
        raise
    if process.returncode != 0:
        said = safe(stderr.decode("utf-8", "replace"), hidden, width=200)
        raise SendFailed(
            f"{one_line(name, width=80)} exited with {process.returncode}"
            + (f": {said}" if said else "")
        )


async def _finish(process: asyncio.subprocess.Process) -> bytes:
    """Wait for the process, keeping the start of its error output (the rest is read and let
    go, so that a chatty program never blocks on a full pipe)."""
    kept = bytearray()
    assert process.stderr is not None
    while chunk := await process.stderr.read(4096):
        if len(kept) < STDERR_CAP:
            kept += chunk[: STDERR_CAP - len(kept)]
    await process.wait()
    return bytes(kept)


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
