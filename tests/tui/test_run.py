"""run_tui: the demo needs no key, the real API does, and the app runs with the mouse off."""

from __future__ import annotations

from typing import Any

import pytest
from tuikit import build_app, new_world, screen_text, settle

import ftmon.tui.app as app_module
from ftmon.config import Secret, Settings
from ftmon.sim import SimClock
from ftmon.tui import run as run_module
from ftmon.tui.app import FtmonApp


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record each app run_tui starts instead of running it."""
    seen: list[dict[str, Any]] = []

    def fake_run(self: FtmonApp, **kwargs: Any) -> None:
        seen.append({"app": self, **kwargs})
        self._return_code = 0

    monkeypatch.setattr(FtmonApp, "run", fake_run)
    return seen


def test_demo_runs_on_the_simulator_with_its_clock_and_no_key(runs: list[dict[str, Any]]) -> None:
    assert run_module.run_tui(Settings(), demo=True, job_id="ftjob-x", speed=0, seed=7) == 0
    (run,) = runs
    app: FtmonApp = run["app"]
    assert run["mouse"] is False
    assert app.handle_hangup
    assert app.freeze_heap  # the process's one app: start-up's objects out of later collections
    assert app.main.pending_job == "ftjob-x"
    assert app.settings.profile == "demo"
    assert app.settings.describe_endpoint() == "demo · http://ftmon-sim.invalid/v1"
    # The app and the engine share the simulated clock (speed 0: it stands still).
    assert app.clock.__self__.__class__ is SimClock  # type: ignore[attr-defined]
    assert app.monitor.clock == app.clock
    assert app.clock() == app.clock()


def test_the_real_api_without_a_key_exits_with_a_hint(
    runs: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_module.run_tui(Settings(api_key=None)) == 2
    assert runs == []
    assert "--demo" in capsys.readouterr().err


def test_the_real_api_uses_the_settings_interval_and_read_only(
    runs: list[dict[str, Any]],
) -> None:
    settings = Settings(api_key=Secret("sk-test-0000000000000000"), interval=12, read_only=True)
    assert run_module.run_tui(settings) == 0
    app: FtmonApp = runs[0]["app"]
    assert app.monitor.interval == 12
    assert app.main.read_only
    assert app.settings.base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize("wanted", [True, False])
async def test_the_heap_is_frozen_once_after_the_first_frame_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, wanted: bool
) -> None:
    """``gc.freeze`` keeps the objects start-up built out of every later full collection (each
    one a frozen screen of 50-110 ms on a big account); an app made in a test must never ask
    it, or every app a test run makes would stay in memory."""
    frozen: list[int] = []
    monkeypatch.setattr(app_module.gc, "freeze", lambda: frozen.append(1))
    app = build_app(new_world(), freeze_heap=wanted)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "jobs 15" in screen_text(app)  # type: ignore[arg-type]
        await settle(pilot)
    assert frozen == ([1] if wanted else [])
