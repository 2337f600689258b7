"""`syncd status`: a terminal view of every RootSync and RepoSync, like `nomos status`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from syncd.api.models import RepoSync, RootSync
from syncd.api.resourcegroup import parse_resource_group
from syncd.api.status import SyncObjectStatus, SyncState
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.errors import ClusterError, SyncSpecError, UnknownKindError
from syncd.core.ports import Cluster, JsonObject
from syncd.core.refs import ObjectRef
from syncd.core.sync import INVENTORY_KIND, SYNCD_GROUP, SYNCD_VERSION, SyncKind

HELP = """\
Show every RootSync and RepoSync: where it syncs from, its state, the commit
it reached and its errors. With --resources, also every managed object and
its readiness (from the sync's ResourceGroup).

exit status: 0 when every sync is Synced, 1 when any is not, 2 on usage or
connection errors.

examples:
  syncd status
  syncd status --resources --kubeconfig ~/.kube/config
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `status` subcommand."""
    parser = commands.add_parser(
        "status",
        help="show every sync's state, commit and errors",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--kubeconfig", type=Path, help="kubeconfig (default: in-cluster, ~/.kube/config)"
    )
    parser.add_argument("--namespace", "-n", default="", help="only syncs in this namespace")
    parser.add_argument("--resources", action="store_true", help="list managed objects too")
    parser.set_defaults(handler=run)


def _source_line(spec: Any) -> str:
    git = spec.git
    if git is None:
        return f"{spec.source_type.value} source"
    revision = git.revision or git.branch
    directory = "" if git.dir in (".", "") else f" dir {git.dir}"
    return f"{git.repo}@{revision}{directory}"


def _print_sync(
    out: TextIO, cluster: Cluster, obj: JsonObject, *, kind: SyncKind, resources: bool
) -> bool:
    meta = obj.get("metadata") or {}
    title = f"{kind.value} {meta.get('namespace')}/{meta.get('name')}"
    try:
        model: RootSync | RepoSync = (
            RootSync.from_object(obj) if kind is SyncKind.ROOT_SYNC else RepoSync.from_object(obj)
        )
    except SyncSpecError as exc:
        out.write(f"{title}\n  invalid: {exc}\n\n")
        return False
    status = model.status or SyncObjectStatus()
    state = status.summary.state if status.summary and status.summary.state else None
    commit = (status.summary.short_commit if status.summary else None) or "-"
    errors = [
        e for block in (status.source, status.rendering, status.sync) if block for e in block.errors
    ]
    out.write(f"{title}\n")
    out.write(f"  source:  {_source_line(model.spec)}\n")
    out.write(
        f"  state:   {state.value if state else 'Pending'}  commit {commit}  errors {len(errors)}\n"
    )
    if status.sync is not None:
        s = status.sync
        out.write(
            f"  objects: {s.total} declared, {s.applied} applied, {s.unchanged} unchanged, "
            f"{s.pruned} pruned, {s.failed} failed\n"
        )
    for error in errors:
        paths = ", ".join(r.source_path for r in error.resources if r.source_path)
        where = f" ({paths})" if paths else ""
        out.write(f"  {error.code}: {error.message}{where}\n")
    if resources:
        _print_resources(out, cluster, meta)
    out.write("\n")
    return state is SyncState.SYNCED


def _print_resources(out: TextIO, cluster: Cluster, meta: JsonObject) -> None:
    ref = ObjectRef(
        group=SYNCD_GROUP,
        version=SYNCD_VERSION,
        kind=INVENTORY_KIND,
        namespace=str(meta.get("namespace")),
        name=str(meta.get("name")),
    )
    raw = cluster.get(ref)
    if raw is None:
        out.write("  resources: no inventory yet\n")
        return
    group = parse_resource_group(raw)
    statuses = group.status.objects.by_ref() if group.status else {}
    out.write(f"  resources ({len(group.spec.resources)}):\n")
    for entry in group.spec.resources:
        obj_ref = entry.to_ref()
        out.write(f"    {statuses.get(obj_ref, 'Unknown'):<11} {obj_ref}\n")


def _list(cluster: Cluster, kind: SyncKind, namespace: str) -> Sequence[JsonObject]:
    try:
        rtype = cluster.resource_type(SYNCD_GROUP, kind.value)
    except UnknownKindError:
        return ()
    return cluster.list(rtype, namespace=namespace).items


def render(cluster: Cluster, *, namespace: str, resources: bool, out: TextIO) -> int:
    """Write every sync's report to `out`; 0 if all are Synced, 1 otherwise."""
    found = [
        (kind, obj)
        for kind in (SyncKind.ROOT_SYNC, SyncKind.REPO_SYNC)
        for obj in _list(cluster, kind, namespace)
    ]
    if not found:
        out.write(
            "No RootSync or RepoSync found. Install the CRDs (manifests/crds) and create "
            "a RootSync in syncd-system; see the README.\n"
        )
        return 1
    results = [
        _print_sync(out, cluster, obj, kind=kind, resources=resources) for kind, obj in found
    ]
    return 0 if all(results) else 1


def run(args: argparse.Namespace) -> int:
    """Connect and print every sync."""
    try:
        cluster = KubeClient(load_connection(args.kubeconfig))
        return render(cluster, namespace=args.namespace, resources=args.resources, out=sys.stdout)
    except ClusterError as exc:
        sys.stderr.write(f"syncd: {exc}\n")
        return 2
