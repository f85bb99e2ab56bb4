"""Validate the azure flavour's responses against Azure's published OpenAPI (Swagger 2.0) text.

The counterpart of :mod:`support.spec` for ``tests/data/azure-spec/fine_tuning.azure.yaml`` (its
README says where the text comes from). The dated routes' answers are checked against it; the v1
routes' answers in OpenAI's shapes against OpenAI's spec (Azure's v1 spec takes them from it),
their errors against Azure's. The text is patched in memory for the differences between
what the spec can say and what Azure sends, each patch saying why; everything else stays a check.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator

from support import spec as openai_spec

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "azure-spec" / "fine_tuning.azure.yaml"
NULL = {"type": "null"}
_PREFIX = re.compile(r"^/openai(/v1)?(?=/)")


def _allow_null_when_optional(definitions: dict[str, Any]) -> None:
    # Swagger 2.0 has no null type, yet the spec's own words say Azure sends null for a field
    # without a value ("estimated_finish ... will be null if the fine-tuning job is not running",
    # "bytes ... (can be null)", "param ... will be null if the failure was not
    # parameter-specific"); AutoRest's clients read every optional property as nullable. So an
    # optional property may be null; a required one may not.
    for schema in definitions.values():
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            if name not in required:
                schema["properties"][name] = {"anyOf": [prop, NULL]}


def patch_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with the documented differences made explicit (a patched deep copy)."""
    spec = copy.deepcopy(spec)
    definitions = spec["definitions"]

    # Real error answers carry the HTTP status as the code for 401, 404 and 429 ({"code": "404",
    # "message": "Resource not found"}: MicrosoftDocs/azure-docs#114602, and the 401s and 429s
    # users quote), beside the spec's ErrorCode names.
    definitions["Error"]["properties"]["code"] = {
        "anyOf": [
            {"$ref": "#/definitions/ErrorCode"},
            {"type": "string", "pattern": "^[45]\\d\\d$"},
        ]
    }

    # FineTuningMethodType lists dpo and supervised only, yet Azure runs reinforcement
    # fine-tuning (its "Reinforcement fine-tuning" guide, o4-mini); the simulator's jobs of that
    # method keep the OpenAI method object.
    definitions["FineTuningMethodType"]["enum"].append("reinforcement")

    # EventType lists message and metrics only; OpenAI's guides (and so the simulator) also send
    # moderation_checks events, as support.spec patches for OpenAI's spec.
    definitions["EventType"]["enum"].append("moderation_checks")

    _allow_null_when_optional(definitions)
    return spec


@functools.cache
def load_spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # a safe loader, C-accelerated if available


@functools.cache
def patched_spec() -> dict[str, Any]:
    return patch_spec(load_spec())


class AzureSpecChecker:
    """Maps (method, Azure path) to the operation and validates response bodies."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = spec if spec is not None else patched_spec()
        self._operations: list[tuple[str, re.Pattern[str], str, dict[str, Any]]] = []
        for template, item in self.spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$")
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    self._operations.append((method.upper(), pattern, template, operation))
        self._validators: dict[str, Draft4Validator] = {}
        self._lock = threading.Lock()

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(path template, operation) for ``/openai/...`` or ``/openai/v1/...``."""
        path = _PREFIX.sub("", path.split("?", 1)[0])
        for op_method, pattern, template, operation in self._operations:
            if op_method == method.upper() and pattern.match(path):
                return template, operation
        return None

    def validator(self, key: str, schema: dict[str, Any]) -> Draft4Validator:
        with self._lock:
            if key not in self._validators:
                root = {**schema, "definitions": self.spec["definitions"]}
                self._validators[key] = Draft4Validator(root)
            return self._validators[key]

    def definition_validator(self, name: str) -> Draft4Validator:
        return self.validator(name, {"$ref": f"#/definitions/{name}"})

    def check(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems with one response; empty when it conforms."""
        if status == 401 and isinstance(body, dict) and "statusCode" in body:
            # Not the spec's: Azure API Management answers a missing key and a bad Entra
            # token itself, {"statusCode": 401, "message": ...} (openai/openai-python#1527,
            # run-llama/llama_index#12484).
            valid = body.get("statusCode") == 401 and isinstance(body.get("message"), str)
            if valid and set(body) == {"statusCode", "message"}:
                return []
            return [f"{method} {path} -> 401: not API Management's shape: {body}"]
        if status < 400 and path.startswith("/openai/v1/"):
            problems = self._check_v1(method, path, status, body)
            if problems is not None:
                return problems
        if status >= 400:
            if body is None:
                return [f"{method} {path} -> {status} without a JSON error body"]
            validator = self.definition_validator("ErrorResponse")
            return [
                f"{method} {path} -> {status}: {e.message}" for e in validator.iter_errors(body)
            ]
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path} -> {status}: no such operation in Azure's spec"]
        template, operation = found
        response = operation["responses"].get(str(status))
        if response is None:
            return [f"{method} {template} -> {status}: status not in Azure's spec"]
        schema = response.get("schema")
        if schema is None:
            if body is not None:
                return [f"{method} {template} -> {status}: a body where the spec has none"]
            return []
        if schema.get("type") == "file" or body is None:
            return []  # file content, not JSON
        validator = self.validator(f"{method} {template} {status}", schema)
        problems = []
        for error in validator.iter_errors(body):
            where = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{method} {template} -> {status} at /{where}: {error.message[:300]}")
        return problems

    def _check_v1(self, method: str, path: str, status: int, body: Any) -> list[str] | None:
        """A v1 route's answer against OpenAI's spec, or None for an operation OpenAI lacks.

        Azure's v1 spec (``OpenAI.v1/azure-v1-v1-generated.yaml``) takes its fine-tuning and
        files schemas from openai-openapi (``OpenAI.FineTuningJob``...), so a v1 answer has
        OpenAI's shape; the job delete is Azure's own and is checked against the dated spec.
        """
        openai_path = path.removeprefix("/openai")
        checker = openai_spec.default_checker()
        if checker.operation(method, openai_path) is None:
            return None
        if isinstance(body, dict) and body.get("status") == "resuming":
            # Azure's FineTuningState has resuming; OpenAI's enum (like its pausing and paused,
            # which support.spec adds) does not.
            body = {**body, "status": "running"}
        return checker.check(method, openai_path, status, body)


@functools.cache
def default_checker() -> AzureSpecChecker:
    return AzureSpecChecker()
