"""Settings from the environment, a TOML config file with named profiles, and flags.

Each source overrides the one before: built-in defaults < config file (its ``[default]`` table,
then ``[profiles.NAME]``) < environment (the names the official SDK reads) < command-line flags.
Keys are held as :class:`Secret` so that no repr, log line or message can show them.

Two providers, chosen by ``provider = "openai" | "azure"`` in a table of the file or by
``--azure`` (never by the environment), and each reads only its own names, so that a key is
never sent to the other's host:

* **openai** (the default): ``OPENAI_API_KEY``, ``OPENAI_ADMIN_KEY``, ``OPENAI_BASE_URL``,
  ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``. No ``AZURE_*`` name is read.
* **azure** (Azure OpenAI), as the official SDK's ``AzureOpenAI`` reads them: the endpoint from
  ``--base-url`` < ``AZURE_OPENAI_ENDPOINT`` < ``base_url`` in the file (flags first, as
  always); the key from ``AZURE_OPENAI_API_KEY`` over the profile's ``api_key``; the API
  version from ``--api-version`` over ``OPENAI_API_VERSION`` over ``api_version`` (the one
  ``OPENAI_`` name Azure shares, as in the SDK). No other ``OPENAI_*`` name is read: not
  ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID`` or ``OPENAI_PROJECT_ID``, and
  never an admin key (Azure has no checkpoint permissions). Credentials, the first that
  applies: ``auth = "entra"`` (or ``--entra``), Microsoft Entra ID sign-in through
  ``azure-identity``'s ``DefaultAzureCredential``, tokens renewed as they age; else
  ``AZURE_OPENAI_AD_TOKEN``, a bearer token that cannot be renewed (the SDK also prefers it to
  a key); else the key, sent in an ``api-key`` header. There is no endpoint by default: without
  one ftmon refuses to start, and an endpoint on OpenAI's own host is refused.

The file's tables say whose settings they hold: the top level and ``[default]`` are OpenAI's
unless they set ``provider``; a profile is the provider it (or a table above it) sets, and one
that sets none goes with the provider in effect (``--azure --profile old`` still works). Keys,
base URLs, ids and headers of a table for the other provider are not used: an OpenAI key in
``[default]`` never reaches an Azure endpoint, an Azure key in an Azure ``[default]`` never
reaches OpenAI through a profile that says ``provider = "openai"``.

Alerts (``[[alerts]]``, an array of tables at the top level, in ``[default]`` or in a
``[profiles.NAME]``) are read into :attr:`Settings.alerts` as :class:`AlertSpec`; the most
specific table that has any wins whole (a profile's ``alerts = []`` turns them off). A webhook
URL and an ntfy token are secrets (Slack's and Discord's URLs carry their token in the path):
held as :class:`Secret`, shown only as :func:`mask_url` shows them. Sending is ``ftmon.alerts``.

``[doctor]`` (at the top level, in ``[default]`` or a profile, merged key by key) sets when a job
is flagged: ``stall_factor`` (no new step for this many usual step times), ``stall_min_minutes``
(never sooner) and ``queue_minutes`` (a long queue), into :attr:`Settings.doctor`.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import stat
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import httpx
from platformdirs import user_config_path

from ftmon.hosts import is_loopback
from ftmon.localread import read_bytes_capped
from ftmon.thresholds import DEFAULT_THRESHOLDS, Thresholds

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_INTERVAL = 5.0
#: The shortest poll interval against a remote API: below it a watch is a request storm on a
#: shared account's rate limit. A server on this machine (a loopback base URL) or ``--demo`` may
#: go lower: tests and the simulator do.
MIN_INTERVAL = 1.0
#: The longest base URL taken: real ones (Azure's, with ``?api-version=``) are a few hundred
#: characters; every request carries it.
MAX_BASE_URL = 2048
#: The most bytes one answer may hold once decoded: a page of 100 events is some 50 KB and a
#: result CSV of 100,000 steps some 10 MB, so 64 MiB is far above anything real, and far below
#: what a gzip bomb or an endless body would take from a GPU box's memory.
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: The smallest cap a config may set (a few pages must still fit).
MIN_MAX_ANSWER_BYTES = 64 * 1024
CONFIG_ENV = "FTMON_CONFIG"


class Secret:
    """A string that never shows itself: ``repr``/``str`` give a mask, ``reveal()`` the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        """A hint that tells keys apart without giving any away: the kind and last 2 characters.

        The kind is a short well-known prefix (``sk-``, ``sk-proj-``, ``sk-admin-``); a key
        with no such prefix shows only its last 2 characters.
        """
        value = self._value
        if len(value) < 16:
            return "****"
        parts = value.split("-")
        head = ""
        if len(parts) > 1 and parts[0].isalpha() and len(parts[0]) <= 4:
            head = parts[0] + "-"
            if len(parts) > 2 and parts[1].isalpha() and len(parts[1]) <= 8:
                head += parts[1] + "-"
        return f"{head}…{value[-2:]}"

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    __str__ = masked

    def __copy__(self) -> Secret:
        return self  # immutable: a copy would only be another place the key lives

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:  # pickling would write the key out: refuse
        raise TypeError("a Secret cannot be pickled")


