"""The edge of the OpenAI namespace: request ids, stats, faults, auth and the observer.

A plain ASGI middleware in front of the routes, so injected faults behave like the real thing on
the wire: ``drop`` starts a response and abandons it (the server then closes the connection),
``timeout`` holds the request until the client gives up, ``garbage`` is a 200 that is not JSON.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.routing import compile_path

from ftmon.sim.errors import MISSING_KEY_MESSAGE, ApiError
from ftmon.sim.faults import Fault
from ftmon.sim.world import SimWorld

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (method, path, status code, parsed JSON body or None), once per OpenAI-namespace response.
Observer = Callable[[str, str, int, Any], None]

PREFIX = "/v1"
ADMIN_KEY_PREFIX = "sk-admin-"
INVALID_KEY_PREFIX = "sk-invalid"  # lets a test see a 401 for a wrong key
GARBAGE = b"<html><head><title>200 OK</title></head><body>upstream says hi</body></html>\n"


class RouteTable:
    """Maps a request to its route template, e.g. ``/v1/fine_tuning/jobs/{fine_tuning_job_id}``."""

    def __init__(self, routes: list[tuple[str, str, bool]]) -> None:
        # (method, template, needs an admin key)
        self._routes = [(m, t, admin, compile_path(t)[0]) for m, t, admin in routes]

    def match(self, method: str, path: str) -> tuple[str, bool] | None:
        for route_method, template, admin, regex in self._routes:
            if route_method == method and regex.match(path):
                return template, admin
        return None


def in_namespace(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def api_key(scope: Scope) -> str | None:
    """The key from ``Authorization: Bearer`` or Azure's ``api-key`` header."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    auth = headers.get("authorization", "")
    match = re.match(r"(?i)bearer\s+(\S.*)$", auth.strip())
    if match:
        return match.group(1).strip()
    key = headers.get("api-key", "").strip()
    return key or None


def check_auth(scope: Scope, admin: bool) -> None:
    key = api_key(scope)
    if key is None:
        raise ApiError(401, MISSING_KEY_MESSAGE)
    if key.startswith(INVALID_KEY_PREFIX):
        raise ApiError(
            401,
            "Incorrect API key provided. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    if admin and not key.startswith(ADMIN_KEY_PREFIX):
        raise ApiError(
            403,
            "This endpoint requires an admin API key (sk-admin-...); the key provided is not "
            "an admin key.",
            code="insufficient_permissions",
        )


async def send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def fault_error(fault: Fault, organization_id: str) -> ApiError:
    if fault.kind == "429":
        wait = fault.retry_after if fault.retry_after is not None else 1
        headers = {"retry-after": _retry_after(wait)} if fault.retry_after is not None else {}
        return ApiError(
            429,
            f"Rate limit reached for requests in organization {organization_id} on requests per "
            f"min (RPM): Limit 60, Used 60, Requested 1. Please try again in {math.ceil(wait)}s.",
            type="requests",
            code="rate_limit_exceeded",
            headers=headers,
        )
    messages = {
        "500": "The server had an error while processing your request. Sorry about that!",
        "502": "Bad gateway.",
        "503": "The server is overloaded or not ready yet.",
    }
    return ApiError(int(fault.kind), messages[fault.kind], type="server_error")


async def hold(receive: Receive, seconds: float) -> Receive | None:
    """Keep the request ``seconds``; None if the client left meanwhile, else a replaying receive."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    watcher = asyncio.ensure_future(until_disconnect())
    try:
        done, _ = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        watcher.cancel()
    if watcher in done:
        return None
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def drop(send: Send) -> None:
    """Start a response and never finish it; the server closes the connection mid-body."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"object": "list", "da', "more_body": True})


async def garbage(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(GARBAGE)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": GARBAGE})


def with_header(send: Send, name: bytes, value: bytes) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = [*message.get("headers", []), (name, value)]
        await send(message)

    return wrapped


def observing(send: Send, method: str, path: str, observer: Observer) -> Send:
    """Pass the response on, then hand its status and parsed JSON body to ``observer``."""
    state: dict[str, Any] = {"status": 0, "json": False, "chunks": []}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
            for key, value in message.get("headers", []):
                if key.lower() == b"content-type" and b"json" in value.lower():
                    state["json"] = True
            await send(message)
            return
        if message["type"] == "http.response.body":
            if state["json"]:
                state["chunks"].append(message.get("body", b""))
            await send(message)
            if not message.get("more_body", False):
                body = None
                if state["json"]:
                    try:
                        body = json.loads(b"".join(state["chunks"]))
                    except ValueError:
                        body = None
                observer(method, path, state["status"], body)
            return
        await send(message)

    return wrapped


async def meet_fault(
    fault: Fault | None,
    *,
    method: str,
    path: str,
    observer: Observer | None,
    send: Send,
    receive: Receive,
    refuse: Callable[[Send, Fault], Awaitable[None]],
) -> tuple[Send, Receive] | None:
    """A request's fault as the wire shows it, the same on both flavours; ``refuse`` answers a
    fault that is an error response in the flavour's own shape. Returns where the request goes
    on (``send`` observed, ``receive`` replayed after a hold), or None once it is answered or
    abandoned. A dropped response is never observed: nothing whole was sent."""
    if fault is not None and fault.kind == "drop":
        await drop(send)
        return None
    if observer is not None:
        send = observing(send, method, path, observer)
    if fault is None:
        return send, receive
    if fault.kind == "garbage":
        await garbage(send)
        return None
    if fault.kind in ("delay", "timeout"):
        replay = await hold(receive, fault.seconds)
        # None: the client gave up; nobody is left to answer.
        return None if replay is None else (send, replay)
    await refuse(send, fault)
    return None


class OpenAIGate:
    """ASGI middleware; everything outside ``/v1`` only gets its ``x-request-id``."""

    def __init__(
        self, app: ASGIApp, *, world: SimWorld, routes: RouteTable, observer: Observer | None = None
    ) -> None:
        self.app = app
        self.world = world
        self.routes = routes
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.world.lock:
            request_id = self.world.next_request_id()
        send = with_header(send, b"x-request-id", request_id.encode())
        path, method = scope["path"], scope["method"]
        if not in_namespace(path):
            await self.app(scope, receive, send)
            return
        route = self.routes.match(method, path)
        self.world.stats.record(method, route[0] if route else "<unmatched>")

        async def refuse(send: Send, fault: Fault) -> None:
            error = fault_error(fault, self.world.organization_id)
            await send_json(send, error.status, error.body(), error.headers)

        going_on = await meet_fault(
            self.world.faults.take(method, path),
            method=method,
            path=path,
            observer=self.observer,
            send=send,
            receive=receive,
            refuse=refuse,
        )
        if going_on is None:
            return
        send, receive = going_on
        try:
            check_auth(scope, admin=bool(route and route[1]))
            if route is None:
                raise ApiError(404, f"Invalid URL ({method} {path})")
        except ApiError as error:
            await send_json(send, error.status, error.body(), error.headers)
            return
        await self.app(scope, receive, send)
