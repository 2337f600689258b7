"""Building the plan: one action per declared or inventoried object (pure).

`build_plan` decorates every declared body itself (`decorate`), so that the
hash it compares is exactly the hash the applier writes. Rules, in order, for
a declared object:

1. live state unknown (its kind's LIST or its lookup failed) -> HOLD: nothing
   is sent, because the object may exist, be another sync's or carry
   `mutation: ignore`;
2. `syncd.dev/managed: disabled` -> RELEASE when the live copy is managed by
   this sync, otherwise nothing (not applied, not in the new inventory);
3. live copy managed by another sync -> CONFLICT and SD1060, never touched
   (and recorded as this sync's claim, so that the other sync hands it over
   instead of deleting it once it lets go);
4. live copy terminating (deletionTimestamp set) -> HOLD and SD2011: never
   patched mid-delete; re-created once it is gone;
5. `client.lifecycle.config.k8s.io/mutation: ignore` and a live copy ->
   SKIP_MUTATION, whoever created it;
6. live copy with the same `syncd.dev/declared-hash` and no drift -> UNCHANGED;
7. otherwise APPLY.

Removals of inventory objects that are no longer declared follow
`syncd.plan.removals`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from syncd.core.errors import ErrorCode, ResourceRef, SourceContentError, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.metadata import (
    HASH_ANNOTATION,
    MANAGED_ANNOTATION,
    MANAGED_DISABLED,
    MUTATION_ANNOTATION,
    MUTATION_IGNORE,
)
from syncd.core.plan import Action, Plan, PlannedObject, PruneGuard
from syncd.core.refs import ObjectRef
from syncd.plan.decorate import SERVER_METADATA, decorate, without_commit
from syncd.plan.diff import drifted_fields
from syncd.plan.removals import Known, annotations_of, guard, manager_of, removals

__all__ = ["SERVER_METADATA", "build_plan", "decorate"]

_DRIFT_PATHS_SHOWN: Final = 5


def _always_known(ref: ObjectRef) -> bool:
    return True


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
    known: Known = _always_known,
) -> Plan:
    """Decide every object's action (see the module docstring).

    `desired` are the validated manifests, undecorated; `live` maps each
    object that exists in the cluster to its live body (an object absent
    from `live` whose state is `known` does not exist); `sync_id` is
    `<kind>/<namespace>/<name>` of the sync; `retain` names declared objects
    that validation rejected.
    """
    objects: list[PlannedObject] = []
    errors: list[SyncdError] = []
    declared: set[ObjectRef] = set()
    kept: set[ObjectRef] = set()
    old = frozenset(inventory)
    for manifest in desired:
        if manifest.ref in declared:
            continue
        declared.add(manifest.ref)
        planned = _plan_declared(
            manifest,
            live=live.get(manifest.ref),
            known=known(manifest.ref),
            managed=manifest.ref in old,
            sync_id=sync_id,
            applyset_id=applyset_id,
            commit=commit,
            errors=errors,
        )
        if planned is None:
            continue
        objects.append(planned)
        if planned.action is Action.HOLD and manifest.ref in old:
            kept.add(manifest.ref)
    found, removal_kept, managed = removals(
        inventory,
        declared=declared,
        live=live,
        known=known,
        sync_id=sync_id,
        can_prune=can_prune,
        retain=frozenset(retain),
    )
    kept |= removal_kept
    refusal = guard(prune_guard, candidates=found, managed=managed)
    if refusal is not None:
        errors.append(refusal)
        kept |= {obj.ref for obj in found}
        found = []
    return Plan(
        objects=tuple(objects + found),
        errors=tuple(errors),
        prune_refused=refusal is not None,
        kept=frozenset(kept),
    )


def _plan_declared(
    manifest: Manifest,
    *,
    live: Mapping[str, Any] | None,
    known: bool,
    managed: bool,
    sync_id: str,
    applyset_id: str,
    commit: str,
    errors: list[SyncdError],
) -> PlannedObject | None:
    """The action for one declared object; `managed`: it is in the sync's inventory."""
    if not known:
        return _planned(manifest, Action.HOLD, None, "live state unknown")
    owner = manager_of(live)
    if manifest.annotation(MANAGED_ANNOTATION) == MANAGED_DISABLED:
        if live is None or owner != sync_id:
            return None
        return _planned(manifest, Action.RELEASE, live, "syncd.dev/managed: disabled")
    if live is not None:
        untouched = _left_alone(manifest, live, owner=owner, sync_id=sync_id, errors=errors)
        if untouched is not None:
            return untouched
    body = decorate(manifest, sync_id=sync_id, applyset_id=applyset_id, commit=commit)
    decorated = Manifest(ref=manifest.ref, body=body, source_path=manifest.source_path)
    return _apply_or_unchanged(decorated, live, adopted=not owner, managed=managed)


