"""The simulator as a plain ASGI (Starlette) app: the API of its flavour plus ``/_sim``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from ftmon.sim.api import OpenAIApi
from ftmon.sim.azure import AzureGate
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
    flavor: str = "openai",
) -> Starlette:
    """An app serving ``world`` (a new seeded one if None); ``app.state.world`` gives it back.

    The world's ``flavor`` decides the API: OpenAI's under ``/v1``, or Azure OpenAI's under
    ``/openai`` (:mod:`ftmon.sim.azure`). ``observer(method, path, status_code,
    json_body_or_None)`` sees every response of that API (not the ``/_sim`` routes).
    """
    if world is None:
        world = SimWorld(seed=seed, clock=SimClock(speed=speed), scenario=scenario, flavor=flavor)
    api = OpenAIApi(world)
    azure = world.flavor == "azure"
    rows = api.azure_table() if azure else api.table()
    table = RouteTable([(m, t, admin) for m, t, _, _, admin in rows])
    gate: type[OpenAIGate] | type[AzureGate] = AzureGate if azure else OpenAIGate
    app = Starlette(
        routes=[*api.routes(), *ControlApi(world).routes()],
        middleware=[Middleware(gate, world=world, routes=table, observer=observer)],
    )
    app.state.world = world
    return app
