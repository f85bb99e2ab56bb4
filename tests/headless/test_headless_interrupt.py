"""Ctrl-C ends every command at once with exit 130 and no traceback: the commands the runner
runs, and what runs outside it (``files check``, reading the settings), with a real SIGINT
while a 200 MB dataset is being checked or uploaded."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from headkit import HostileServer
from support.cli import FTMON, program_env
from support.pty import PtyProcess

from ftmon import cli, exits

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX signals and FIFOs")

LINE = (
    json.dumps(
        {
            "messages": [
                {"role": "user", "content": "hello " * 20},
                {"role": "assistant", "content": "world " * 20},
            ]
        }
    ).encode()
    + b"\n"
)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """200 MB of valid training lines: several seconds of checking."""
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    block = LINE * 1000
    with path.open("wb") as handle:
        for _ in range(200 * 1024 * 1024 // len(block)):
            handle.write(block)
    yield path
    path.unlink()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env() -> dict[str, str]:
    """The program's environment: a test key, and a base URL where nothing listens."""
    return program_env(f"http://127.0.0.1:{closed_port()}/v1", TERM="xterm-256color")


def ended(term: PtyProcess, timeout: float) -> tuple[int | None, bytes]:
    """The exit code, and every byte the command wrote."""
    code = term.wait_exit(timeout)
    term.wait_eof()
    return code, term.raw_output()


def _sigint_as_at_a_terminal() -> None:  # pragma: no cover - in the child, before exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(
            os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_ctrl_c_during_files_check_exits_130_without_a_traceback(
    env: dict[str, str], big: Path
) -> None:
    """``files check`` is not run by the runner: its Ctrl-C was a KeyboardInterrupt traceback."""
    proc = subprocess.Popen(
        [str(FTMON), "files", "check", str(big)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_sigint_as_at_a_terminal,
    )
    try:
        deadline = time.monotonic() + 30
        while not _has_open(proc.pid, big):  # the check has begun
            assert proc.poll() is None and time.monotonic() < deadline, proc.poll()
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == exits.INTERRUPTED, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "ok" not in out  # it stopped; the check did not run to its end


def percents(seen: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb"checking big\.jsonl +(\d+)%", seen)]


@pytest.mark.parametrize(
    "argv",
    [
        ["files", "upload", "{big}"],
        ["create", "--model", "gpt-4o-mini", "--training-file", "{big}", "--yes"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_ctrl_c_while_a_dataset_is_checked_stops_the_check(
    env: dict[str, str], big: Path, argv: list[str]
) -> None:
    """The check runs in a thread; Ctrl-C cancelled the await but asyncio.run waited for the
    thread to check the whole file (the progress line ran on to 100%) before exit 130."""
    with PtyProcess([str(FTMON), *(a.format(big=big) for a in argv)], env=env) as term:
        term.wait_for_output(b"checking big.jsonl", timeout=20)
        term.send(b"\x03")
        code, seen = ended(term, 60)
    assert code == exits.INTERRUPTED
    assert b"Traceback" not in seen
    assert percents(seen) and max(percents(seen)) < 50, seen[-200:]
    assert b"uploading" not in seen


def test_ctrl_c_during_an_upload_exits_130(env: dict[str, str], big: Path) -> None:
    server = HostileServer("sink")  # takes the connection, never reads: the upload stalls
    try:
        argv = [str(FTMON), "files", "upload", str(big), "--no-check"]
        with PtyProcess(argv, env={**env, "OPENAI_BASE_URL": server.base_url}) as term:
            term.wait_for_output(b"uploading big.jsonl", timeout=20)
            term.send(b"\x03")
            code, seen = ended(term, 30)
        assert code == exits.INTERRUPTED
        assert b"Traceback" not in seen
    finally:
        server.close()


@pytest.mark.parametrize("how", ["FTMON_CONFIG", "--config"])
def test_a_config_that_is_a_fifo_is_refused_at_once(
    env: dict[str, str], tmp_path: Path, how: str
) -> None:
    """Reading it would block until someone writes (and Ctrl-C with it): refused unread."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    extra = {"FTMON_CONFIG": str(fifo)} if how == "FTMON_CONFIG" else {}
    argv = ["jobs"] if extra else ["jobs", "--config", str(fifo)]
    done = subprocess.run(
        [str(FTMON), *argv], env={**env, **extra}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == exits.USAGE
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "FIFO" in done.stderr or "no config file" in done.stderr


def _interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


def test_ctrl_c_while_the_settings_are_read_is_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "settings_from_args", _interrupt)
    assert cli.main(["jobs"]) == exits.INTERRUPTED
    assert capsys.readouterr().err == ""
