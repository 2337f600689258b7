"""Declared and live objects for the planner tests, with managedFields as the server keeps them."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from syncd.core.manifest import Manifest
from syncd.core.ownership import Baseline
from syncd.core.plan import Action, Plan, PruneGuard
from syncd.core.refs import ObjectRef
from syncd.plan.plan import build_plan, decorate
from syncd.testing.fake_fields import fields_v1, leaf_paths

SYNC = "RootSync/syncd-system/root"
OTHER = "RootSync/syncd-system/other"
APPLYSET = "applyset-abc-v1"


def manifest(name: str, *, annotations: dict[str, str] | None = None, **data: str) -> Manifest:
    metadata: dict[str, Any] = {"name": name, "namespace": "ns"}
    if annotations:
        metadata["annotations"] = annotations
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": data or {"k": "v"},
    }
    return Manifest(ref=ObjectRef.from_object(body), body=body, source_path=f"{name}.yaml")


def applied(m: Manifest, *, commit: str = "c1", manager: str = SYNC) -> dict[str, Any]:
    """The live copy after syncd applied `m` at `commit`: syncd's Apply entry owns its fields."""
    live = copy.deepcopy(decorate(m, sync_id=manager, applyset_id=APPLYSET, commit=commit))
    entry = {
        "manager": "syncd",
        "operation": "Apply",
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(leaf_paths(live)),
    }
    live["metadata"].update(uid="u", resourceVersion="1", managedFields=[entry])
    return live


def take(live: dict[str, Any], *path: str, by: str | None) -> None:
    """Another manager's write: `path` leaves syncd's entry (to `by`'s, or removed)."""
    entries = live["metadata"]["managedFields"]
    nodes = [entries[0]["fieldsV1"]]
    for key in path[:-1]:
        nodes.append(nodes[-1][f"f:{key}"])
    del nodes[-1][f"f:{path[-1]}"]
    for parent, key in zip(reversed(nodes[:-1]), reversed(path[:-1]), strict=True):
        if not parent[f"f:{key}"]:  # the server drops a node once nothing under it is owned
            del parent[f"f:{key}"]
    if by is not None:
        trie: dict[str, Any] = {}
        inner = trie
        for key in path:
            inner = inner.setdefault(f"f:{key}", {})
        entries.append({"manager": by, "operation": "Update", "apiVersion": "v1", "fieldsV1": trie})


def plan(
    desired: Sequence[Manifest],
    *,
    live: Mapping[ObjectRef, Mapping[str, Any]] | None = None,
    inventory: Collection[ObjectRef] = (),
    guard: PruneGuard | None = None,
    can_prune: bool = True,
    retain: Collection[ObjectRef] = (),
    commit: str = "c2",
    baselines: Mapping[ObjectRef, Baseline] | None = None,
) -> Plan:
    return build_plan(
        baselines=baselines,
        desired=desired,
        inventory=inventory,
        live=live or {},
        sync_id=SYNC,
        applyset_id=APPLYSET,
        commit=commit,
        prune_guard=guard or PruneGuard(),
        can_prune=can_prune,
        retain=retain,
    )


def actions(p: Plan) -> dict[str, Action]:
    return {obj.ref.name: obj.action for obj in p.objects}
