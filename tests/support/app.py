"""The one builder of the app for tests: ``build_app(world)`` and its variants as parameters.

By default the app runs the real engine (one worker) against the simulator on ``world`` in
process, with the world's clock for ages, ETAs and health, and an engine interval of an hour: it
polls only when asked (``refresh_now``, a new selection), so tests stay deterministic. The
variants the suites need are parameters, not copies:

* ``client=``: the app on another client (the reliability suite's recognisable keys, a wrapped
  transport that records requests);
* ``monitor=`` and ``clock=``: on an engine built elsewhere (the hostile API, a soak driver);
* ``app_class=``: a subclass (the pty probes' signal handlers, a driven engine);
* anything else is passed to the app (``job_id``, ``select_delay``, ``real_terminal``...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.connect import make_demo
from ftmon.monitor.engine import Monitor
from ftmon.sim.world import SimWorld
from ftmon.tui.app import FtmonApp

#: The API key of the default client: it looks real, to prove it never reaches the screen.
SECRET_KEY = "sk-proj-SECRETSECRETSECRET0123456789"

App = TypeVar("App", bound=FtmonApp)


def demo_client(
    world: SimWorld,
    *,
    read_only: bool = False,
    keymap: dict[str, str] | None = None,
    admin: bool = True,
) -> FineTuningClient:
    """A client on ``world``'s simulator with :data:`SECRET_KEY` (and the demo admin key unless
    ``admin=False``), one attempt per request: the engine's own backoff is what app tests
    watch, and the client's retry sleeps would be real seconds."""
    client, _ = make_demo(Settings(read_only=read_only, keymap=dict(keymap or {})), world=world)
    client.settings = replace(
        client.settings,
        api_key=Secret(SECRET_KEY),
        admin_key=client.settings.admin_key if admin else None,
    )
    client.retry = RetryPolicy(max_attempts=1)
    return client


def build_app(
    world: SimWorld | None = None,
    *,
    client: FineTuningClient | None = None,
    monitor: Monitor | None = None,
    clock: Callable[[], float] | None = None,
    read_only: bool = False,
    keymap: dict[str, str] | None = None,
    admin: bool = True,
    interval: float = 3600,
    page_size: int = 20,
    app_class: type[App] = FtmonApp,  # type: ignore[assignment]
    **app_kwargs: Any,
) -> App:
    """The app on ``world``'s simulator (or on ``client``, or on ``monitor``).

    ``read_only``, ``keymap`` and ``admin`` shape the default client; ``interval`` and
    ``page_size`` the engine built on the client. Ages are not refreshed on a timer
    (``age_refresh=0``) and glyphs are Unicode (``ascii=False``) unless asked.
    """
    if clock is None:
        if world is None:
            raise TypeError("build_app needs a world, or a clock for its monitor")
        clock = world.clock.now
    if monitor is None:
        if client is None:
            if world is None:
                raise TypeError("build_app needs a world, a client or a monitor")
            client = demo_client(world, read_only=read_only, keymap=keymap, admin=admin)
        monitor = Monitor(client, clock=clock, interval=interval, page_size=page_size)
    app_kwargs.setdefault("age_refresh", 0)
    # Unicode glyphs whatever the terminal the tests run from (TERM=linux would turn on ASCII).
    app_kwargs.setdefault("ascii", False)
    return app_class(monitor, clock=clock, **app_kwargs)
