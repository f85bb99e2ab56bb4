"""Build the client a command needs: the real API, or the simulator in process for ``--demo``
(OpenAI's API, or Azure OpenAI's with ``--flavor azure`` or Azure settings)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings

DEMO_KEY = "sk-demo-000000000000000000"
DEMO_ADMIN_KEY = "sk-admin-demo-0000000000000000"


def demo_settings(settings: Settings, flavor: str = "openai") -> Settings:
    """The user's settings pointed at the in-process simulator, with demo keys.

    ``flavor`` is whose API the simulator speaks: ``openai``, or ``azure`` (Azure OpenAI: its
    dated routes with their ``api-version``, the key in an ``api-key`` header, no admin key
    since Azure has no checkpoint permissions).
    """
    common: dict[str, Any] = {
        "api_key": Secret(DEMO_KEY),
        "organization": None,
        "project": None,
        "auth": "key",
        "entra_token": None,
        "profile": "demo",
    }
    if flavor == "azure":
        from ftmon.sim import azure  # lazily: the client side never imports sim at load

        return replace(
            settings,
            **common,
            provider="azure",
            admin_key=None,
            base_url=azure.DEMO_BASE_URL,
            api_version=azure.API_VERSION,
            auth_header="api-key",
        )
    return replace(
        settings,
        **common,
        provider="openai",
        admin_key=Secret(DEMO_ADMIN_KEY),
        base_url="http://ftmon-sim.invalid/v1",
        api_version=None,
        auth_header="bearer",
    )


def demo_flavor(settings: Settings, world: Any = None) -> str:
    """The simulator's flavour for a demo: the world's, else Azure's when the settings are for
    Azure OpenAI (``--azure``, ``--flavor azure``, a profile with ``provider = "azure"``)."""
    if world is not None:
        return str(world.flavor)
    return "azure" if settings.provider == "azure" else "openai"


def make_demo(
    settings: Settings,
    *,
    speed: float = 60.0,
    seed: int = 7,
    world: Any = None,
    flavor: str | None = None,
) -> tuple[FineTuningClient, Any]:
    """A client on a fresh simulated world (or ``world``); returns (client, world).

    ``flavor`` (``openai`` or ``azure``) is whose API the simulator speaks; by default
    :func:`demo_flavor`'s. A ``world`` of another flavour is a mistake: ``ValueError``.
    """
    from ftmon.sim.app import create_app
    from ftmon.sim.clock import SimClock
    from ftmon.sim.transport import sim_transport
    from ftmon.sim.world import SimWorld

    flavor = flavor or demo_flavor(settings, world)
    if world is None:
        world = SimWorld(seed=seed, clock=SimClock(speed=speed), flavor=flavor)
    elif world.flavor != flavor:
        raise ValueError(f"a {world.flavor} world cannot serve the {flavor} flavour")
    app = create_app(world)
    client = FineTuningClient(demo_settings(settings, flavor), transport=sim_transport(app))
    return client, world


def make_client(
    settings: Settings, *, demo: bool = False, speed: float = 60.0, seed: int = 7
) -> FineTuningClient:
    """The client for these settings; ``demo`` swaps in the simulator, needing no key."""
    if demo:
        return make_demo(settings, speed=speed, seed=seed)[0]
    return FineTuningClient(settings)
