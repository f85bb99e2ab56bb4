"""ftmon over a real SSH link: the system's OpenSSH client (``ssh -tt``) to an SSH server on
loopback that starts ftmon in the session's pty, as ``sshd`` does.

What a local pty cannot show: keys and window changes crossing the SSH channel, the clipboard
(OSC 52) and desktop notifications (OSC 9 and 777) arriving at the client's terminal, and the
session dropping, with the kernel's SIGHUP and without one (a supervisor's pty): ftmon must be
gone within a second and leave no process behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

asyncssh = pytest.importorskip("asyncssh", reason="asyncssh (a test dependency) is not installed")

from support.pty import PtyProcess, tree_processes  # noqa: E402
from support.sshkit import SshServer, ssh_argv, wait_until  # noqa: E402

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.name != "posix", reason="needs a pty"),
    pytest.mark.skipif(
        shutil.which("ssh") is None, reason="no OpenSSH client (ssh) on this machine"
    ),
]

#: The app on a frozen world that moves only when signalled (SIGUSR1: 1,800 simulated seconds).
PROBE = str(Path(__file__).resolve().parents[1] / "tui" / "pty_probe.py")
WAIT = 30.0  # a busy machine starts Python and the SSH handshake slowly


def probe_argv() -> list[str]:
    return [sys.executable, PROBE, "--step", "1800"]


def connect(server: SshServer, cols: int = 80, rows: int = 24) -> PtyProcess:
    client = PtyProcess(ssh_argv(server.port), cols=cols, rows=rows, truecolor=True).start()
    client.wait_for("jobs 15", WAIT)
    client.wait_quiet(0.8, WAIT)
    return client


def program_pid(server: SshServer) -> int:
    assert server.children, "the server started no program"
    return server.children[-1].pid


def test_keys_resize_clipboard_and_notifications_cross_the_link() -> None:
    with SshServer(probe_argv()) as server:
        client = connect(server)
        try:
            # A key typed at the client reaches ftmon: the events tab opens.
            client.press("2")
            client.wait_for("Created fine-tuning job", WAIT)
            # A window change crosses the channel: the wide layout has the status column.
            client.resize(160, 48)
            client.wait_for(lambda text: "overview" in text and "status" in text, WAIT)
            # y copies the selected job's id to the client's clipboard (OSC 52).
            start = time.monotonic()
            client.press("y")
            client.wait_for_output(b"\x1b]52;c;", WAIT)
            assert b"\x1b]52;c;" in client.output_since(start)
            # A job that finishes rings and notifies the client's desktop (OSC 9 and 777).
            start = time.monotonic()
            os.kill(program_pid(server), signal.SIGUSR1)
            client.wait_for_output(b"\x1b]777;notify;ftmon: job succeeded", WAIT)
            raw = client.output_since(start)
            assert b"\x1b]9;ftmon: job succeeded: ftjob-" in raw
        finally:
            client.close(quit_key=b"q")


@pytest.mark.parametrize("controlling_tty", [True, False], ids=["sighup", "no-sighup"])
def test_a_dropped_session_ends_ftmon_within_a_second(controlling_tty: bool) -> None:
    """The client killed (the link gone): the server closes the pty as sshd does; with a
    controlling terminal the kernel sends SIGHUP, without one ftmon sees only end of input."""
    with SshServer(probe_argv(), controlling_tty=controlling_tty) as server:
        client = connect(server)
        pid = program_pid(server)
        family = [p.pid for p in tree_processes(pid)]
        try:
            dropped = time.monotonic()
            client.signal(signal.SIGKILL)  # no goodbye: the TCP connection just closes
            gone = wait_until(lambda: server.children[-1].poll() is not None, 5.0, step=0.01)
            took = time.monotonic() - dropped
            assert gone, "ftmon still runs after its SSH session dropped"
            assert took < 1.0, f"ftmon took {took:.2f} s to end after the session dropped"
            time.sleep(0.2)
            left = [p for p in family if _alive(p)]
            assert not left, f"processes left behind: {left}"
        finally:
            client.close(quit_key=None, grace=0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie the server has not reaped yet is gone for our purposes
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False
