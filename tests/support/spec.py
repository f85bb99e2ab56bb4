"""Validate simulator responses against the official OpenAPI text of the fine-tuning API.

The YAML is loaded once and patched in memory for the upstream quirks listed in
``tests/data/openai-spec/README.md`` (or ``$FTMON_SPEC``): each patch below says why. What is not
patched stays a check: a simulator response that breaks the spec anywhere else fails the test.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import yaml
from openapi_schema_validator import OAS31Validator

#: A copy of the shared spec lives in the repo so the tests run on any clean clone.
SPEC_PATH = Path(
    os.environ.get(
        "FTMON_SPEC",
        Path(__file__).resolve().parents[1] / "data" / "openai-spec" / "fine_tuning.openapi.yaml",
    )
)
PREFIX = "/v1"
NULL = {"type": "null"}


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in list(node.values()):
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _fix_exclusive_minimum(spec: dict[str, Any]) -> None:
    # OpenAPI 3.0 spelling (`minimum: 0, exclusiveMinimum: true`) in a 3.1 document; 3.1 (JSON
    # Schema 2020-12) wants the bound itself: `exclusiveMinimum: 0`. Seen on
    # learning_rate_multiplier, DPO beta and compute_multiplier.
    for node in _walk(spec):
        if node.get("exclusiveMinimum") is True and "minimum" in node:
            node["exclusiveMinimum"] = node.pop("minimum")


def _fix_nullable(spec: dict[str, Any]) -> None:
    # OpenAPI 3.0 `nullable: true` in a 3.1 document (e.g. the `metadata` query parameter and
    # CreateFineTuningJobRequest fields): 3.1 ignores the keyword, so spell it as a null type.
    for node in _walk(spec):
        if node.pop("nullable", False) is True:
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]


def patch_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with the documented upstream quirks made explicit (a patched deep copy)."""
    spec = copy.deepcopy(spec)
    _fix_exclusive_minimum(spec)
    _fix_nullable(spec)
    schemas = spec["components"]["schemas"]
    job = schemas["FineTuningJob"]["properties"]

    # The status enum lacks `pausing` and `paused`, yet the spec's own pause example returns
    # "status": "paused" and real jobs pass through "pausing" on the way.
    job["status"]["enum"] += ["pausing", "paused"]

    # `error` is `{}` or `{code: null, message: null, param: null}` on healthy jobs (the create
    # examples show both), not only null; a failed job's error keeps the strict shape.
    job["error"] = {
        "anyOf": [
            *job["error"]["anyOf"],
            {"type": "object", "maxProperties": 0},
            {
                "type": "object",
                "properties": {"code": NULL, "message": NULL, "param": NULL},
                "required": ["code", "message", "param"],
            },
        ]
    }

    # `hyperparameters` is documented as supervised-only but required and non-null; the DPO create
    # example returns "hyperparameters": null, as real servers do for dpo/reinforcement jobs.
    job["hyperparameters"] = {"anyOf": [job["hyperparameters"], NULL]}

    # FineTuningJobEvent.data is `type: object` without a null branch, but every example event
    # has "data": null (and it carries no schema: message events may send null, {} or anything).
    event = schemas["FineTuningJobEvent"]["properties"]
    event["data"] = {"anyOf": [event["data"], NULL]}
    # FineTuningJobEvent.type lists only `message` and `metrics`, yet OpenAI's fine-tuning guides
    # (DPO, vision: "Safety checks") say to "look for events of type moderation_checks"; the
    # simulator sends one for a reinforcement job. The enum stays strict beside that one.
    event["type"]["enum"] = [*event["type"]["enum"], "moderation_checks"]

    # ListFilesResponse requires first_id/last_id as strings, but an empty page has neither; the
    # fine-tuning list schemas already allow null there, so the files list gets the same.
    files = schemas["ListFilesResponse"]["properties"]
    for key in ("first_id", "last_id"):
        files[key] = {"anyOf": [files[key], NULL]}

    # GraderMulti.graders is one grader in the schema, yet the schema's own example sends a list
    # of graders and OpenAI's RFT guide a mapping of names to graders (which `calculate_output`
    # names); a multi grader of one grader could not combine anything. Take all three forms.
    multi = schemas["GraderMulti"]["properties"]
    one = multi["graders"]
    multi["graders"] = {
        "anyOf": [
            one,
            {"type": "array", "items": one},
            {"type": "object", "additionalProperties": one},
        ]
    }

    # CreateFileRequest accepts purpose `evals`, but OpenAIFile.purpose does not list it, so an
    # uploaded evals file could not be described. Add it.
    schemas["OpenAIFile"]["properties"]["purpose"]["enum"].append("evals")
    return spec


