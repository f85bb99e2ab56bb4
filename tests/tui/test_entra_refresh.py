"""The TUI on Azure OpenAI with Entra ID sign-in keeps polling across token renewals: the app,
the real engine and client, the simulator's azure flavour (which answers an expired bearer
token with 401), and a fake credential that mints 60 s tokens from the world. No restart, no
error, and never a request with a dead token."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
from support.app import build_app
from support.simkit import new_world
from tuikit import open_job, poll, screen_text, settle

from ftmon.api.client import FineTuningClient
from ftmon.api.entra import ENTRA_SCOPE, EntraTokens
from ftmon.api.retry import RetryPolicy
from ftmon.config import Settings
from ftmon.connect import demo_settings
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld

LIFETIME = 60.0


class WorldCredential:
    """A credential whose tokens the world minted: they live 60 s on the world's clock."""

    def __init__(self, world: SimWorld) -> None:
        self.world = world
        self.minted: list[tuple[str, float]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> tuple[str, float]:
        assert scopes == (ENTRA_SCOPE,)
        token = self.world.mint_entra_token(LIFETIME)
        self.minted.append(token)
        return token


class Recording(httpx.AsyncBaseTransport):
    """The simulator's transport, noting each answer's status and the token it was sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.answers: list[tuple[int, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.answers.append((response.status_code, request.headers.get("authorization", "")))
        return response


async def test_the_app_polls_on_across_entra_renewals() -> None:
    world = new_world(flavor="azure")
    credential = WorldCredential(world)
    transport = Recording(sim_transport(create_app(world)))
    settings = replace(demo_settings(Settings(), "azure"), api_key=None, auth="entra")
    client = FineTuningClient(
        settings,
        transport=transport,
        tokens=EntraTokens(credential, clock=world.clock.now),
        retry=RetryPolicy(max_attempts=1),
    )
    app = build_app(world, client=client)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        running = next(j for j in app.monitor.jobs() if j.status == "running")
        await open_job(pilot, running.id)
        for _ in range(24):  # 8 simulated minutes, a poll every 20 s: 8 tokens' lives
            await poll(pilot, world, advance=20)
            assert app.monitor.health.state == "ok", app.monitor.health.error
        text = screen_text(app)
    assert len(credential.minted) >= 8
    assert transport.answers and all(status < 400 for status, _ in transport.answers)
    assert all(auth.startswith("Bearer ey") for _, auth in transport.answers)
    assert "401" not in text and "Entra" not in text
    assert not any(token in text for token, _ in credential.minted)
