"""Microsoft Entra ID bearer tokens for Azure OpenAI: fetched off the event loop, kept, renewed
before they expire and once more after a 401; never logged, shown or put in an error.

Two sources, one interface (:class:`BearerTokens`) for the client:

* :class:`EntraTokens` asks a credential (``azure-identity``'s ``DefaultAzureCredential``, or
  any object with ``get_token(*scopes)`` returning ``(token, expires_on)`` like
  ``azure.core.credentials.AccessToken``) for a token of :data:`ENTRA_SCOPE`. ``get_token``
  blocks (it may sign in over the network), so it runs in a thread, one renewal at a time: two
  requests that find the token old cause one renewal, and the second uses its result. A token
  is renewed once ``now`` passes ``expires_on`` less a margin (:data:`REFRESH_MARGIN`, or
  :data:`REFRESH_FRACTION` of its life for short-lived tokens), so a session of days goes on
  across renewals with no restart.
* :class:`StaticToken` is ``AZURE_OPENAI_AD_TOKEN``: the same token until it dies; a 401 then
  says so and what to do, since nothing here can renew it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

from ftmon.api import errors
from ftmon.config import ENTRA_SCOPE, Secret, key_problem

#: Renew a token at most this long before it expires (azure-identity's own cache renews within
#: 5 minutes of expiry too, so a renewal here gets a new token, not the cached one).
REFRESH_MARGIN = 300.0
#: ... and no earlier than this part of its life before: a 60 s token is renewed at 54 s.
REFRESH_FRACTION = 0.1
#: What to run so that ftmon can sign in with Entra ID (said when it cannot).
INSTALL_HINT = "pip install 'ftmon[azure]'"
#: How to get a token for ``AZURE_OPENAI_AD_TOKEN`` by hand.
AZ_CLI_HINT = (
    "az account get-access-token --resource https://cognitiveservices.azure.com "
    "--query accessToken -o tsv"
)


class TokenCredential(Protocol):
    """What a credential must do: ``azure-identity``'s credentials all do it."""

    def get_token(self, *scopes: str) -> Any: ...


class BearerTokens(Protocol):
    """A source of bearer tokens, as the client uses one."""

    #: Where the tokens come from, said in errors ("Entra ID sign-in", "AZURE_OPENAI_AD_TOKEN").
    source: str

    async def token(self) -> Secret:
        """A token to send now."""
        ...

    async def renew(self, refused: Secret) -> Secret | None:
        """A token to send after ``refused`` got a 401, or None when none can be had."""
        ...

    def secrets(self) -> list[str]:
        """The tokens held now, to blank out of anything a server echoes back."""
        ...

    def close(self) -> None:
        """Let go of the credential's resources (its HTTP sessions)."""
        ...


class StaticToken:
    """``AZURE_OPENAI_AD_TOKEN``: one token, sent until it dies; it cannot be renewed."""

    source = "AZURE_OPENAI_AD_TOKEN"

    def __init__(self, token: Secret) -> None:
        self._token = token

    async def token(self) -> Secret:
        return self._token

    async def renew(self, refused: Secret) -> Secret | None:
        return None

    def secrets(self) -> list[str]:
        return [self._token.reveal()]

    def close(self) -> None:
        pass


