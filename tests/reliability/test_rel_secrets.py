"""Secrets: with recognisable keys configured, no screen, output, export or error shows them.

Also checked at the simulator: the admin key travels only on checkpoint-permission calls, and
those calls carry nothing else. (The crash report and Textual's log file, which need a real
terminal, are in ``test_rel_pty.py``.)
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from relkit import ADMIN_KEY, API_KEY, KEY_FRAGMENTS, settings_for, workers_done
from support.app import build_app
from support.cli import Run, command_runner, route_to_sim
from support.dialogs import confirm
from support.simkit import new_world

from ftmon.api.client import FineTuningClient
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.permissions import PermissionsScreen

PERMISSIONS = "/fine_tuning/checkpoints/"


def leaked(text: str) -> list[str]:
    return [fragment for fragment in KEY_FRAGMENTS if fragment in text]


@dataclass
class Seen:
    """Every request that reached the simulator, with the key it carried."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, key
    #: When set, answer everything but permission calls with this status, echoing the key.
    echo_status: int | None = None

    def wrap(self, app: Any) -> Any:
        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/v1/"):
                headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
                auth = headers.get("authorization", "").removeprefix("Bearer ")
                key = {API_KEY: "api", ADMIN_KEY: "admin"}.get(auth, "other" if auth else "none")
                self.requests.append((scope["method"], scope["path"], key))
                if self.echo_status is not None and PERMISSIONS not in scope["path"]:
                    await _echo(send, self.echo_status, auth)
                    return
            await app(scope, receive, send)

        return recording

    def check_routing(self) -> None:
        assert self.requests, "nothing was requested"
        for method, path, key in self.requests:
            if PERMISSIONS in path:
                assert key == "admin", f"{method} {path} went with the {key} key"
            else:
                assert key == "api", f"{method} {path} went with the {key} key"


