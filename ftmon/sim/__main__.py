"""``python -m ftmon.sim``: serve the simulator (the ``ftmon sim`` command does the same)."""

from __future__ import annotations

import argparse

from ftmon.sim.server import SimServerError, run_sim
from ftmon.sim.world import FLAVORS, SCENARIOS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ftmon.sim",
        description="Serve a simulated OpenAI (or Azure OpenAI) fine-tuning API on loopback. The "
        "first line printed is the base URL.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenario", choices=SCENARIOS, default="default")
    parser.add_argument(
        "--flavor",
        choices=FLAVORS,
        default="openai",
        help="whose API to serve: OpenAI's (/v1) or Azure OpenAI's (/openai, api-key header)",
    )
    parser.add_argument(
        "--refuse-creates",
        action="store_true",
        help="refuse new fine-tuning jobs (403) as OpenAI's fine-tuning wind-down does",
    )
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback host")
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv)
    try:
        run_sim(
            args.host,
            args.port,
            args.speed,
            args.seed,
            args.scenario,
            allow_remote=args.allow_remote,
            access_log=args.access_log,
            flavor=args.flavor,
            refuse_creates=args.refuse_creates,
        )
    except SimServerError as exc:
        parser.error(str(exc))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
