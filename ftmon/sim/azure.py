"""The azure flavour: Azure OpenAI's routes, keys, statuses, fields and errors.

The jobs and files are the OpenAI flavour's; what changes is at the edge. The source for each rule
is Azure's published OpenAPI text, ``Azure/azure-rest-api-specs``,
``specification/cognitiveservices/data-plane/AzureOpenAI/authoring/preview/2025-04-01-preview/
azureopenai.yaml`` (a part of it is in ``tests/data/azure-spec/``, with its commit), unless a
comment names another:

- Routes: ``{endpoint}/openai/<operation>?api-version=YYYY-MM-DD[-preview]`` (the spec's
  ``x-ms-parameterized-host`` ``{endpoint}/openai`` and its required ``api-version`` query
  parameter), and the v1 routes ``{endpoint}/openai/v1/<operation>`` where ``api-version`` is
  optional (``v1`` or ``preview`` in its spec; the simulator takes any). Files and fine-tuning
  jobs only: no checkpoint permissions,
  no graders (the spec has neither), and ``DELETE /fine_tuning/jobs/{id}`` (FineTuning_Delete,
  204).
- The v1 routes answer in OpenAI's shapes: Azure's v1 spec
  (``specification/ai/data-plane/OpenAI.v1/azure-v1-v1-generated.yaml``, "Azure AI Foundry
  Models Service", its schemas ``OpenAI.*`` taken from openai-openapi) describes the job as
  OpenAI's (``validating_files``, ``queued``, ``user_provided_suffix``, ``"auto"``), with Azure's
  errors and ``apim-request-id``. Everything below about statuses, fields and 201s is the dated
  routes'.
- A missing or unknown ``api-version``, and any route Azure does not have, answer 404
  ``{"error": {"code": "404", "message": "Resource not found"}}``: not in the spec; it is what
  users report Azure sends without ``api-version`` (MicrosoftDocs/azure-docs#114602, "returns
  404 if api-version is not present"; ThinkInAIXYZ/deepchat#262 quotes the body).
- Keys: the ``api-key`` header (the spec's ``ApiKeyAuth``) or ``Authorization: Bearer`` with a
  Microsoft Entra ID token (``OAuth2Auth``, scope ``https://cognitiveservices.azure.com/.default``).
- Errors: ``{"error": {"code", "message", "target"?}}`` (the spec's ``ErrorResponse``, the
  Microsoft REST guidelines' shape), never OpenAI's ``type`` and ``param``; but a missing key and
  a bad Entra token are API Management's own ``{"statusCode": 401, "message": ...}``.
- Statuses: ``FineTuningState`` is ``created pending running pausing paused resuming succeeded
  cancelled failed``; ``created`` is "not returned by Azure OpenAI", so a job that OpenAI would
  call ``validating_files`` or ``queued`` is ``pending`` here. An event's ``LogLevel`` is
  ``warning`` where OpenAI's is ``warn``.
- Fields: ``suffix`` (not ``user_provided_suffix``), no ``organization_id`` (the spec's
  ``organisation_id`` is "unused on Azure OpenAI"), ``"auto"`` hyperparameters as ``-1`` (the
  spec's own pause and resume examples return ``"n_epochs": -1``), ``null`` for the empty
  ``result_files`` and ``integrations`` (what real Azure jobs send: the project's design notes).
- Creating a job or a file answers 201 (FineTuning_Create, Files_Upload).
- Every response carries ``apim-request-id`` (Azure API Management's request id, a UUID).
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse

from ftmon.sim.errors import ApiError
from ftmon.sim.faults import Fault
from ftmon.sim.gate import (
    INVALID_KEY_PREFIX,
    ASGIApp,
    Observer,
    Receive,
    RouteTable,
    Scope,
    Send,
    fault_error,
    meet_fault,
    send_json,
    with_header,
)
from ftmon.sim.world import SimWorld

#: The API version of the spec the azure flavour follows (``tests/data/azure-spec/``).
API_VERSION = "2025-04-01-preview"
#: Where the in-process demo's simulator lives; ``.invalid`` never resolves.
DEMO_ENDPOINT = "http://ftmon-sim.invalid"
#: The base URL a client uses for the in-process demo on the azure flavour (the dated routes).
DEMO_BASE_URL = f"{DEMO_ENDPOINT}/openai?api-version={API_VERSION}"
#: The same demo through the v1 routes (``api-version`` optional).
DEMO_V1_BASE_URL = f"{DEMO_ENDPOINT}/openai/v1"

PREFIX = "/openai"
V1_PREFIX = "/openai/v1"
DATED = "/dated"  # where the gate hands a dated route's request to the app
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")

NOT_FOUND = {"error": {"code": "404", "message": "Resource not found"}}
# The 401s as users quote them, each in its own shape. A missing key and a bad Entra token are
# answered by Azure API Management itself, as {"statusCode": 401, "message": ...} (no "error"):
# openai/openai-python#1527 and continuedev/continue#4601 (missing key); run-llama/llama_index
# #12484 and Azure-Samples/azure-search-openai-demo#2219 (token). A wrong key is
# {"error": {"code": "401", "message": ...}} with an apim-request-id header: SciSharp/BotSharp#386,
# microsoft/semantic-kernel#10337.
MISSING_KEY_MESSAGE = (
    "Access denied due to missing subscription key. Make sure to include subscription key when "
    "making requests to an API."
)
INVALID_KEY_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)
BAD_TOKEN_MESSAGE = (
    "Unauthorized. Access token is missing, invalid, audience is incorrect "
    "(https://cognitiveservices.azure.com), or have expired."
)
# Codes of the spec's ErrorCode for each status (where an error does not choose its own). Real
# 401, 404 and 429 answers carry the status as the code ("404"), not a name.
STATUS_CODES = {
    400: "invalidPayload",
    401: "401",
    403: "forbidden",
    404: "notFound",
    409: "conflict",
    429: "429",
    500: "internalFailure",
    502: "serviceUnavailable",
    503: "serviceUnavailable",
}
EARLY_STATUSES = {"validating_files": "pending", "queued": "pending"}
SUPERVISED_KEYS = ("n_epochs", "batch_size", "learning_rate_multiplier")


# -- bodies -----------------------------------------------------------------------------------


class ApimError(ApiError):
    """An error Azure API Management answers itself: ``{"statusCode": ..., "message": ...}``."""


def error_body(error: ApiError) -> dict[str, Any]:
    """An :class:`ApiError` as Azure sends it."""
    if isinstance(error, ApimError):
        return {"statusCode": error.status, "message": error.message}
    inner: dict[str, Any] = {
        "code": error.azure_code or STATUS_CODES.get(error.status, str(error.status)),
        "message": error.message,
    }
    if error.param:
        inner["target"] = error.param
    return {"error": inner}


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=error.status, headers=error.headers)


def _auto(value: Any) -> Any:
    return -1 if value == "auto" else value


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-shaped ``fine_tuning.job`` in Azure's shape (a new dict)."""
    out = dict(job)
    out["status"] = EARLY_STATUSES.get(out.get("status", ""), out.get("status"))
    out.pop("organization_id", None)
    out["suffix"] = out.pop("user_provided_suffix", None)
    hyper = out.get("hyperparameters")
    if isinstance(hyper, dict):
        out["hyperparameters"] = {k: _auto(hyper[k]) for k in SUPERVISED_KEYS if k in hyper}
    for key in ("result_files", "integrations"):
        if not out.get(key):
            out[key] = None
    return out


