"""Who a sync acts as, and the service account a RootSync's roleRefs give it.

- A RepoSync acts as its service account, `spec.serviceAccountName` in its
  own namespace (default `syncd-<name>`), by impersonation: every apply,
  prune, LIST, GET, readiness wait and credentials Secret read is
  authorized by the API server as that account. syncd never creates it
  (the tenant's onboarding does: `syncd tenant init`).
- A RootSync without `override.roleRefs` acts as syncd itself.
- A RootSync with roleRefs acts as the service account
  `syncd-root-<name>` in its namespace, which syncd creates and binds to
  exactly those roles (a RoleBinding per role with a namespace, a
  ClusterRoleBinding per ClusterRole without one) and impersonates, so a
  RootSync limited by roleRefs really is limited. Bindings syncd made for
  earlier roleRefs are deleted when the roleRefs change, and the account
  too when they are removed.

The account and bindings are written with syncd's own identity, only when
the roleRefs differ from what this process last wrote, or when a check every
`REVERIFY_SECONDS` (one GET each) finds one deleted or edited by hand: an
unchanged poll writes nothing. A RootSync without roleRefs costs one GET (of the account)
per process, and a syncd that may not read accounts never made one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from syncd.api.models import RepoSync, RootSync, SyncObject
from syncd.api.spec import RoleKind, RoleRef
from syncd.core.errors import ForbiddenError, UnknownKindError
from syncd.core.metadata import (
    FIELD_MANAGER,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    MANAGER_ANNOTATION,
)
from syncd.core.ports import Clock, Cluster, JsonObject
from syncd.core.refs import ObjectRef
from syncd.core.sync import Identity

RBAC_GROUP = "rbac.authorization.k8s.io"
REVERIFY_SECONDS = 300.0
"""How long the roleRefs account and bindings syncd wrote are trusted before GETs check them."""
IDENTITY_LABEL = "syncd.dev/identity-of"
"""Label on the bindings of a RootSync's roleRefs account: a digest of the sync's manager value."""


def identity_of(sync: SyncObject) -> Identity:
    """The identity `sync`'s requests to managed objects are made as."""
    if isinstance(sync, RepoSync):
        return Identity(
            namespace=sync.metadata.namespace or "", service_account=sync.service_account_name
        )
    if sync.spec.override.role_refs:
        return Identity(
            namespace=sync.metadata.namespace or "",
            service_account=f"syncd-root-{sync.metadata.name}",
        )
    return Identity()


def acting_as(cluster: Cluster, identity: Identity) -> Cluster:
    """`cluster` itself for syncd's own identity, else impersonating the service account."""
    return cluster if identity.own else cluster.impersonating(identity.user)


