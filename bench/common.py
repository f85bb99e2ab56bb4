"""What every benchmark needs: the installed ``ftmon``, a simulator process, a byte-counting
proxy, and a plain-text table to print results in.

The benchmarks print numbers and never assert speed: a number that misses its goal is reported
as such (the ``goal`` column), and the script still exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
#: The key the benchmarks hand to ftmon: the simulator accepts any non-empty key.
BENCH_KEY = "sk-bench-0000000000000000"


def ftmon_exe() -> str:
    """The installed ``ftmon`` console script of this interpreter's environment."""
    exe = Path(sys.executable).parent / "ftmon"
    if not exe.exists():
        raise SystemExit(f"no ftmon console script next to {sys.executable}: pip install -e .")
    return str(exe)


def python_exe() -> str:
    return sys.executable


def ref_app_argv(kind: str, *extra: str) -> list[str]:
    """The command line of a reference app of ``bench/ref_apps.py``."""
    return [sys.executable, str(ROOT / "bench" / "ref_apps.py"), kind, *extra]


def tui_env(base_url: str | None = None, **extra: str) -> dict[str, str]:
    """A clean environment for a TUI under test: no config file, no stray keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "FTMON_", "TEXTUAL_", "AZURE_"))
    }
    env["FTMON_CONFIG"] = str(Path(tempfile.gettempdir()) / "ftmon-bench-no-config.toml")
    env["XDG_CONFIG_HOME"] = str(Path(tempfile.gettempdir()) / "ftmon-bench-xdg")
    if base_url is not None:
        env["OPENAI_BASE_URL"] = base_url
        env["OPENAI_API_KEY"] = BENCH_KEY
    env.update(extra)
    return env


class SimProcess:
    """``ftmon sim`` in a subprocess on 127.0.0.1, port picked by the OS.

    The simulator prints its base URL as its first line of output; that is how we find the port.
    """

    def __init__(
        self,
        *,
        speed: float = 0.0,
        seed: int = 7,
        scenario: str = "default",
        start_timeout: float = 60.0,
    ) -> None:
        self.argv = [
            ftmon_exe(),
            "sim",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--speed",
            repr(float(speed)),
            "--seed",
            str(seed),
            "--scenario",
            scenario,
        ]
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._log = tempfile.TemporaryFile(mode="w+")
        self._http: httpx.Client | None = None

    def start(self) -> SimProcess:
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
            env=tui_env(),
        )
        first: list[str] = []
        reader = threading.Thread(
            target=lambda: first.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(self.start_timeout)
        line = first[0].strip() if first else ""
        if not line.startswith("http"):
            self._log.seek(0)
            said = self._log.read()[-4000:]  # read before close() closes the log
            self.close()
            raise RuntimeError(f"ftmon sim did not print its URL: {line!r}\n{said}")
        self.base_url = line.rstrip("/")
        # Keep draining stdout so the simulator can never block on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        self._http = httpx.Client(base_url=self.root_url, timeout=30.0)
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for _ in self.proc.stdout:
            pass

    @property
    def root_url(self) -> str:
        """The server root (the base URL without ``/v1``), where ``/_sim/`` routes live."""
        return self.base_url.removesuffix("/v1")

    @property
    def port(self) -> int:
        return int(self.root_url.rsplit(":", 1)[1])

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, **params: Any) -> Any:
        assert self._http is not None
        response = self._http.get(path, params=params or None)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any = None) -> Any:
        assert self._http is not None
        response = self._http.post(path, json=body if body is not None else {})
        response.raise_for_status()
        return response.json() if response.content else None

    def api(self, path: str, **params: Any) -> Any:
        """GET an API route (under ``/v1``) with a key."""
        assert self._http is not None
        response = self._http.get(
            "/v1/" + path.lstrip("/"),
            params=params or None,
            headers={"Authorization": f"Bearer {BENCH_KEY}"},
        )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        return self.get("/_sim/stats")

    def advance(self, seconds: float) -> Any:
        return self.post("/_sim/advance", {"seconds": seconds})

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def log(self) -> str:
        with contextlib.suppress(ValueError):
            self._log.seek(0)
            return self._log.read()
        return ""


@dataclass
class ProxyCounts:
    """Bytes each way through the proxy, and the connections it accepted."""

    up: int = 0
    down: int = 0
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reset(self) -> None:
        with self.lock:
            self.up = self.down = self.connections = 0

    def snapshot(self) -> tuple[int, int, int]:
        with self.lock:
            return self.up, self.down, self.connections


class CountingProxy:
    """A TCP relay on 127.0.0.1 that counts the bytes each way: every client pays the same
    framing (headers, chunking), so the comparison is of what really crosses the wire."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.counts = ProxyCounts()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counting-proxy", daemon=True)

    def start(self) -> CountingProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("proxy did not start")
        return self

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str = "/v1") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._serve())
        self._loop.run_forever()
        # Connections still open at close: end them here, not as "Task was destroyed" at exit.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        sock: socket.socket = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        self._ready.set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self.counts.lock:
            self.counts.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, up_writer, "up"),
            self._pipe(up_reader, writer, "down"),
            return_exceptions=True,
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, way: str
    ) -> None:
        try:
            while data := await reader.read(65536):
                with self.counts.lock:
                    setattr(self.counts, way, getattr(self.counts, way) + len(data))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def close(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        def stop() -> None:
            if self._server is not None:
                self._server.close()
            loop.stop()

        loop.call_soon_threadsafe(stop)
        self._thread.join(5)


def sim_request_count(stats: Any) -> int:
    """Total API requests in a ``/_sim/stats`` answer (control routes left out)."""
    routes = _route_counts(stats)
    return sum(n for route, n in routes.items() if "/_sim" not in route)


def _route_counts(stats: Any) -> dict[str, int]:
    """The per-route counts of ``/_sim/stats``, whatever its exact nesting."""
    if isinstance(stats, dict):
        for key in ("requests", "routes", "counts", "by_route"):
            if isinstance(stats.get(key), dict):
                return _route_counts(stats[key])
        if all(isinstance(v, int) for v in stats.values()):
            return dict(stats)
        flat: dict[str, int] = {}
        for route, value in stats.items():
            if isinstance(value, int):
                flat[route] = value
            elif isinstance(value, dict) and isinstance(value.get("count"), int):
                flat[route] = value["count"]
        return flat
    return {}


# -- reporting -----------------------------------------------------------------------------------


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    if abs(n) >= 10 * 1024 * 1024:
        return f"{n / 1024 / 1024:.0f} MB"
    if abs(n) >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if abs(n) >= 10 * 1024:
        return f"{n / 1024:.0f} KB"
    if abs(n) >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n:.0f} B"


def fmt_num(n: float | None, unit: str = "", digits: int = 2) -> str:
    if n is None:
        return "-"
    return f"{n:.{digits}f}{unit}"


@dataclass
class Result:
    """One measured number, with the reference measured beside it in the same run."""

    bench: str
    metric: str
    value: str
    reference: str = "-"
    goal: str = "-"
    met: bool | None = None
    note: str = ""

    def row(self) -> list[str]:
        verdict = {True: "ok", False: "MISSED", None: ""}[self.met]
        goal = f"{self.goal} {verdict}".strip()
        return [self.bench, self.metric, self.value, self.reference, goal, self.note]


HEADERS = ["bench", "metric", "ftmon", "reference", "goal", "note"]


def table(rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> str:
    """A plain-text table that reads well in a terminal and in an issue."""
    cells = [list(headers), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_results(title: str, results: Sequence[Result]) -> None:
    print(f"\n== {title}")
    print(table([r.row() for r in results]))
    sys.stdout.flush()


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` holds the seconds it took."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)
