"""``ftmon`` with no command: build the client and the engine, run the app, return an exit code."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from ftmon.alerts import Alerter
from ftmon.config import Settings
from ftmon.connect import make_client, make_demo
from ftmon.exits import USAGE
from ftmon.monitor.engine import Monitor
from ftmon.text import clean


def demo_age_refresh(speed: float) -> float:
    """How often (real seconds) a demo recomputes ages and ETAs: as often as the simulated clock
    passes ``AGE_REFRESH`` seconds, but not more than once a second (a row repaints only when its
    words change, and at 60x those change about once a second)."""
    from ftmon.tui.main_screen import AGE_REFRESH

    if speed <= 1:
        return AGE_REFRESH
    return max(1.0, AGE_REFRESH / speed)


def run_tui(
    settings: Settings,
    *,
    demo: bool = False,
    job_id: str | None = None,
    speed: float = 60.0,
    seed: int = 7,
    archive: Path | None = None,
) -> int:
    """Run the TUI until the user quits (or the terminal hangs up); 0 on a normal exit.

    With ``archive``, on an archive made by ``ftmon archive``: its jobs as the API returned
    them, read-only, with no key and no network."""
    from ftmon.tui.app import FtmonApp
    from ftmon.tui.keymap_check import keymap_problems
    from ftmon.tui.themes import default_state_path

    problems = keymap_problems(settings.keymap)
    if problems:
        # The same exit as any other config error: a key that does not do what the file says
        # is found now, not when the user presses it.
        where = settings.config_path or "the config file"
        lines = [f"ftmon: [keymap] in {where}:", *(f"  {p}" for p in problems)]
        print("\n".join(lines), file=sys.stderr)
        return USAGE

    from ftmon.tui.main_screen import AGE_REFRESH

    clock: Callable[[], float] = time.time
    age_refresh = AGE_REFRESH
    if demo:
        client, world = make_demo(settings, speed=speed, seed=seed)
        # Every time on screen (ages, ETAs, event times, the doctor's pace) is the simulator's:
        # the world's clock runs ``speed`` times faster than the wall clock.
        clock = world.clock.now
        age_refresh = demo_age_refresh(speed)
    elif archive is not None:
        from ftmon.archive.layout import ArchiveError
        from ftmon.archive.source import archive_client

        try:
            client = archive_client(settings, archive)
        except ArchiveError as exc:
            print(f"ftmon: {clean(exc.message)}", file=sys.stderr)
            return USAGE
    else:
        missing = settings.missing_credentials()
        if missing:
            print(f"ftmon: {missing}", file=sys.stderr)
            return USAGE
        client = make_client(settings)
    monitor = Monitor(client, interval=settings.interval, clock=clock)
    # The user's [[alerts]]; a demo's simulated jobs send none.
    alerter = None if demo or archive is not None else Alerter.from_settings(settings)
    app = FtmonApp(
        monitor,
        settings=client.settings,
        clock=clock,
        age_refresh=age_refresh,
        job_id=job_id,
        # Textual draws on stderr: notifications go where the screen goes.
        real_terminal=sys.__stderr__ is not None and sys.__stderr__.isatty(),
        handle_hangup=True,
        alerter=alerter,
        # The theme chosen in the palette, remembered per profile in the state directory.
        theme_state=default_state_path(),
        freeze_heap=True,
    )
    # Mouse reporting off: all-motion reports cost a repaint per mouse move over SSH.
    app.run(mouse=False)
    return app.return_code or 0
