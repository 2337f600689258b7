"""How the CLI's cluster commands find the API server: one `--kubeconfig` option for all.

`--kubeconfig` wins; else `SYNCD_KUBECONFIG` (the controller's own setting);
else the in-cluster service account, `$KUBECONFIG` or `~/.kube/config`
(`syncd.cluster.config.load_connection`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection

KUBECONFIG_ENV: Final = "SYNCD_KUBECONFIG"


def add_kubeconfig_option(parser: argparse.ArgumentParser) -> None:
    """Add `--kubeconfig FILE`."""
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        help=(
            f"kubeconfig file (default: ${KUBECONFIG_ENV}, else in-cluster, else $KUBECONFIG "
            "or ~/.kube/config)"
        ),
    )


def kubeconfig_path(flag: Path | None, *, environ: Mapping[str, str]) -> Path | None:
    """The kubeconfig to read: the flag, else SYNCD_KUBECONFIG; None means the defaults."""
    if flag is not None:
        return flag
    value = environ.get(KUBECONFIG_ENV, "")
    return Path(value).expanduser() if value else None


def connect(args: argparse.Namespace) -> KubeClient:
    """A client for the cluster `args.kubeconfig` (or the environment) names.

    Raises ClusterError (ConnectionConfigError) when no configuration is usable.
    """
    return KubeClient(load_connection(kubeconfig_path(args.kubeconfig, environ=os.environ)))