@functools.cache
def load_spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # a safe loader, C-accelerated if available


@functools.cache
def patched_spec() -> dict[str, Any]:
    return patch_spec(load_spec())


class SpecChecker:
    """Maps (method, path) to the operation and validates response bodies against its schema."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = spec if spec is not None else patched_spec()
        self._operations: list[tuple[str, re.Pattern[str], str, dict[str, Any]]] = []
        for template, item in self.spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$")
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    self._operations.append((method.upper(), pattern, template, operation))
        self._validators: dict[str, OAS31Validator] = {}
        self._lock = threading.Lock()

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(path template, operation) for a request path with or without the /v1 prefix."""
        if path.startswith(PREFIX + "/"):
            path = path[len(PREFIX) :]
        for op_method, pattern, template, operation in self._operations:
            if op_method == method.upper() and pattern.match(path):
                return template, operation
        return None

    def validator(self, key: str, schema: dict[str, Any]) -> OAS31Validator:
        with self._lock:
            if key not in self._validators:
                # Local refs (#/components/...) resolve against this root.
                root = {**schema, "components": self.spec["components"]}
                self._validators[key] = OAS31Validator(root)
            return self._validators[key]

    def schema_validator(self, name: str) -> OAS31Validator:
        """A validator for ``#/components/schemas/<name>``."""
        return self.validator(name, {"$ref": f"#/components/schemas/{name}"})

    def check(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems with one response; empty when it conforms."""
        if status >= 400:
            if body is None:
                return [f"{method} {path} -> {status} without a JSON error body"]
            validator = self.schema_validator("ErrorResponse")
            return [
                f"{method} {path} -> {status}: {e.message}" for e in validator.iter_errors(body)
            ]
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path} -> {status}: no such operation in the spec"]
        template, operation = found
        response = operation["responses"].get(str(status))
        if response is None:
            return [f"{method} {template} -> {status}: status not in the spec"]
        content = response.get("content", {}).get("application/json", {})
        schema = content.get("schema")
        if schema is None or body is None:
            # No JSON schema (or a non-JSON body such as file content): nothing to check.
            return []
        validator = self.validator(f"{method} {template} {status}", schema)
        problems = []
        for error in validator.iter_errors(body):
            where = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{method} {template} -> {status} at /{where}: {error.message[:300]}")
        return problems


@functools.cache
def default_checker() -> SpecChecker:
    return SpecChecker()


class Checker(Protocol):
    """What an observer needs of a spec: :class:`SpecChecker`, or ``support.azure_spec``'s."""

    def check(self, method: str, path: str, status: int, body: Any) -> list[str]: ...


class SpecObserver:
    """The simulator ``observer``: validates every API response and remembers the problems.

    It never raises inside the server (that would turn into a 500); the test fixture asserts
    :attr:`problems` is empty at the end of the test instead.
    """

    def __init__(self, checker: Checker | None = None) -> None:
        self.checker: Checker = checker or default_checker()
        self.problems: list[str] = []
        self.checked = 0
        self.enabled = True
        self._lock = threading.Lock()

    def __call__(self, method: str, path: str, status: int, body: Any) -> None:
        if not self.enabled:
            return
        problems = self.checker.check(method, path, status, body)
        with self._lock:
            self.checked += 1
            self.problems.extend(problems)

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """For a test that deliberately serves off-spec data (e.g. ``"status": "PENDING"``)."""
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True

    def assert_clean(self) -> None:
        if self.problems:
            shown = "\n".join(self.problems[:20])
            raise AssertionError(
                f"{len(self.problems)} simulator response(s) broke the spec:\n{shown}"
            )
