"""The simulator as a plain ASGI (Starlette) app: the OpenAI API under ``/v1`` plus ``/_sim``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from ftmon.sim.api import OpenAIApi
from ftmon.sim.clock import SimClock
from ftmon.sim.control_api import ControlApi
from ftmon.sim.gate import Observer, OpenAIGate, RouteTable
from ftmon.sim.world import SimWorld


def create_app(
    world: SimWorld | None = None,
    *,
    seed: int = 7,
    speed: float = 1.0,
    scenario: str = "default",
    observer: Observer | None = None,
) -> Starlette:
    """An app serving ``world`` (a new seeded one if None); ``app.state.world`` gives it back.

    ``observer(method, path, status_code, json_body_or_None)`` sees every ``/v1`` response.
    """
    if world is None:
        world = SimWorld(seed=seed, clock=SimClock(speed=speed), scenario=scenario)
    api = OpenAIApi(world)
    table = RouteTable([(m, t, admin) for m, t, _, _, admin in api.table()])
    app = Starlette(
        routes=[*api.routes(), *ControlApi(world).routes()],
        middleware=[Middleware(OpenAIGate, world=world, routes=table, observer=observer)],
    )
    app.state.world = world
    return app
