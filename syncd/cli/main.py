"""`syncd` entry point: argument parsing and subcommand dispatch."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from syncd import __version__
from syncd.cli import errors_cmd, render_cmd, run_cmd, status_cmd, tenant_cmd, vet_cmd
from syncd.logging import LogFormat, configure_logging

DESCRIPTION = """\
syncd keeps Kubernetes clusters exactly as declared in Git, OCI artifacts or
Helm charts. A RootSync (in syncd-system) manages the whole cluster; a
RepoSync manages one tenant namespace. `kubectl get rootsync` shows the truth.
"""

EPILOG = """\
examples:
  syncd run                    run the controller (configured by SYNCD_* variables)
  syncd status --resources     every sync's state, commit, errors and objects
  syncd status -n team-a       the syncs of one namespace
  syncd tenant init team-a --repo https://git.example.com/team-a.git --apply
                               onboard a tenant: ServiceAccount, RoleBinding, RepoSync
  syncd vet clusters/prod      check a package locally with the controller's rules
  syncd render clusters/prod   print what would be applied, in apply order
  syncd errors                 list every error code and what to do about it
  syncd errors SD2006          explain one code (the prune guard)

Every error syncd reports carries a stable code (SDxxxx); `syncd errors CODE`
says what it means and what to do next. Docs: docs/ in the source tree.
"""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="syncd",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run_cmd.register(commands)
    status_cmd.register(commands)
    tenant_cmd.register(commands)
    vet_cmd.register(commands)
    render_cmd.register(commands)
    errors_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    # Commands print their results on stdout (YAML, reports): log lines go to
    # stderr, warnings only. `syncd run` configures logging from its settings.
    configure_logging("warning", fmt=LogFormat.CONSOLE)
    try:
        code: int = handler(args)
    except BrokenPipeError:
        # The reader went away (`syncd render DIR | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
