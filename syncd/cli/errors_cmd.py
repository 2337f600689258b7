"""`syncd errors`: explain the stable error codes syncd reports."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from syncd.core.errors import REGISTRY, ErrorCode


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `errors` subcommand."""
    parser = commands.add_parser(
        "errors",
        help="explain error codes (SDxxxx)",
        description="List every error code, or explain one: its meaning and what to do next.",
    )
    parser.add_argument("code", nargs="?", help="a code such as SD1006 (case-insensitive)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print one code's explanation, or the whole table."""
    wanted: str | None = args.code
    if wanted is None:
        for spec in REGISTRY.values():
            sys.stdout.write(f"{spec.code.value}  {spec.error_class.value:<8} {spec.title}\n")
        return 0
    try:
        code = ErrorCode(wanted.upper())
    except ValueError:
        sys.stderr.write(
            f"syncd: unknown error code {wanted!r}; run `syncd errors` to list them all\n"
        )
        return 2
    spec = REGISTRY[code]
    sys.stdout.write(
        f"{code.value} ({spec.error_class.value} error): {spec.title}\n"
        f"What to do: {spec.next_step}\n"
    )
    return 0
