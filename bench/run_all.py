"""Run every benchmark and print one summary table.

``python bench/run_all.py`` runs each with its full settings (about ten minutes, half of it
archiving the big world);
``--smoke`` runs each with tiny durations (under a minute): the numbers are rough, the point is
that every benchmark still runs. Missing a goal never fails the run; a benchmark that crashes
does (exit 1), after the others have run.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    active_budget,
    archive,
    big,
    first_paint,
    follow_cost,
    idle,
    models_view,
    repaint,
    ssh_link,
    typeahead,
)
from bench.common import Result, print_results

#: name -> (run function, full settings, smoke settings)
BENCHES: dict[str, tuple[Callable[..., list[Result]], dict[str, Any], dict[str, Any]]] = {
    "idle": (idle.run, {"seconds": 60.0}, {"seconds": 2.0, "settle": 1.0}),
    "repaint": (repaint.run, {"repeats": 5}, {"repeats": 1, "settle": 0.4, "room": False}),
    "first_paint": (first_paint.run, {"runs": 7}, {"runs": 1, "import_runs": 1}),
    "big": (big.run, {"settle": 3.0}, {"settle": 1.0, "gap": 0.05}),
    "follow_cost": (follow_cost.run, {"seconds": 20.0}, {"seconds": 2.0}),
    "typeahead": (typeahead.run, {"keys": 40, "runs": 5}, {"keys": 40, "runs": 1}),
    "active_budget": (active_budget.run, {"jobs": 3000, "cycles": 9}, {"jobs": 600, "cycles": 3}),
    "ssh_link": (ssh_link.run, {"seconds": 30.0, "keys": 10}, {"seconds": 3.0, "keys": 2}),
    # The big world archived twice (minutes), then opened in the TUI; smoke: the default world.
    "archive": (archive.run, {}, {"smoke": True, "settle": 0.5, "gap": 0.05}),
    # M on the big world (10,000 jobs, 21,364 models); smoke: the default world.
    "models_view": (
        models_view.run,
        {"settle": 2.0},
        {"settle": 0.5, "scenario": "default", "linger": 1.0},
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny durations, rough numbers")
    parser.add_argument("only", nargs="*", choices=[[], *BENCHES], help="run only these")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHES)
    everything: list[Result] = []
    crashed: list[str] = []
    started = time.monotonic()
    for name in names:
        run, full, smoke = BENCHES[name]
        began = time.monotonic()
        try:
            results = run(**(smoke if args.smoke else full))
        except Exception:
            traceback.print_exc()
            crashed.append(name)
            results = [Result(name, "CRASHED", "-", note="see the traceback above")]
        print_results(f"{name} ({time.monotonic() - began:.0f} s)", results)
        everything += results
    mode = "smoke, rough numbers" if args.smoke else "full"
    print_results(f"summary ({mode}; {time.monotonic() - started:.0f} s)", everything)
    if crashed:
        print(f"\ncrashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
