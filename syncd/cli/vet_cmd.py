"""`syncd vet DIR`: check a package locally with the controller's own parser and rules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from syncd.cli.package import (
    ReadSettings,
    add_limit_options,
    add_render_options,
    limits_from,
    load_package,
    one_line,
    read_settings_from,
    scope_from,
    shown_path,
)
from syncd.core.errors import ClusterError, SyncSpecError
from syncd.core.limits import DecodeLimits

HELP = """\
Check a directory the way syncd will when it syncs it: rendered with the
controller's renderers (kustomize, Helm, plain files), every YAML and JSON
file parsed, objects validated (names, namespaces, duplicates) and
depends-on annotations resolved. Errors carry the same codes as the
RootSync's status; `syncd errors CODE` explains each one.

exit status: 0 when the package is clean, 1 when it has errors, 2 on usage errors.

examples:
  syncd vet clusters/prod
  syncd vet --kubeconfig ~/.kube/config apps/   # scope of custom kinds from the cluster
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `vet` subcommand."""
    parser = commands.add_parser(
        "vet",
        help="check a package directory locally (same rules as the controller)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("directory", type=Path, help="the package directory")
    parser.add_argument(
        "--kubeconfig", type=Path, help="ask this cluster which kinds are namespaced"
    )
    add_limit_options(parser)
    add_render_options(parser)
    parser.set_defaults(handler=run)


def vet(
    directory: Path,
    *,
    kubeconfig: Path | None,
    out: TextIO,
    limits: DecodeLimits | None = None,
    settings: ReadSettings | None = None,
) -> int:
    """Print every error of `directory`, one line each; 0 if there are none."""
    if not directory.is_dir():
        out.write(f"syncd: {shown_path(directory)} is not a directory\n")
        return 2
    package = load_package(
        directory, scope=scope_from(kubeconfig), limits=limits, settings=settings
    )
    for error in package.errors:
        paths = ", ".join(shown_path(r.source_path) for r in error.resources if r.source_path)
        out.write(one_line(f"{error}{f' ({paths})' if paths else ''}") + "\n")
    for warning in package.bundle.warnings:
        out.write(f"warning: {one_line(warning)}\n")
    objects = len(package.bundle.manifests)
    count = len(package.errors)
    summary = f"{objects} objects, {count} error{'s' if count != 1 else ''}"
    out.write(f"{shown_path(directory)}: {summary}\n")
    return 1 if count else 0


def run(args: argparse.Namespace) -> int:
    """Entry point of `syncd vet`."""
    try:
        limits = limits_from(args)
        return vet(
            args.directory,
            kubeconfig=args.kubeconfig,
            out=sys.stdout,
            limits=limits,
            settings=read_settings_from(args, limits=limits),
        )
    except (ClusterError, SyncSpecError) as exc:
        sys.stderr.write(f"syncd: {exc}\n")
        return 2
