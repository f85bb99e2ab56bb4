"""The app in a real pty for the reliability tests, on the simulator or on the hostile API.

``python tests/reliability/probe.py sim [--speed S] [--crash request|handler]``: the app as
``ftmon --demo`` builds it (engine worker, SIGHUP handler, desktop notifications), on a simulated
world with the suite's recognisable keys. ``--crash`` adds the key ``!``, which forces a crash:
``request`` makes a request whose transport fails with an unexpected exception (so the client's
frames, with the request headers, are on the stack the crash report prints), ``handler`` raises
in a key handler.

``python tests/reliability/probe.py hostile [--checkpoints]``: the app on the hostile API serving
the corpus's dangerous payloads (and, with ``--checkpoints``, checkpoints with hostile model
names); SIGUSR1 makes every ``job.suffix-hazard=`` job finish, so the toast, the bell and the
desktop notification quote hostile suffixes.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any, ClassVar

# A script (run in a pty by test_rel_pty.py, scripts/reliability.py or by hand): the tests'
# import roots, as pytest's `pythonpath` has them, after its own directory.
ROOT = Path(__file__).resolve().parents[2]
sys.path[1:1] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402
from corpus import HAZARDS, Payload, base_checkpoint, base_event, build_corpus  # noqa: E402
from hostile_api import NOW  # noqa: E402
from relkit import ADMIN_KEY, API_KEY, settings_for  # noqa: E402
from support.app import build_app  # noqa: E402
from support.simkit import SIM_SEED, SIM_START  # noqa: E402
from textual.binding import Binding, BindingType  # noqa: E402

from ftmon.api.client import FineTuningClient  # noqa: E402
from ftmon.api.retry import RetryPolicy  # noqa: E402
from ftmon.config import Secret  # noqa: E402
from ftmon.monitor.engine import Monitor  # noqa: E402
from ftmon.tui.app import FtmonApp  # noqa: E402
from ftmon.tui.main_screen import AGE_REFRESH  # noqa: E402


class Boom(RuntimeError):
    """A bug somewhere under the client: not an API error, so nothing turns it into one."""


class CrashingTransport(httpx.AsyncBaseTransport):
    """Passes requests on until armed; then the next one fails with :class:`Boom`."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.armed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.armed:
            raise Boom("the transport broke in a way nobody expected")
        return await self.inner.handle_async_request(request)


class ProbeApp(FtmonApp):
    BINDINGS: ClassVar[list[BindingType]] = [
        *FtmonApp.BINDINGS,
        Binding("exclamation_mark", "crash", "crash", show=False),
    ]
    crash_mode: str | None = None
    transport: CrashingTransport | None = None
    on_usr1: Any = None

    def on_mount(self) -> None:
        # Textual calls every class's on_mount in turn: FtmonApp's runs too (no super() here).
        if self.on_usr1 is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, self.on_usr1)

    async def action_crash(self) -> None:
        if self.crash_mode == "request" and self.transport is not None:
            self.transport.armed = True
            # An action awaited on the app's own task: an exception here is a crash of the app.
            await self.monitor.client.list_jobs(limit=1)
        elif self.crash_mode == "handler":
            raise Boom("a key handler failed")


def sim_app(args: argparse.Namespace) -> ProbeApp:
    from ftmon.sim.app import create_app
    from ftmon.sim.clock import SimClock
    from ftmon.sim.transport import sim_transport
    from ftmon.sim.world import SimWorld

    world = SimWorld(seed=SIM_SEED, clock=SimClock(start=SIM_START, speed=args.speed))
    transport = CrashingTransport(sim_transport(create_app(world)))
    settings = settings_for("http://sim.test/v1", timeout=5.0, read_only=args.read_only)
    client = FineTuningClient(settings, transport=transport)
    assert client.settings.api_key == Secret(API_KEY) and client.settings.admin_key
    assert client.settings.admin_key.reveal() == ADMIN_KEY
    # As `ftmon --demo` builds it: the app's own age refresh and selection delay.
    app = build_app(
        world,
        client=client,
        interval=args.interval,
        app_class=ProbeApp,
        job_id=args.job,
        real_terminal=True,
        handle_hangup=not args.no_hangup_handler,
        age_refresh=AGE_REFRESH,
    )
    app.crash_mode = args.crash
    app.transport = transport
    return app


