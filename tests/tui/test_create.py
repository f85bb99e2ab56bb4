"""CreateJobScreen: fields marked with reasons, local files checked then uploaded with progress,
the exact request confirmed, nothing sent before; API refusals marked at the field."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from support.dialogs import confirm
from textual.app import App, ComposeResult
from textual.widgets import Input, ProgressBar, Select, Static, TextArea
from tuikit import SECRET_KEY, new_world, screen_text

from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings
from ftmon.connect import make_demo
from ftmon.sim import SimWorld
from ftmon.tui.screens.create import CreateJobScreen
from ftmon.tui.screens.create_form import Field, RequestReview

MODEL = "gpt-4.1-mini-2025-04-14"


def chat(i: int) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"Question {i}?"},
                {"role": "assistant", "content": f"Answer {i}."},
            ]
        }
    )


def write_train(path: Path, count: int = 12, broken: dict[int, str] | None = None) -> Path:
    lines = [chat(i) for i in range(count)]
    for number, text in (broken or {}).items():
        lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")
    return path


class Host(App[None]):
    """Opens the form on mount and records what it dismissed with."""

    def __init__(self, client: FineTuningClient, **kwargs: Any) -> None:
        super().__init__()
        self.client = client
        self.kwargs = kwargs
        self.results: list[dict[str, Any] | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(CreateJobScreen(self.client, **self.kwargs), self.results.append)


class Env:
    def __init__(self, world: SimWorld) -> None:
        self.world = world
        client, _ = make_demo(Settings(), world=world)
        client.settings = Settings(api_key=Secret(SECRET_KEY), base_url=client.settings.base_url)
        self.client = client

    def posts(self) -> int:
        routes = self.world.stats.snapshot()["routes"]
        return sum(n for route, n in routes.items() if route.startswith("POST "))

    def file_count(self) -> int:
        return len(self.world.files)


@pytest.fixture
def env() -> Env:
    return Env(new_world())


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def opened(pilot) -> CreateJobScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CreateJobScreen)
    return screen


async def fill(pilot, screen: CreateJobScreen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#in-{name}", Input).value = value
    await pilot.pause()


def errors(screen: CreateJobScreen) -> dict[str, str]:
    return {f.field_name: f.error for f in screen.query(Field) if f.error}


def status(screen: CreateJobScreen) -> str:
    return str(screen.query_one("#create-status", Static).render())


async def review(pilot) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_an_empty_form_is_marked_at_the_fields_and_nothing_is_sent(env: Env) -> None:
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await review(pilot)
        marked = errors(screen)
        assert set(marked) == {"model", "training_file"}
        assert marked["model"].startswith("required")
        assert "file-…" in marked["training_file"]
        assert "2 fields to fix" in status(screen)
        assert screen.focused is screen.query_one("#in-model", Input)
        assert env.posts() == 0 and app.screen is screen


async def test_a_marked_field_clears_as_it_is_fixed(env: Env) -> None:
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model=MODEL, training_file="file-x", n_epochs="99")
        await review(pilot)
        assert errors(screen) == {"n_epochs": "from 1 to 50, or auto"}
        screen.query_one("#in-n_epochs", Input).value = "4"
        await pilot.pause()
        assert errors(screen) == {}


async def test_a_local_file_is_checked_uploaded_and_the_request_shown_is_the_one_returned(
    env: Env, tmp_path: Path
) -> None:
    train = write_train(tmp_path / "train.jsonl")
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model=MODEL, training_file=str(train), suffix="faq", seed="3")
        files = env.file_count()
        await review(pilot)
        dialog = app.screen
        assert isinstance(dialog, RequestReview)
        # Checked, not uploaded: the request shows where the upload's id will go.
        assert env.file_count() == files
        assert screen.query_one("#in-training_file", Input).value == str(train)
        shown_body = {
            "model": MODEL,
            "training_file": "<upload of train.jsonl>",
            "method": {"type": "supervised", "supervised": {}},
            "suffix": "faq",
            "seed": 3,
        }
        assert dialog.body == shown_body
        shown = str(dialog.query_one("#review-json", Static).render())
        assert json.loads(shown) == shown_body
        cost = str(dialog.query_one("#review-cost", Static).render())
        assert cost.startswith("12 examples · ≈") and "billed tokens" in cost
        assert "Create job uploads train.jsonl (" in cost
        assert screen.field("training_file").note.startswith("12 examples")
        assert not screen.query_one("#create-progress").has_class("-busy")
        assert dialog.focused is not None and dialog.focused.id == "no"
        await confirm(pilot)
        await settle(pilot)
        (body,) = app.results
        uploaded = body["training_file"]
        assert uploaded.startswith("file-") and env.file_count() == files + 1
        assert env.world.file_content(uploaded) == train.read_bytes()
        assert body == {**shown_body, "training_file": uploaded}
        assert screen.sent_body == body
        assert env.world.job_count() == 15  # the caller sends it: the screen created nothing


async def test_problems_of_a_local_file_are_shown_with_their_lines_and_nothing_uploaded(
    env: Env, tmp_path: Path
) -> None:
    train = write_train(
        tmp_path / "train.jsonl",
        broken={3: "{oops", 8: json.dumps({"messages": [{"role": "user", "content": "hi"}]})},
    )
    files = env.file_count()
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model=MODEL, training_file=str(train))
        await review(pilot)
        assert isinstance(app.screen, CreateJobScreen)
        reason = errors(screen)["training_file"]
        assert reason.splitlines()[0] == "2 problems for supervised (chat):"
        assert "line 3: invalid JSON" in reason
        assert "line 8: no assistant message with content or tool_calls" in reason
        assert "nothing was uploaded" in status(screen)
        assert env.file_count() == files and env.posts() == 0


async def test_a_dpo_file_checked_as_dpo(env: Env, tmp_path: Path) -> None:
    train = write_train(tmp_path / "train.jsonl")  # chat records
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model=MODEL, training_file=str(train))
        screen.query_one("#in-method", Select).value = "dpo"
        await pilot.pause()
        assert screen.field("beta").display and not screen.field("grader").display
        await review(pilot)
        assert "a chat record, but DPO needs" in errors(screen)["training_file"]


async def test_an_uploaded_file_can_be_picked_and_its_name_is_never_markup(env: Env) -> None:
    item = env.world.upload_file("[b]prod[/b].jsonl", "fine-tune", (chat(1) + "\n").encode() * 10)
    app = Host(env.client)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        picker = screen.query_one("#pick-training_file", Select)
        labels = {value: str(label) for label, value in picker._options if value != Select.NULL}
        assert "[b]prod[/b].jsonl" in labels[item["id"]]
        picker.value = item["id"]
        await pilot.pause()
        assert screen.query_one("#in-training_file", Input).value == item["id"]
        assert screen.field("training_file").note.startswith("uploaded file [b]prod[/b].jsonl")


async def test_reinforcement_sends_the_grader(env: Env) -> None:
    grader = {"type": "string_check", "name": "exact", "input": "a", "reference": "b",
              "operation": "eq"}  # fmt: skip
    app = Host(env.client)
    async with app.run_test(size=(100, 48)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model="o4-mini-2025-04-16", training_file="file-rft")
        screen.query_one("#in-method", Select).value = "reinforcement"
        await pilot.pause()
        await review(pilot)
        assert errors(screen) == {
            "grader": "reinforcement needs a grader (JSON, e.g. a string_check grader)"
        }
        screen.query_one("#in-grader", TextArea).text = json.dumps(grader)
        screen.query_one("#in-reasoning_effort", Select).value = "high"
        await pilot.pause()
        await review(pilot)
        assert isinstance(app.screen, RequestReview)
        assert app.screen.body["method"] == {
            "type": "reinforcement",
            "reinforcement": {"hyperparameters": {"reasoning_effort": "high"}, "grader": grader},
        }


async def test_a_grader_the_api_refuses_is_marked_and_nothing_is_uploaded_or_sent(
    env: Env, tmp_path: Path
) -> None:
    lines = [
        json.dumps({"messages": [{"role": "user", "content": f"{i}?"}], "label": str(i)})
        for i in range(12)
    ]
    train = tmp_path / "rft.jsonl"
    train.write_text("\n".join(lines) + "\n")
    grader = {"type": "exact_match", "name": "exact", "input": "{{sample.output_text}}",
              "reference": "{{item.label}}", "operation": "eq"}  # fmt: skip
    created: list[Any] = []

    async def submit(body: dict[str, Any]) -> None:
        created.append(await env.client.create_job(body))

    app = Host(env.client, on_submit=submit)
    async with app.run_test(size=(100, 48)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model="o4-mini-2025-04-16", training_file=str(train))
        screen.query_one("#in-method", Select).value = "reinforcement"
        screen.query_one("#in-grader", TextArea).text = json.dumps(grader)
        await pilot.pause()
        files = env.file_count()
        await review(pilot)
        assert app.screen is screen  # no request to confirm
        assert errors(screen) == {
            "grader": "the API refused it: Invalid 'grader.type': expected one of "
            "string_check, text_similarity, python, score_model, multi."
        }
        assert status(screen) == "The API refused the grader: nothing was uploaded or sent."
        assert screen.focused is screen.query_one("#in-grader", TextArea)
        assert env.file_count() == files and created == []
        assert "the API refused it: Invalid 'grader.type'" in screen_text(app)  # by the field

        fixed = {**grader, "type": "string_check"}
        screen.query_one("#in-grader", TextArea).text = json.dumps(fixed)
        await pilot.pause()
        await review(pilot)
        assert isinstance(app.screen, RequestReview) and errors(screen) == {}
        assert env.file_count() == files  # checked by the API; uploaded only on Create job
        await confirm(pilot)
        await settle(pilot)
        assert env.file_count() == files + 1
        assert len(created) == 1 and created[0].method_type == "reinforcement"


async def test_keep_editing_uploads_and_sends_nothing(env: Env, tmp_path: Path) -> None:
    train = write_train(tmp_path / "train.jsonl")
    files = env.file_count()
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model=MODEL, training_file=str(train))
        await review(pilot)
        await pilot.press("enter")  # "Keep editing" is in focus
        await settle(pilot)
        assert app.screen is screen and app.results == []
        assert status(screen) == "Not sent: nothing was uploaded or created."
        assert env.file_count() == files and env.posts() == 0
        assert screen.query_one("#in-training_file", Input).value == str(train)
        await review(pilot)
        assert isinstance(app.screen, RequestReview) and env.file_count() == files


async def test_on_submit_marks_the_field_the_api_refused_then_creates(env: Env) -> None:
    item = env.world.upload_file("t.jsonl", "fine-tune", (chat(1) + "\n").encode() * 10)
    created: list[str] = []

    async def submit(body: dict[str, Any]) -> None:
        created.append((await env.client.create_job(body)).id)

    app = Host(env.client, on_submit=submit)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model="gpt-9-imaginary", training_file=item["id"])
        await review(pilot)
        await confirm(pilot)
        await settle(pilot)
        assert app.screen is screen and created == []
        assert errors(screen)["model"].startswith("the API refused it: Model gpt-9-imaginary")
        assert status(screen).startswith("Not created: The request was rejected (400")
        await fill(pilot, screen, model=MODEL)
        await review(pilot)
        await confirm(pilot)
        await settle(pilot)
        assert len(created) == 1 and app.results[0]["model"] == MODEL
        assert env.world.get_job(created[0])["training_file"] == item["id"]


async def test_escape_closes_with_none(env: Env) -> None:
    app = Host(env.client)
    async with app.run_test() as pilot:
        await opened(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.results == [None] and env.posts() == 0


async def test_the_progress_bar_is_shown_only_while_busy(env: Env) -> None:
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        box = screen.query_one("#create-progress")
        assert box.region.height == 0
        screen._progress("Uploading train.jsonl", 5_000, 10_000)
        await pilot.pause()
        bar = screen.query_one(ProgressBar)
        assert box.region.height == 1 and bar.total == 10_000 and bar.progress == 5_000
        assert "Uploading train.jsonl 5.0 KB of 10.0 KB" in screen_text(app)
        screen._progress(None)
        await pilot.pause()
        assert box.region.height == 0


async def test_the_key_is_never_on_screen(env: Env, tmp_path: Path) -> None:
    train = write_train(tmp_path / "train.jsonl")
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model=MODEL, training_file=str(train))
        await review(pilot)
        assert SECRET_KEY not in screen_text(app)


def test_snapshot_80x24(snap_compare) -> None:
    app = Host(Env(new_world()).client)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_snapshot_160x48_with_marked_fields(snap_compare) -> None:
    app = Host(Env(new_world()).client)

    async def marked(pilot) -> None:
        screen = await opened(pilot)
        await fill(pilot, screen, training_file="./missing.jsonl", n_epochs="0", suffix="faq")
        screen.query_one("#in-method", Select).value = "dpo"
        await review(pilot)

    assert snap_compare(app, terminal_size=(160, 48), run_before=marked)


async def test_closing_while_a_big_file_is_checked_is_quiet(env: Env, tmp_path: Path) -> None:
    train = write_train(tmp_path / "big.jsonl", count=150_000)
    app = Host(env.client)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        await fill(pilot, screen, model=MODEL, training_file=str(train))
        screen.action_review()  # not pilot.press: it would wait for the whole check
        for _ in range(100):
            await asyncio.sleep(0.01)
            if screen.query_one("#create-progress").has_class("-busy"):
                break
        assert screen.busy
        screen.action_close()  # esc while the file is being read: it asks first
        await confirm(pilot)  # "Close the form"
        await settle(pilot)
        assert app.results == [None]
        assert screen.draft is not None and screen.draft.training_file == str(train)
        assert all(w.error is None for w in app.workers)
        assert env.posts() == 0 and app.is_running
