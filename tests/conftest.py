"""Fixtures shared by every test tier: a quiet environment, a frozen simulated world served in
process or over TCP, and ftmon's commands on it.

Before every test, the user's own settings are cleared (``support.env``): no key, base URL,
profile or config file of the person running the tests reaches ftmon. Local time is UTC, so that
screens and outputs are the same everywhere. The shared helpers these fixtures build on are in
``tests/support/`` (its README says what each is for).

Every response the simulator serves through ``sim_app`` (and so ``sim_transport`` and ``sim_tcp``)
is validated against the OpenAPI spec; a non-conforming response fails the test that caused it.
The world's flavour is the ``flavor`` fixture, ``openai`` unless a module or test parametrizes it
(``pytestmark = support.flavors.BOTH``): on ``azure`` the world serves Azure OpenAI's API,
``sim_http`` talks to its dated routes with an ``api-key`` (on ``azure-v1``, to its v1 routes), and
every response is checked against Azure's spec (``support.azure_spec``) instead.
Tests that deliberately serve off-spec data mark themselves ``@pytest.mark.sim_off_spec`` or use
``with spec_observer.suspended(): ...``.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from support import azure_spec
from support.cli import Run, Sim, command_runner, program_env, route_to_sim
from support.env import clear_user_env
from support.flavors import world_flavor
from support.simkit import SIM_SEED, SIM_START, sim_client_settings
from support.spec import SpecObserver

from ftmon.sim.app import create_app
from ftmon.sim.clock import SimClock
from ftmon.sim.server import running_sim
from ftmon.sim.transport import sim_transport as make_sim_transport
from ftmon.sim.world import SimWorld

# Local-time rendering (event stamps, "created" fields) must not depend on the machine.
os.environ["TZ"] = "UTC"
if hasattr(time, "tzset"):
    time.tzset()

_config_names = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sim_off_spec: the test makes the simulator serve off-spec data on purpose"
    )


@pytest.fixture(scope="session")
def _no_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("no-config")


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, _no_config_dir: Path) -> None:
    """No OPENAI_*, FTMON_* or AZURE_* variable of the user's; ``FTMON_CONFIG`` names a file
    that does not exist (a new name each test). A test that needs a key or a config sets it."""
    clear_user_env(monkeypatch, _no_config_dir / f"{next(_config_names)}.toml")


@pytest.fixture
def sim_clock() -> SimClock:
    """A clock frozen at SIM_START: time moves only with ``sim_clock.advance(seconds)``."""
    return SimClock(start=SIM_START, speed=0)


@pytest.fixture
def flavor() -> str:
    """Whose API the simulator serves: ``openai``, unless a test parametrizes ``flavor``."""
    return "openai"


@pytest.fixture
def sim_world(sim_clock: SimClock, flavor: str) -> SimWorld:
    """The default seeded world (15 jobs, every status) on the frozen clock."""
    if flavor == "openai":
        return SimWorld(seed=SIM_SEED, clock=sim_clock)
    return SimWorld(seed=SIM_SEED, clock=sim_clock, flavor=world_flavor(flavor))


@pytest.fixture
def spec_observer(request: pytest.FixtureRequest, flavor: str) -> Iterator[SpecObserver]:
    """Validates every API response against the spec of the flavour (OpenAI's or Azure's);
    problems fail the test at teardown."""
    observer = SpecObserver(
        azure_spec.default_checker() if world_flavor(flavor) == "azure" else None
    )
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
async def sim_http(
    sim_transport: httpx.AsyncBaseTransport, flavor: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client on ``sim_transport`` with base URL ``http://sim.test/v1`` and a key
    (on azure: ``http://sim.test/openai``, ``api-version`` and ``api-key``)."""
    async with httpx.AsyncClient(
        transport=sim_transport, **sim_client_settings(flavor, "http://sim.test")
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


@pytest.fixture
def sim(sim_world: SimWorld, sim_app: Starlette, monkeypatch: pytest.MonkeyPatch) -> Sim:
    """Every command's client on ``sim_app``, the test keys in the environment; the hooks."""
    return route_to_sim(monkeypatch, sim_world, sim_app)


@pytest.fixture
def cli(sim: Sim, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``cli("jobs", "--json")``: run one command on the simulator; returns a :class:`Run`."""
    return command_runner(capsys)


@pytest.fixture
def cli_env(sim_tcp: str) -> dict[str, str]:
    """The environment for the installed ``ftmon`` as a program against ``sim_tcp``."""
    return program_env(sim_tcp)
