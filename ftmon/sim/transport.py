"""An in-process httpx transport that fails the way a TCP connection would.

``httpx.ASGITransport`` alone would raise an AssertionError on a dropped response and never time
out. Here a dropped response becomes ``httpx.RemoteProtocolError``, and the request's read timeout
is enforced (``httpx.ReadTimeout``), so a client under test sees what it would see over the wire.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from ftmon.aio import wait_within
from ftmon.sim.gate import ASGIApp, Message, Receive, Scope, Send


class _Dropped(Exception):
    """The app returned without finishing its response."""


class SimTransport(httpx.AsyncBaseTransport):
    """Serves requests from an ASGI app in process, with TCP-like failures."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            complete = False

            async def watch(message: Message) -> None:
                nonlocal complete
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    complete = True
                await send(message)

            await self.app(scope, receive, watch)
            if not complete:
                raise _Dropped

        inner = httpx.ASGITransport(app=app)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        try:
            if read_timeout is None:
                return await inner.handle_async_request(request)
            return await wait_within(inner.handle_async_request(request), read_timeout)
        except _Dropped:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from None
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout("timed out (simulated)", request=request) from None


def sim_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    """A transport for ``httpx.AsyncClient(transport=sim_transport(create_app(...)))``."""
    return SimTransport(app)
