"""One family of errors for everything that can go wrong talking to the API.

Each error carries a message a person understands, the API's own message and request id when the
server sent them, and whether retrying could help. Nothing here ever holds a key.
"""

from __future__ import annotations

from typing import Any


class FtmonApiError(Exception):
    """Base of every client error; ``str()`` is one line fit for a status bar or stderr."""

    #: Whether the same request may succeed if sent again later.
    retryable: bool = False
    #: A short kind for the status line and JSON output.
    kind: str = "error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        api_message: str | None = None,
        api_code: str | None = None,
        api_param: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        request_sent: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.api_message = api_message
        self.api_code = api_code
        self.api_param = api_param
        self.request_id = request_id
        self.retry_after = retry_after
        #: False when the request surely never reached the server (so even a create may be resent),
        #: None when that is unknown.
        self.request_sent = request_sent
        #: The server's own word on a retry (its ``x-should-retry`` header): True, False or None.
        self.should_retry: bool | None = None

    def redact(self, *secrets: str) -> None:
        """Blank out any of ``secrets`` that a server echoed back into the messages."""
        for secret in secrets:
            if not secret:
                continue
            self.message = self.message.replace(secret, "****")
            if self.api_message:
                self.api_message = self.api_message.replace(secret, "****")
            if self.api_param:
                self.api_param = self.api_param.replace(secret, "****")
            if self.api_code:
                self.api_code = self.api_code.replace(secret, "****")
            if self.request_id:
                # A server (or a proxy) may put what it was sent into x-request-id.
                self.request_id = self.request_id.replace(secret, "****")
        self.args = (self.message,)

    def __str__(self) -> str:
        text = self.message
        if self.api_message and self.api_message not in text:
            text = f"{text}: {self.api_message}"
        if self.request_id:
            text = f"{text} (request {self.request_id})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, for ``--json`` output and logs."""
        return {
            "kind": self.kind,
            "message": self.message,
            "status_code": self.status_code,
            "api_message": self.api_message,
            "code": self.api_code,
            "param": self.api_param,
            "request_id": self.request_id,
        }


class BadRequestError(FtmonApiError):
    kind = "bad_request"


class AuthenticationError(FtmonApiError):
    kind = "authentication"


class PermissionDeniedError(FtmonApiError):
    kind = "permission_denied"


class NotFoundError(FtmonApiError):
    kind = "not_found"


class ConflictError(FtmonApiError):
    kind = "conflict"
    retryable = True


class UnprocessableEntityError(FtmonApiError):
    kind = "unprocessable"


class RateLimitError(FtmonApiError):
    kind = "rate_limited"
    retryable = True


class ServerError(FtmonApiError):
    kind = "server_error"
    retryable = True


class RequestTimeoutError(FtmonApiError):
    kind = "timeout"
    retryable = True


class ConnectionFailedError(FtmonApiError):
    kind = "connection"
    retryable = True


class ResponseTooLargeError(FtmonApiError):
    """The answer grew past ``max_answer_bytes`` once decoded (a gzip bomb, an endless body):
    reading stopped there, and asking again would only do the same."""

    kind = "too_large"


class TooManyPagesError(FtmonApiError):
    """A walk of pages passed its cap: a server that hands out a new cursor on every page
    would otherwise be followed until memory runs out."""

    kind = "too_many_pages"


class DecodeError(FtmonApiError):
    """The server answered, but with a body we cannot read (not JSON, or not the expected shape)."""

    kind = "undecodable"
    retryable = True


class MissingAdminKeyError(FtmonApiError):
    """Raised before any request: checkpoint permissions need an admin key."""

    kind = "missing_admin_key"


class MissingApiKeyError(FtmonApiError):
    kind = "missing_api_key"


class InvalidRequestError(FtmonApiError):
    """Raised before any request: the request itself cannot be sent (an id no URL can carry)."""

    kind = "invalid_request"


class InvalidKeyError(FtmonApiError):
    """Raised before any request: the key holds characters no HTTP header may carry."""

    kind = "invalid_key"


class SignInError(FtmonApiError):
    """Raised before any request: no Entra ID token could be had for Azure OpenAI.

    ``lasting``: no credential can sign in, or the sign-in was refused (the user must act);
    otherwise the sign-in service could not be reached, which may pass (retried).
    """

    kind = "sign_in"

    def __init__(self, message: str, *, lasting: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retryable = not lasting


_STATUS_CLASSES: dict[int, tuple[type[FtmonApiError], str]] = {
    400: (BadRequestError, "The request was rejected (400 Bad Request)"),
    401: (AuthenticationError, "The API key was not accepted (401 Unauthorized)"),
    403: (PermissionDeniedError, "This key may not do that (403 Forbidden)"),
    404: (NotFoundError, "Not found (404)"),
    408: (RequestTimeoutError, "The server timed out (408)"),
    409: (ConflictError, "Conflict with the current state (409)"),
    422: (UnprocessableEntityError, "The request could not be processed (422)"),
    429: (RateLimitError, "Rate limited (429 Too Many Requests)"),
}


def error_for_status(
    status_code: int,
    *,
    reason: str = "",
    body: Any = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> FtmonApiError:
    """Map an HTTP error answer to the matching error, keeping the API's own message."""
    api_message = api_code = api_param = None
    if isinstance(body, dict):
        err = body.get("error") or body
        if isinstance(err, dict):
            # OpenAI and Azure: {"error": {"message", "code", "param"}}; other servers put
            # "message" or FastAPI's "detail" at the top.
            api_message = _as_text(err.get("message") or err.get("detail"))
            api_code = _as_text(err.get("code"))
            api_param = _as_text(err.get("param"))
        elif isinstance(err, str):
            api_message = err
    elif isinstance(body, str) and body.strip():
        api_message = body.strip()
    if api_message is not None:
        api_message = " ".join(api_message.split())[:500] or None
    retryable: bool | None = None
    cls: type[FtmonApiError]
    if status_code == 429 and api_code == "insufficient_quota":
        # Also a 429, but waiting will not help: say what it is and do not retry.
        cls, message = RateLimitError, "The account is out of quota (429 insufficient_quota)"
        retryable = False
    elif status_code in _STATUS_CLASSES:
        cls, message = _STATUS_CLASSES[status_code]
    elif status_code >= 500:
        cls = ServerError
        message = f"The server failed ({status_code} {reason})".replace(" )", ")")
    else:
        cls = FtmonApiError
        message = f"Unexpected answer ({status_code} {reason})".replace(" )", ")")
    error = cls(
        message,
        status_code=status_code,
        api_message=api_message,
        api_code=api_code,
        api_param=api_param,
        request_id=request_id,
        retry_after=retry_after,
    )
    if retryable is not None:
        error.retryable = retryable
    return error


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