async def _echo(send: Any, status: int, key: str) -> None:
    """A server that quotes the key it was given back in its error (some proxies do)."""
    body = json.dumps(
        {"error": {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def world() -> SimWorld:
    return new_world(scenario="default")


@pytest.fixture
def seen() -> Seen:
    return Seen()


def transport(world: SimWorld, seen: Seen) -> httpx.AsyncBaseTransport:
    return sim_transport(seen.wrap(create_app(world)))


def job_with_checkpoints(world: SimWorld) -> tuple[str, str]:
    jobs, _ = world.list_jobs(limit=100)
    for job in jobs:
        if job["status"] == "succeeded":
            checkpoints, _ = world.list_checkpoints(job["id"])
            if checkpoints:
                return job["id"], checkpoints[0]["fine_tuned_model_checkpoint"]
    raise AssertionError("no succeeded job with checkpoints")


# -- every screen ----------------------------------------------------------------------------


async def test_no_screen_shows_a_key_and_the_admin_key_goes_only_to_permissions(
    world: SimWorld, seen: Seen
) -> None:
    client = FineTuningClient(settings_for(), transport=transport(world, seen))
    app = build_app(world, client=client, select_delay=0)
    monitor = app.monitor
    job_id, _ = job_with_checkpoints(world)
    screens: dict[str, str] = {}

    async with app.run_test(size=(120, 36), notifications=True) as pilot:

        async def settle() -> None:
            for _ in range(300):
                await pilot.pause(0.01)
                if monitor.polls_started and not monitor.polls_running:
                    break
            await pilot.pause()

        def shot(name: str) -> None:
            screens[name] = app.export_screenshot()

        await settle()
        shot("main")
        for key in "1234":
            await pilot.press(key)
            await pilot.pause()
            shot(f"tab {key}")
        await pilot.press("question_mark")
        await pilot.pause()
        shot("help")
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"perm")
        await workers_done(app, pilot)
        shot("palette")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("slash", *"bot")
        await pilot.pause()
        shot("filter")
        await pilot.press("escape")
        await pilot.pause()
        # A running job: the cancel confirmation.
        app.main.job_list.select_job(world.highlights["job:support-bot-v3"])
        await settle()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        shot("confirm cancel")
        await pilot.press("escape")
        # A finished job with checkpoints: the permissions screen, add and remove.
        app.main.job_list.select_job(job_id)
        await settle()
        await pilot.press("P")
        await workers_done(app, pilot)
        assert isinstance(app.screen, PermissionsScreen)
        await pilot.press("a", *"proj_secretcheck", "enter")
        await workers_done(app, pilot)
        shot("permissions")
        await pilot.press("d")
        await pilot.pause()
        shot("confirm remove")
        await confirm(pilot)
        await workers_done(app, pilot)
        shot("permissions after remove")
        await pilot.press("escape")
        await pilot.pause()
        # A job finishing: the toast.
        world.clock.advance(7200)
        monitor.refresh_now()
        await settle()
        shot("toasts")
        # The server starts refusing the key and quoting it back: the status line.
        seen.echo_status = 401
        monitor.refresh_now()
        await settle()
        shot("401 quoting the key")
        assert "401" in app.main.status_line.text
        # Narrow layout too.
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        shot("narrow")
        await pilot.press("q")
    for name, svg in screens.items():
        assert leaked(svg) == [], name
    assert len(screens) >= 15
    seen.check_routing()
    assert any(PERMISSIONS in path for _, path, _ in seen.requests)
    assert any(m == "DELETE" for m, path, _ in seen.requests if PERMISSIONS in path)


# -- every headless command ----------------------------------------------------------------------


@pytest.fixture
def cli(
    world: SimWorld, seen: Seen, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """``cli("jobs", "--json")`` on the simulator (every request recorded by ``seen``), with
    the recognisable keys in the environment."""
    app = seen.wrap(create_app(world))
    route_to_sim(monkeypatch, world, app, api_key=API_KEY, admin_key=ADMIN_KEY)
    return command_runner(capsys)


def test_no_headless_command_prints_a_key(
    cli: Callable[..., Run], world: SimWorld, seen: Seen, tmp_path: Path
) -> None:
    finished, checkpoint = job_with_checkpoints(world)
    running = world.highlights["job:support-bot-v3"]
    quick = world.add_job(
        {
            "suffix": "quick",
            "lifecycle": {
                "total_steps": 10,
                "n_epochs": 2,
                "seconds_per_step": 1,
                "validate_seconds": 2,
                "queue_seconds": 2,
                "finalize_seconds": 2,
            },
        }
    )["id"]
    training = tmp_path / "train.jsonl"
    line = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    training.write_text("\n".join(json.dumps(line) for _ in range(12)) + "\n")
    commands = [
        ["jobs", "--json"],
        ["jobs", "--all", "--json"],
        ["show", finished, "--json"],
        ["events", finished, "--json"],
        ["events", quick, "--follow", "--json"],
        ["watch", quick, "--json"],
        ["checkpoints", finished, "--json"],
        ["metrics", finished, "--json"],
        ["metrics", finished, "--csv"],
        ["pause", running, "--yes", "--json"],
        ["advance", "60"],  # pausing -> paused
        ["resume", running, "--yes", "--json"],
        ["cancel", running, "--yes", "--json"],
        ["perms", "list", checkpoint, "--json"],
        ["perms", "add", checkpoint, "proj_secretcheck", "--yes", "--json"],
        ["export", finished, "--out", str(tmp_path / "export"), "--json"],
        ["files", "list", "--json"],
        ["files", "upload", str(training), "--json"],
        ["files", "check", str(training), "--json"],
        ["show", "ftjob-does-not-exist", "--json"],
    ]
    outputs: dict[str, str] = {}
    codes: dict[str, int] = {}
    for argv in commands:
        if argv[0] == "advance":
            world.clock.advance(float(argv[1]))
            continue
        code, out, err = cli(*argv)
        outputs[" ".join(argv)] = out + err
        codes[" ".join(argv)] = code
    permissions = json.loads(outputs[f"perms list {checkpoint} --json"].split("\n\n")[0] or "[]")
    for perm in permissions:
        code, out, err = cli("perms", "rm", checkpoint, perm["id"], "--yes", "--json")
        outputs[f"perms rm {perm['id']}"] = out + err
    uploaded = json.loads(outputs[f"files upload {training} --json"])["id"]
    code, out, err = cli("files", "rm", uploaded, "--yes", "--json")
    outputs["files rm"] = out + err
    code, out, err = cli(
        "create",
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--training-file",
        uploaded,
        "--yes",
        "--json",
    )
    outputs["create"] = out + err
    # A server that refuses the key and quotes it back.
    seen.echo_status = 401
    for argv in (["jobs", "--json"], ["show", finished, "--json"], ["watch", running, "--json"]):
        code, out, err = cli(*argv)
        outputs["401 " + " ".join(argv)] = out + err
        assert code == 5, (argv, out, err)
    seen.echo_status = None
    problems = {name: leaked(text) for name, text in outputs.items() if leaked(text)}
    assert problems == {}
    failed = {
        n: outputs[n][-300:] for n, c in codes.items() if c != 0 and "does-not-exist" not in n
    }
    assert failed == {}
    exported = "".join(p.read_text() for p in (tmp_path / "export").rglob("*") if p.is_file())
    assert exported and leaked(exported) == []
    seen.check_routing()


class Boom(RuntimeError):
    pass


def test_a_bug_in_a_command_shows_no_key_with_or_without_ftmon_debug(
    cli: Callable[..., Run], world: SimWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception under a request: one line without FTMON_DEBUG, Python's own
    traceback with it (no local variables either way)."""

    async def broken(self: Any, request: httpx.Request) -> httpx.Response:
        raise Boom(f"failed on {request.method} {request.url}")

    monkeypatch.setattr(type(sim_transport(create_app(world))), "handle_async_request", broken)
    code, out, err = cli("jobs", "--json")
    assert code == 70 and "Boom" in err
    assert leaked(out + err) == []
    monkeypatch.setenv("FTMON_DEBUG", "1")
    with pytest.raises(Boom) as caught:
        cli("jobs", "--json")
    printed = "".join(traceback.format_exception(caught.value))
    assert "Boom" in printed and leaked(printed) == []


def test_the_settings_never_show_their_keys() -> None:
    settings = settings_for()
    for text in (repr(settings), str(settings), settings.describe_endpoint()):
        assert leaked(text) == []
    client = FineTuningClient(settings)
    assert leaked(repr(client.settings)) == []
    # The key is added per request, never kept in the client's default headers.
    assert "authorization" not in {k.lower() for k in client._http.headers}