class ConfigError(Exception):
    """The config file or a setting is wrong; the message says where."""


#: Where an alert can go.
ALERT_KINDS = ("webhook", "slack", "discord", "ntfy", "command")
#: What an alert can be sent for: a job's end (by its status), a stall the doctor flags, a new
#: checkpoint, and a better best checkpoint (``present/keep.py``'s rule).
ALERT_EVENTS = ("succeeded", "failed", "cancelled", "stalled", "checkpoint", "best_checkpoint")
#: The events of an alert that names none.
DEFAULT_ALERT_EVENTS = ("succeeded", "failed", "cancelled", "stalled")
_ALERT_KEYS = {"kind", "url", "on", "token", "command", "name"}


def mask_url(url: str) -> str:
    """A URL for a person, without what may be its secret: ``https://hooks.slack.com/…``.

    Only the scheme, host and port are kept: a webhook's path (Slack, Discord), an ntfy topic
    and a query can each be the token that lets anyone post.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme or 'https'}://{host}{port}/…"


@dataclass(frozen=True)
class AlertSpec:
    """One ``[[alerts]]`` table: where to send, and for which events."""

    kind: str
    on: tuple[str, ...] = DEFAULT_ALERT_EVENTS
    #: The webhook or ntfy topic URL (a secret); None for a command.
    url: Secret | None = None
    #: ntfy: an access token sent as a bearer token (a secret).
    token: Secret | None = None
    #: command: the program and its arguments (never run through a shell).
    command: tuple[str, ...] = ()
    #: The user's own label, if any.
    name: str | None = None
    #: Which table it came from, for messages: ``[[alerts]] #2``.
    where: str = "[[alerts]]"

    def describe(self) -> str:
        """The alert for a status line or a log: no secret in it."""
        if self.kind == "command":
            target = os.path.basename(self.command[0]) if self.command else "?"
        else:
            target = mask_url(self.url.reveal()) if self.url else "?"
        label = f"{self.name}: " if self.name else ""
        return f"{label}{self.kind} {target} ({self.where})"

    def __repr__(self) -> str:
        return f"AlertSpec({self.describe()!r}, on={self.on!r})"


@dataclass(frozen=True)
class Settings:
    """Everything ftmon needs to talk to the API and behave; built by :func:`load_settings`."""

    api_key: Secret | None = None
    admin_key: Secret | None = None
    base_url: str = DEFAULT_BASE_URL
    organization: str | None = None
    project: str | None = None
    #: "openai" or "azure" (Azure OpenAI): which API's routes, statuses and actions apply.
    provider: str = "openai"
    #: "bearer" (OpenAI) or "api-key" (Azure OpenAI deployments that want an ``api-key`` header).
    auth_header: str = "bearer"
    #: Azure: the API version of the dated routes (also sent on the v1 routes when set); its
    #: ``api-version`` query is already in ``base_url``.
    api_version: str | None = None
    #: Azure: "key" (an API key, or ``AZURE_OPENAI_AD_TOKEN``) or "entra" (Entra ID sign-in).
    auth: str = "key"
    #: Azure: a Microsoft Entra ID bearer token from ``AZURE_OPENAI_AD_TOKEN`` (not renewable).
    entra_token: Secret | None = None
    interval: float = DEFAULT_INTERVAL
    timeout: float = 30.0
    #: Tries after the first one, for a request that failed in a way that may pass.
    max_retries: int = 3
    #: The most bytes one answer may hold once decoded; past it the request ends with an error.
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    #: Say nothing of an ``http://`` base URL on another host (a network the user trusts).
    allow_insecure_http: bool = False
    read_only: bool = False
    #: Draw only ASCII (borders, status glyphs, plots): for a console that cannot draw box
    #: drawing, braille or emoji. ``TERM=linux`` turns it on too (``ftmon.tui.glyphs``).
    ascii: bool = False
    profile: str | None = None
    #: action id -> comma-separated keys, e.g. {"cancel_job": "C"}
    keymap: dict[str, str] = field(default_factory=dict)
    #: ``[[alerts]]``: where chosen events are sent (``ftmon.alerts``).
    alerts: tuple[AlertSpec, ...] = ()
    #: ``[doctor]``: when a job is flagged stalled or long in the queue (``monitor/doctor.py``).
    doctor: Thresholds = DEFAULT_THRESHOLDS
    config_path: Path | None = None

    def missing_credentials(self) -> str | None:
        """What to set when these settings carry nothing to sign requests with, or None.

        OpenAI needs a key; Azure OpenAI a key, Entra ID sign-in (``auth = "entra"``) or an
        ``AZURE_OPENAI_AD_TOKEN``. A front end says this before it starts; the client says it
        too if asked to send a request without them.
        """
        if self.provider == "azure":
            if self.auth == "entra" or self.entra_token or self.api_key:
                return None
            return (
                "no Azure OpenAI credentials: set AZURE_OPENAI_API_KEY (or api_key in the "
                'profile), or sign in with Entra ID: auth = "entra" in the profile or --entra, '
                "or AZURE_OPENAI_AD_TOKEN"
            )
        if self.api_key:
            return None
        return "no API key: set OPENAI_API_KEY, api_key in the config file, or use --demo"

    def describe_endpoint(self) -> str:
        """What the header shows: the profile name, or the base URL; never a key."""
        if self.profile:
            return f"{self.profile} · {self.base_url}"
        return self.base_url


_ENV_NAMES = {
    "api_key": "OPENAI_API_KEY",
    "admin_key": "OPENAI_ADMIN_KEY",
    "base_url": "OPENAI_BASE_URL",
    "organization": "OPENAI_ORG_ID",
    "project": "OPENAI_PROJECT_ID",
}
#: The names the official SDK's ``AzureOpenAI`` reads, for ``provider = "azure"``.
_AZURE_ENV_NAMES = {
    "api_key": "AZURE_OPENAI_API_KEY",
    "base_url": "AZURE_OPENAI_ENDPOINT",
    "api_version": "OPENAI_API_VERSION",
    "entra_token": "AZURE_OPENAI_AD_TOKEN",
}
_SECRET_FIELDS = {"api_key", "admin_key", "entra_token"}
#: Set only from the environment: a token that lasts an hour has no place in a file.
_ENV_ONLY = {"entra_token"}
_FILE_KEYS = {f.name for f in fields(Settings)} - {"profile", "config_path", "alerts"} - _ENV_ONLY
#: Where requests go and what they carry: from a config table only when the table is for the
#: provider in effect (see the module's docstring).
_CONNECTION = {"api_key", "admin_key", "base_url", "organization", "project", "auth_header"}
#: Settings that mean something only to Azure OpenAI.
_AZURE_ONLY = {"api_version", "auth"}
#: The scope of an Entra ID token for Azure OpenAI (Cognitive Services).
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
#: An API version as Azure spells them: ``2024-10-21``, ``2025-04-01-preview``, ``preview``.
_API_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
#: What to set when Azure has no endpoint: said by the refusal.
_AZURE_ENDPOINT_HELP = (
    "set AZURE_OPENAI_ENDPOINT (like https://RESOURCE.openai.azure.com), "
    'base_url in a profile with provider = "azure", or --base-url'
)


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$FTMON_CONFIG``, else ``config.toml`` in the platform's config directory."""
    override = (os.environ if env is None else env).get(CONFIG_ENV)
    if override:
        try:
            return Path(override).expanduser()
        except RuntimeError:  # ~user of no such user, or no home directory to put for ~
            raise ConfigError(
                f"{CONFIG_ENV}: cannot expand the ~ in {override!r}: no such home directory"
            ) from None
    return user_config_path("ftmon") / "config.toml"


