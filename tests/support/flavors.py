"""What differs between the simulator's two flavours, for tests that run on both.

A module runs on both with ``pytestmark = BOTH`` (the root
``flavor`` fixture is then each value in turn: ``sim_world``, ``sim_http``, ``sim_tcp`` and the
spec check follow it). The helpers below say what a test should expect on each.
"""

from __future__ import annotations

from typing import Any

import pytest

from ftmon.sim.world import FLAVORS

__all__ = [
    "BOTH",
    "FLAVORS",
    "assert_error",
    "created_code",
    "error_param",
    "expected_level",
    "expected_status",
    "no_list",
    "resumed_status",
]

#: ``pytestmark = BOTH``: every test of the module once per flavour (``usefixtures`` lets a test
#: that takes no simulator fixture be parametrized too).
BOTH = [pytest.mark.parametrize("flavor", FLAVORS), pytest.mark.usefixtures("flavor")]

# Azure's FineTuningState has no validating_files or queued: both are "pending" there.
_AZURE_STATUS = {"validating_files": "pending", "queued": "pending"}


def expected_status(openai_status: str, flavor: str) -> str:
    """The status a job shows on ``flavor`` when OpenAI's would be ``openai_status``."""
    return _AZURE_STATUS.get(openai_status, openai_status) if flavor == "azure" else openai_status


def expected_level(openai_level: str, flavor: str) -> str:
    """An event's level: Azure's ``LogLevel`` says ``warning`` where OpenAI says ``warn``."""
    return "warning" if flavor == "azure" and openai_level == "warn" else openai_level


def created_code(flavor: str) -> int:
    """The status of a created job or file: 200 on OpenAI, 201 on Azure."""
    return 201 if flavor == "azure" else 200


def resumed_status(flavor: str) -> str:
    """What resume answers at once: OpenAI runs again, Azure is ``resuming`` first."""
    return "resuming" if flavor == "azure" else "running"


def no_list(flavor: str) -> list[Any] | None:
    """An empty ``result_files``: ``[]`` on OpenAI, ``null`` on Azure."""
    return None if flavor == "azure" else []


def assert_error(body: Any, flavor: str, *, azure_code: str | None = None) -> dict[str, Any]:
    """The error object of an error body in the flavour's shape; returns it.

    OpenAI: ``{"error": {"message", "type", "param", "code"}}`` with ``invalid_request_error``;
    Azure: ``{"error": {"code", "message"}}`` (``azure_code`` checks the code).
    """
    error = body["error"]
    assert isinstance(error["message"], str) and error["message"]
    if flavor == "azure":
        assert "type" not in error and "param" not in error, error
        if azure_code is not None:
            assert error["code"] == azure_code, error
    else:
        assert error["type"] == "invalid_request_error", error
    return error


def error_param(error: dict[str, Any]) -> Any:
    """The parameter an error names: OpenAI's ``param``, Azure's ``target``."""
    return error["param"] if "param" in error else error.get("target")
