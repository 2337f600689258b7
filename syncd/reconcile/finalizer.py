"""Deleting a sync object: orphan its objects (default) or delete them first.

With `syncd.dev/deletion-propagation: Foreground` on the sync object, syncd
keeps a finalizer on it. When the object is deleted, syncd prunes everything
its inventory lists (reverse order, UID preconditions, detach honoured),
deletes the ResourceGroup, and only then removes the finalizer, so the sync
object disappears last. Without the annotation the finalizer is removed (or
never added) and deleting the sync leaves its objects in place.

A RepoSync whose namespace is being deleted is released at once: everything
it may manage lives in that namespace, which the namespace controller is
emptying anyway, and its account's RoleBindings may already be gone (so it
could not read or prune them; waiting would hold the namespace forever).
When live state cannot be read, nothing is deleted and the read errors are
the result's, so the sync's status says why it is stuck.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.apply.live import LiveReader
from syncd.apply.pruner import Outcome, Pruner, PruneResult
from syncd.core.metadata import (
    DELETION_FOREGROUND,
    DELETION_PROPAGATION_ANNOTATION,
    FIELD_MANAGER,
    SYNC_FINALIZER,
)
from syncd.core.plan import PruneGuard
from syncd.core.ports import Cluster
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId, SyncKind
from syncd.inventory.store import InventoryStore
from syncd.plan.plan import build_plan


def _finalizers(obj: Mapping[str, Any]) -> list[str]:
    return list((obj.get("metadata") or {}).get("finalizers") or [])


def wants_foreground(obj: Mapping[str, Any]) -> bool:
    """Whether the sync object asks for its objects to be deleted with it."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return annotations.get(DELETION_PROPAGATION_ANNOTATION) == DELETION_FOREGROUND


def has_finalizer(obj: Mapping[str, Any]) -> bool:
    """Whether syncd's finalizer is on the sync object."""
    return SYNC_FINALIZER in _finalizers(obj)


def set_finalizer(cluster: Cluster, ref: ObjectRef, obj: Mapping[str, Any], *, on: bool) -> None:
    """Add or remove syncd's finalizer, guarded by the object's resourceVersion."""
    current = _finalizers(obj)
    wanted = [f for f in current if f != SYNC_FINALIZER] + ([SYNC_FINALIZER] if on else [])
    if wanted == current:
        return
    meta = obj.get("metadata") or {}
    patch = {"metadata": {"finalizers": wanted, "resourceVersion": meta.get("resourceVersion")}}
    cluster.merge_patch(ref, patch, field_manager=FIELD_MANAGER)


def delete_managed(
    cluster: Cluster,
    sync: SyncId,
    *,
    inventory: InventoryStore,
    reader: LiveReader,
    pruner: Pruner,
    timeout: float,
) -> PruneResult:
    """Prune every object the inventory lists, then the ResourceGroup.

    `reader` and `pruner` act as the sync's identity (a RepoSync's service
    account); `cluster` is syncd's own, which alone writes and deletes the
    ResourceGroup (a tenant's account may not touch it). When live state
    could not be read completely nothing is deleted: the objects whose state
    is unknown are FAILED, with the read errors (the caller retries).
    """
    refs = inventory.load().refs
    live = reader.read({(ref.group, ref.kind) for ref in refs})
    if not live.complete:
        unknown = {ref: Outcome.FAILED for ref in refs if not live.known(ref)}
        return PruneResult(outcomes=unknown, errors=live.errors)
    plan = build_plan(
        desired=[],
        inventory=refs.refs,
        live=live.objects,
        sync_id=sync.manager,
        applyset_id=inventory.applyset_id,
        commit="",
        prune_guard=PruneGuard(max_delete_percent=100),
        can_prune=True,
    )
    result = pruner.prune(plan, timeout=timeout)
    if not result.failed:
        cluster.delete(inventory.ref)
    return result


def namespace_terminating(cluster: Cluster, sync: SyncId) -> bool:
    """Whether `sync` is a RepoSync whose namespace is being deleted (one GET, as syncd)."""
    if sync.kind is not SyncKind.REPO_SYNC:
        return False
    ref = ObjectRef(group="", version="v1", kind="Namespace", name=sync.namespace)
    namespace = cluster.get(ref)
    return namespace is not None and bool(
        (namespace.get("metadata") or {}).get("deletionTimestamp")
    )
