"""`syncd status`: a terminal view of every RootSync and RepoSync, like `nomos status`.

Syncs are grouped by namespace (those holding RootSyncs first), one header
line per namespace. A kind that cannot be listed (its CRD missing, or the
caller forbidden to list it cluster-wide) is reported in a one-line note and
the other kind is still shown.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from syncd.api.models import RepoSync, RootSync
from syncd.api.resourcegroup import parse_resource_group
from syncd.api.status import SyncObjectStatus, SyncState
from syncd.cli.connect import add_kubeconfig_option, connect
from syncd.core.errors import ClusterError, ForbiddenError, SyncSpecError, UnknownKindError
from syncd.core.ports import Cluster, JsonObject
from syncd.core.refs import ObjectRef
from syncd.core.sync import INVENTORY_KIND, SYNCD_GROUP, SYNCD_VERSION, SyncKind

HELP = """\
Show every RootSync and RepoSync, grouped by namespace: where it syncs from,
its state, the commit it reached and its errors. With --resources, also every
managed object and its readiness (from the sync's ResourceGroup). With
--namespace, only that namespace's syncs (what a tenant may list).

exit status: 0 when every sync is Synced, 1 when any is not, 2 on usage or
connection errors.

examples:
  syncd status
  syncd status -n team-a
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
    add_kubeconfig_option(parser)
    parser.add_argument(
        "--namespace", "-n", default="", help="only syncs in this namespace (default: all)"
    )
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
    try:
        raw = cluster.get(ref)
    except ForbiddenError:
        out.write("  resources: you may not read this sync's ResourceGroup (forbidden)\n")
        return
    if raw is None:
        out.write("  resources: no inventory yet\n")
        return
    group = parse_resource_group(raw)
    statuses = group.status.objects.by_ref() if group.status else {}
    out.write(f"  resources ({len(group.spec.resources)}):\n")
    for entry in group.spec.resources:
        obj_ref = entry.to_ref()
        out.write(f"    {statuses.get(obj_ref, 'Unknown'):<11} {obj_ref}\n")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Listing:
    """The syncs of one kind that could be listed, or why none could."""

    kind: SyncKind
    items: Sequence[JsonObject] = ()
    note: str = ""


def _list(cluster: Cluster, kind: SyncKind, namespace: str) -> _Listing:
    where = f"in namespace {namespace}" if namespace else "in all namespaces"
    try:
        rtype = cluster.resource_type(SYNCD_GROUP, kind.value)
    except UnknownKindError:
        crd = f"manifests/crds/{kind.value.lower()}.yaml"
        return _Listing(kind=kind, note=f"the {kind.value} CRD is not installed ({crd})")
    try:
        return _Listing(kind=kind, items=cluster.list(rtype, namespace=namespace).items)
    except ForbiddenError:
        hint = "" if namespace else "; pass --namespace to see one namespace's"
        return _Listing(kind=kind, note=f"you may not list {kind.value}s {where} (forbidden){hint}")


def _grouped(listings: Sequence[_Listing]) -> dict[str, list[tuple[SyncKind, JsonObject]]]:
    """Syncs by namespace: namespaces holding RootSyncs first, then by name; RootSyncs first."""
    by_namespace: dict[str, list[tuple[SyncKind, JsonObject]]] = {}
    for listing in listings:
        for obj in listing.items:
            namespace = str((obj.get("metadata") or {}).get("namespace") or "")
            by_namespace.setdefault(namespace, []).append((listing.kind, obj))
    order = {SyncKind.ROOT_SYNC: 0, SyncKind.REPO_SYNC: 1}

    def namespace_key(item: tuple[str, list[tuple[SyncKind, JsonObject]]]) -> tuple[bool, str]:
        namespace, syncs = item
        return (all(kind is not SyncKind.ROOT_SYNC for kind, _ in syncs), namespace)

    return {
        namespace: sorted(
            syncs,
            key=lambda entry: (order[entry[0]], str((entry[1].get("metadata") or {}).get("name"))),
        )
        for namespace, syncs in sorted(by_namespace.items(), key=namespace_key)
    }


def _header(namespace: str, syncs: Sequence[tuple[SyncKind, JsonObject]]) -> str:
    counts = []
    for kind in (SyncKind.ROOT_SYNC, SyncKind.REPO_SYNC):
        count = sum(1 for k, _ in syncs if k is kind)
        if count:
            counts.append(f"{count} {kind.value}{'' if count == 1 else 's'}")
    return f"== namespace {namespace}: {', '.join(counts)} ==\n\n"


def render(cluster: Cluster, *, namespace: str, resources: bool, out: TextIO) -> int:
    """Write every sync's report to `out`, by namespace; 0 if all are Synced, 1 otherwise."""
    listings = [_list(cluster, kind, namespace) for kind in SyncKind]
    notes = [listing.note for listing in listings if listing.note]
    groups = _grouped(listings)
    if not groups:
        where = f" in namespace {namespace}" if namespace else ""
        out.writelines(f"note: {note}\n" for note in notes)
        out.write(
            f"No RootSync or RepoSync found{where}. Install the CRDs (manifests/crds) and create "
            "a RootSync in syncd-system (see the README), or onboard a tenant with "
            "`syncd tenant init`.\n"
        )
        return 1
    results = []
    for group_namespace, syncs in groups.items():
        out.write(_header(group_namespace, syncs))
        results += [
            _print_sync(out, cluster, obj, kind=kind, resources=resources) for kind, obj in syncs
        ]
    out.writelines(f"note: {note}\n" for note in notes)
    return 0 if all(results) else 1


def run(args: argparse.Namespace) -> int:
    """Connect and print every sync."""
    try:
        cluster = connect(args)
        return render(cluster, namespace=args.namespace, resources=args.resources, out=sys.stdout)
    except ClusterError as exc:
        sys.stderr.write(f"syncd: {exc}\n")
        return 2
