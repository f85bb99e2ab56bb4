"""The create-job workflow, once, free of any UI: the TUI's form and ``ftmon create`` both run it.

A :class:`CreateFlow` holds a checked :class:`~ftmon.create.request.CreateInput`, the local files
it names (field -> path) and :class:`Callbacks`, and takes its steps in this order:

1. :meth:`~CreateFlow.check_files`: each local file is checked line by line for the method
   (in a thread; nothing leaves the machine);
2. :meth:`~CreateFlow.check_grader`: a reinforcement job's grader is checked by the API;
3. :meth:`~CreateFlow.upload_files`: each local file is uploaded, streamed, with progress;
4. :meth:`~CreateFlow.body`: the request, the uploads' ids in the paths' places;
5. :meth:`~CreateFlow.create`: the job is created (or the body handed to a caller's ``submit``).

:meth:`~CreateFlow.check` is steps 1 and 2. The callers put their own question where it belongs
(the form asks before uploading, ``ftmon create`` after, with the real ids in the body), and
say everything in their own words: the flow says *what* happens through the callbacks, as
:class:`Stage` and :class:`Refusal` values, never as text for one screen.

A refusal is what the person can fix here: a file's problems, a file that cannot be read, a
grader the API refuses. It goes to ``on_refused``, is kept as :attr:`CreateFlow.refusal`, and the
step returns None: nothing after it happens (a refused check uploads nothing). Every other
failure of the API (network, key, a 5xx past the retries, an upload or a job it rejects) is
raised as :class:`~ftmon.api.errors.FtmonApiError`; :attr:`CreateFlow.stage` says where it was.
A step that ``should_stop`` stopped returns None with no refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol

from ftmon.api import errors as api_errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import FileObject
from ftmon.create.files import check_local_file
from ftmon.create.request import CreateInput, build_body, check_input, parse_grader
from ftmon.datasets.problems import DatasetReport
from ftmon.datasets.validate import CheckCancelled
from ftmon.text import one_line

StageKind = Literal["check", "grader", "upload", "create"]
RefusalKind = Literal["problems", "unreadable", "refused"]

_VERBS = {"check": "checking", "upload": "uploading"}


@dataclass(frozen=True)
class Stage:
    """One step under way: a file checked or uploaded (its field and path), the grader checked,
    the job created."""

    kind: StageKind
    field: str | None = None
    path: Path | None = None

    @property
    def verb(self) -> str:
        """``checking``, ``uploading``, ``checking the grader``, ``creating the job``."""
        if self.kind == "grader":
            return "checking the grader with the API"
        if self.kind == "create":
            return "creating the job"
        return _VERBS[self.kind]

    def label(self, width: int | None = None) -> str:
        """``Checking train.jsonl`` (the name cut to ``width``), ``Creating the job``."""
        words = self.verb
        if self.path is not None:
            words = f"{words} {one_line(self.path.name, width=width)}"
        return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Refusal:
    """Why the flow stopped at a field, before anything more was sent.

    ``problems``: the file's check found problems (``report``); ``unreadable``: the file could
    not be read (``error``, an ``OSError``) when checked or uploaded; ``refused``: the API refused
    the grader (``reason`` in its words).
    """

    stage: Stage
    kind: RefusalKind
    reason: str
    report: DatasetReport | None = None
    error: OSError | None = None

    @property
    def field(self) -> str:
        """The form field at fault (``training_file``, ``validation_file``, ``grader``)."""
        return self.stage.field or "grader"

    @property
    def path(self) -> Path | None:
        return self.stage.path


def _nothing(*_: Any) -> None:
    return None


def _never() -> bool:
    return False


@dataclass
class Callbacks:
    """What the flow tells its caller, all on the event loop; each one optional.

    ``on_stage`` and ``on_stage_end`` frame every step (``on_stage_end`` whatever its outcome);
    ``on_progress(stage, done, total)`` reports bytes read while a file is checked or sent;
    ``on_checked`` / ``on_uploaded`` give a file's report or upload; ``on_refused`` a refusal.
    ``should_stop`` is asked while a file is checked: once true, the check stops.
    """

    on_stage: Callable[[Stage], None] = _nothing
    on_progress: Callable[[Stage, int, int], None] = _nothing
    on_stage_end: Callable[[Stage], None] = _nothing
    on_checked: Callable[[Stage, DatasetReport], None] = _nothing
    on_uploaded: Callable[[Stage, FileObject], None] = _nothing
    on_refused: Callable[[Refusal], None] = _nothing
    should_stop: Callable[[], bool] = _never


#: Sends a request body in :meth:`CreateFlow.create` instead of ``client.create_job``.
Submit = Callable[[dict[str, Any]], Awaitable[Any]]


class CreateFlow:
    """Check, upload and create one job from one :class:`CreateInput` (see the module's doc).

    ``local`` is the input's local files by field; by default those :func:`check_input` finds.
    Call only with an input that :func:`check_input` found nothing wrong with.
    """

    def __init__(
        self,
        client: FineTuningClient,
        inp: CreateInput,
        local: Mapping[str, Path] | None = None,
        callbacks: Callbacks | None = None,
    ) -> None:
        self.client = client
        self.inp = inp
        self.local: dict[str, Path] = dict(
            check_input(inp).local_files() if local is None else local
        )
        self.callbacks = callbacks or Callbacks()
        #: The checked files' reports, by field.
        self.reports: dict[str, DatasetReport] = {}
        #: The uploads' ids, by field.
        self.file_ids: dict[str, str] = {}
        #: Why the last step stopped, if it was refused.
        self.refusal: Refusal | None = None
        #: The step under way, or the last one taken.
        self.stage: Stage | None = None

    # -- steps ---------------------------------------------------------------------------------

    async def check(self) -> bool:
        """Every local file, then the grader: True when all pass (nothing uploaded either way)."""
        return await self.check_files() is not None and await self.check_grader() is not None

    async def check_files(self) -> dict[str, DatasetReport] | None:
        """Check each local file for the method; None at the first refusal (or a stop)."""
        for name, path in self.local.items():
            stage = self._begin("check", name, path)
            report: DatasetReport | OSError
            try:
                report = await check_local_file(
                    path,
                    self.inp.method,
                    validation=name != "training_file",
                    on_progress=partial(self.callbacks.on_progress, stage),
                    should_stop=self.callbacks.should_stop,
                )
            except CheckCancelled:
                return None
            except OSError as exc:
                report = exc
            finally:
                self.callbacks.on_stage_end(stage)
            if isinstance(report, OSError):
                self._refuse(stage, "unreadable", report.strerror or str(report), error=report)
                return None
            if not report.ok:
                count = report.problem_count
                reason = f"{count:,} problem{'s' if count != 1 else ''}"
                self._refuse(stage, "problems", reason, report=report)
                return None
            self.reports[name] = report
            self.callbacks.on_checked(stage, report)
        return dict(self.reports)

    async def check_grader(self) -> GraderCheck | None:
        """Have the API check a reinforcement job's grader (other methods pass at once); None
        if it refuses it. A failure to ask is raised."""
        if self.inp.method != "reinforcement":
            return GraderCheck()
        stage = self._begin("grader", "grader")
        try:
            verdict = await check_grader_with_api(self.client, self.inp)
        finally:
            self.callbacks.on_stage_end(stage)
        if verdict.problem:
            self._refuse(stage, "refused", verdict.problem)
            return None
        return verdict

    async def upload_files(self) -> dict[str, str] | None:
        """Upload each local file (streamed, with progress); their ids by field, or None if one
        cannot be read. The API refusing one is raised (earlier uploads stay uploaded)."""
        for name, path in self.local.items():
            stage = self._begin("upload", name, path)
            uploaded: FileObject | OSError
            try:
                uploaded = await self.client.upload_file(
                    path, on_progress=partial(self.callbacks.on_progress, stage)
                )
            except OSError as exc:
                uploaded = exc
            finally:
                self.callbacks.on_stage_end(stage)
            if isinstance(uploaded, OSError):
                self._refuse(
                    stage, "unreadable", uploaded.strerror or str(uploaded), error=uploaded
                )
                return None
            self.file_ids[name] = uploaded.id
            self.callbacks.on_uploaded(stage, uploaded)
        return dict(self.file_ids)

    def body(self, file_ids: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The request body; ``file_ids`` (default: the uploads') take the local paths' places."""
        return build_body(self.inp, dict(self.file_ids if file_ids is None else file_ids))

    async def create(
        self, body: Mapping[str, Any] | None = None, submit: Submit | None = None
    ) -> Any:
        """Create the job from ``body`` (default: :meth:`body`): ``client.create_job``, which
        returns the new :class:`~ftmon.api.models.FineTuningJob`, or ``submit``'s answer."""
        request = dict(self.body() if body is None else body)
        stage = self._begin("create")
        try:
            if submit is not None:
                return await submit(request)
            return await self.client.create_job(request)
        finally:
            self.callbacks.on_stage_end(stage)

    # -- helpers --------------------------------------------------------------------------------

    def _begin(self, kind: StageKind, name: str | None = None, path: Path | None = None) -> Stage:
        stage = Stage(kind, name, path)
        self.stage = stage
        self.refusal = None
        self.callbacks.on_stage(stage)
        return stage

    def _refuse(
        self,
        stage: Stage,
        kind: RefusalKind,
        reason: str,
        *,
        report: DatasetReport | None = None,
        error: OSError | None = None,
    ) -> None:
        self.refusal = Refusal(stage, kind, reason, report=report, error=error)
        self.callbacks.on_refused(self.refusal)


# -- the grader, checked by the API ------------------------------------------------------------


class GraderValidator(Protocol):
    """What :func:`check_grader_with_api` needs of a client (``FineTuningClient``)."""

    async def validate_grader(self, grader: Mapping[str, Any]) -> Any: ...


@dataclass
class GraderCheck:
    """What the API said of the form's grader.

    ``problem``: it refused the grader, in its own words: show it at the grader field and send
    nothing. ``skipped``: this server cannot check graders (no such route); the job is still
    checked by the API when it is created.
    """

    problem: str | None = None
    skipped: str | None = None


async def check_grader_with_api(client: GraderValidator, inp: CreateInput) -> GraderCheck:
    """For a reinforcement job, ask the API whether its grader is valid, before anything is
    uploaded or sent (:meth:`CreateFlow.check_grader`, after :func:`check_input`).

    A refusal (400, 422) is the :attr:`GraderCheck.problem`; a server without the grader route
    (404, 405) skips the check; any other failure (network, key, 5xx past the retries) is raised,
    as it would be for the job itself.
    """
    if inp.method != "reinforcement":
        return GraderCheck()
    grader, problem = parse_grader(inp.grader)
    if grader is None:
        return GraderCheck(problem=problem)
    try:
        await client.validate_grader(grader)
    except (api_errors.BadRequestError, api_errors.UnprocessableEntityError) as exc:
        return GraderCheck(problem=f"the API refused it: {exc.api_message or exc.message}")
    except api_errors.FtmonApiError as exc:
        if exc.status_code in (404, 405):
            return GraderCheck(
                skipped=f"this server cannot check graders ({exc.status_code}): "
                "the API checks it when the job is created"
            )
        raise
    return GraderCheck()
