"""The models view while it reads: it says it is reading before the read ends and shows the rows
after; closed while it reads (the answers held back, or the listing still being laid out in
its thread), what arrives later is dropped: no error, no notice, the app goes on."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from support.app import build_app, demo_client
from tuikit import new_world, screen_text, settle

from ftmon.api.client import FineTuningClient
from ftmon.present.models import Inventory, InventoryLayout
from ftmon.sim import SimWorld
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens import models as models_screen
from ftmon.tui.screens.models import ModelsScreen

READING = "Reading the models…"


class Held(httpx.AsyncBaseTransport):
    """The simulator's transport; ``GET /models`` waits until :attr:`gate` is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.asked = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            self.asked.set()
            await self.gate.wait()
        return await self.inner.handle_async_request(request)


def held_app(world: SimWorld) -> tuple[FtmonApp, Held]:
    transport = Held(sim_transport(create_app(world)))
    made = demo_client(world)
    client = FineTuningClient(made.settings, transport=transport, retry=made.retry)
    return build_app(world, client=client), transport


async def wait_for(pilot: Any, done: Any, rounds: int = 400) -> None:
    for _ in range(rounds):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError("never came")


def failures(app: FtmonApp) -> list[str]:
    return [n.text for n in app.message_log.notices if "models" in n.text.lower()]


async def test_the_view_says_it_reads_until_the_answer_then_shows_the_rows() -> None:
    world = new_world()
    job = world.highlights["job:support-bot"]
    app, held = held_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await asyncio.wait_for(held.asked.wait(), 10)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        text = screen_text(app)
        assert READING in text  # the status line
        assert "reading the models…" in text  # the list's own line
        assert job not in text and "fine-tuned models;" not in text
        held.gate.set()
        await wait_for(pilot, lambda: "fine-tuned models;" in screen_text(app))
        text = screen_text(app)
        assert job in text and READING not in text and "reading the models…" not in text


async def test_closed_while_the_answer_is_held_the_late_answer_is_dropped() -> None:
    world = new_world()
    app, held = held_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await asyncio.wait_for(held.asked.wait(), 10)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        held.gate.set()  # the answer comes after the view is gone
        for _ in range(5):
            await pilot.pause(0.02)
        assert app.screen is app.main
        assert not failures(app)
        assert not [w for w in app.workers if w.group.startswith("models-") and w.is_running]
        # The app goes on: the view opens again and reads to the end.
        await pilot.press("M")
        await wait_for(pilot, lambda: "fine-tuned models;" in screen_text(app))


async def test_closed_while_the_listing_is_laid_out_the_layout_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read has ended; the listing's layout (in a thread) ends after the view is closed."""
    started = threading.Event()
    release = threading.Event()

    class SlowLayout(InventoryLayout):
        def __init__(self, found: Inventory, width: int) -> None:
            started.set()
            release.wait(10)
            super().__init__(found, width)

    monkeypatch.setattr(models_screen, "InventoryLayout", SlowLayout)
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await wait_for(pilot, started.is_set)
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        assert READING in screen_text(app)
        listing = screen.model_list
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        release.set()  # the layout is done after the view is gone
        for _ in range(5):
            await pilot.pause(0.02)
        assert app.screen is app.main
        assert not failures(app)
        assert listing.inventory_layout is None  # nothing was shown on it
