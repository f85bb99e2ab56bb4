"""Build the client a command needs: the real API, or the simulator in process for ``--demo``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings

DEMO_KEY = "sk-demo-000000000000000000"
DEMO_ADMIN_KEY = "sk-admin-demo-0000000000000000"


def demo_settings(settings: Settings) -> Settings:
    """The user's settings pointed at the in-process simulator, with demo keys."""
    return replace(
        settings,
        api_key=Secret(DEMO_KEY),
        admin_key=Secret(DEMO_ADMIN_KEY),
        base_url="http://ftmon-sim.invalid/v1",
        auth_header="bearer",
        organization=None,
        project=None,
        profile="demo",
    )


def make_demo(
    settings: Settings, *, speed: float = 60.0, seed: int = 7, world: Any = None
) -> tuple[FineTuningClient, Any]:
    """A client on a fresh simulated world (or ``world``); returns (client, world)."""
    from ftmon.sim.app import create_app
    from ftmon.sim.clock import SimClock
    from ftmon.sim.transport import sim_transport
    from ftmon.sim.world import SimWorld

    if world is None:
        world = SimWorld(seed=seed, clock=SimClock(speed=speed))
    app = create_app(world)
    client = FineTuningClient(demo_settings(settings), transport=sim_transport(app))
    return client, world


def make_client(
    settings: Settings, *, demo: bool = False, speed: float = 60.0, seed: int = 7
) -> FineTuningClient:
    """The client for these settings; ``demo`` swaps in the simulator, needing no key."""
    if demo:
        return make_demo(settings, speed=speed, seed=seed)[0]
    return FineTuningClient(settings)
