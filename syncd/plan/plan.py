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
   instead of deleting it once it lets go). The one exception: a RootSync
   takes over an object a RepoSync holds (`SyncId.may_take_over`); that
   RepoSync then finds it managed by the RootSync (SD1060) and drops it from
   its inventory without deleting it;
4. live copy terminating (deletionTimestamp set) -> HOLD and SD2011: never
   patched mid-delete; re-created once it is gone;
5. `client.lifecycle.config.k8s.io/mutation: ignore` and a live copy ->
   SKIP_MUTATION, whoever created it;
6. a malformed `syncd.dev/ignore-fields` -> HOLD and SD1073;
7. live copy with the same `syncd.dev/declared-hash` and nothing changed in
   what syncd owns (`syncd.plan.changes`) -> UNCHANGED;
8. otherwise APPLY.

`syncd.dev/ignore-fields` pointers are sent when an object is created and
left out of every later apply; the plan's `FieldRelease` tells the applier
to take them out of syncd's managedFields entry (before the apply when
syncd owns them on the live object, so leaving them out cannot reset them),
and to drop the entries of legacy managers (kubectl's) it took over.

Removals of inventory objects that are no longer declared follow
`syncd.plan.removals`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from syncd.core.errors import ErrorCode, ResourceRef, SourceContentError, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.metadata import (
    IGNORE_FIELDS_ANNOTATION,
    MANAGED_ANNOTATION,
    MANAGED_DISABLED,
    MUTATION_ANNOTATION,
    MUTATION_IGNORE,
)
from syncd.core.ownership import Baseline, FieldRelease, legacy_managers, releasable
from syncd.core.plan import Action, Plan, PlannedObject, PruneGuard
from syncd.core.pointers import (
    InvalidIgnoreFieldsError,
    JsonPointer,
    parse_ignore_fields,
    strip_pointers,
)
from syncd.core.reclaim import reclaimable
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId
from syncd.plan.changes import why_apply
from syncd.plan.decorate import SERVER_METADATA, decorate
from syncd.plan.removals import Known, guard, manager_of, removals

__all__ = ["SERVER_METADATA", "build_plan", "decorate"]


def _always_known(ref: ObjectRef) -> bool:
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    """What every declared object's decision needs to know about the sync and the run."""

    sync_id: str
    applyset_id: str
    commit: str
    baselines: Mapping[ObjectRef, Baseline]
    errors: list[SyncdError]


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
    baselines: Mapping[ObjectRef, Baseline] | None = None,
) -> Plan:
    """Decide every object's action (see the module docstring).

    `desired` are the validated manifests, undecorated; `live` maps each
    object that exists in the cluster to its live body (an object absent
    from `live` whose state is `known` does not exist); `sync_id` is
    `<kind>/<namespace>/<name>` of the sync; `retain` names declared objects
    that validation rejected; `baselines` holds syncd's Apply entry as it
    stood after syncd last wrote each object (see `syncd.plan.changes`).
    """
    objects: list[PlannedObject] = []
    context = _Context(
        sync_id=sync_id,
        applyset_id=applyset_id,
        commit=commit,
        baselines=baselines or {},
        errors=[],
    )
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
            context=context,
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
    errors = context.errors
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
    context: _Context,
) -> PlannedObject | None:
    """The action for one declared object; `managed`: it is in the sync's inventory."""
    if not known:
        return _planned(manifest, Action.HOLD, None, "live state unknown")
    owner = manager_of(live)
    if manifest.annotation(MANAGED_ANNOTATION) == MANAGED_DISABLED:
        if live is None or owner != context.sync_id:
            return None
        return _planned(manifest, Action.RELEASE, live, "syncd.dev/managed: disabled")
    if live is not None:
        untouched = _left_alone(
            manifest, live, owner=owner, sync_id=context.sync_id, errors=context.errors
        )
        if untouched is not None:
            return untouched
    return _apply_or_unchanged(
        manifest, live, adopted=owner != context.sync_id, managed=managed, context=context
    )


def _apply_or_unchanged(
    manifest: Manifest,
    live: Mapping[str, Any] | None,
    *,
    adopted: bool,
    managed: bool,
    context: _Context,
) -> PlannedObject:
    """APPLY with the body and managedFields edits it needs, or UNCHANGED."""
    try:
        pointers = _ignored(manifest)
    except InvalidIgnoreFieldsError as exc:
        context.errors.append(_ignore_fields_error(manifest, exc))
        return _planned(manifest, Action.HOLD, live, "invalid syncd.dev/ignore-fields")
    full = decorate(
        manifest, sync_id=context.sync_id, applyset_id=context.applyset_id, commit=context.commit
    )
    release = _release(full, live, pointers)
    body = strip_pointers(full, pointers).body if pointers and live is not None else full
    decorated = Manifest(ref=manifest.ref, body=body, source_path=manifest.source_path)
    why = why_apply(
        decorated,
        live,
        adopted=adopted,
        managed=managed,
        baseline=context.baselines.get(manifest.ref),
        release=release,
    )
    if why is None:
        return _planned(decorated, Action.UNCHANGED, live, "unchanged")
    if why.lost and live is not None:
        trie = reclaimable(live, why.lost)
        if trie:
            release = dataclasses.replace(release or FieldRelease(declared=full), reclaim=trie)
    return PlannedObject(
        ref=manifest.ref,
        action=Action.APPLY,
        manifest=decorated,
        live=live,
        reason=why.reason,
        drift=why.drift,
        release=release,
    )


def _ignored(manifest: Manifest) -> tuple[JsonPointer, ...]:
    value = manifest.annotations.get(IGNORE_FIELDS_ANNOTATION)
    if value is None:
        return ()
    if not isinstance(value, str):
        raise InvalidIgnoreFieldsError(
            f"{IGNORE_FIELDS_ANNOTATION} must be a string of comma-separated JSON pointers"
        )
    return parse_ignore_fields(value)


def _release(
    full: Mapping[str, Any], live: Mapping[str, Any] | None, pointers: tuple[JsonPointer, ...]
) -> FieldRelease | None:
    """The managedFields edits this apply needs: ignored fields, legacy managers."""
    managers = legacy_managers(live) if live is not None else ()
    if not pointers and not managers:
        return None
    release = FieldRelease(pointers=pointers, declared=full, managers=managers)
    if live is not None and pointers:
        owned = FieldRelease(pointers=pointers, declared=full)
        if releasable(live, owned):
            release = FieldRelease(pointers=pointers, declared=full, before=True, managers=managers)
    return release


def _ignore_fields_error(manifest: Manifest, exc: InvalidIgnoreFieldsError) -> SyncdError:
    return SourceContentError(
        f"{manifest.source_path}: {manifest.ref}: {exc}",
        code=ErrorCode.INVALID_IGNORE_FIELDS,
        resources=[ResourceRef(ref=manifest.ref, source_path=manifest.source_path)],
    )


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
    if owner and owner != sync_id and not _takes_over(sync_id, owner):
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


def _takes_over(sync_id: str, owner: str) -> bool:
    """Whether the sync `sync_id` takes an object `owner` holds (a RootSync from a RepoSync)."""
    sync = SyncId.parse(sync_id)
    return sync is not None and sync.may_take_over(owner)


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
