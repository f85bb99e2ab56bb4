"""PermissionsScreen: list, add and remove checkpoint permissions; errors shown, never fatal."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import httpx
import pytest
from support.dialogs import confirm as confirm_dialog
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, Static

from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJobCheckpoint
from ftmon.config import Secret, Settings
from ftmon.sim.world import SimWorld
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.permissions import NO_ADMIN_KEY, PermissionsScreen, parse_project_ids

PERMISSION_ROUTES = "/v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"
API_KEY = "sk-test-0000"
ADMIN_KEY = "sk-admin-test-0000"


@dataclass
class PermissionEnv:
    """A client on the in-process simulator and one succeeded job's checkpoints."""

    client: FineTuningClient
    world: SimWorld
    checkpoints: list[FineTuningJobCheckpoint]

    def model(self, index: int) -> str:
        name = self.checkpoints[index].fine_tuned_model_checkpoint
        assert name
        return name

    def share(self, model: str, project: str) -> None:
        """Share behind the screen's back, as another admin would."""
        self.world.create_permissions(model, [project])

    def shared_with(self, model: str) -> list[str]:
        """What the simulator holds, newest first (the API's order)."""
        items, _ = self.world.list_permissions(model, limit=1000)
        return [p["project_id"] for p in items]

    def requests(self, method: str) -> int:
        """Requests to the permission routes with this method, as the simulator counted them."""
        routes = self.world.stats.snapshot()["routes"]
        return sum(
            n
            for route, n in routes.items()
            if route.startswith(method + " ") and PERMISSION_ROUTES in route
        )

    def total_requests(self) -> int:
        return int(self.world.stats.snapshot()["total"])


def make_env(
    world: SimWorld, transport: httpx.AsyncBaseTransport, *, admin: bool = True
) -> PermissionEnv:
    """A client on the shared simulator fixtures; one try per request, so a fault shows at once."""
    settings = Settings(
        api_key=Secret(API_KEY),
        admin_key=Secret(ADMIN_KEY) if admin else None,
        base_url="http://sim.test/v1",
        max_retries=0,
    )
    client = FineTuningClient(settings, transport=transport)
    jobs, _ = world.list_jobs(limit=100)
    job = next(j for j in jobs if j["status"] == "succeeded")
    raw, _ = world.list_checkpoints(job["id"], limit=10)
    checkpoints = [FineTuningJobCheckpoint.model_validate(c) for c in raw]
    assert len(checkpoints) >= 2
    world.stats.reset()
    return PermissionEnv(client=client, world=world, checkpoints=checkpoints)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Times on screen in UTC, so snapshots do not depend on the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def env(sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport) -> PermissionEnv:
    return make_env(sim_world, sim_transport)


class Host(App[None]):
    """A tiny app that opens the screen on mount."""

    def __init__(
        self,
        client: FineTuningClient,
        checkpoints: list[FineTuningJobCheckpoint],
        *,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.client = client
        self.checkpoints = checkpoints
        self.read_only = read_only
        self.closed = False

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        screen = PermissionsScreen(self.client, self.checkpoints, read_only=self.read_only)
        self.push_screen(screen, lambda _: setattr(self, "closed", True))


@dataclass
class View:
    """What the user sees on the permissions screen."""

    app: Host

    @property
    def screen(self) -> PermissionsScreen:
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, PermissionsScreen):
                return screen
        raise AssertionError("the permissions screen is not open")

    def table(self, which: str) -> list[list[str]]:
        table = self.screen.query_one(f"#perm-{which}", DataTable)
        return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]

    def projects(self) -> list[str]:
        return [row[0] for row in self.table("projects")]

    def status(self) -> str:
        return str(self.screen.query_one("#perm-status", Static).render())

    def message(self) -> str:
        return str(self.screen.query_one("#perm-message", Static).render())


def footer_actions(view: View) -> set[str]:
    """The screen's actions the footer offers now."""
    return {
        b.binding.action
        for b in view.screen.active_bindings.values()
        if b.enabled and b.binding.show and b.node is view.screen
    }


