"""`syncd render DIR`: print the objects syncd would apply from a package, in apply order."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

import yaml

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
Print, as one YAML stream, the objects syncd would apply from a package
directory, in the order it would apply them (CRDs, Namespaces, other
cluster-scoped objects, namespaced objects, depends-on on top), rendered
exactly as the controller renders it: kustomize for a directory with a
kustomization.yaml, `helm template` for one with a Chart.yaml, plain YAML
elsewhere. Namespaced objects that name no namespace get the default
namespace. Documents marked config.kubernetes.io/local-config are left out.
Errors go to stderr with their codes.

examples:
  syncd render clusters/prod > rendered.yaml
  syncd render --sync root-sync.yaml overlays/prod   # the RootSync's render options
  syncd render --default-namespace apps charts/web
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `render` subcommand."""
    parser = commands.add_parser(
        "render",
        help="print the objects a package declares, in apply order",
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


def render(
    directory: Path,
    *,
    kubeconfig: Path | None,
    out: TextIO,
    err: TextIO,
    limits: DecodeLimits | None = None,
    settings: ReadSettings | None = None,
) -> int:
    """Write the ordered objects to `out` and errors to `err`; 1 if there were errors.

    Every `# Source:` comment is one line whatever the file is called: the
    decoder refuses file names with control characters, and the path is
    escaped again here, so a name can never add documents to the stream.
    """
    if not directory.is_dir():
        err.write(f"syncd: {shown_path(directory)} is not a directory\n")
        return 2
    package = load_package(
        directory, scope=scope_from(kubeconfig), limits=limits, settings=settings
    )
    for wave in package.order.waves:
        for manifest in wave:
            out.write(f"---\n# Source: {one_line(shown_path(manifest.source_path))}\n")
            out.write(yaml.safe_dump(dict(manifest.body), sort_keys=False))
    for warning in package.bundle.warnings:
        err.write(f"warning: {one_line(warning)}\n")
    for error in package.errors:
        err.write(one_line(str(error)) + "\n")
    return 1 if package.errors else 0


def run(args: argparse.Namespace) -> int:
    """Entry point of `syncd render`."""
    try:
        limits = limits_from(args)
        return render(
            args.directory,
            kubeconfig=args.kubeconfig,
            out=sys.stdout,
            err=sys.stderr,
            limits=limits,
            settings=read_settings_from(args, limits=limits),
        )
    except (ClusterError, SyncSpecError) as exc:
        sys.stderr.write(f"syncd: {exc}\n")
        return 2
