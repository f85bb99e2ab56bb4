"""Run one headless command: connect, call it, turn every failure into one line and a code.

Each command is ``async def command(ctx) -> int``. This module owns everything around it: the
client (the real API, or the simulator in process with ``--demo``), closing it, mapping API
errors to exit codes, Ctrl-C (130, at once) and a closed pipe (``ftmon events X | head``).
Tests swap :func:`connect` to run commands on a simulated world with a frozen clock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ftmon import exits
from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.config import Settings
from ftmon.connect import make_client, make_demo
from ftmon.headless.output import Output


@dataclass
class Connection:
    """The client and the clocks a command runs with.

    ``now`` is the time data is read against (ages, ETAs: the simulated clock in a demo);
    ``clock`` and ``sleep`` pace polling, backoff and retry budgets.
    """

    client: FineTuningClient
    now: Callable[[], float] = time.time
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    world: Any = None


@dataclass
class Context:
    args: argparse.Namespace
    settings: Settings
    conn: Connection
    out: Output

    @property
    def client(self) -> FineTuningClient:
        return self.conn.client


Command = Callable[[Context], Awaitable[int]]
#: Checks that must pass before connecting (read-only, admin key, confirmation possible).
Precheck = Callable[[argparse.Namespace, Settings], None]


def connect(args: argparse.Namespace, settings: Settings) -> Connection:
    """The real API, or with ``--demo`` a simulated world in process, or with ``--archive`` an
    archive read as the API (neither needs a key or the network)."""
    archive = getattr(args, "archive", None)
    if archive is not None:
        from ftmon.archive.layout import ArchiveError
        from ftmon.archive.source import archive_client

        try:
            return Connection(archive_client(settings, archive))
        except ArchiveError as exc:
            raise exits.CommandError(exc.message, exits.USAGE) from None
    if getattr(args, "demo", False):
        client, world = make_demo(
            settings, speed=getattr(args, "speed", 60.0), seed=getattr(args, "seed", 7)
        )
        clock = getattr(world, "clock", None)
        return Connection(client, now=clock.now if clock is not None else time.time, world=world)
    return Connection(make_client(settings))


def handler(
    command: Command, precheck: Precheck | None = None
) -> Callable[[argparse.Namespace, Settings], int]:
    """The ``fn(args, settings) -> int`` that ``ftmon.cli`` calls for a subcommand."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        out = Output(sys.stdout, sys.stderr, json_mode=bool(getattr(args, "json", False)))
        return execute(command, args, settings, out, precheck)

    run.__doc__ = command.__doc__
    return run


def execute(
    command: Command,
    args: argparse.Namespace,
    settings: Settings,
    out: Output,
    precheck: Precheck | None = None,
) -> int:
    try:
        if precheck is not None:
            precheck(args, settings)
        return asyncio.run(_run(command, args, settings, out))
    except exits.CommandError as exc:
        out.error(exc.message)
        return exc.code
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return exits.BROKEN_PIPE
    except Exception as exc:
        # A bug, not an API answer: still one line (no traceback) unless asked for one.
        if os.environ.get("FTMON_DEBUG"):
            raise
        out.error(f"unexpected error, please report it (FTMON_DEBUG=1 shows more): {exc!r}")
        return exits.BUG


async def _run(command: Command, args: argparse.Namespace, settings: Settings, out: Output) -> int:
    conn = connect(args, settings)
    ctx = Context(args, settings, conn, out)
    try:
        return await command(ctx)
    except exits.CommandError as exc:
        out.error(exc.message)
        return exc.code
    except errors.FtmonApiError as exc:
        out.error(str(exc))
        return exits.code_for(exc)
    finally:
        await conn.client.aclose()


def _quiet_stdout() -> None:
    """After the reader of our pipe went away, stop Python's own flush at exit from failing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
