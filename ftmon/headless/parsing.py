"""Building a headless subcommand's parser: connection options, ``--json``, examples, exit codes.

Shared by every command module so that each ``--help`` reads the same way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ftmon import exits

AddOptions = Callable[..., None]


def with_connection(parser: argparse.ArgumentParser, add_options: AddOptions | None) -> None:
    """The shared connection options, their defaults suppressed: they may also come before the
    command (``ftmon --demo jobs``) and must not be overwritten."""
    if add_options is not None:
        add_options(parser, suppress_defaults=True)


def epilog(examples: list[str], codes: list[int], notes: dict[int, str] | None = None) -> str:
    """Examples, then the exit codes (Ctrl-C's always among them)."""
    text = "examples:\n" + "\n".join(f"  {e}" for e in examples) + "\n\n"
    every = codes if exits.INTERRUPTED in codes else [*codes, exits.INTERRUPTED]
    return text + exits.epilog(every, notes)


def command_parser(
    sub: Any,
    add_options: AddOptions | None,
    name: str,
    *,
    help: str,
    examples: list[str],
    codes: list[int],
    notes: dict[int, str] | None = None,
    json_help: str = "write one JSON document instead of text",
) -> argparse.ArgumentParser:
    """A subcommand with its help, ``--json``, the connection options and the exit-code epilog."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help,
        description=help,
        epilog=epilog(examples, codes, notes),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help=json_help)
    with_connection(parser, add_options)
    return parser


def seconds(text: str) -> float:
    """An argument that is a number of seconds, 0 or more (``--give-up-after``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value