def key_problem(value: str) -> str | None:
    """Why a key cannot be sent in an HTTP header, or None; never quotes the key."""
    if any(not (0x21 <= ord(c) <= 0x7E) for c in value):
        return "it holds spaces, control or non-ASCII characters"
    return None


def _coerce(name: str, value: Any, source: str) -> Any:
    if name in _SECRET_FIELDS:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {name} must be a string")
        value = value.strip()  # "$(cat keyfile)" brings a newline along
        problem = key_problem(value)
        if problem:
            raise ConfigError(f"{source}: {name} is not a usable key: {problem}")
        return Secret(value) if value else None
    if name in {"interval", "timeout"}:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: {name} must be a number of seconds") from None
        if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
            raise ConfigError(f"{source}: {name} must be a number of seconds more than 0")
        return number
    if name in {"organization", "project"}:
        text = str(value).strip()
        if text and key_problem(text):
            # Sent in a header (OpenAI-Organization / OpenAI-Project): httpx would refuse it
            # at the first request instead, as an unexpected error.
            raise ConfigError(
                f"{source}: {name} must be printable ASCII without spaces "
                f"(an id like {'org' if name == 'organization' else 'proj'}_abc123)"
            )
        return text or None
    if name == "max_retries":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
            raise ConfigError(f"{source}: max_retries must be a whole number from 0 to 20")
        return value
    if name == "max_answer_bytes":
        if isinstance(value, bool) or not isinstance(value, int) or value < MIN_MAX_ANSWER_BYTES:
            raise ConfigError(
                f"{source}: max_answer_bytes must be a whole number of bytes, at least "
                f"{MIN_MAX_ANSWER_BYTES}"
            )
        return value
    if name in {"read_only", "allow_insecure_http", "ascii"}:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {name} must be true or false")
        return value
    if name == "provider":
        if value not in {"openai", "azure"}:
            raise ConfigError(f'{source}: provider must be "openai" or "azure"')
        return value
    if name == "auth_header":
        if value not in {"bearer", "api-key"}:
            raise ConfigError(f'{source}: auth_header must be "bearer" or "api-key"')
        return value
    if name == "auth":
        if value not in {"key", "entra"}:
            raise ConfigError(f'{source}: auth must be "key" or "entra" (Entra ID sign-in)')
        return value
    if name == "api_version":
        text = str(value).strip()
        if not _API_VERSION.fullmatch(text):
            raise ConfigError(
                f"{source}: api_version must be an Azure OpenAI API version, like 2024-10-21 "
                "or 2025-04-01-preview"
            )
        return text
    if name == "keymap":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{source}: [keymap] maps action names to key strings")
        return dict(value)
    if name == "base_url":
        return _base_url(value, source)
    if name == "doctor":
        return _doctor(value, source)
    if name not in _FILE_KEYS:
        raise ConfigError(f"{source}: unknown setting {name!r}")
    return None if value in ("", None) else str(value).strip() or None


