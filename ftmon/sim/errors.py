"""OpenAI-shaped errors: every failure leaves the simulator as ``{"error": {...}}``."""

from __future__ import annotations

from typing import Any

MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
    "username) if you're accessing the API from your browser and are prompted for a username. You "
    "can obtain an API key from https://platform.openai.com/account/api-keys."
)
BAD_JSON_MESSAGE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
    "help center at help.openai.com.)"
)


class ApiError(Exception):
    """An error response: HTTP status plus the four fields of OpenAI's error object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # the field's name in OpenAI's error object
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        azure_code: str | None = None,
    ) -> None:
        """``azure_code``: the ``code`` the azure flavour sends (see :mod:`ftmon.sim.azure`);
        without it one is chosen from the status."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}
        self.azure_code = azure_code

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def not_found(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(404, message, param=param, code=code)


def missing_param(name: str) -> ApiError:
    return bad_request(
        f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
    )


def invalid_type(name: str, expected: str, value: Any) -> ApiError:
    return bad_request(
        f"Invalid type for '{name}': expected {expected}, but got {_kind(value)} instead.",
        param=name,
        code="invalid_type",
    )


def invalid_value(name: str, message: str) -> ApiError:
    return bad_request(message, param=name, code="invalid_value")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
