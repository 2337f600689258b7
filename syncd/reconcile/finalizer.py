"""Deleting a sync object: orphan its objects (default) or delete them first.

With `syncd.dev/deletion-propagation: Foreground` on the sync object, syncd
keeps a finalizer on it. When the object is deleted, syncd prunes everything
its inventory lists (reverse order, UID preconditions, detach honoured),
deletes the ResourceGroup, and only then removes the finalizer, so the sync
object disappears last. Without the annotation the finalizer is removed (or
never added) and deleting the sync leaves its objects in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.apply.live import LiveReader
from syncd.apply.pruner import Pruner, PruneResult
from syncd.core.metadata import (
    DELETION_FOREGROUND,
    DELETION_PROPAGATION_ANNOTATION,
    FIELD_MANAGER,
    SYNC_FINALIZER,
)
from syncd.core.plan import PruneGuard
from syncd.core.ports import Cluster
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId
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
) -> PruneResult | None:
    """Prune every object the inventory lists, then the ResourceGroup.

    `reader` and `pruner` act as the sync's identity (a RepoSync's service
    account); `cluster` is syncd's own, which alone writes and deletes the
    ResourceGroup (a tenant's account may not touch it). Returns the prune
    result, or None when live state could not be read completely (nothing
    is deleted then; the caller retries).
    """
    refs = inventory.load().refs
    live = reader.read({(ref.group, ref.kind) for ref in refs})
    if not live.complete:
        return None
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