#: ``[doctor]``'s keys: the :class:`Thresholds` field each sets, its unit in seconds (None: a
#: plain number), and the words of its rule.
_DOCTOR_KEYS: dict[str, tuple[str, float | None, str]] = {
    "stall_factor": ("stall_factor", None, "a number of usual step times, at least 1"),
    "stall_min_minutes": ("stall_min_seconds", 60.0, "a number of minutes, 0 or more"),
    "queue_minutes": ("queue_seconds", 60.0, "a number of minutes more than 0"),
}


def _doctor(value: Any, source: str) -> dict[str, float]:
    """``[doctor]`` checked: the :class:`Thresholds` fields it sets (merged key by key, as a
    profile may change one), each problem naming its key."""
    if not isinstance(value, dict):
        raise ConfigError(
            f"{source}: [doctor] must be a table (stall_factor, stall_min_minutes, queue_minutes)"
        )
    out: dict[str, float] = {}
    for key, number in value.items():
        if key not in _DOCTOR_KEYS:
            known = ", ".join(_DOCTOR_KEYS)
            raise ConfigError(f"{source}: [doctor] has no setting {key!r} (it has {known})")
        name, unit, rule = _DOCTOR_KEYS[key]
        good = (
            not isinstance(number, bool)
            and isinstance(number, (int, float))
            and math.isfinite(number)
            and {
                "stall_factor": number >= 1,
                "stall_min_minutes": number >= 0,
                "queue_minutes": number > 0,
            }[key]
        )
        if not good:
            raise ConfigError(f"{source}: [doctor] {key} must be {rule}")
        out[name] = float(number) * (unit or 1.0)
    return out


