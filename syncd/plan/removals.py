"""What leaves the inventory: PRUNE and DETACH candidates, what is kept, and the prune guard.

For an inventory object no longer declared:

- live state unknown (its kind's LIST failed) -> kept, untouched;
- live copy gone -> dropped from the inventory silently;
- live copy not managed by this sync (another sync's, or syncd's manager
  annotation removed) -> dropped from the inventory, never deleted;
- declared but rejected by validation (`retain`), or `can_prune` False
  (some file failed to parse or render) -> kept in the inventory, untouched;
- `client.lifecycle.config.k8s.io/deletion: detach` -> DETACH;
- otherwise PRUNE, subject to the prune guard.

The guard counts PRUNE candidates against the objects this sync still
manages (inventory entries whose live copy exists and names this sync). It
refuses (SD2006) when there are more than `max_deletes`, more than
`max_delete_percent` percent, or when the commit removes every managed object
and deletes at least one (unless `max_delete_percent` is 100). A refusal
freezes all removals (no PRUNE, no DETACH; those objects stay in the
inventory); applies go ahead. The pruner checks each object again just
before deleting it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from syncd.core.errors import ErrorCode, ResourceRef, SyncdError
from syncd.core.metadata import DELETION_ANNOTATION, DELETION_DETACH, MANAGER_ANNOTATION
from syncd.core.plan import Action, PlannedObject, PruneGuard
from syncd.core.refs import ObjectRef

Known = Callable[[ObjectRef], bool]
"""Whether the live state of an object is known (its kind could be listed)."""


def removals(
    inventory: Collection[ObjectRef],
    *,
    declared: Collection[ObjectRef],
    live: Mapping[ObjectRef, Mapping[str, Any]],
    known: Known,
    sync_id: str,
    can_prune: bool,
    retain: frozenset[ObjectRef],
) -> tuple[list[PlannedObject], set[ObjectRef], int]:
    """PRUNE/DETACH candidates, inventory entries to keep, and how many objects are managed."""
    found: list[PlannedObject] = []
    kept: set[ObjectRef] = set()
    managed = 0
    for ref in inventory:
        if not known(ref):
            if ref not in declared:
                kept.add(ref)
            continue
        live_obj = live.get(ref)
        if live_obj is None or manager_of(live_obj) != sync_id:
            continue
        managed += 1
        if ref in declared:
            continue
        if ref in retain or not can_prune:
            kept.add(ref)
            continue
        detach = annotations_of(live_obj).get(DELETION_ANNOTATION) == DELETION_DETACH
        found.append(
            PlannedObject(
                ref=ref,
                action=Action.DETACH if detach else Action.PRUNE,
                manifest=None,
                live=live_obj,
                reason=(
                    "removed from the source; deletion: detach"
                    if detach
                    else "removed from the source"
                ),
            )
        )
    found.sort(key=lambda obj: obj.ref)
    return found, kept, managed


def guard(
    limits: PruneGuard, *, candidates: Sequence[PlannedObject], managed: int
) -> SyncdError | None:
    """SD2006 when the candidates pass the guard's limits (see the module docstring)."""
    prunes = [obj.ref for obj in candidates if obj.action is Action.PRUNE]
    count = len(prunes)
    if count == 0:
        return None
    limit = limits.max_delete_percent
    if len(candidates) == managed and limit != 100:
        why = f"it would remove all {managed} objects the sync manages"
    elif limits.max_deletes is not None and count > limits.max_deletes:
        why = f"it would delete {count} objects, more than maxDeletes={limits.max_deletes}"
    elif limit is not None and count * 100 > limit * managed:
        why = (
            f"it would delete {count} of {managed} managed objects, "
            f"more than maxDeletePercent={limit}"
        )
    else:
        return None
    return SyncdError(
        f"prune refused: {why}; nothing was deleted",
        code=ErrorCode.PRUNE_REFUSED,
        resources=[ResourceRef(ref=ref) for ref in prunes],
    )


def annotations_of(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """`metadata.annotations` of a live object, or an empty mapping."""
    metadata = obj.get("metadata") if obj is not None else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    return annotations if isinstance(annotations, dict) else {}


def manager_of(obj: Mapping[str, Any] | None) -> str:
    """The `syncd.dev/manager` annotation of a live object ("" when absent)."""
    value = annotations_of(obj).get(MANAGER_ANNOTATION)
    return value if isinstance(value, str) else ""
