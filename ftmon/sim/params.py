"""Reading requests the way OpenAI does: the same 400s for the same mistakes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ftmon.sim.errors import BAD_JSON_MESSAGE, ApiError, bad_request
from ftmon.sim.multipart import FormPart, parse_form

MAX_LIMIT = 10000


@dataclass
class Call:
    """One request, parsed: what every handler receives."""

    path: Mapping[str, Any]
    query: Mapping[str, str]
    body: Any = None
    form: dict[str, FormPart] | None = None


Handler = Callable[[Call], Any]


def limit(query: Mapping[str, str], default: int) -> int:
    raw = query.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(
            f"Invalid 'limit': expected an integer, but got '{raw}' instead.",
            param="limit",
            code="invalid_type",
        ) from None
    if value < 1:
        raise bad_request(
            f"Invalid 'limit': integer below minimum value. Expected a value >= 1, but got {value} "
            "instead.",
            param="limit",
            code="integer_below_min_value",
        )
    if value > MAX_LIMIT:
        raise bad_request(
            "Invalid 'limit': integer above maximum value. Expected a value <= "
            f"{MAX_LIMIT}, but got {value} instead.",
            param="limit",
            code="integer_above_max_value",
        )
    return value


def choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = query.get(name, default)
    if value not in allowed:
        raise bad_request(
            f"Invalid '{name}': expected one of {', '.join(allowed)}, but got '{value}' instead.",
            param=name,
            code="invalid_value",
        )
    return value


def metadata_filter(query: Mapping[str, str]) -> dict[str, str] | str | None:
    """``metadata[k]=v`` pairs (deepObject), or ``"null"`` for ``metadata=null``."""
    wanted = {}
    for key, value in query.items():
        if key.startswith("metadata[") and key.endswith("]"):
            wanted[key[len("metadata[") : -1]] = value
    if "metadata" in query:
        if query["metadata"] != "null" or wanted:
            raise bad_request(
                "Invalid 'metadata': use metadata[key]=value, or metadata=null for jobs without "
                "metadata.",
                param="metadata",
            )
        return "null"
    return wanted or None


def page(data: list[dict[str, Any]], has_more: bool, *, ids: bool = True) -> dict[str, Any]:
    """A list object; ``ids`` adds ``first_id``/``last_id`` where the spec has them."""
    body: dict[str, Any] = {"object": "list", "data": data, "has_more": has_more}
    if ids:
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
    return body


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise bad_request(BAD_JSON_MESSAGE)
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request(BAD_JSON_MESSAGE) from None


async def form_body(request: Request) -> dict[str, FormPart]:
    try:
        return parse_form(request.headers.get("content-type", ""), await request.body())
    except ValueError:
        raise bad_request(
            "Invalid request: expected multipart/form-data with 'file' and 'purpose'."
        ) from None


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def endpoint(
    handler: Handler,
    body: str = "none",
    *,
    status: int = 200,
    view: Callable[[Any], Any] | None = None,
    errors: Callable[[ApiError], Response] = error_response,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint around a plain handler; ``body`` is ``none``, ``json`` or ``form``.

    ``status`` is a JSON answer's status, ``view`` reshapes it and ``errors`` turns an
    :class:`ApiError` into a response (the azure flavour's shapes; OpenAI's by default).
    """

    async def run(request: Request) -> Response:
        try:
            call = Call(dict(request.path_params), dict(request.query_params))
            if body == "json":
                call.body = await json_body(request)
            elif body == "form":
                call.form = await form_body(request)
            result = handler(call)
        except ApiError as error:
            return errors(error)
        if isinstance(result, Response):
            return result
        return JSONResponse(result if view is None else view(result), status_code=status)

    return run