def _base_url(value: Any, source: str) -> str:
    """A base URL the client can send every request to, or a :class:`ConfigError`.

    httpx would take some URLs and fail at the first request instead (a control character, a
    port of 99999, no host, a host IDNA refuses), as an unexpected error. The URL is never
    quoted back: it may hold a password.
    """
    text = str(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://")) or not text.split("://", 1)[1].strip("/"):
        raise ConfigError(f"{source}: base_url must be a URL like https://api.openai.com/v1")
    if "@" in text.split("://", 1)[1].split("/", 1)[0]:
        # user:password@host would be shown in the header and sent as Basic auth in place
        # of the key: refused, and never quoted back (it holds a password).
        raise ConfigError(
            f"{source}: base_url must not hold a user name or password (user:pass@host); "
            "ftmon sends the API key itself"
        )
    if len(text) > MAX_BASE_URL:
        raise ConfigError(f"{source}: base_url is longer than {MAX_BASE_URL} characters")
    if not text.isprintable() or any(c.isspace() for c in text):
        raise ConfigError(f"{source}: base_url must not hold spaces or control characters")
    bad = f"{source}: base_url is not a valid URL (a host, and a port from 1 to 65535 if any)"
    try:
        parts = urlsplit(text)
        port = parts.port
        host = httpx.URL(text).host  # decodes an IDNA host: one it refuses raises here
    except (ValueError, httpx.InvalidURL):  # UnicodeError (a host IDNA refuses) is a ValueError
        raise ConfigError(bad) from None
    if not host or not parts.hostname:
        raise ConfigError(f"{source}: base_url names no host (like https://api.openai.com/v1)")
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(bad)
    return text


def _alert_url(value: Any, source: str) -> Secret:
    """An alert's URL as a :class:`Secret`, or a :class:`ConfigError` that never quotes it."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: url must be a URL like https://hooks.example.com/...")
    text = value.strip()
    if not text.startswith(("http://", "https://")) or not text.split("://", 1)[1].strip("/"):
        raise ConfigError(f"{source}: url must be an http:// or https:// URL")
    if "@" in text.split("://", 1)[1].split("/", 1)[0]:
        raise ConfigError(
            f"{source}: url must not hold a user name or password (user:pass@host); "
            "an ntfy access token goes in token = ..."
        )
    if len(text) > MAX_BASE_URL:
        raise ConfigError(f"{source}: url is longer than {MAX_BASE_URL} characters")
    if not text.isprintable() or any(c.isspace() for c in text):
        raise ConfigError(f"{source}: url must not hold spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
        host = httpx.URL(text).host
    except (ValueError, httpx.InvalidURL):
        raise ConfigError(f"{source}: url is not a valid URL") from None
    if not host or not parts.hostname or (port is not None and not 1 <= port <= 65535):
        raise ConfigError(f"{source}: url is not a valid URL (a host, and a port if any)")
    return Secret(text)


def _alert(table: Any, where: str) -> AlertSpec:
    """One ``[[alerts]]`` table checked; every problem names ``where``."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table (kind = ..., url = ..., on = [...])")
    unknown = sorted(set(table) - _ALERT_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r} (an alert takes "
            f"{', '.join(sorted(_ALERT_KEYS))})"
        )
    kind = table.get("kind")
    if kind not in ALERT_KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(ALERT_KINDS)}")
    on: Any = table.get("on", list(DEFAULT_ALERT_EVENTS))
    if (
        not isinstance(on, list)
        or not on
        or not all(isinstance(e, str) and e in ALERT_EVENTS for e in on)
    ):
        raise ConfigError(f"{where}: on must be a list of events from {', '.join(ALERT_EVENTS)}")
    name = table.get("name")
    if name is not None and (
        not isinstance(name, str) or not name.strip() or not name.isprintable() or len(name) > 80
    ):
        raise ConfigError(f"{where}: name must be a short line of text")
    url = token = None
    command: tuple[str, ...] = ()
    if kind == "command":
        for key in ("url", "token"):
            if key in table:
                raise ConfigError(f"{where}: a command alert takes no {key}")
        argv = table.get("command")
        if (
            not isinstance(argv, list)
            or not argv
            or not all(isinstance(a, str) and a and "\0" not in a for a in argv)
        ):
            raise ConfigError(
                f"{where}: command must be a list of strings, the program first, like "
                '["notify-send", "ftmon"] (it is never run through a shell)'
            )
        command = tuple(argv)
    else:
        if "command" in table:
            raise ConfigError(f"{where}: only a command alert takes command")
        if "url" not in table:
            raise ConfigError(f"{where}: a {kind} alert needs url = ...")
        url = _alert_url(table["url"], where)
        if "token" in table:
            if kind != "ntfy":
                raise ConfigError(f"{where}: only an ntfy alert takes token")
            raw = table["token"]
            if not isinstance(raw, str) or not raw.strip() or key_problem(raw.strip()):
                raise ConfigError(f"{where}: token must be an ntfy access token (tk_...)")
            token = Secret(raw.strip())
    return AlertSpec(
        kind=kind,
        on=tuple(dict.fromkeys(on)),
        url=url,
        token=token,
        command=command,
        name=name.strip() if isinstance(name, str) else None,
        where=where,
    )


