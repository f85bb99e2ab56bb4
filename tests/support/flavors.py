"""What differs between the simulator's flavours, for tests that run on each.

A module runs on every flavour with ``pytestmark = BOTH`` (the root ``flavor`` fixture is then
each value in turn: ``sim_world``, ``sim_http`` and the spec check follow it). The helpers below
say what a test should expect on each.
"""

from __future__ import annotations

from typing import Any

import pytest

__all__ = [
    "BOTH",
    "FLAVORS",
    "assert_error",
    "azure_bodies",
    "azure_errors",
    "created_code",
    "error_param",
    "expected_level",
    "expected_status",
    "no_list",
    "resumed_status",
    "world_flavor",
]

#: The flavours a test sees: OpenAI's API, Azure's dated routes (``/openai/...?api-version=``,
#: the authoring spec's shapes) and Azure's v1 routes (``/openai/v1/...``: OpenAI's shapes in
#: Azure's errors, keys and request ids). The world of both Azure ones is ``flavor="azure"``.
FLAVORS = ("openai", "azure", "azure-v1")
#: ``pytestmark = BOTH``: every test of the module once per flavour (``usefixtures`` lets a test
#: that takes no simulator fixture be parametrized too).
BOTH = [pytest.mark.parametrize("flavor", FLAVORS), pytest.mark.usefixtures("flavor")]


def world_flavor(flavor: str) -> str:
    """The ``SimWorld`` flavour of a test's flavour."""
    return "azure" if flavor.startswith("azure") else "openai"


def azure_bodies(flavor: str) -> bool:
    """Whether answers have the authoring spec's shapes (Azure's dated routes)."""
    return flavor == "azure"


def azure_errors(flavor: str) -> bool:
    """Whether errors have Azure's shape (both Azure route families)."""
    return flavor.startswith("azure")


# Azure's FineTuningState has no validating_files or queued: both are "pending" there.
_AZURE_STATUS = {"validating_files": "pending", "queued": "pending"}


def expected_status(openai_status: str, flavor: str) -> str:
    """The status a job shows on ``flavor`` when OpenAI's would be ``openai_status``."""
    if azure_bodies(flavor):
        return _AZURE_STATUS.get(openai_status, openai_status)
    return openai_status


def expected_level(openai_level: str, flavor: str) -> str:
    """An event's level: Azure's ``LogLevel`` says ``warning`` where OpenAI says ``warn``."""
    return "warning" if azure_bodies(flavor) and openai_level == "warn" else openai_level


def created_code(flavor: str) -> int:
    """The status of a created job or file: 200 on OpenAI, 201 on Azure."""
    return 201 if azure_bodies(flavor) else 200


def resumed_status(flavor: str) -> str:
    """What resume answers at once: OpenAI runs again, Azure is ``resuming`` first."""
    return "resuming" if azure_errors(flavor) else "running"


def no_list(flavor: str) -> list[Any] | None:
    """An empty ``result_files``: ``[]`` on OpenAI, ``null`` on Azure."""
    return None if azure_bodies(flavor) else []


def assert_error(body: Any, flavor: str, *, azure_code: str | None = None) -> dict[str, Any]:
    """The error object of an error body in the flavour's shape; returns it.

    OpenAI: ``{"error": {"message", "type", "param", "code"}}`` with ``invalid_request_error``;
    Azure: ``{"error": {"code", "message"}}`` (``azure_code`` checks the code).
    """
    error = body["error"]
    assert isinstance(error["message"], str) and error["message"]
    if azure_errors(flavor):
        assert "type" not in error and "param" not in error, error
        if azure_code is not None:
            assert error["code"] == azure_code, error
    else:
        assert error["type"] == "invalid_request_error", error
    return error


def error_param(error: dict[str, Any]) -> Any:
    """The parameter an error names: OpenAI's ``param``, Azure's ``target``."""
    return error["param"] if "param" in error else error.get("target")
