"""Entry point: parse arguments, build settings, start the TUI, the simulator or a command."""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from ftmon import __version__
from ftmon.config import ConfigError, Settings, load_settings
from ftmon.headless.commands import register_commands
from ftmon.text import clean, set_secrets

EXIT_USAGE = 2
#: Whose API the simulator can speak (``ftmon sim --flavor``, ``--demo --flavor``).
FLAVORS = ("openai", "azure")
EXIT_INTERRUPTED = 130


def _add_connection_options(
    parser: argparse.ArgumentParser, *, suppress_defaults: bool = False
) -> None:
    """The options every command shares. A subcommand suppresses their defaults, so that
    ``ftmon --demo jobs`` and ``ftmon jobs --demo`` both work (argparse would otherwise let the
    subcommand's default overwrite the value given before it)."""
    group = parser.add_argument_group("connection")
    if suppress_defaults:
        group.argument_default = argparse.SUPPRESS
    group.add_argument("--profile", help="use [profiles.NAME] from the config file")
    group.add_argument("--config", type=Path, help="config file (default: platform config dir)")
    group.add_argument(
        "--base-url",
        help="API base URL (default: OpenAI's, or OPENAI_BASE_URL); with --azure, the Azure "
        "OpenAI endpoint (or AZURE_OPENAI_ENDPOINT)",
    )
    group.add_argument(
        "--azure",
        action="store_true",
        help="Azure OpenAI: the endpoint, key and API version from AZURE_OPENAI_ENDPOINT, "
        "AZURE_OPENAI_API_KEY and OPENAI_API_VERSION (or a profile with provider = "
        '"azure"); the key goes in an api-key header',
    )
    group.add_argument(
        "--api-version",
        metavar="VERSION",
        help="Azure OpenAI API version for the dated routes, like 2024-10-21 "
        "(or OPENAI_API_VERSION; the v1 routes need none)",
    )
    group.add_argument(
        "--entra",
        action="store_true",
        help="Azure OpenAI: sign in with Microsoft Entra ID (DefaultAzureCredential), tokens "
        "renewed as they age; needs pip install 'ftmon[azure]'",
    )
    group.add_argument(
        "--interval", type=float, help="seconds between polls (default 5, or the config file)"
    )
    group.add_argument(
        "--demo",
        action="store_true",
        help="run against the built-in simulator in process: no key, no network",
    )
    group.add_argument(
        "--archive",
        type=Path,
        metavar="DIR",
        help="read an archive made by ftmon archive instead of the API: no key, no network, "
        "read-only",
    )
    group.add_argument(
        "--flavor",
        choices=FLAVORS,
        help="with --demo: whose API the simulator speaks (default openai; azure as Azure "
        "OpenAI does, also with --azure)",
    )