def _left_alone(
    manifest: Manifest,
    live: Mapping[str, Any],
    *,
    owner: str,
    sync_id: str,
    errors: list[SyncdError],
) -> PlannedObject | None:
    """CONFLICT, HOLD (terminating) or SKIP_MUTATION for an existing object; else None."""
    ref = manifest.ref
    if owner and owner != sync_id:
        errors.append(
            SourceContentError(
                f"{ref} is managed by {owner}; {sync_id} will not touch it",
                code=ErrorCode.MANAGED_BY_ANOTHER_SYNC,
                resources=[ResourceRef(ref=ref, source_path=manifest.source_path)],
            )
        )
        return _planned(manifest, Action.CONFLICT, live, f"managed by {owner}")
    if (live.get("metadata") or {}).get("deletionTimestamp"):
        errors.append(_terminating_error(manifest, live))
        return _planned(manifest, Action.HOLD, live, "terminating")
    if manifest.annotation(MUTATION_ANNOTATION) == MUTATION_IGNORE:
        return _planned(manifest, Action.SKIP_MUTATION, live, "mutation: ignore; exists")
    return None


def _apply_or_unchanged(
    decorated: Manifest, live: Mapping[str, Any] | None, *, adopted: bool, managed: bool
) -> PlannedObject:
    """APPLY unless the live copy carries the same hash and holds every declared field."""
    why = _why_apply(decorated, live, adopted=adopted, managed=managed)
    if why is None:
        return _planned(decorated, Action.UNCHANGED, live, "unchanged")
    reason, drift = why
    return _planned(decorated, Action.APPLY, live, reason, drift=drift)


def _why_apply(
    decorated: Manifest, live: Mapping[str, Any] | None, *, adopted: bool, managed: bool
) -> tuple[str, bool] | None:
    """(reason, whether it is drift) when the object must be applied; None when unchanged."""
    if live is None:
        return ("deleted outside syncd", True) if managed else ("not in the cluster", False)
    if adopted:
        if managed:
            return "re-created outside syncd", True
        return "exists without syncd's metadata; adopted", False
    if annotations_of(live).get(HASH_ANNOTATION) != decorated.annotation(HASH_ANNOTATION):
        return "declared content changed", False
    drift = drifted_fields(without_commit(decorated.body), live)
    if not drift:
        return None
    shown = ", ".join(drift[:_DRIFT_PATHS_SHOWN])
    hidden = len(drift) - _DRIFT_PATHS_SHOWN
    more = f" and {hidden} more" if hidden > 0 else ""
    return f"drifted: {shown}{more}", True


def _terminating_error(manifest: Manifest, live: Mapping[str, Any]) -> SyncdError:
    metadata = live.get("metadata") or {}
    finalizers = ", ".join(str(f) for f in metadata.get("finalizers") or []) or "none"
    return SyncdError(
        f"{manifest.ref} is terminating (deletionTimestamp {metadata.get('deletionTimestamp')}, "
        f"finalizers: {finalizers}); syncd leaves it alone and re-creates it once it is gone",
        code=ErrorCode.NOT_READY,
        resources=[ResourceRef(ref=manifest.ref, source_path=manifest.source_path)],
        transient=True,
    )


def _planned(
    manifest: Manifest,
    action: Action,
    live: Mapping[str, Any] | None,
    reason: str,
    *,
    drift: bool = False,
) -> PlannedObject:
    return PlannedObject(
        ref=manifest.ref, action=action, manifest=manifest, live=live, reason=reason, drift=drift
    )