def event_view(event: dict[str, Any]) -> dict[str, Any]:
    """A ``fine_tuning.job.event`` in Azure's shape: its ``LogLevel`` is ``info warning error``
    where OpenAI's is ``info warn error``."""
    if event.get("level") == "warn":
        return {**event, "level": "warning"}
    return event


def view(result: Any) -> Any:
    """A handler's result in Azure's shape: jobs and events changed, the rest as it is."""
    if isinstance(result, dict):
        if result.get("object") == "fine_tuning.job":
            return job_view(result)
        if result.get("object") == "fine_tuning.job.event":
            return event_view(result)
        if result.get("object") == "list" and isinstance(result.get("data"), list):
            jobs = result["data"]
            return {**result, "data": [view(d) if isinstance(d, dict) else d for d in jobs]}
    return result


# -- the edge ---------------------------------------------------------------------------------


def request_uuid(request_id: str) -> str:
    """``req_<32 hex>`` as a UUID, the form of ``apim-request-id``."""
    h = request_id.removeprefix("req_").rjust(32, "0")[-32:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def canonical(path: str, query: dict[str, str]) -> str | None:
    """The ``/v1/...`` path of an Azure route, or None when Azure would answer 404.

    ``/openai/v1/<op>`` takes any or no ``api-version``; ``/openai/<op>`` needs a dated one.
    """
    if path.startswith(V1_PREFIX + "/"):
        return "/v1" + path[len(V1_PREFIX) :]
    if path.startswith(PREFIX + "/"):
        version = query.get("api-version")
        if version is None or not _API_VERSION.match(version):
            return None
        return "/v1" + path[len(PREFIX) :]
    return None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def check_auth(scope: Scope, world: SimWorld) -> None:
    """The ``api-key`` header, or a bearer Entra ID token the world minted and that is alive."""
    headers = _headers(scope)
    key = headers.get("api-key", "").strip()
    if key:
        if key.startswith(INVALID_KEY_PREFIX):
            raise ApiError(401, INVALID_KEY_MESSAGE)
        return
    match = re.match(r"(?i)bearer\s+(\S.*)$", headers.get("authorization", "").strip())
    if match:
        if not world.entra_token_valid(match.group(1).strip()):
            raise ApimError(401, BAD_TOKEN_MESSAGE)
        return
    raise ApimError(401, MISSING_KEY_MESSAGE)


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True))