def _alerts(value: Any, source: str, table_name: str) -> tuple[AlertSpec, ...]:
    """``[[<table_name>]]`` of the file at ``source``, each table as an :class:`AlertSpec`."""
    if not isinstance(value, list):
        raise ConfigError(f"{source}: {table_name} must be an array of tables, [[{table_name}]]")
    return tuple(
        _alert(item, f"{source} [[{table_name}]] #{number}")
        for number, item in enumerate(value, start=1)
    )


def _pop_alerts(
    table: Any, source: str, table_name: str
) -> tuple[Any, tuple[AlertSpec, ...] | None]:
    """``table`` without its alerts, and its alerts (None when it has none)."""
    if not isinstance(table, dict) or "alerts" not in table:
        return table, None
    rest = {k: v for k, v in table.items() if k != "alerts"}
    return rest, _alerts(table["alerts"], source, table_name)


def _warn_if_readable(path: Path, table: dict[str, Any]) -> None:
    """A key in a file that others may read is a leak waiting to happen: say so."""
    if os.name != "posix":
        return

    def has_key(t: dict[str, Any]) -> bool:
        return any(k in t for k in _SECRET_FIELDS) or any(
            isinstance(v, dict) and has_key(v) for v in t.values()
        )

    def has_alert_secret(t: dict[str, Any]) -> bool:
        alerts = t.get("alerts")
        if isinstance(alerts, list) and any(
            isinstance(a, dict) and ("url" in a or "token" in a) for a in alerts
        ):
            return True
        return any(isinstance(v, dict) and has_alert_secret(v) for v in t.values())

    if has_key(table):
        what = "an API key"
    elif has_alert_secret(table):
        what = "an alert's webhook URL or token"
    else:
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.warn(
            f"{path} holds {what} and can be read by other users; run: chmod 600 {path}",
            stacklevel=3,
        )


def read_config_file(path: Path) -> dict[str, Any]:
    """The parsed TOML file, or {} when it does not exist."""
    try:
        raw = read_bytes_capped(path)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    _warn_if_readable(path, table)
    return table


def _from_table(table: Any, source: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{source} must be a table of settings")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _FILE_KEYS:
            what = "section" if isinstance(value, dict) else "setting"
            raise ConfigError(f"{source}: unknown {what} {key!r}")
        values[key] = _coerce(key, value, source)
    return values


def _merge(values: dict[str, Any], layer: dict[str, Any]) -> None:
    """Later layers win; a keymap (and ``[doctor]``) is merged key by key so a profile may
    remap just one action (or change one threshold)."""
    for name, value in layer.items():
        if name in ("keymap", "doctor") and isinstance(values.get(name), dict):
            values[name] = {**values[name], **value}
        else:
            values[name] = value


def load_settings(
    *,
    profile: str | None = None,
    config_path: Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
    demo: bool = False,
) -> Settings:
    """Merge defaults, the config file, the environment and ``overrides`` (flags), in that order.

    ``demo``: the simulator in process will be used, so an interval under :data:`MIN_INTERVAL`
    is allowed as it is against a loopback base URL, and Azure needs no endpoint.
    """
    env = dict(os.environ) if env is None else env
    path = config_path or default_config_path(env)
    table = read_config_file(path)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    # (values, where, provider the table is for: None for a profile that says nothing)
    tables: list[tuple[dict[str, Any], str, str | None]] = []
    top_level = {k: v for k, v in table.items() if k not in {"default", "profiles"}}
    top_level, alerts = _pop_alerts(top_level, str(path), "alerts")
    top = _from_table(top_level, str(path))
    said = top.get("provider")
    tables.append((top, str(path), said or "openai"))
    default_table, default_alerts = _pop_alerts(
        table.get("default", {}), str(path), "default.alerts"
    )
    alerts = alerts if default_alerts is None else default_alerts
    default = _from_table(default_table, f"{path} [default]")
    said = default.get("provider", said)
    tables.append((default, f"{path} [default]", said or "openai"))
    profile = profile or env.get("FTMON_PROFILE") or None
    if profile:
        profiles = table.get("profiles", {})
        if not isinstance(profiles, dict):
            raise ConfigError(f"{path}: profiles must be tables, like [profiles.{profile}]")
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(f"no profile {profile!r} in {path} (profiles: {known})")
        where = f"{path} [profiles.{profile}]"
        profile_table, profile_alerts = _pop_alerts(
            profiles[profile], str(path), f"profiles.{profile}.alerts"
        )
        alerts = alerts if profile_alerts is None else profile_alerts
        chosen = _from_table(profile_table, where)
        said = chosen.get("provider", said)
        tables.append((chosen, where, said))
    flags = {name: _coerce(name, value, _flag(name)) for name, value in overrides.items()}
    provider: str = flags.get("provider") or said or "openai"

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}  # setting -> where its value came from, for messages
    left_out: dict[str, str] = {}  # setting -> the table of the other provider that had it

    def take(layer: dict[str, Any], source: str) -> None:
        _merge(values, layer)
        sources.update(dict.fromkeys(layer, source))

    for values_of, where, for_provider in tables:
        if for_provider not in (None, provider):
            left_out.update(dict.fromkeys(set(values_of) & _CONNECTION, where))
            values_of = {k: v for k, v in values_of.items() if k not in _CONNECTION}
        take(values_of, where)
    for name, var in (_AZURE_ENV_NAMES if provider == "azure" else _ENV_NAMES).items():
        if env.get(var, "").strip():
            take({name: _coerce(name, env[var], var)}, var)
    for name, value in flags.items():
        take({name: value}, _flag(name))
    if provider == "azure":
        _azure(values, sources, left_out, demo=demo)
    else:
        for name in sorted(_AZURE_ONLY & set(values)):
            if values[name] != getattr(Settings, name):
                raise ConfigError(
                    f"{sources[name]}: {name} is an Azure OpenAI setting: "
                    'set provider = "azure" in the profile (or use --azure)'
                )
    if "doctor" in values:
        values["doctor"] = Thresholds(**values["doctor"])
    settings = replace(Settings(), **values, alerts=alerts or (), profile=profile, config_path=path)
    _check_interval(settings, sources.get("interval", "interval"), demo=demo)
    _warn_if_cleartext(settings)
    _warn_if_cleartext_alerts(settings)
    return settings


