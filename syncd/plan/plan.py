"""Building the plan: one action per declared or inventoried object (pure).

`build_plan` decorates every declared body itself (`decorate`), so that the
hash it compares is exactly the hash the applier writes. Rules, in order, for
a declared object:

1. `syncd.dev/managed: disabled` -> RELEASE when the live copy is managed by
   this sync, otherwise nothing (not applied, not in the new inventory);
2. live copy managed by another sync -> CONFLICT and SD1060, never touched;
3. `client.lifecycle.config.k8s.io/mutation: ignore` and a live copy -> SKIP_MUTATION;
4. live copy with the same `syncd.dev/declared-hash` and no drifted field
   (the commit annotation aside) -> UNCHANGED;
5. otherwise APPLY.

For an inventory object no longer declared:

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
and deletes at least one (unless `max_delete_percent` is 100). A refusal freezes all removals (no
PRUNE, no DETACH; those objects stay in the inventory); applies go ahead.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from syncd.core.errors import (
    ErrorCode,
    ResourceRef,
    SourceContentError,
    SyncdError,
)
from syncd.core.manifest import Manifest
from syncd.core.metadata import (
    APPLYSET_PART_OF_LABEL,
    COMMIT_ANNOTATION,
    DELETION_ANNOTATION,
    DELETION_DETACH,
    HASH_ANNOTATION,
    MANAGED_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    MANAGED_DISABLED,
    MANAGER_ANNOTATION,
    MUTATION_ANNOTATION,
    MUTATION_IGNORE,
    SOURCE_PATH_ANNOTATION,
)
from syncd.core.plan import Action, Plan, PlannedObject, PruneGuard
from syncd.core.refs import ObjectRef
from syncd.plan.diff import drifted_fields
from syncd.plan.hashing import declared_hash

SERVER_METADATA: Final = frozenset(
    {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"}
)
_DRIFT_PATHS_SHOWN: Final = 5


def decorate(manifest: Manifest, *, sync_id: str, applyset_id: str, commit: str) -> dict[str, Any]:
    """The body syncd applies for `manifest`; the input is never mutated.

    Adds the managed-by and ApplySet part-of labels and the manager,
    source-path, commit and declared-hash annotations; drops `status` and the
    server-owned metadata fields. Only the top level, `metadata`, `labels`
    and `annotations` are copied: nested values are shared with the input and
    must not be mutated.
    """
    body = {key: value for key, value in manifest.body.items() if key != "status"}
    metadata = {k: v for k, v in manifest.metadata.items() if k not in SERVER_METADATA}
    labels = dict(manifest.labels)
    labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    labels[APPLYSET_PART_OF_LABEL] = applyset_id
    annotations = {
        k: v
        for k, v in manifest.annotations.items()
        if k not in {COMMIT_ANNOTATION, HASH_ANNOTATION}
    }
    annotations[MANAGER_ANNOTATION] = sync_id
    annotations[SOURCE_PATH_ANNOTATION] = manifest.source_path
    metadata["labels"] = labels
    metadata["annotations"] = annotations
    body["metadata"] = metadata
    annotations[HASH_ANNOTATION] = declared_hash(body)
    annotations[COMMIT_ANNOTATION] = commit
    return body


def build_plan(
    *,
    desired: Sequence[Manifest],
    inventory: Collection[ObjectRef],
    live: Mapping[ObjectRef, Mapping[str, Any]],
    sync_id: str,
    applyset_id: str,
    commit: str,
    prune_guard: PruneGuard,
    can_prune: bool,
    retain: Collection[ObjectRef] = (),
) -> Plan:
    """Decide every object's action (see the module docstring).

    `desired` are the validated manifests, undecorated; `live` maps each
    object that exists in the cluster to its live body (objects absent from
    `live` do not exist); `sync_id` is `<kind>/<namespace>/<name>` of the
    sync; `retain` names declared objects that validation rejected.
    """
    objects: list[PlannedObject] = []
    errors: list[SyncdError] = []
    declared: set[ObjectRef] = set()
    for manifest in desired:
        if manifest.ref in declared:
            continue
        declared.add(manifest.ref)
        planned = _plan_declared(
            manifest,
            live=live.get(manifest.ref),
            sync_id=sync_id,
            applyset_id=applyset_id,
            commit=commit,
            errors=errors,
        )
        if planned is not None:
            objects.append(planned)
    removals, kept, managed = _removals(
        inventory,
        declared=declared,
        live=live,
        sync_id=sync_id,
        can_prune=can_prune,
        retain=frozenset(retain),
    )
    refusal = _guard(prune_guard, removals=removals, managed=managed)
    if refusal is not None:
        errors.append(refusal)
        kept |= {obj.ref for obj in removals}
        removals = []
    return Plan(
        objects=tuple(objects + removals),
        errors=tuple(errors),
        prune_refused=refusal is not None,
        kept=frozenset(kept),
    )


def _plan_declared(
    manifest: Manifest,
    *,
    live: Mapping[str, Any] | None,
    sync_id: str,
    applyset_id: str,
    commit: str,
    errors: list[SyncdError],
) -> PlannedObject | None:
    ref = manifest.ref
    owner = _manager(live)
    if manifest.annotation(MANAGED_ANNOTATION) == MANAGED_DISABLED:
        if live is None or owner != sync_id:
            return None
        return _planned(manifest, Action.RELEASE, live, "syncd.dev/managed: disabled")
    if live is not None and owner and owner != sync_id:
        errors.append(
            SourceContentError(
                f"{ref} is managed by {owner}; {sync_id} will not touch it",
                code=ErrorCode.MANAGED_BY_ANOTHER_SYNC,
                resources=[ResourceRef(ref=ref, source_path=manifest.source_path)],
            )
        )
        return _planned(manifest, Action.CONFLICT, live, f"managed by {owner}")
    if live is not None and manifest.annotation(MUTATION_ANNOTATION) == MUTATION_IGNORE:
        return _planned(manifest, Action.SKIP_MUTATION, live, "mutation: ignore; exists")
    body = decorate(manifest, sync_id=sync_id, applyset_id=applyset_id, commit=commit)
    return _apply_or_unchanged(Manifest(ref=ref, body=body, source_path=manifest.source_path), live)


def _apply_or_unchanged(decorated: Manifest, live: Mapping[str, Any] | None) -> PlannedObject:
    """APPLY unless the live copy carries the same hash and holds every declared field."""
    if live is None:
        return _planned(decorated, Action.APPLY, None, "not in the cluster")
    if _annotations(live).get(HASH_ANNOTATION) != decorated.annotation(HASH_ANNOTATION):
        return _planned(decorated, Action.APPLY, live, "declared content changed")
    drift = drifted_fields(_without_commit(decorated.body), live)
    if not drift:
        return _planned(decorated, Action.UNCHANGED, live, "unchanged")
    shown = ", ".join(drift[:_DRIFT_PATHS_SHOWN])
    hidden = len(drift) - _DRIFT_PATHS_SHOWN
    more = f" and {hidden} more" if hidden > 0 else ""
    return _planned(decorated, Action.APPLY, live, f"drifted: {shown}{more}")


def _removals(
    inventory: Collection[ObjectRef],
    *,
    declared: Collection[ObjectRef],
    live: Mapping[ObjectRef, Mapping[str, Any]],
    sync_id: str,
    can_prune: bool,
    retain: frozenset[ObjectRef],
) -> tuple[list[PlannedObject], set[ObjectRef], int]:
    """PRUNE/DETACH candidates, inventory entries to keep, and how many objects are managed."""
    removals: list[PlannedObject] = []
    kept: set[ObjectRef] = set()
    managed = 0
    for ref in sorted(inventory):
        live_obj = live.get(ref)
        if live_obj is None or _manager(live_obj) != sync_id:
            continue
        managed += 1
        if ref in declared:
            continue
        if ref in retain or not can_prune:
            kept.add(ref)
        elif _annotations(live_obj).get(DELETION_ANNOTATION) == DELETION_DETACH:
            removals.append(
                PlannedObject(
                    ref=ref,
                    action=Action.DETACH,
                    manifest=None,
                    live=live_obj,
                    reason="removed from the source; deletion: detach",
                )
            )
        else:
            removals.append(
                PlannedObject(
                    ref=ref,
                    action=Action.PRUNE,
                    manifest=None,
                    live=live_obj,
                    reason="removed from the source",
                )
            )
    return removals, kept, managed


def _guard(
    guard: PruneGuard, *, removals: Sequence[PlannedObject], managed: int
) -> SyncdError | None:
    prunes = [obj.ref for obj in removals if obj.action is Action.PRUNE]
    count = len(prunes)
    if count == 0:
        return None
    limit = guard.max_delete_percent
    if len(removals) == managed and limit != 100:
        why = f"it would remove all {managed} objects the sync manages"
    elif guard.max_deletes is not None and count > guard.max_deletes:
        why = f"it would delete {count} objects, more than maxDeletes={guard.max_deletes}"
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


def _planned(
    manifest: Manifest, action: Action, live: Mapping[str, Any] | None, reason: str
) -> PlannedObject:
    return PlannedObject(
        ref=manifest.ref, action=action, manifest=manifest, live=live, reason=reason
    )


def _annotations(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    metadata = obj.get("metadata") if obj is not None else None
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def _manager(obj: Mapping[str, Any] | None) -> str:
    value = _annotations(obj).get(MANAGER_ANNOTATION)
    return value if isinstance(value, str) else ""


def _without_commit(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`body` minus the commit annotation, which changes with every commit and is not drift."""
    metadata = body["metadata"]
    annotations = {k: v for k, v in metadata["annotations"].items() if k != COMMIT_ANNOTATION}
    return {**body, "metadata": {**metadata, "annotations": annotations}}
