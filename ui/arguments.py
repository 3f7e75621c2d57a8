"""The command line's argument checks: value types that refuse in one line, and usage shown for the command given.

argparse's own handling prints the top-level usage for an option a sub-command does not have, and the
whole usage before every bad value; here a bad value (``--k 0``, ``--port 99999``) is one line, and an
unknown option shows the usage of the command it was given to.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose value errors reach ``parse_arguments`` (``exit_on_error=False``), which says
    them in one line; usage mistakes (an unknown option, a missing argument) still show the usage."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("exit_on_error", False)
        super().__init__(*args, **kwargs)


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed arguments; exits 2 with one error line for a bad value (``--k 0``, ``--port 99999``), and
    with the usage of the command given (not the top-level one) for an option it does not have."""
    try:
        args, extras = parser.parse_known_args(argv)
    except argparse.ArgumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if extras:
        command: argparse.ArgumentParser = getattr(args, "command_parser", parser)
        command.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def positive_int(value: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {value!r}")
    return number


def port_number(value: str) -> int:
    """An argparse type: a TCP port from 1 to 65535."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, not {value!r}")
    return number
