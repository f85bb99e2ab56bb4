"""Fixtures shared by every test tier: a frozen simulated world, served in process or over TCP.

Every response the simulator serves through ``sim_app`` (and so ``sim_transport`` and ``sim_tcp``)
is validated against the OpenAPI spec; a non-conforming response fails the test that caused it.
Tests that deliberately serve off-spec data mark themselves ``@pytest.mark.sim_off_spec`` or use
``with spec_observer.suspended(): ...``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from support.simkit import SIM_SEED, SIM_START, TEST_KEY
from support.spec import SpecObserver

from ftmon.sim.app import create_app
from ftmon.sim.clock import SimClock
from ftmon.sim.server import running_sim
from ftmon.sim.transport import sim_transport as make_sim_transport
from ftmon.sim.world import SimWorld


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sim_off_spec: the test makes the simulator serve off-spec data on purpose"
    )


@pytest.fixture
def sim_clock() -> SimClock:
    """A clock frozen at SIM_START: time moves only with ``sim_clock.advance(seconds)``."""
    return SimClock(start=SIM_START, speed=0)


@pytest.fixture
def sim_world(sim_clock: SimClock) -> SimWorld:
    """The default seeded world (15 jobs, every status) on the frozen clock."""
    return SimWorld(seed=SIM_SEED, clock=sim_clock)


@pytest.fixture
def spec_observer(request: pytest.FixtureRequest) -> Iterator[SpecObserver]:
    """Validates every /v1 response against the spec; problems fail the test at teardown."""
    observer = SpecObserver()
    yield observer
    if request.node.get_closest_marker("sim_off_spec") is None:
        observer.assert_clean()


@pytest.fixture
def sim_app(sim_world: SimWorld, spec_observer: SpecObserver) -> Starlette:
    """The simulator app on ``sim_world`` with the spec-validating observer attached."""
    return create_app(sim_world, observer=spec_observer)


@pytest.fixture
def sim_transport(sim_app: Starlette) -> httpx.AsyncBaseTransport:
    """An in-process httpx transport to ``sim_app`` that fails like TCP (drops, timeouts)."""
    return make_sim_transport(sim_app)


@pytest.fixture
async def sim_http(sim_transport: httpx.AsyncBaseTransport) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client on ``sim_transport`` with base URL ``http://sim.test/v1`` and a key."""
    async with httpx.AsyncClient(
        transport=sim_transport,
        base_url="http://sim.test/v1",
        headers={"Authorization": f"Bearer {TEST_KEY}"},
    ) as client:
        yield client


@pytest.fixture
def sim_tcp(sim_world: SimWorld, spec_observer: SpecObserver) -> Iterator[str]:
    """``sim_world`` served by uvicorn on 127.0.0.1 (a free port) in a thread; the base URL.

    The world is the same object as ``sim_world``, so tests can advance its clock or add faults
    directly while a client talks to it over real TCP.
    """
    with running_sim(world=sim_world, observer=spec_observer) as sim:
        yield sim.base_url
