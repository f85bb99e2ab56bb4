"""Helpers for the app tests: put the cursor on a job, let the engine settle, read the screen.

The app and its world come from the shared toolkit (``support.app.build_app``,
``support.simkit.new_world``), re-exported here for the app tests' one import line. Every app
runs the real engine (one worker) against the simulator in process, polling only when asked:
move the simulated clock, ask for a poll, wait for it to land.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from support.app import SECRET_KEY as SECRET_KEY
from support.app import build_app as build_app
from support.simkit import new_world as new_world
from textual.pilot import Pilot

from ftmon.monitor.engine import Monitor
from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp


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


async def until(pilot: Pilot[Any], check: Callable[[], object], seconds: float = 5.0) -> bool:
    """Whether ``check()`` turns true within ``seconds`` of the app running (a screen mounted,
    a layout done): a condition to wait for, where a fixed pause is too short on a busy machine."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await pilot.pause(0.05)
    return bool(check())


async def settle_workers(pilot: Pilot[Any]) -> None:
    """:func:`settle`, every worker but the engine's done, and settled again: what a snapshot
    waits for (a pane's read in a worker, then its drawing)."""
    await settle(pilot)
    for worker in list(pilot.app.workers):
        if worker.group != "engine":
            await worker.wait()
    await settle(pilot)


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