async def settle(app: App, pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def open_screen(env: PermissionEnv, pilot, app: Host) -> View:
    await settle(app, pilot)
    return View(app)


def test_parse_project_ids() -> None:
    assert parse_project_ids(" proj_a, proj_b proj_a ,,proj_c-1 ") == (
        ["proj_a", "proj_b", "proj_c-1"],
        [],
    )
    assert parse_project_ids("proj_a org-123 proj_") == (["proj_a"], ["org-123", "proj_"])
    assert parse_project_ids("") == ([], [])


async def test_lists_checkpoints_and_the_projects_of_the_first(env: PermissionEnv) -> None:
    model = env.model(0)
    env.share(model, "proj_[/bold]seed")
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        rows = view.table("checkpoints")
        assert [r[1] for r in rows] == [env.model(i) for i in range(len(env.checkpoints))]
        assert rows[0][0] == str(env.checkpoints[0].step_number)
        assert view.projects() == ["proj_[/bold]seed"]
        assert "1 project" in view.status()
        assert env.requests("GET") == 1
        assert {"add", "delete", "reload", "close"} <= footer_actions(view)


async def test_moving_to_another_checkpoint_shows_its_projects(env: PermissionEnv) -> None:
    env.share(env.model(0), "proj_first")
    env.share(env.model(1), "proj_second")
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        assert view.projects() == ["proj_first"]
        await pilot.press("down")
        await settle(app, pilot)
        assert view.projects() == ["proj_second"]


async def test_lists_every_page(env: PermissionEnv) -> None:
    model = env.model(0)
    for n in range(150):
        env.share(model, f"proj_{n:03d}")
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        projects = view.projects()
        assert len(projects) == 150 and len(set(projects)) == 150
        assert env.requests("GET") >= 2


async def test_add_two_project_ids(env: PermissionEnv) -> None:
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        assert view.projects() == []
        await pilot.press("a")
        field = view.screen.query_one("#perm-add-input", Input)
        assert field.has_focus
        await pilot.press(*"proj_alpha, proj_beta")
        await pilot.press("enter")
        await settle(app, pilot)
        assert sorted(env.shared_with(env.model(0))) == ["proj_alpha", "proj_beta"]
        assert sorted(view.projects()) == ["proj_alpha", "proj_beta"]
        assert "proj_alpha" in view.status() and "proj_beta" in view.status()
        assert not field.has_focus  # the box closed


async def test_a_failed_refresh_after_an_add_keeps_the_list_and_says_so(
    env: PermissionEnv,
) -> None:
    env.share(env.model(0), "proj_before")
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        assert view.projects() == ["proj_before"]
        # The add goes through; the list read after it fails.
        env.world.faults.add("503", count=1, route="/fine_tuning/checkpoints", method="GET")
        await pilot.press("a", *"proj_new", "enter")
        await settle(app, pilot)
        assert sorted(env.shared_with(env.model(0))) == ["proj_before", "proj_new"]
        assert view.projects() == ["proj_before"]  # what was shown stays, not an empty list
        assert "503" in view.status()
        assert view.screen.query_one("#perm-status").has_class("-error")


async def test_add_rejects_what_is_not_a_project_id(env: PermissionEnv) -> None:
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        await pilot.press("a", *"proj_ok org-42", "enter")
        await settle(app, pilot)
        assert "org-42" in view.status()
        assert env.requests("POST") == 0
        assert view.screen.query_one("#perm-add-input", Input).value == "proj_ok org-42"


async def test_escape_closes_the_add_box_then_the_screen(env: PermissionEnv) -> None:
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        await pilot.press("a", *"proj_q")
        await pilot.press("escape")
        await settle(app, pilot)
        assert view.screen is app.screen and not app.closed
        assert env.requests("POST") == 0
        await pilot.press("q")
        await settle(app, pilot)
        assert app.closed and not isinstance(app.screen, PermissionsScreen)


async def test_delete_asks_first_and_no_keeps_it(env: PermissionEnv) -> None:
    model = env.model(0)
    env.share(model, "proj_keep")
    env.share(model, "proj_drop")
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        target = view.projects()[0]
        await pilot.press("tab", "d")
        await settle(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.focused is not None and confirm.focused.id == "no"
        await pilot.press("enter")  # No is focused: nothing happens
        await settle(app, pilot)
        assert env.requests("DELETE") == 0
        assert sorted(env.shared_with(model)) == ["proj_drop", "proj_keep"]
        assert "Nothing removed" in view.status()

        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await confirm_dialog(pilot)
        await settle(app, pilot)
        assert env.requests("DELETE") == 1
        assert target not in env.shared_with(model)
        assert view.projects() == env.shared_with(model)
        assert target in view.status()


async def test_without_admin_key_says_so_and_sends_nothing(sim_world, sim_transport) -> None:
    env = make_env(sim_world, sim_transport, admin=False)
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        assert "admin key" in view.message() and "OPENAI_ADMIN_KEY" in view.message()
        assert view.message() == NO_ADMIN_KEY
        await pilot.press("a", "d", "r")
        await settle(app, pilot)
        assert env.total_requests() == 0
        assert not isinstance(app.screen, ConfirmScreen)
        assert not view.screen.query_one("#perm-add-input", Input).has_focus


async def test_api_error_is_shown_not_fatal(env: PermissionEnv) -> None:
    env.world.faults.add("503", count=1, route="/fine_tuning/checkpoints")
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        assert "503" in view.status()
        assert view.screen.query_one("#perm-status").has_class("-error")
        assert app.is_running and view.screen is app.screen
        # It recovers on reload.
        env.share(env.model(0), "proj_after")
        await pilot.press("r")
        await settle(app, pilot)
        assert view.projects() == ["proj_after"]
        assert not view.screen.query_one("#perm-status").has_class("-error")


async def test_refused_add_shows_the_api_message(env: PermissionEnv) -> None:
    env.share(env.model(0), "proj_x")
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        await pilot.press("a", *"proj_x", "enter")
        await settle(app, pilot)
        assert "400" in view.status() and "already has access" in view.status()
        assert view.screen.query_one("#perm-status").has_class("-error")
        assert env.shared_with(env.model(0)) == ["proj_x"]


async def test_a_key_that_is_not_an_admin_key_is_explained(env: PermissionEnv) -> None:
    settings = replace(env.client.settings, admin_key=Secret("sk-proj-not-an-admin-key-000"))
    env.client.settings = settings
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        status = view.status()
        assert "401" in status or "403" in status
        assert "OPENAI_ADMIN_KEY" in status
        assert "sk-proj-not-an-admin-key" not in status


async def test_read_only_hides_add_and_delete(env: PermissionEnv) -> None:
    env.share(env.model(0), "proj_seen")
    app = Host(env.client, env.checkpoints, read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        assert view.projects() == ["proj_seen"]
        assert {"reload", "close"} <= footer_actions(view)
        assert not {"add", "delete"} & footer_actions(view)
        assert "read-only" in str(view.screen.query_one("#perm-title", Static).render())
        await pilot.press("a", "d")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert env.requests("POST") == 0 and env.requests("DELETE") == 0


async def test_no_checkpoints_says_so(env: PermissionEnv) -> None:
    app = Host(env.client, [])
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_screen(env, pilot, app)
        assert "no checkpoints" in view.message()
        assert env.total_requests() == 0


def test_snapshot_80x24(snap_compare, utc, env: PermissionEnv) -> None:
    env.share(env.model(0), "proj_research")
    env.share(env.model(0), "proj_[/bold]prod")
    assert snap_compare(Host(env.client, env.checkpoints), terminal_size=(80, 24), run_before=_wait)


def test_snapshot_160x48(snap_compare, utc, env: PermissionEnv) -> None:
    env.share(env.model(0), "proj_research")
    assert snap_compare(
        Host(env.client, env.checkpoints), terminal_size=(160, 48), run_before=_wait
    )


async def _wait(pilot) -> None:
    await settle(pilot.app, pilot)
