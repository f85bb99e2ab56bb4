"""Exit codes of every command (headless, the TUI, the CLI itself), and which API error is which.

Scripts branch on these, so they are a contract: add new codes, never renumber old ones.
"""

from __future__ import annotations

import textwrap

from ftmon.api import errors

OK = 0
JOB_FAILED = 1
USAGE = 2
JOB_CANCELLED = 3
NOT_FOUND = 4
AUTH = 5
UNREACHABLE = 6
REJECTED = 7
REFUSED = 8
STALLED = 9
BUG = 70  # EX_SOFTWARE
INTERRUPTED = 130
BROKEN_PIPE = 141

#: Every code with the words ``--help`` and the README use for it.
MEANINGS: dict[int, str] = {
    OK: "success",
    JOB_FAILED: "the job failed",
    USAGE: "bad arguments or config; or a confirmation was needed with no terminal and no --yes",
    JOB_CANCELLED: "the job was cancelled",
    NOT_FOUND: "not found: no such job, checkpoint or permission",
    AUTH: "no key, the key was rejected (401/403), the admin key is missing, or Entra ID "
    "sign-in failed",
    UNREACHABLE: "the API could not be reached or kept failing past the retry budget "
    "(network, timeouts, 429, 5xx)",
    REJECTED: "the API rejected the request (400, 409, 422...), e.g. cancelling a finished job",
    REFUSED: "not done: read-only mode, or the answer at the prompt was no",
    STALLED: "watch --stall-exit: the job stalled (no new step for [doctor] stall_factor times "
    "its usual step time)",
    INTERRUPTED: "interrupted (Ctrl-C)",
    BUG: "an unexpected error in ftmon itself (please report it)",
}


def code_for(exc: errors.FtmonApiError) -> int:
    """The exit code for an error that ends a command."""
    if isinstance(exc, errors.NotFoundError):
        return NOT_FOUND
    if isinstance(exc, errors.SignInError):  # Entra ID: the sign-in service down, or refused
        return UNREACHABLE if exc.retryable else AUTH
    if isinstance(
        exc,
        (
            errors.AuthenticationError,
            errors.PermissionDeniedError,
            errors.MissingApiKeyError,
            errors.MissingAdminKeyError,
            errors.InvalidKeyError,
        ),
    ):
        return AUTH
    if isinstance(exc, errors.ConflictError):
        return REJECTED  # a conflict with the job's state: waiting will not change the answer
    if exc.retryable:
        return UNREACHABLE
    return REJECTED


def epilog(codes: list[int], notes: dict[int, str] | None = None) -> str:
    """The ``exit codes:`` block of a command's ``--help``; ``notes`` override the words."""
    notes = notes or {}
    lines = ["exit codes:"]
    for code in sorted(codes):
        words = notes.get(code, MEANINGS[code])
        lines += textwrap.wrap(
            words, width=78, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7
        )
    return "\n".join(lines)


class CommandError(Exception):
    """Ends a command with one line on stderr and an exit code (not an API error)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
