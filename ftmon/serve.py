"""``ftmon serve``: the same TUI in a browser, through ``textual-serve``.

Each browser tab gets its own ftmon process, started by the server with the server's own
environment and settings: the API key stays in those processes and never reaches the page,
which receives only what the terminal would (the key is never drawn). The command line of that
process holds no key either (it is built from flags here, the key comes from the environment or
the config file as always).

Where it listens is the whole security story, so:

* **127.0.0.1 by default.** Any other address needs ``--public``, and a warning says that anyone
  who can reach it can act on the jobs unless ``--read-only`` is given.
* **No other web page may drive it.** A page on any site, open in the same browser, can open a
  WebSocket to ``ws://127.0.0.1:PORT`` (browsers do not apply the same-origin rule to
  WebSockets), and a DNS name rebound to 127.0.0.1 can reach the server under a foreign
  ``Host``. ``textual-serve`` checks neither, so :class:`GuardedServer` refuses a WebSocket
  whose ``Origin`` is not the served page's own and any request whose ``Host`` is not the
  address served (403), before a process is started.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from ftmon.hosts import is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EXTRA_HINT = "pip install 'ftmon[serve]'"


class ServeError(Exception):
    """A setting of ``ftmon serve`` that cannot be honoured; the message says what to do."""


def bind_warning(host: str, *, public: bool, read_only: bool) -> str | None:
    """The warning for ``host``, or None on loopback; :class:`ServeError` if ``host`` is not
    loopback and ``public`` was not given."""
    if is_loopback(host):
        return None
    if not public:
        raise ServeError(
            f"ftmon serve listens on {host}, which is not this machine only: anyone who can "
            "reach it could use ftmon with your key. Add --public to do so anyway "
            "(and --read-only to let them watch only)."
        )
    if read_only:
        return f"ftmon serve: listening on {host}; anyone who can reach it can watch your jobs"
    return (
        f"ftmon serve: listening on {host}: anyone who can reach it can cancel, pause and "
        "create jobs with your key. Add --read-only to let them only watch."
    )


def tui_command(tui_args: Sequence[str]) -> str:
    """The shell command each browser session runs: this interpreter's ftmon with ``tui_args``
    (``textual-serve`` starts it through the shell, so every part is quoted)."""
    return shlex.join([sys.executable, "-m", "ftmon", *tui_args])


def served_origin(host: str, port: int) -> str:
    """``http://host:port`` as a browser sends it in ``Origin`` (IPv6 in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _allowed_hosts(host: str, port: int) -> set[str]:
    hosts = {f"{host}:{port}", f"[{host}]:{port}"}
    if is_loopback(host):
        hosts |= {f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"}
    return hosts


def request_allowed(headers: Any, host: str, port: int, *, websocket: bool) -> bool:
    """True when a request may reach the app: its ``Host`` is the address served and, for the
    WebSocket, its ``Origin`` is one of the served page's own (see the module's text)."""
    allowed = _allowed_hosts(host, port)
    if (headers.get("Host") or "").lower() not in allowed:
        return False
    if not websocket:
        return True
    origin = (headers.get("Origin") or "").lower()
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc in allowed


def make_server(host: str, port: int, tui_args: Sequence[str]) -> Any:
    """A ``textual-serve`` server that runs ftmon with ``tui_args`` for each session, guarded
    as the module's text says; :class:`ServeError` when the extra is not installed."""
    try:
        from aiohttp import web
        from textual_serve.server import Server
    except ImportError as error:
        raise ServeError(f"ftmon serve needs textual-serve: {EXTRA_HINT}") from error

    class GuardedServer(Server):
        async def _make_app(self) -> Any:
            app = await super()._make_app()

            @web.middleware
            async def guard(request: Any, handler: Any) -> Any:
                websocket = request.path == "/ws"
                if not request_allowed(request.headers, host, port, websocket=websocket):
                    return web.Response(status=403, text="ftmon serve: not from this page\n")
                return await handler(request)

            app.middlewares.insert(0, guard)
            return app

    return GuardedServer(
        tui_command(tui_args),
        host=host,
        port=port,
        title="ftmon",
        public_url=served_origin(host, port),
    )


def run_serve(
    tui_args: Sequence[str],
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    public: bool = False,
    read_only: bool = False,
) -> int:
    """Serve until interrupted; returns the exit code. Warnings go to stderr."""
    warning = bind_warning(host, public=public, read_only=read_only)
    if warning:
        print(warning, file=sys.stderr)
    args = [*tui_args, *(["--read-only"] if read_only else [])]
    server = make_server(host, port, args)
    print(f"ftmon serve: open {served_origin(host, port)} in a browser", file=sys.stderr)
    server.serve()
    return 0
