"""Serving the simulator over real TCP with uvicorn: a CLI entry point and a test helper."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from ftmon.hosts import is_loopback
from ftmon.sim.app import create_app
from ftmon.sim.azure import API_VERSION
from ftmon.sim.clock import SimClock
from ftmon.sim.gate import Observer
from ftmon.sim.world import SimWorld

# Logged by uvicorn when the "drop" fault abandons a response: that is the point, not a bug.
_DROP_MESSAGE = "ASGI callable returned without completing response."


class SimServerError(RuntimeError):
    """The simulator refused to start (e.g. a non-loopback host without ``allow_remote``)."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DROP_MESSAGE


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())


def _check_host(host: str, allow_remote: bool) -> None:
    if is_loopback(host):
        return
    if not allow_remote:
        raise SimServerError(
            f"refusing to serve the simulator on non-loopback host {host!r}: it accepts any key. "
            "Pass allow_remote=True (--allow-remote) if you really mean it."
        )
    print(
        f"warning: the simulator is listening on {host}, reachable from other machines; it "
        "accepts any API key.",
        file=sys.stderr,
        flush=True,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket, so ``port=0`` gives a real port before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket, host: str, flavor: str = "openai") -> str:
    """The base URL a client uses: ``.../v1``, or Azure's dated routes on the azure flavour."""
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    if flavor == "azure":
        return f"http://{shown}:{port}/openai?api-version={API_VERSION}"
    return f"http://{shown}:{port}/v1"


def _server(app: Starlette, *, access_log: bool, graceful: int | None) -> uvicorn.Server:
    _install_log_filter()
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=graceful,
    )
    return uvicorn.Server(config)


def run_sim(
    host: str = "127.0.0.1",
    port: int = 8089,
    speed: float = 1.0,
    seed: int = 7,
    scenario: str = "default",
    *,
    allow_remote: bool = False,
    access_log: bool = False,
    flavor: str = "openai",
    refuse_creates: bool = False,
) -> None:
    """Serve a fresh simulated world until interrupted; prints the base URL first, alone.

    ``flavor`` is ``openai`` or ``azure``; ``refuse_creates`` refuses new jobs as OpenAI's
    fine-tuning wind-down does.
    """
    _check_host(host, allow_remote)
    world = SimWorld(
        seed=seed,
        clock=SimClock(speed=speed),
        scenario=scenario,
        flavor=flavor,
        refuse_creates=refuse_creates,
    )
    app = create_app(world)
    sock = bind_socket(host, port)
    print(base_url(sock, host, world.flavor), flush=True)
    _server(app, access_log=access_log, graceful=2).run(sockets=[sock])


@dataclass
class RunningSim:
    """A simulator served from a background thread."""

    base_url: str
    app: Starlette
    world: SimWorld
    stop: Callable[[], None]


def start_sim_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    world: SimWorld | None = None,
    speed: float = 1.0,
    seed: int = 7,
    scenario: str = "default",
    observer: Observer | None = None,
    allow_remote: bool = False,
) -> tuple[str, Callable[[], None]]:
    """Start serving on a thread; returns ``(base_url, stop)``. See also :func:`running_sim`."""
    running = _start(host, port, world, speed, seed, scenario, observer, allow_remote)
    return running.base_url, running.stop


def _start(
    host: str,
    port: int,
    world: SimWorld | None,
    speed: float,
    seed: int,
    scenario: str,
    observer: Observer | None,
    allow_remote: bool,
) -> RunningSim:
    _check_host(host, allow_remote)
    if world is None:
        world = SimWorld(seed=seed, clock=SimClock(speed=speed), scenario=scenario)
    app = create_app(world, observer=observer)
    sock = bind_socket(host, port)
    server = _server(app, access_log=False, graceful=1)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="ftmon-sim", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise SimServerError("the simulator server did not start")
        time.sleep(0.005)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return RunningSim(base_url(sock, host, world.flavor), app, world, stop)


@contextmanager
def running_sim(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    world: SimWorld | None = None,
    speed: float = 1.0,
    seed: int = 7,
    scenario: str = "default",
    observer: Observer | None = None,
) -> Iterator[RunningSim]:
    """``with running_sim(world=w) as sim: ... sim.base_url ...``; stops on exit."""
    sim = _start(host, port, world, speed, seed, scenario, observer, False)
    try:
        yield sim
    finally:
        sim.stop()