class EntraTokens:
    """Tokens from a credential, kept until they near their end; see the module's docstring.

    ``credential`` is the credential, or a function that makes it (called at the first token,
    so a missing ``azure-identity`` is an error of that request, not of start-up). ``clock`` is
    the wall clock ``expires_on`` is read on (seconds since the epoch; tests inject their own).
    """

    source = "Entra ID sign-in"

    def __init__(
        self,
        credential: TokenCredential | Callable[[], TokenCredential],
        *,
        scope: str = ENTRA_SCOPE,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN,
        fraction: float = REFRESH_FRACTION,
    ) -> None:
        self._credential: TokenCredential | None = None
        self._make: Callable[[], TokenCredential] | None = None
        if callable(getattr(credential, "get_token", None)):
            self._credential = cast(TokenCredential, credential)
        else:
            self._make = cast(Callable[[], TokenCredential], credential)
        self.scope = scope
        self._clock = clock
        self._margin = margin
        self._fraction = fraction
        self._token: Secret | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        #: How many tokens were fetched (tests count renewals with it).
        self.fetched = 0

    def _fresh(self) -> Secret | None:
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        return None

    async def token(self) -> Secret:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        async with self._lock:  # one renewal at a time: the others wait and take its token
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            return await self._fetch()

    async def renew(self, refused: Secret) -> Secret | None:
        async with self._lock:
            fresh = self._fresh()
            if fresh is not None and fresh != refused:
                return fresh  # another request renewed it while this one was refused
            return await self._fetch()

    async def _fetch(self) -> Secret:
        credential = self._credential
        try:
            if credential is None:
                assert self._make is not None
                credential = self._credential = await asyncio.to_thread(self._make)
            answer = await asyncio.to_thread(credential.get_token, self.scope)
        except errors.FtmonApiError:
            raise
        except Exception as exc:  # whatever a credential raises: said in one line
            raise sign_in_error(exc) from None
        token, expires_on = _unpack(answer)
        now = self._clock()
        life = max(0.0, expires_on - now)
        self._token = token
        self._renew_at = expires_on - min(self._margin, life * self._fraction)
        self.fetched += 1
        return token

    def secrets(self) -> list[str]:
        return [self._token.reveal()] if self._token is not None else []

    def close(self) -> None:
        close = getattr(self._credential, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # closing must never be what fails a command
                pass


def _unpack(answer: Any) -> tuple[Secret, float]:
    """``(token, expires_on)`` from an ``AccessToken`` (a named tuple) or any pair like it."""
    token = getattr(answer, "token", None)
    expires_on = getattr(answer, "expires_on", None)
    if token is None and isinstance(answer, (tuple, list)) and len(answer) >= 2:
        token, expires_on = answer[0], answer[1]
    if not isinstance(token, str) or not token or key_problem(token):
        raise errors.SignInError(
            "Entra ID sign-in gave no usable token", request_sent=False, lasting=True
        )
    try:
        when = float(expires_on)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise errors.SignInError(
            "Entra ID sign-in gave a token with no expiry time", request_sent=False, lasting=True
        ) from None
    return Secret(token), when


def sign_in_error(exc: BaseException) -> errors.SignInError:
    """A credential's failure as one line, and whether waiting could help.

    ``azure-identity`` raises ``ClientAuthenticationError`` (and its ``CredentialUnavailable
    Error``) when no credential can sign in, or the sign-in was refused: that lasts until the
    user acts. Anything else (a network error reaching the sign-in service) may pass.
    """
    names = {cls.__name__ for cls in type(exc).__mro__}
    lasting = "ClientAuthenticationError" in names
    if isinstance(exc, (ImportError, ModuleNotFoundError)):
        return errors.SignInError(
            f"Entra ID sign-in needs the azure-identity package: {INSTALL_HINT}",
            request_sent=False,
            lasting=True,
        )
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = (lines[0] if lines else type(exc).__name__)[:300]
    hint = (
        " (sign in with `az login`, set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
        "AZURE_CLIENT_SECRET, or run where a managed identity is)"
        if lasting
        else ""
    )
    return errors.SignInError(
        f"Entra ID sign-in failed: {first}{hint}", request_sent=False, lasting=lasting
    )


def default_credential() -> TokenCredential:
    """``azure-identity``'s ``DefaultAzureCredential``: environment, workload or managed
    identity, the Azure CLI and the other sign-ins it tries in turn.

    The Azure libraries log a failed sign-in (every credential tried, line by line) as a
    warning; with no logging set up, Python prints it on stderr, which is where the TUI draws.
    A handler that drops them keeps them off the screen: a failure reaches the user once, as
    the :class:`~ftmon.api.errors.SignInError` of the request.
    """
    quiet_azure_logs()
    from azure.identity import DefaultAzureCredential  # the ``azure`` extra

    credential: TokenCredential = DefaultAzureCredential()
    return credential


def quiet_azure_logs() -> None:
    """Give the ``azure`` loggers a handler that drops everything, once (see above)."""
    logger = logging.getLogger("azure")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
