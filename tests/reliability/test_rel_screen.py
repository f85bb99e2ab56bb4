"""Hostile input on the screen: the app walks the corpus's payloads.

The real app, engine and client run (headless) on the hostile API; the cursor visits every job,
so each one's overview, event log, metrics and checkpoints are drawn. Asserted: the app never
crashes; what the screen shows holds no control, format or bidi character; markup in the data is
shown as typed, never applied. CI walks the most dangerous payloads; the slow test walks all.
(The client and engine on every payload: ``test_rel_hostile.py``; the bytes a real terminal
receives: ``test_rel_pty.py``.)
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from corpus import HAZARDS, build_corpus
from hostile_api import HostileApi
from hostile_checks import unsafe_chars
from relkit import settings_for, workers_done
from support.app import build_app
from support.simkit import SIM_START as NOW
from test_rel_hostile import KNOWN

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.monitor.engine import Monitor
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.permissions import PermissionsScreen

#: Payloads drawn in the walk: all but those that break the engine (none known now),
#: and the page shapes (they replace the list).
HUGE = ("huge-line", "huge-with-escapes", "huge-message", "metadata-5k", "result-files-10k")
# (The last two are slow to draw, about a second each: the slow walk has them.)


def walk_payloads(*, include_huge: bool = False) -> list[Any]:
    """Every payload the app can be shown: not a page shape, not one that breaks the engine."""
    return [
        p
        for p in build_corpus()
        if p.name not in KNOWN
        and p.kind != "page"
        and (include_huge or not any(h in p.name for h in HUGE))
    ]


def hostile_app(payloads: list[Any]) -> tuple[FtmonApp, HostileApi]:
    api = HostileApi(payloads)
    client = FineTuningClient(
        settings_for("http://hostile.test/v1", max_retries=0),
        transport=api.transport(),
        retry=RetryPolicy(max_attempts=1),
    )
    # One full poll of every job at start (active_every: never again), then only on request.
    monitor = Monitor(
        client, interval=3600, clock=lambda: float(NOW), page_size=1000, active_every=10**9
    )
    return build_app(monitor=monitor, clock=lambda: float(NOW), select_delay=0), api


def screen_problems(app: FtmonApp) -> list[str]:
    """Unsafe characters in what the screen shows now (read back from an SVG screenshot)."""
    return unsafe_chars(_svg_text(app.export_screenshot()), multiline=True)


def _svg_text(svg: str) -> str:
    return html.unescape("".join(re.findall(r">([^<]*)</text>", svg)))


async def settle_first_poll(app: FtmonApp, pilot: Any) -> None:
    for _ in range(300):
        await pilot.pause(0.01)
        if app.monitor.polls_started and not app.monitor.polls_running:
            break
    await pilot.pause()


def pane_problems(app: FtmonApp) -> list[str]:
    """Unsafe characters in what the panes hold (cheaper than a screenshot)."""
    texts = [app.main.overview.plain, app.main.status_line.text, *app.main.checkpoint_table.models]
    texts += [line.plain for line in app.main.event_log.lines]
    return unsafe_chars("\n".join(texts), multiline=True)


async def walk(
    app: FtmonApp, *, every: int = 1, dialog: frozenset[str] = frozenset()
) -> tuple[int, list[str]]:
    """Visit every job in the list: the panes checked for each, a screenshot every ``every``
    jobs; the cancel dialog (it quotes the suffix) opened on the jobs in ``dialog``.
    Returns how many jobs were visited, and the problems found."""
    problems: list[str] = []
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle_first_poll(app, pilot)
        visited: set[str] = set()
        count = len(app.monitor.jobs())
        for index in range(count):
            for _ in range(10):  # until the app has taken in the cursor's move
                await pilot.pause(0)
                if app.main.selected_id == app.main.job_list.selected_id:
                    break
            job_id = app.main.selected_id or ""
            visited.add(job_id)
            found = pane_problems(app)
            if index % every == 0 or job_id in dialog:
                found += screen_problems(app)
            if found:
                problems.append(f"{job_id}: {found[:5]}")
            if job_id in dialog:
                await pilot.press("c")
                await pilot.pause()
                assert isinstance(app.screen, ConfirmScreen)
                found = screen_problems(app)
                if found:
                    problems.append(f"{job_id} (dialog): {found[:5]}")
                await pilot.press("escape")
                await pilot.pause()
                assert not isinstance(app.screen, ConfirmScreen)
            assert app.is_running, f"the app stopped on {job_id}"
            app.main.job_list.action_move(1)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert [w.name for w in app.workers if w.error is not None] == []
    return len(visited), problems


#: The payloads most likely to hurt a screen: every hazard in every field of a job, in ids, the
#: suffixes quoted by the dialog, and the megabyte strings. (The pty test walks these and the
#: event and checkpoint hazards too; the slow test walks all of the readable corpus.)
DIALOG_HAZARDS = ("markup-close", "markup-click", "markup-link", "markup-nested", "osc-title-bel")


def dangerous_payloads() -> list[Any]:
    prefixes = ("job.all-strings=", "job.id=")
    dialog = tuple(f"job.suffix-hazard={name}" for name in DIALOG_HAZARDS)
    return [
        p
        for p in walk_payloads(include_huge=True)
        if p.name.startswith(prefixes) or p.name in dialog or any(h in p.name for h in HUGE[:3])
    ]


async def test_the_app_shows_every_hazard_as_inert_text() -> None:
    app, api = hostile_app(dangerous_payloads())
    dialog = frozenset(api.carrier_of[f"job.suffix-hazard={name}"] for name in DIALOG_HAZARDS)
    visited, problems = await walk(app, every=4, dialog=dialog)
    assert visited >= 50 and len(api.jobs) - visited <= 5  # unreadable ones are left out
    assert problems == []


async def test_markup_in_data_is_shown_exactly_as_typed() -> None:
    payloads = [
        p
        for p in build_corpus()
        if p.name.startswith("job.suffix-hazard=markup") and p.name not in KNOWN
    ]
    app, _ = hostile_app(payloads)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle_first_poll(app, pilot)
        shown = 0
        for _ in range(len(payloads) + 1):
            job = app.monitor.job(app.main.selected_id or "")
            assert job is not None
            for name, hazard in HAZARDS.items():
                if name.startswith("markup") and job.suffix and hazard in job.suffix:
                    # The overview shows the suffix as typed: brackets, slashes and all.
                    assert hazard in app.main.overview.plain, name
                    shown += 1
            app.main.job_list.action_move(1)
            await pilot.pause(0)
        assert shown >= len(payloads)
        assert app.is_running


@pytest.mark.slow
async def test_the_app_walks_every_readable_payload() -> None:
    app, _api = hostile_app(walk_payloads(include_huge=True))
    visited, problems = await walk(app)
    assert visited >= 450
    assert problems == []


async def test_odd_metrics_and_checkpoints_draw_and_permissions_quote_safely() -> None:
    """Metric values and steps of every wrong type and range reach the plot (wide: loss and
    accuracy side by side); hostile checkpoint names reach the permissions screen."""
    prefixes = ("event.metric=", "checkpoint.model=")
    picked = ("huge", "negative", "string-words", "nan-string", "inf-string")
    payloads = [
        p
        for p in build_corpus()
        if p.name.startswith(prefixes[1]) or p.name in {f"{prefixes[0]}{n}" for n in picked}
    ]
    app, _api = hostile_app(payloads)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle_first_poll(app, pilot)
        for _ in range(len(app.monitor.jobs())):
            for _ in range(10):
                await pilot.pause(0)
                if app.main.selected_id == app.main.job_list.selected_id:
                    break
            job_id = app.main.selected_id or ""
            assert screen_problems(app) == [], job_id
            if job_id.startswith("ftjob-ck-") and app.main.checkpoint_table.models:
                await pilot.press("P")
                await workers_done(app, pilot)
                assert isinstance(app.screen, PermissionsScreen), job_id
                assert screen_problems(app) == [], f"{job_id} permissions"
                await pilot.press("escape")
                await pilot.pause()
            app.main.job_list.action_move(1)
        assert app.is_running and app.return_code is None
        assert [w.name for w in app.workers if w.error is not None] == []


async def test_a_loss_near_the_largest_float_does_not_take_the_app_down() -> None:
    """Fixed here (ftmon/tui/widgets/metrics.py): plotext's scaling overflowed on a loss of
    1e308 and the render error ended the app. Such points are left out of the plot now."""
    from textual.app import App, ComposeResult

    from ftmon.monitor.series import MetricSeries
    from ftmon.tui.widgets.metrics import MetricsView

    series = MetricSeries()
    for step, loss in ((1, 0.9), (2, 1e308), (3, -1e308), (4, 0.7), (5, 0.5)):
        series.add(step, {"train_loss": loss, "train_mean_token_accuracy": 0.5})

    class Holder(App[None]):
        def compose(self) -> ComposeResult:
            yield MetricsView(id="metrics")

    app = Holder()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(MetricsView)
        view.update_series(series)
        await pilot.pause()
        assert view.mode == "plot"
        assert "loss" in _svg_text(app.export_screenshot())
        assert [s for s, _ in view.loss_chart.plotted("train_loss")] == [1, 4, 5]
        assert app.is_running
