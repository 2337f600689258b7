"""What a sync may touch: the first wall of multi-repo tenancy (pure).

A RootSync may declare any object. A RepoSync may declare only namespaced
objects in its own namespace (`SyncId.scope`); objects that name no
namespace have already been placed there by validation. Everything else is
refused with SD1058 before any request is made:

- cluster-scoped kinds (a ClusterRole, a Namespace, a CRD, a webhook
  configuration), and kinds whose scope the cluster does not know (syncd
  cannot tell that they stay in the namespace);
- objects in another namespace;
- syncd's own kinds (RootSync, RepoSync, ResourceGroup): a tenant must not
  create syncs or edit an inventory, its own included.

A refused object is still declared (`ValidationResult.rejected`), so it is
never pruned because of the refusal. The same rule filters a tenant's
inventory: an entry outside the namespace (a ResourceGroup edited by hand)
is never listed, applied or pruned. The API server's RBAC, enforced by
impersonating the tenant's service account, is the second wall.
"""

from __future__ import annotations

from collections.abc import Iterable

from syncd.core.errors import ErrorCode, ResourceRef, SourceContentError, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef
from syncd.core.results import ValidationResult
from syncd.core.sync import SYNCD_GROUP, SyncId, SyncKind


def outside_scope(ref: ObjectRef, *, sync: SyncId) -> str:
    """Why `sync` may not manage `ref` ('' when it may)."""
    if sync.kind is SyncKind.ROOT_SYNC:
        return ""
    if ref.group == SYNCD_GROUP:
        return f"a RepoSync may not declare syncd's own kinds ({ref.kind}.{SYNCD_GROUP})"
    if not ref.namespace:
        return (
            "a RepoSync may declare only namespaced objects, and this kind is cluster-scoped "
            "(or the cluster does not serve it, so its scope is unknown)"
        )
    if ref.namespace != sync.scope:
        return (
            f"a RepoSync may declare objects only in its own namespace {sync.scope!r}, "
            f"not in {ref.namespace!r}"
        )
    return ""


def confine(validation: ValidationResult, *, sync: SyncId) -> ValidationResult:
    """`validation` without the objects outside `sync`'s scope, each refused with SD1058."""
    if sync.kind is SyncKind.ROOT_SYNC:
        return validation
    kept: list[Manifest] = []
    refused: set[ObjectRef] = set()
    errors: list[SyncdError] = []
    for manifest in validation.manifests:
        why = outside_scope(manifest.ref, sync=sync)
        if not why:
            kept.append(manifest)
            continue
        refused.add(manifest.ref)
        errors.append(
            SourceContentError(
                f"{manifest.source_path}: {manifest.ref}: {why}; {sync} leaves it alone "
                "(declare it in a RootSync instead)",
                code=ErrorCode.OUTSIDE_TENANT_SCOPE,
                resources=[ResourceRef(ref=manifest.ref, source_path=manifest.source_path)],
            )
        )
    if not errors:
        return validation
    return ValidationResult(
        manifests=tuple(kept),
        errors=validation.errors + tuple(errors),
        rejected=validation.rejected | refused,
    )


def within_scope(
    refs: Iterable[ObjectRef], *, sync: SyncId
) -> tuple[frozenset[ObjectRef], frozenset[ObjectRef]]:
    """`(inside, outside)`: `refs` split by whether `sync` may manage them."""
    inside: set[ObjectRef] = set()
    outside: set[ObjectRef] = set()
    for ref in refs:
        (outside if outside_scope(ref, sync=sync) else inside).add(ref)
    return frozenset(inside), frozenset(outside)
