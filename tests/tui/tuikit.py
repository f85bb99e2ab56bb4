"""Helpers for the app tests: a simulated world on a frozen clock, the app on it, its screen.

Every app here runs the real engine (one worker) against the simulator in process. The engine's
interval is an hour, so it polls only when asked (``refresh_now``, a new selection) and tests stay
deterministic: move the simulated clock, ask for a poll, wait for it to land.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot

from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.connect import make_demo
from ftmon.monitor.engine import Monitor
from ftmon.sim import SimClock, SimWorld
from ftmon.tui.app import FtmonApp

START = 1_780_000_000
#: A key that looks real, to prove it never reaches the screen.
SECRET_KEY = "sk-proj-SECRETSECRETSECRET0123456789"


def new_world(*, scenario: str = "default", seed: int = 7) -> SimWorld:
    return SimWorld(seed=seed, clock=SimClock(start=START, speed=0), scenario=scenario)


def build_app(
    world: SimWorld,
    *,
    read_only: bool = False,
    keymap: dict[str, str] | None = None,
    job_id: str | None = None,
    admin: bool = True,
    page_size: int = 20,
    app_class: type[FtmonApp] = FtmonApp,
    **app_kwargs: Any,
) -> FtmonApp:
    """The app on ``world``'s simulator, with the world's clock for ages, ETAs and health."""
    client, _ = make_demo(Settings(read_only=read_only, keymap=dict(keymap or {})), world=world)
    # The real API key would never be shown; a recognisable one proves it.
    client.settings = replace(
        client.settings,
        api_key=Secret(SECRET_KEY),
        admin_key=client.settings.admin_key if admin else None,
    )
    # One attempt per request: the engine's own backoff is what these tests watch, and the
    # client's retry sleeps would be real seconds.
    client.retry = RetryPolicy(max_attempts=1)
    monitor = Monitor(client, clock=world.clock.now, interval=3600, page_size=page_size)
    app_kwargs.setdefault("age_refresh", 0)
    return app_class(monitor, clock=world.clock.now, job_id=job_id, **app_kwargs)


def job_id(world: SimWorld, key: str) -> str:
    """The id of the seeded job named ``key`` (``catalog-long``, ``contracts``...)."""
    return world.highlights[f"job:{key}"]


async def open_job(pilot: Pilot[Any], job: str) -> None:
    """Put the cursor on ``job`` (as the keys would) and let its details load."""
    app: FtmonApp = pilot.app  # type: ignore[assignment]
    assert app.main.job_list.select_job(job)
    app.main._select(job)
    await settle(pilot)
    assert app.main.selected_id == job


async def settle(pilot: Pilot[Any], *, rounds: int = 400) -> None:
    """Wait until the engine is idle (no poll running or asked for) and the screen caught up."""
    monitor: Monitor = pilot.app.monitor  # type: ignore[attr-defined]
    idle = 0
    for _ in range(rounds):
        await pilot.pause(0.005)
        busy = (
            monitor.polls_running
            or monitor.poll_requested
            or not monitor.polls_started
            or not pilot.app.main.selection_settled  # type: ignore[attr-defined]
        )
        idle = 0 if busy else idle + 1
        if idle >= 3:
            break
    await pilot.pause()


async def poll(pilot: Pilot[Any], world: SimWorld | None = None, advance: float = 0.0) -> None:
    """Move the simulated clock, ask the engine for a poll now, and wait for it to land."""
    app: FtmonApp = pilot.app  # type: ignore[assignment]
    if advance and world is not None:
        world.clock.advance(advance)
    started = app.monitor.polls_started
    app.monitor.refresh_now()
    for _ in range(400):
        await pilot.pause(0.005)
        if app.monitor.polls_started > started:
            break
    await settle(pilot)


_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#terminal-(?:\d+-)?line-(\d+)\)">([^<]*)</text>'
)


def svg_lines(svg: str, *, cell: float = 12.2) -> list[str]:
    """The screen's text, line by line, read back from an exported SVG screenshot."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, content in _TEXT.findall(svg):
        text = html.unescape(content).replace("\xa0", " ")
        column = round(float(x) / cell)
        row = rows.setdefault(int(line), {})
        for offset, char in enumerate(text):
            row[column + offset] = char
    out = []
    for index in range(max(rows, default=-1) + 1):
        row = rows.get(index, {})
        width = max(row, default=-1) + 1
        out.append("".join(row.get(i, " ") for i in range(width)).rstrip())
    return out


async def wait_for_workers(pilot: Pilot[Any], group: str) -> None:
    """Wait for the app's workers of ``group`` (user actions, older pages) to finish."""
    for worker in [w for w in pilot.app.workers if w.group == group]:
        await worker.wait()
    await pilot.pause()


def footer_text(app: FtmonApp) -> str:
    """The last line of the screen: the keys that apply now."""
    return svg_lines(app.export_screenshot())[-1]


def screen_text(app: FtmonApp) -> str:
    """What a person sees now, as plain text."""
    return "\n".join(svg_lines(app.export_screenshot()))