def _flag(name: str) -> str:
    """The flag a setting from ``overrides`` came from, for messages."""
    return {"provider": "--azure", "auth": "--entra"}.get(name, f"--{name.replace('_', '-')}")


def _azure(
    values: dict[str, Any], sources: dict[str, str], left_out: dict[str, str], *, demo: bool
) -> None:
    """Azure OpenAI's settings made whole, in place: its endpoint as a base URL, its key in an
    ``api-key`` header, nothing of OpenAI's (an admin key, organization and project ids)."""
    for name in ("admin_key", "organization", "project"):
        values.pop(name, None)  # Azure has no checkpoint permissions and no such ids
    if values.get("auth_header", "api-key") != "api-key":
        raise ConfigError(
            f'{sources["auth_header"]}: auth_header = "bearer" does not apply to Azure OpenAI: '
            'its key goes in an api-key header; for Entra ID bearer tokens set auth = "entra"'
        )
    values["auth_header"] = "api-key"
    if values.get("auth") == "entra" and not demo and not entra_available():
        raise ConfigError(
            f"{sources['auth']}: Entra ID sign-in needs the azure-identity package: "
            "pip install 'ftmon[azure]'"
        )
    if "base_url" not in values:
        if demo:
            return  # the simulator's base URL replaces it
        hint = ""
        if "base_url" in left_out:
            hint = (
                f" (the base_url in {left_out['base_url']} is for OpenAI: add "
                'provider = "azure" to that table to use it for Azure)'
            )
        raise ConfigError(f"Azure OpenAI needs an endpoint: {_AZURE_ENDPOINT_HELP}{hint}")
    values["base_url"] = azure_base_url(
        values["base_url"], values.get("api_version"), sources["base_url"]
    )


def entra_available() -> bool:
    """Whether ``azure-identity`` (the ``azure`` extra) is installed, without importing it."""
    try:
        return importlib.util.find_spec("azure.identity") is not None
    except (ImportError, ValueError):  # no ``azure`` namespace package at all
        return False


def is_openai_host(host: str) -> bool:
    """True for OpenAI's own API host (and any host of ``openai.com``): never an Azure key's."""
    host = host.lower().rstrip(".")
    return host == "openai.com" or host.endswith(".openai.com")


#: The API versions the v1 routes take (opting in to preview features); every other version is
#: a date, for the dated routes.
V1_API_VERSIONS = frozenset({"preview", "latest"})


