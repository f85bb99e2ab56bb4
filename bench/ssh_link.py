"""ftmon over a slow SSH link: the system's OpenSSH client, through a loopback proxy that
delivers 64 kbit/s each way with 150 ms of one-way delay, to an SSH server on loopback that
starts the program in the session's pty (``tests/support/sshkit.py``).

Measured, each beside a bare Textual app through the same link:

* **bytes a minute down the link, idle**: ftmon on a frozen world (``tests/tui/pty_probe.py``:
  nothing moves), untouched; the reference is the ``hello`` app. SSH's own keep-alives would
  count too (none are configured).
* **bytes a minute down the link, following**: ``ftmon --demo`` at 60x speed (jobs running,
  progress and events arriving), on the events tab; no reference (a bare app has nothing to
  follow).
* **key to screen**: the time from a key written at the client to the first change of the
  client's screen, median and worst of ``keys`` presses: ``j``/``k`` in ftmon (the selection
  moves and the panes follow), a letter typed into the ``input`` reference app (echoed).

Run: ``python bench/ssh_link.py [--seconds 30] [--keys 10]``. Needs the ``ssh`` client and
``asyncssh``; without them it says so and reports nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Result, fmt_bytes, median, print_results, ref_app_argv, tui_env
from tests.support.pty import PtyProcess

PROBE = str(Path(__file__).resolve().parent.parent / "tests" / "tui" / "pty_probe.py")
RATE = 64_000  # bits a second, each way
DELAY = 0.150  # seconds, one way
WAIT = 60.0  # a busy machine starts Python and the handshake slowly over the slow link


def _through_link(argv: list[str], ready: str, body, *, settle: bool = True):  # type: ignore[no-untyped-def]
    """Run ``argv`` behind SSH through the throttled link, wait for ``ready`` and quiet, then
    call ``body(client, throttle)`` and return what it returns. ``settle=False``: no wait for
    quiet (the demo at 60x changes its ages and pulse every second, so it is never quiet)."""
    from tests.support.sshkit import SshServer, Throttle, ssh_argv

    env = tui_env()
    with (
        SshServer(argv, env=env) as server,
        Throttle(server.port, bits_per_second=RATE, delay=DELAY) as link,
    ):
        client = PtyProcess(ssh_argv(link.port), cols=80, rows=24, truecolor=True).start()
        try:
            client.wait_for(ready, WAIT)
            if settle:
                client.wait_quiet(1.5, WAIT)
            else:
                time.sleep(1.5)
            return body(client, link)
        finally:
            client.close(quit_key=b"q", grace=3.0)


def _per_minute(link, seconds: float) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    time.sleep(seconds)
    return link.bytes_down(start) * 60.0 / seconds


def _key_latency(client: PtyProcess, keys: list[str]) -> list[float]:
    """Seconds from each key's write to the first change of the client's screen."""
    took = []
    for key in keys:
        client.wait_quiet(1.0, WAIT)
        before = client.text()
        sent = time.monotonic()
        client.send(key)
        changed = client.wait_for(lambda text, old=before: text != old, WAIT)
        took.append(changed - sent)
    return took


def run(seconds: float = 30.0, keys: int = 10) -> list[Result]:
    if shutil.which("ssh") is None:
        print("ssh_link: no OpenSSH client (ssh) on this machine; skipped")
        return []
    try:
        import asyncssh  # noqa: F401
    except ImportError:
        print("ssh_link: asyncssh is not installed (pip install -e '.[test]'); skipped")
        return []
    probe = [sys.executable, PROBE]
    idle = _through_link(probe, "jobs 15", lambda c, link: _per_minute(link, seconds))
    ref_idle = _through_link(
        ref_app_argv("hello"), "ref-ready", lambda c, link: _per_minute(link, seconds)
    )

    def follow(client: PtyProcess, link) -> float:  # type: ignore[no-untyped-def]
        client.send("2")
        time.sleep(1.0)
        return _per_minute(link, seconds)

    demo = [sys.executable, "-m", "ftmon", "--demo", "--speed", "60"]
    following = _through_link(demo, "jobs 15", follow, settle=False)
    moves = ["j", "k"] * (keys // 2) or ["j"]
    ftmon_keys = _through_link(probe, "jobs 15", lambda c, link: _key_latency(c, moves))
    letters = [chr(ord("a") + i % 26) for i in range(max(1, keys))]
    ref_keys = _through_link(
        ref_app_argv("input"), "ref-ready", lambda c, link: _key_latency(c, letters)
    )
    link = f"{RATE // 1000} kbit/s, {DELAY * 1000:.0f} ms one way"
    return [
        Result("ssh", "bytes a minute down the link, idle", fmt_bytes(idle),
               fmt_bytes(ref_idle), "-", None, f"{link}; {seconds:g} s window, frozen world"),
        Result("ssh", "bytes a minute down the link, following", fmt_bytes(following),
               "-", "-", None, "ftmon --demo --speed 60, events tab"),
        Result("ssh", "key to screen, median", f"{median(ftmon_keys) * 1000:.0f} ms",
               f"{median(ref_keys) * 1000:.0f} ms", "-", None,
               f"j/k x{len(ftmon_keys)} (reference: a letter echoed); round trip alone "
               f"{2 * DELAY * 1000:.0f} ms"),
        Result("ssh", "key to screen, worst", f"{max(ftmon_keys) * 1000:.0f} ms",
               f"{max(ref_keys) * 1000:.0f} ms", "-", None, ""),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="each byte-count window")
    parser.add_argument("--keys", type=int, default=10, help="key presses timed")
    args = parser.parse_args()
    print_results("ssh: ftmon over a 64 kbit/s, 150 ms SSH link", run(args.seconds, args.keys))


if __name__ == "__main__":
    main()