JOB = "/v1/fine_tuning/jobs/{fine_tuning_job_id}"
#: The operationId of each route in Azure's spec, which its 429 message names.
OPERATIONS = {
    ("GET", "/v1/files"): "Files_List",
    ("POST", "/v1/files"): "Files_Upload",
    ("GET", "/v1/files/{file_id}"): "Files_Get",
    ("DELETE", "/v1/files/{file_id}"): "Files_Delete",
    ("GET", "/v1/files/{file_id}/content"): "Files_GetContent",
    ("GET", "/v1/fine_tuning/jobs"): "FineTuning_List",
    ("POST", "/v1/fine_tuning/jobs"): "FineTuning_Create",
    ("GET", JOB): "FineTuning_Get",
    ("DELETE", JOB): "FineTuning_Delete",
    ("POST", JOB + "/cancel"): "FineTuning_Cancel",
    ("GET", JOB + "/checkpoints"): "FineTuning_GetCheckpoints",
    ("GET", JOB + "/events"): "FineTuning_GetEvents",
    ("POST", JOB + "/pause"): "FineTuning_Pause",
    ("POST", JOB + "/resume"): "FineTuning_Resume",
}


def azure_fault_error(
    error: ApiError, retry_after: float | None, operation: str, version: str
) -> ApiError:
    """An injected fault as Azure words it.

    A 429 reads as users quote Azure's (langchain-ai/langchain#12986, jasonacox/TinyLLM#17):
    ``{"error": {"code": "429", "message": "Requests to the <operationId> Operation under Azure
    OpenAI API version <version> have exceeded call rate limit of your current OpenAI S0 pricing
    tier. Please retry after N seconds. ..."}}``.
    """
    if error.status == 429:
        wait = 1 if retry_after is None else max(1, math.ceil(retry_after))
        message = (
            f"Requests to the {operation} Operation under Azure OpenAI API version {version} "
            "have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry "
            f"after {wait} second{'s' if wait != 1 else ''}. Please go here: "
            "https://aka.ms/oai/quotaincrease if you would like to further increase the default "
            "rate limit."
        )
        return ApiError(429, message, headers=error.headers, azure_code="429")
    return error


class AzureGate:
    """ASGI middleware of the azure flavour (the counterpart of :class:`gate.OpenAIGate`).

    Request ids on everything; ``/_sim`` passes; every other path is an Azure route, whose
    request is counted, may meet a fault, is authenticated and then served by the ``/v1`` route
    of the same operation (the stats and faults name that ``/v1`` route, as on the OpenAI
    flavour). The observer sees the Azure path.
    """

    def __init__(
        self, app: ASGIApp, *, world: SimWorld, routes: RouteTable, observer: Observer | None = None
    ) -> None:
        self.app = app
        self.world = world
        self.routes = routes
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.world.lock:
            request_id = self.world.next_request_id()
        send = with_header(send, b"x-request-id", request_id.encode())
        send = with_header(send, b"apim-request-id", request_uuid(request_id).encode())
        path, method = scope["path"], scope["method"]
        if path == "/_sim" or path.startswith("/_sim/"):
            await self.app(scope, receive, send)
            return
        query = _query(scope)
        target = canonical(path, query)
        route = self.routes.match(method, target) if target else None
        self.world.stats.record(method, route[0] if route else "<unmatched>")

        async def refuse(send: Send, fault: Fault) -> None:
            operation = OPERATIONS.get((method, route[0]), "Unknown") if route else "Unknown"
            error = azure_fault_error(
                fault_error(fault, self.world.organization_id),
                fault.retry_after,
                operation,
                query.get("api-version") or API_VERSION,
            )
            await send_json(send, error.status, error_body(error), error.headers)

        going_on = await meet_fault(
            self.world.faults.take(method, target or path),
            method=method,
            path=path,
            observer=self.observer,
            send=send,
            receive=receive,
            refuse=refuse,
        )
        if going_on is None:
            return
        send, receive = going_on
        if route is None or target is None:
            # Azure answers an unknown route (or a dated one without api-version) before it
            # looks at the key: a guess, as the body itself is only what users report.
            await send_json(send, 404, NOT_FOUND)
            return
        try:
            check_auth(scope, self.world)
        except ApiError as error:
            await send_json(send, error.status, error_body(error), error.headers)
            return
        # Served by the /v1 route of the operation, or its twin under /dated for the dated
        # routes (which answer in the authoring spec's shapes; see ftmon.sim.api).
        served = target if path.startswith(V1_PREFIX + "/") else DATED + target[len("/v1") :]
        scope = dict(scope)
        scope["path"] = served
        scope["raw_path"] = served.encode()
        await self.app(scope, receive, send)
