"""A hang-up ends the process even when the event loop is stuck and never runs its handler.

Seen on this machine: an ftmon whose terminal had gone sat for hours at half a CPU, deaf to
SIGTERM, its loop waiting to queue a frame for Textual's writer thread, which had stopped. The
hang-up watcher now ends such a process itself after a grace (``give_up_after``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from ftmon.tui.hangup import STUCK_EXIT

pytestmark = pytest.mark.skipif(sys.platform == "darwin" or os.name != "posix", reason="poll()")

CHILD = textwrap.dedent(
    """
    import asyncio, os, sys, threading
    from ftmon.tui.hangup import watch_terminal_hangup

    master, slave = os.openpty()
    os.write(1, f"{master}\\n".encode())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        watch_terminal_hangup(loop, lambda: sys.exit(0), slave, give_up_after=GRACE)
        print("ready", flush=True)
        threading.Event().wait()  # the loop blocked for good, as on a full writer queue

    # The parent cannot close our pty's master for us: we hand it over by closing it when
    # told to on stdin (one line), which hangs up the slave side the watcher polls.
    def close_when_told() -> None:
        sys.stdin.readline()
        os.close(master)

    threading.Thread(target=close_when_told, daemon=True).start()
    asyncio.run(main())
    """
)


def test_a_stuck_loop_still_ends_after_a_hang_up() -> None:
    grace = 0.5
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.replace("GRACE", repr(grace))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        child.stdout.readline()  # the master's number
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        assert child.poll() is None  # the loop is stuck, and nothing hung up yet
        child.stdin.write("hang up\n")
        child.stdin.flush()
        code = child.wait(timeout=10 + grace)
    finally:
        if child.poll() is None:
            child.kill()
    assert code == STUCK_EXIT


def test_without_a_grace_the_watcher_only_asks_the_loop() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.replace("GRACE", "None")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        child.stdout.readline()
        assert child.stdout.readline().strip() == "ready"
        child.stdin.write("hang up\n")
        child.stdin.flush()
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=1.5)  # stuck, as before: nothing ends it
    finally:
        child.kill()
        child.wait()
