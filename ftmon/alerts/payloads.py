"""What each kind of alert sends: the body and headers of a request, or a command's environment.

* **webhook**: JSON ``{"event", "job": {the job's fields as the API gave them, cleaned},
  "text"}``, with ``"checkpoint"`` for a checkpoint event.
* **slack** (an incoming webhook): JSON ``{"text"}``. Slack reads ``&``, ``<`` and ``>`` as
  markup (``<!channel>`` pings everyone), so they are escaped as its docs ask.
* **discord** (a webhook): JSON ``{"content", "allowed_mentions": {"parse": []}}``: no text from
  the API can ping ``@everyone``; content is cut to Discord's 2,000 characters.
* **ntfy**: the text as a plain body (cut under ntfy's 4,096 bytes, past which it would become an
  attachment), a ``Title`` header (RFC 2047 encoded when not ASCII, as ntfy decodes it), ``Tags``
  (emoji short codes), ``Priority`` 4 for a failure or a stall, and the token as a bearer token.
* **command**: no body; the job's fields in ``FTMON_*`` variables of an environment that holds
  only a few harmless names of ftmon's own (``PATH``, ``HOME``, the locale, the desktop session
  a notifier needs): never a key, never an ``OPENAI_*`` or ``AZURE_*`` name.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ftmon import __version__
from ftmon.alerts.events import AlertEvent, checkpoint_fields, job_fields, message, safe, title
from ftmon.config import AlertSpec

DISCORD_LIMIT = 2_000
NTFY_LIMIT = 4_000  # bytes, under ntfy's 4,096
#: Variables passed on to a command from ftmon's own environment, when set.
COMMAND_ENV_KEEP = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    "TERM",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
    "DBUS_SESSION_BUS_ADDRESS",
    # Windows needs these to start anything at all.
    "SYSTEMROOT",
    "COMSPEC",
    "PATHEXT",
    "WINDIR",
)
#: Never passed on, whatever the list above says.
_NEVER_PREFIXES = ("OPENAI_", "AZURE_")
#: The most of one ``FTMON_*`` value.
ENV_VALUE_LIMIT = 2_000

_NTFY_TAGS = {
    "succeeded": "white_check_mark",
    "failed": "x",
    "cancelled": "no_entry_sign",
    "stalled": "warning",
    "checkpoint": "floppy_disk",
    "best_checkpoint": "trophy",
}


@dataclass(frozen=True)
class HttpMessage:
    """One POST: its body and headers (the URL is the alert's own)."""

    body: bytes
    headers: dict[str, str]


def _json(data: object) -> HttpMessage:
    return HttpMessage(
        json.dumps(data, ensure_ascii=False).encode("utf-8"),
        {"Content-Type": "application/json", "User-Agent": f"ftmon/{__version__}"},
    )


def slack_escape(text: str) -> str:
    """Slack's three control characters as the entities it reads them as."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _header(text: str, secrets: tuple[str, ...]) -> str:
    """A header value: one line; an RFC 2047 encoded word when it is not ASCII."""
    text = safe(text, secrets, width=200)
    if text.isascii():
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def http_message(alert: AlertSpec, event: AlertEvent, secrets: Iterable[str] = ()) -> HttpMessage:
    """The request an HTTP alert sends for ``event``; ``secrets`` are blanked from all of it."""
    secrets = tuple(secrets)
    text = message(event, secrets)
    if alert.kind == "slack":
        return _json({"text": slack_escape(text)})
    if alert.kind == "discord":
        content = text if len(text) <= DISCORD_LIMIT else text[: DISCORD_LIMIT - 1] + "…"
        return _json({"content": content, "allowed_mentions": {"parse": []}})
    if alert.kind == "ntfy":
        headers = {
            "Title": _header(f"ftmon: {title(event, secrets)}", secrets),
            "Tags": _NTFY_TAGS.get(event.event, "bell"),
            "Content-Type": "text/plain; charset=utf-8",
            "User-Agent": f"ftmon/{__version__}",
        }
        if event.event in ("failed", "stalled"):
            headers["Priority"] = "4"
        if alert.token is not None:
            headers["Authorization"] = f"Bearer {alert.token.reveal()}"
        body = _cut_bytes("\n".join(text.split("\n")[1:]) or text, NTFY_LIMIT)
        return HttpMessage(body.encode("utf-8"), headers)
    data: dict[str, object] = {
        "event": event.event,
        "job": job_fields(event.job, secrets),
        "text": text,
    }
    if event.checkpoint is not None:
        data["checkpoint"] = checkpoint_fields(event.checkpoint, secrets)
    if event.detail:
        data["detail"] = safe(event.detail, secrets, width=500)
    return _json(data)


def command_env(
    event: AlertEvent, secrets: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a command alert runs with: a few names of ftmon's, and the job's."""
    secrets = tuple(secrets)
    source = os.environ if environ is None else environ
    env = {
        name: source[name]
        for name in COMMAND_ENV_KEEP
        if name in source and not name.startswith(_NEVER_PREFIXES)
    }
    job = event.job
    fields = {
        "FTMON_EVENT": event.event,
        "FTMON_JOB_ID": job.id,
        "FTMON_STATUS": job.status,
        "FTMON_MODEL": job.model,
        "FTMON_FINE_TUNED_MODEL": job.fine_tuned_model,
        "FTMON_SUFFIX": job.display_suffix,
        "FTMON_METHOD": job.method_type,
        "FTMON_CREATED_AT": job.created_at,
        "FTMON_FINISHED_AT": job.finished_at,
        "FTMON_TRAINED_TOKENS": job.trained_tokens,
        "FTMON_ERROR_CODE": job.error.code if job.error else None,
        "FTMON_ERROR": job.error.message if job.error else None,
        "FTMON_TITLE": title(event, secrets),
        "FTMON_TEXT": message(event, secrets),
        "FTMON_DETAIL": event.detail,
    }
    checkpoint = event.checkpoint
    if checkpoint is not None:
        fields["FTMON_CHECKPOINT_ID"] = checkpoint.id
        fields["FTMON_CHECKPOINT"] = checkpoint.fine_tuned_model_checkpoint
        fields["FTMON_CHECKPOINT_STEP"] = checkpoint.step_number
    for name, value in fields.items():
        if value is None or value == "":
            continue
        if name == "FTMON_TEXT":
            env[name] = str(value).replace("\0", "")  # made of safe lines already
        else:
            env[name] = safe(value, secrets, width=ENV_VALUE_LIMIT)
    return env
