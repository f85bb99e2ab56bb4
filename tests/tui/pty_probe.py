"""The app on a frozen simulated world for the pty tests: signals make exactly the changes measured.

* SIGUSR1: the world moves ``--step`` simulated seconds (5) and the engine polls.
* SIGUSR2: one row on screen changes (queued <-> running), nothing else.

Run: ``python tests/tui/pty_probe.py [--job ID]``; it draws like ``ftmon --demo`` but holds still.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

# A script (run in a pty by test_pty.py, or by hand): the tests' import roots, as pytest's
# `pythonpath` has them, after its own directory.
ROOT = Path(__file__).resolve().parents[2]
sys.path[1:1] = [str(ROOT), str(ROOT / "tests")]

from support.app import build_app  # noqa: E402
from support.simkit import new_world  # noqa: E402

from ftmon.tui.app import FtmonApp  # noqa: E402


class ProbeApp(FtmonApp):
    """The app plus two signal handlers that change the world on request."""

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, self.move_world)
        loop.add_signal_handler(signal.SIGUSR2, self.change_one_row)

    def move_world(self) -> None:
        self.world.clock.advance(self.step)
        self.monitor.refresh_now()

    def change_one_row(self) -> None:
        """The second row on screen (not the selected one) flips between queued and pending."""
        job = self.monitor.job(self.main.job_list.visible_ids[1])
        row = self.main.job_list.row(job.id) if job is not None else None
        if job is not None and row is not None:
            status = "running" if row.status == "queued" else "queued"
            self.main.job_list.update_jobs([job.model_copy(update={"status": status})])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job")
    parser.add_argument("--step", type=float, default=5.0, help="simulated seconds per SIGUSR1")
    args = parser.parse_args()
    world = new_world()
    app = build_app(
        world, job_id=args.job, real_terminal=True, handle_hangup=True, app_class=ProbeApp
    )
    app.world = world  # type: ignore[attr-defined]
    app.step = args.step  # type: ignore[attr-defined]
    app.run(mouse=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