def _speed(text: str) -> float:
    """A simulator clock speed: a finite number, 0 or more (the clock refuses the rest)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("simulated seconds per second: 0 or more")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port from 0 to 65535 (0 picks a free one)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftmon",
        description="A terminal monitor for OpenAI fine-tuning jobs. "
        "With no command, starts the TUI.",
        epilog="Keys come from OPENAI_API_KEY and OPENAI_ADMIN_KEY (or the config file); "
        'they are never shown or written out. Azure OpenAI: --azure (or provider = "azure" '
        "in a profile) with AZURE_OPENAI_ENDPOINT, and AZURE_OPENAI_API_KEY or --entra "
        "(Entra ID sign-in); see the README's Azure OpenAI section.",
    )
    parser.add_argument("--version", action="version", version=f"ftmon {__version__}")
    _add_connection_options(parser)
    parser.add_argument("--job", metavar="ID", help="open the TUI on this job")
    parser.add_argument(
        "--read-only", action="store_true", help="hide every action that changes anything"
    )
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="draw only ASCII: borders, status glyphs and plots (on by itself with TERM=linux; "
        "ascii = true in the config)",
    )
    parser.add_argument(
        "--speed", type=_speed, default=60.0, help="simulator clock speed with --demo (default 60)"
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator seed with --demo")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = sub.add_parser("sim", help="serve the simulated API on loopback")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_port, default=8089, help="0 picks a free port")
    sim.add_argument("--speed", type=_speed, default=1.0, help="simulated seconds per second")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--scenario", default="default", choices=["default", "big"])
    sim.add_argument(
        "--flavor",
        choices=FLAVORS,
        default="openai",
        help="whose API to serve: OpenAI's (/v1) or Azure OpenAI's (/openai/..., api-version, "
        "api-key); the base URL to use is printed first",
    )
    sim.add_argument(
        "--refuse-creates",
        action="store_true",
        help="refuse new fine-tuning jobs (403) as OpenAI's fine-tuning wind-down does",
    )
    sim.add_argument(
        "--allow-remote",
        action="store_true",
        help="serve on a host other than loopback (the simulator accepts any key)",
    )

    serve = sub.add_parser(
        "serve",
        help="the TUI in a browser, through textual-serve (127.0.0.1 unless --public)",
        description="Serve ftmon's TUI to a browser: each tab runs its own ftmon with these "
        "settings; the key stays in those processes. Needs pip install 'ftmon[serve]'.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument(
        "--public",
        action="store_true",
        help="listen on an address other than this machine's: anyone who can reach it can "
        "act on the jobs with your key, unless --read-only",
    )
    serve.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the served TUI hides every action that changes anything",
    )
    serve.add_argument("--job", metavar="ID", default=argparse.SUPPRESS, help="open on this job")
    serve.add_argument(
        "--speed", type=_speed, default=argparse.SUPPRESS, help="simulator speed with --demo"
    )
    serve.add_argument("--seed", type=int, default=argparse.SUPPRESS, help="simulator seed")
    _add_connection_options(serve, suppress_defaults=True)

    register_commands(sub, _add_connection_options)
    return parser


#: ``ftmon serve``'s options passed on to each session's TUI: (attribute, flag, takes a value).
_SESSION_OPTIONS = (
    ("profile", "--profile", True),
    ("config", "--config", True),
    ("base_url", "--base-url", True),
    ("azure", "--azure", False),
    ("api_version", "--api-version", True),
    ("entra", "--entra", False),
    ("interval", "--interval", True),
    ("demo", "--demo", False),
    ("archive", "--archive", True),
    ("flavor", "--flavor", True),
    ("job", "--job", True),
)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """``ftmon serve``: the settings were checked already; each session gets the same flags."""
    from ftmon.serve import ServeError, run_serve

    missing = None if getattr(args, "demo", False) else settings.missing_credentials()
    if missing:
        print(f"ftmon: {missing}", file=sys.stderr)
        return EXIT_USAGE

    session: list[str] = []
    for name, flag, takes_value in _SESSION_OPTIONS:
        value = getattr(args, name, None)
        if takes_value and value is not None:
            session += [flag, str(value)]
        elif not takes_value and value:
            session.append(flag)
    if getattr(args, "demo", False):
        session += ["--speed", f"{args.speed:g}", "--seed", str(args.seed)]
    try:
        return run_serve(
            session,
            host=args.host,
            port=args.port,
            public=args.public,
            read_only=bool(getattr(args, "read_only", False)),
        )
    except ServeError as exc:
        print(f"ftmon: {clean(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a port in use, an address not of this machine
        where = clean(f"{args.host}:{args.port}")
        print(f"ftmon: cannot serve on {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the config file, environment and these flags (flags win).

    ``--flavor`` (only with ``--demo``) sets the provider as ``--azure`` does, so the demo's
    rules (statuses, actions) are the flavour's; ``--flavor openai`` with ``--azure`` is a
    contradiction, refused.
    """
    azure = bool(getattr(args, "azure", False))
    flavor = getattr(args, "flavor", None)
    if flavor is not None and not getattr(args, "demo", False):
        raise ConfigError("--flavor chooses the simulator's API: use it with --demo")
    if getattr(args, "archive", None) is not None and getattr(args, "demo", False):
        raise ConfigError("--archive and --demo each choose what to read: use one")
    if flavor == "openai" and azure:
        raise ConfigError("--azure and --flavor openai disagree: choose one")
    provider = flavor or ("azure" if azure else None)
    overrides = {
        "base_url": getattr(args, "base_url", None),
        "interval": getattr(args, "interval", None),
        "auth_header": "api-key" if provider == "azure" else None,
        "provider": provider,
        "api_version": getattr(args, "api_version", None),
        "auth": "entra" if getattr(args, "entra", False) else None,
        "read_only": True
        if getattr(args, "read_only", False) or getattr(args, "archive", None)
        else None,
        "ascii": True if getattr(args, "ascii", False) else None,
    }
    return load_settings(
        profile=getattr(args, "profile", None),
        config_path=getattr(args, "config", None),
        overrides=overrides,
        demo=bool(getattr(args, "demo", False)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C anywhere the runner does not see it (reading settings, ``files check``): the
        # same quiet exit 130 as a command it runs, no traceback.
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sim":
        from ftmon.sim.server import SimServerError, run_sim

        try:
            run_sim(
                host=args.host,
                port=args.port,
                speed=args.speed,
                seed=args.seed,
                scenario=args.scenario,
                allow_remote=args.allow_remote,
                flavor=args.flavor,
                refuse_creates=args.refuse_creates,
            )
        except SimServerError as exc:  # a host other than loopback, not allowed
            print(f"ftmon: {clean(exc)}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as exc:  # a port in use, an address not of this machine
            where = clean(f"{args.host}:{args.port}")
            print(f"ftmon: cannot serve on {where}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        return 0
    config = getattr(args, "config", None)
    try:
        found = config is None or config.is_file()
    except OSError:  # a name too long for the file system, say
        found = False
    if not found:
        print(f"ftmon: no config file at {clean(config)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            settings = settings_from_args(args)
    except ConfigError as exc:
        # Paths and names in the message are the user's, but still no escape reaches a terminal.
        print(f"ftmon: {clean(exc)}", file=sys.stderr)
        return EXIT_USAGE
    for warning in caught:  # e.g. a config file holding a key that others can read
        print(f"ftmon: warning: {clean(warning.message)}", file=sys.stderr)
    # A key a server echoes back (in a suffix, an event) is blanked everywhere text is shown.
    keys = (settings.api_key, settings.admin_key, settings.entra_token)
    set_secrets(s.reveal() for s in keys if s is not None)
    if args.command == "serve":
        return _serve(args, settings)
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args, settings) or 0)
    from ftmon.tui.run import run_tui

    return run_tui(
        settings,
        demo=args.demo,
        job_id=args.job,
        speed=args.speed,
        seed=args.seed,
        archive=getattr(args, "archive", None),
    )


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