def hostile_payloads(*, checkpoints: bool = False) -> list[Any]:
    """What the hostile mode serves: the dangerous jobs, every suffix hazard on a running job,
    and (``checkpoints``) a carrier job per hostile checkpoint model name."""
    from test_rel_screen import dangerous_payloads

    payloads = dangerous_payloads()
    names = {p.name for p in payloads}
    payloads += [
        p for p in build_corpus() if p.name.startswith("job.suffix-hazard=") and p.name not in names
    ]
    if checkpoints:
        payloads += [hostile_checkpoint(name, hazard) for name, hazard in HAZARDS.items()]
        payloads += [hostile_event(name, hazard) for name, hazard in HAZARDS.items()]
    return payloads


def hostile_event(name: str, hazard: str) -> Payload:
    """A moderation-checks event whose message and data (keys and values) hold ``hazard``: the
    event detail screen shows both."""
    event = base_event(1, NOW - 30)
    event.update(
        id=f"ftevent-screen{len(name)}{sum(map(ord, name))}",
        type="moderation_checks",
        message=f"Moderation {hazard[:2000]} checks",
        data={hazard[:200] or "empty": hazard[:2000], "nested": {"why": hazard[:500]}},
    )
    return Payload(f"event.screen={name}", "event", [event], about="a hostile event in detail")


def hostile_checkpoint(name: str, hazard: str) -> Payload:
    """A checkpoint whose model name (shown, copied, sent back in a URL) holds ``hazard``."""
    item = base_checkpoint(10, NOW - 200, "carrier")
    item["fine_tuned_model_checkpoint"] = "ft:x:" + hazard[:2000]
    item["id"] = f"ftckpt_screen{len(name)}{sum(map(ord, name))}"
    return Payload(f"checkpoint.screen={name}", "checkpoint", [item], about="a hostile name")


def _provider(args: argparse.Namespace) -> dict[str, str]:
    """``--azure``: the settings say Azure OpenAI (its rules, keys and dialogs), not the API."""
    return {"provider": "azure", "auth_header": "api-key"} if args.azure else {}


def hostile_app(args: argparse.Namespace) -> ProbeApp:
    from hostile_api import HostileApi

    payloads = hostile_payloads(checkpoints=args.checkpoints)
    api = HostileApi(payloads)
    client = FineTuningClient(
        settings_for("http://hostile.test/v1", max_retries=0, **_provider(args)),
        transport=api.transport(),
        retry=RetryPolicy(max_attempts=1),
    )
    monitor = Monitor(client, interval=0.5, clock=lambda: float(NOW), page_size=1000)
    app = build_app(
        monitor=monitor,
        clock=lambda: float(NOW),
        app_class=ProbeApp,
        real_terminal=True,
        handle_hangup=True,
        select_delay=0,
    )

    def finish_suffixed() -> None:
        for job in api.jobs:
            if isinstance(job, dict) and str(job.get("id", "")).startswith("ftjob-sx-"):
                job["status"] = "succeeded"
                job["finished_at"] = NOW
        monitor.refresh_now()

    app.on_usr1 = finish_suffixed
    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["sim", "hostile"])
    parser.add_argument("--speed", type=float, default=0.0)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--crash", choices=["request", "handler"])
    parser.add_argument("--read-only", action="store_true")
    parser.add_argument("--job", help="open on this job (sim mode)")
    parser.add_argument("--no-hangup-handler", action="store_true")
    parser.add_argument(
        "--checkpoints", action="store_true", help="hostile mode: add hostile checkpoint names"
    )
    parser.add_argument(
        "--azure", action="store_true", help="hostile mode: as Azure OpenAI (delete, no perms)"
    )
    args = parser.parse_args()
    app = sim_app(args) if args.mode == "sim" else hostile_app(args)
    result = app.run(mouse=False)
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)


if __name__ == "__main__":
    sys.exit(main())