def azure_base_url(endpoint: str, api_version: str | None, source: str) -> str:
    """The base URL every Azure OpenAI request goes to, from an endpoint as a user gives it.

    * ``https://RES.openai.azure.com/openai/v1``: the v1 routes, as they are. They need no API
      version, and a dated one is not sent to them (``OPENAI_API_VERSION`` is often set for the
      SDK's dated routes); ``preview`` or ``latest``, the versions they take, are.
    * ``https://RES.openai.azure.com/openai``: the dated routes. They need a dated API version,
      sent as ``?api-version=`` with every request (an ``api-version`` already in the URL
      counts; a version that is set replaces it).
    * ``https://RES.openai.azure.com/``, the bare resource endpoint that the portal shows and
      ``AZURE_OPENAI_ENDPOINT`` usually holds, is completed. With a dated API version, to the
      dated routes: ``{endpoint}/openai?api-version=...`` is exactly what the official SDK's
      ``AzureOpenAI`` builds from the same endpoint and version, so the same settings reach
      the same routes in both. Without one, to the v1 routes, ``{endpoint}/openai/v1``: they
      are the routes that need no version (the SDK would refuse to start), and the ones
      Microsoft keeps current, where each dated version is frozen at its date.
    * Any other path (a gateway in front of Azure): as it is, with the version if one is set.

    Refused: an endpoint on OpenAI's own host (an Azure key must never go there), and the dated
    routes with no dated version. The URL is never quoted back (it may hold a secret in its
    query).
    """
    text = _base_url(endpoint, source)
    url = httpx.URL(text)
    if is_openai_host(url.host):
        raise ConfigError(
            f"{source}: that is OpenAI's host, not an Azure OpenAI endpoint; the Azure key is "
            f"never sent there: {_AZURE_ENDPOINT_HELP}"
        )
    for_v1 = api_version is not None and api_version.lower() in V1_API_VERSIONS
    path = url.path.rstrip("/")
    if not path:
        path = "/openai" if api_version and not for_v1 else "/openai/v1"
    url = url.copy_with(path=path)
    folded = path.lower()
    if folded.endswith("/openai/v1"):
        return _base_url(
            str(url.copy_set_param("api-version", api_version) if for_v1 else url), source
        )
    if folded.endswith("/openai"):
        given = url.params.get("api-version")
        if for_v1 or (not api_version and (not given or given.lower() in V1_API_VERSIONS)):
            raise ConfigError(
                f"{source}: the dated Azure OpenAI routes ({url.host}/openai) need a dated API "
                "version: set OPENAI_API_VERSION, api_version in the profile, or --api-version "
                f"(like 2024-10-21); or use the v1 routes, which need none: {url.host}/openai/v1"
            )
    if api_version:
        url = url.copy_set_param("api-version", api_version)
    return _base_url(str(url), source)


def _check_interval(settings: Settings, source: str, *, demo: bool) -> None:
    """Under :data:`MIN_INTERVAL` only against this machine (a loopback base URL) or ``--demo``."""
    if settings.interval >= MIN_INTERVAL or demo:
        return
    if is_loopback((urlsplit(settings.base_url).hostname or "").lower()):
        return
    raise ConfigError(
        f"{source}: interval must be at least {MIN_INTERVAL:g} second against a remote API "
        f"(got {settings.interval:g}); shorter only with a loopback base URL or --demo"
    )


def _warn_if_cleartext(settings: Settings) -> None:
    """An ``http://`` base URL on a host other than this machine sends the key unencrypted:
    said before the first request, unless the config file says the network is trusted."""
    url = urlsplit(settings.base_url)
    host = (url.hostname or "").lower()
    if url.scheme != "http" or settings.allow_insecure_http or is_loopback(host):
        return
    warnings.warn(
        f"the base URL is http:// on {host}: the API key crosses the network unencrypted. "
        "Use https://, or set allow_insecure_http = true for a network you trust.",
        stacklevel=2,
    )


def _warn_if_cleartext_alerts(settings: Settings) -> None:
    """An alert's ``http://`` URL on another host sends its secret (the URL, a token) and the
    job's fields unencrypted: said once per alert, unless the network is trusted."""
    if settings.allow_insecure_http:
        return
    for alert in settings.alerts:
        if alert.url is None:
            continue
        url = urlsplit(alert.url.reveal())
        host = (url.hostname or "").lower()
        if url.scheme == "http" and not is_loopback(host):
            warnings.warn(
                f"{alert.where}: the alert's URL is http:// on {host}: its secret crosses the "
                "network unencrypted. Use https://, or set allow_insecure_http = true for a "
                "network you trust.",
                stacklevel=3,
            )
