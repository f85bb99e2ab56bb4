"""``ftmon serve``: the TUI in a browser through textual-serve, and what keeps it safe.

The server runs against the simulator over TCP with a recognisable key, so the key is really in
use; headless Chromium (Debian's ``chromium``, driven by Playwright with ``executable_path``)
opens the page, sees the job list, moves the selection and opens a tab, and every byte the page
received (the HTML, scripts and WebSocket frames) is searched for the key and the admin key.
Skipped with the reason when textual-serve, Playwright or Chromium is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ftmon.serve import ServeError, bind_warning, request_allowed, tui_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
API_KEY = "sk-proj-SERVEKEY-q7Zx9WvT3mLpR4sN"
ADMIN_KEY = "sk-admin-SERVEADMIN-Hq2Kd8Yc5VbWn"


# -- the rules, without a browser -----------------------------------------------------------


def test_loopback_by_default_and_anything_else_only_with_public() -> None:
    assert bind_warning("127.0.0.1", public=False, read_only=False) is None
    with pytest.raises(ServeError, match="--public"):
        bind_warning("0.0.0.0", public=False, read_only=False)
    warning = bind_warning("0.0.0.0", public=True, read_only=False)
    assert warning is not None and "cancel" in warning and "--read-only" in warning
    assert "watch" in (bind_warning("10.0.0.5", public=True, read_only=True) or "")


def test_only_the_served_page_may_open_the_websocket() -> None:
    ok = {"Host": "127.0.0.1:8123", "Origin": "http://127.0.0.1:8123"}
    assert request_allowed(ok, "127.0.0.1", 8123, websocket=True)
    assert request_allowed(
        {**ok, "Origin": "http://localhost:8123"}, "127.0.0.1", 8123, websocket=True
    )
    for origin in ("https://evil.example", "http://127.0.0.1:9999", "null", ""):
        assert not request_allowed({**ok, "Origin": origin}, "127.0.0.1", 8123, websocket=True)
    # A DNS name rebound to 127.0.0.1 arrives with its own Host: refused, page or socket.
    rebound = {"Host": "evil.example:8123", "Origin": "http://evil.example:8123"}
    assert not request_allowed(rebound, "127.0.0.1", 8123, websocket=False)
    assert not request_allowed(rebound, "127.0.0.1", 8123, websocket=True)


def test_ftmon_serve_refuses_what_it_cannot_serve_safely(cli_env: dict[str, str]) -> None:
    def serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ftmon", "serve", *args],
            env={**cli_env, **env},
            capture_output=True,
            text=True,
            timeout=30,
        )

    public = serve("--host", "0.0.0.0", "--port", "0")
    assert public.returncode == 2 and "--public" in public.stderr
    keyless = serve("--port", "0", OPENAI_API_KEY="")
    assert keyless.returncode == 2 and "OPENAI_API_KEY" in keyless.stderr


def test_the_session_command_holds_no_key_and_quotes_every_part() -> None:
    command = tui_command(["--profile", "it's; rm -rf ~", "--read-only"])
    assert API_KEY not in command and "'it'\"'\"'s; rm -rf ~'" in command


# -- the server and a browser ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(sim_tcp: str, tmp_path: Path) -> Iterator[str]:
    """``ftmon serve`` on a free port, its sessions on the simulator with the test keys."""
    pytest.importorskip("textual_serve", reason="textual-serve (ftmon[serve]) is not installed")
    port = _free_port()
    env = {
        **os.environ,
        "OPENAI_BASE_URL": sim_tcp,
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_ADMIN_KEY": ADMIN_KEY,
        "FTMON_CONFIG": str(tmp_path / "none.toml"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ftmon", "serve", "--port", str(port), "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail(
                f"ftmon serve never answered: {proc.stdout.read(2000) if proc.stdout else ''}"
            )
        yield url
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)


def test_a_foreign_page_cannot_open_the_session(served: str) -> None:
    port = served.rsplit(":", 1)[1]
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    foreign = httpx.get(f"{served}/ws", headers={**upgrade, "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    rebound = httpx.get(served, headers={"Host": f"evil.example:{port}"})
    assert rebound.status_code == 403


def test_the_tui_in_chromium_never_shows_the_key(served: str, sim_tcp: str) -> None:
    sim_url = sim_tcp
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium (Debian's chromium package) on this machine")
    received: list[bytes] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})

            def on_socket(ws) -> None:  # type: ignore[no-untyped-def]
                def keep(payload: bytes | str) -> None:
                    received.append(payload.encode() if isinstance(payload, str) else payload)

                ws.on("framereceived", keep)
                ws.on("framesent", keep)

            page.on("websocket", on_socket)
            page.on("response", lambda response: received.append(_body(response)))
            page.goto(served)

            def seen(text: bytes) -> bool:
                return any(text in chunk for chunk in received)

            _wait(page, lambda: seen(b"jobs"), 40)
            # Keys go to the terminal once it has focus: a click on the job list's first row
            # (the selected one) gives it, and the list the app's focus.
            page.click("#terminal", position={"x": 300, "y": 62})
            # The selection moves to the second job: its id, longer than the list shows it,
            # arrives for the overview.
            second = httpx.get(
                f"{sim_url}/fine_tuning/jobs",
                params={"limit": 2},
                headers={"Authorization": f"Bearer {API_KEY}"},
            ).json()["data"][1]["id"]
            page.keyboard.press("j")
            _wait(page, lambda: seen(second[:24].encode()), 20)
            page.keyboard.press("2")  # the events tab
            _wait(page, lambda: seen(b"Created fine-tuning job"), 20)
            page.screenshot(path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "ftmon-serve.png"))
        finally:
            browser.close()
    everything = b"".join(received)
    assert API_KEY.encode() not in everything and ADMIN_KEY.encode() not in everything
    assert API_KEY[-10:].encode() not in everything  # nor a tail of it
    assert json.dumps(API_KEY).encode() not in everything


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    try:
        return bytes(response.body())
    except Exception:  # a redirect or a body the browser let go: nothing to search
        return b""


def _wait(page, predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Wait while letting Playwright deliver events (a plain sleep would hold them back)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page never showed what was expected")