class RoleBindings:
    """Keeps one RootSync's roleRefs account and bindings as its spec says (syncd's identity)."""

    def __init__(self, cluster: Cluster, *, clock: Clock) -> None:
        """`cluster` is syncd's own identity."""
        self._cluster = cluster
        self._clock = clock
        self._written: str | None = None
        self._made: dict[ObjectRef, JsonObject] = {}
        """What the last write made: each object and the fields it must keep."""
        self._confirmed_at = 0.0

    def ensure(self, sync: RootSync) -> None:
        """Create or update the account and bindings, delete stale ones; raises ClusterError."""
        wanted = sync.spec.override.model_dump_json(include={"role_refs"})
        if wanted == self._written and self._still_there():
            return
        self._made = {}
        manager = sync.sync_id.manager
        label = hashlib.sha256(manager.encode()).hexdigest()[:16]
        identity = identity_of(sync)
        keep: set[ObjectRef] = set()
        account = _ref(
            "", "ServiceAccount", sync.metadata.namespace or "", f"syncd-root-{sync.metadata.name}"
        )
        if identity.own:
            # No roleRefs: there is something to clean up only if an account was made for
            # earlier ones (it is made before its bindings). One GET, once per process.
            if not self._made_earlier(account, manager):
                self._written = wanted
                return
        else:
            self._apply(account, _metadata(account, manager, label), {})
            self._made[account] = {}
            for role in sync.spec.override.role_refs:
                binding = _binding_ref(role, identity)
                body = {
                    "roleRef": {"apiGroup": RBAC_GROUP, "kind": role.kind.value, "name": role.name},
                    "subjects": [
                        {
                            "kind": "ServiceAccount",
                            "name": identity.service_account,
                            "namespace": identity.namespace,
                        }
                    ],
                }
                self._apply(binding, _metadata(binding, manager, label), body)
                self._made[binding] = body
                keep.add(binding)
        self._delete_stale(label, keep)
        if identity.own:
            self._cluster.delete(account)
        self._written = wanted
        self._confirmed_at = self._clock.monotonic()

    def _still_there(self) -> bool:
        """Whether what the last write made is unchanged; checked by GETs every few minutes.

        A binding deleted or edited by hand is written again within REVERIFY_SECONDS.
        """
        if not self._made or self._clock.monotonic() - self._confirmed_at < REVERIFY_SECONDS:
            return True
        for ref, fields in self._made.items():
            live = self._cluster.get(ref)
            if live is None or any(live.get(key) != value for key, value in fields.items()):
                return False
        self._confirmed_at = self._clock.monotonic()
        return True

    def _made_earlier(self, account: ObjectRef, manager: str) -> bool:
        """Whether syncd made `account` for this sync's earlier roleRefs."""
        try:
            live = self._cluster.get(account)
        except (ForbiddenError, UnknownKindError):
            return False  # syncd may not read accounts (so it never made one), or none exist
        annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
        return live is not None and annotations.get(MANAGER_ANNOTATION) == manager

    def _apply(self, ref: ObjectRef, metadata: JsonObject, rest: dict[str, Any]) -> None:
        body = {"apiVersion": ref.api_version, "kind": ref.kind, "metadata": metadata, **rest}
        self._cluster.apply(ref, body, field_manager=FIELD_MANAGER, force=True)

    def _delete_stale(self, label: str, keep: set[ObjectRef]) -> None:
        for kind in ("RoleBinding", "ClusterRoleBinding"):
            try:
                rtype = self._cluster.resource_type(RBAC_GROUP, kind)
            except UnknownKindError:
                continue  # a cluster without RBAC holds no stale binding
            listed = self._cluster.list(rtype, label_selector=f"{IDENTITY_LABEL}={label}")
            for item in listed.items:
                meta = item.get("metadata") or {}
                ref = _ref(RBAC_GROUP, kind, str(meta.get("namespace") or ""), str(meta["name"]))
                if ref not in keep:
                    self._cluster.delete(ref, uid=str(meta.get("uid") or "") or None)


def _ref(group: str, kind: str, namespace: str, name: str) -> ObjectRef:
    return ObjectRef(group=group, version="v1", kind=kind, namespace=namespace, name=name)


def _binding_ref(role: RoleRef, identity: Identity) -> ObjectRef:
    """A binding named after the account and the role: `syncd-root-<name>.<role kind>.<role>`."""
    name = f"{identity.service_account}.{role.kind.value.lower()}.{role.name}"
    if role.namespace:
        return _ref(RBAC_GROUP, "RoleBinding", role.namespace, name)
    if role.kind is RoleKind.ROLE:  # refused by the spec's validation
        raise ValueError("a Role reference needs a namespace")
    return _ref(RBAC_GROUP, "ClusterRoleBinding", "", name)


def _metadata(ref: ObjectRef, manager: str, label: str) -> JsonObject:
    metadata: JsonObject = {
        "name": ref.name,
        "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE, IDENTITY_LABEL: label},
        "annotations": {MANAGER_ANNOTATION: manager},
    }
    if ref.namespace:
        metadata["namespace"] = ref.namespace
    return metadata
