"""Whether a Namespace may be pruned: never a system one, never one holding others' objects.

Deleting a Namespace deletes everything in it, so before syncd deletes one
that left the source it lists every namespaced type in it (one LIST per
listable type) and keeps the Namespace when anything there is not being
pruned by this sync in the same run (SD2010): another sync's objects, a
person's, or this sync's objects that are still declared. Not counted,
because the cluster makes them for every Namespace or derives them from
other objects: objects with owner references
(garbage-collected with their owner, which is counted itself), Events, the
`kube-root-ca.crt` ConfigMap, the `default` ServiceAccount, and Endpoints
named after a Service in the same Namespace.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Final

from syncd.core.errors import (
    ClusterError,
    ErrorCode,
    NotFoundError,
    ResourceRef,
    SyncdError,
    UnknownKindError,
)
from syncd.core.ports import Cluster, JsonObject
from syncd.core.refs import ObjectRef

SYSTEM_NAMESPACES: Final = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
"""Namespaces syncd never deletes (syncd's own namespace is added per sync)."""
_SHOWN: Final = 5
_CLUSTER_MADE: Final = frozenset(
    {("", "ConfigMap", "kube-root-ca.crt"), ("", "ServiceAccount", "default")}
)
_EVENT_GROUPS: Final = frozenset({("", "Event"), ("events.k8s.io", "Event")})


@dataclass(frozen=True, slots=True, kw_only=True)
class NamespaceVerdict:
    """Whether a Namespace may be deleted; else the error saying why not."""

    deletable: bool
    error: SyncdError | None = None


class NamespaceGuard:
    """Checks Namespaces before the pruner deletes them."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        executor: Executor,
        protected: Collection[str] = (),
    ) -> None:
        """`protected` adds namespaces never to delete (syncd's own)."""
        self._cluster = cluster
        self._executor = executor
        self._protected = SYSTEM_NAMESPACES | frozenset(protected)

    def is_protected(self, name: str) -> bool:
        """Whether `name` is a namespace syncd never deletes."""
        return name in self._protected

    def check(self, namespace: ObjectRef, *, leaving: Collection[ObjectRef]) -> NamespaceVerdict:
        """Whether `namespace` holds only this sync's objects (and what the cluster makes).

        `leaving` are this sync's objects being pruned, which may still be
        terminating. A LIST that fails keeps the Namespace (SD2010, transient).
        """
        types = [t for t in self._cluster.resource_types() if t.namespaced and t.listable]
        futures = {
            rtype: self._executor.submit(self._cluster.list, rtype, namespace=namespace.name)
            for rtype in types
            if (rtype.group, rtype.kind) not in _EVENT_GROUPS
        }
        foreign: list[ObjectRef] = []
        services: set[str] = set()
        stale = False
        listed: list[JsonObject] = []
        for rtype, future in futures.items():
            try:
                items = future.result().items
            except (UnknownKindError, NotFoundError):
                stale = True
                continue  # the type went away since discovery: nothing of it is left
            except ClusterError as exc:
                return NamespaceVerdict(
                    deletable=False,
                    error=self._kept(namespace, f"its contents could not be listed: {exc.message}"),
                )
            listed.extend(items)
            if (rtype.group, rtype.kind) == ("", "Service"):
                services |= {str(item["metadata"]["name"]) for item in items}
        if stale:
            self._cluster.refresh_discovery()
        leaving_set = frozenset(leaving)
        for item in listed:
            ref = ObjectRef.from_object(item)
            if self._counts(ref, item, services) and ref not in leaving_set:
                foreign.append(ref)
        if not foreign:
            return NamespaceVerdict(deletable=True)
        shown = ", ".join(str(ref) for ref in sorted(foreign)[:_SHOWN])
        more = f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
        return NamespaceVerdict(
            deletable=False,
            error=self._kept(
                namespace,
                f"it holds {len(foreign)} object(s) that are not being pruned with it: "
                f"{shown}{more}",
                foreign=sorted(foreign),
            ),
        )

    def _counts(self, ref: ObjectRef, item: Mapping[str, Any], services: set[str]) -> bool:
        """Whether an object in the Namespace keeps it alive."""
        metadata = item.get("metadata") or {}
        if metadata.get("ownerReferences"):
            return False
        if (ref.group, ref.kind, ref.name) in _CLUSTER_MADE:
            return False
        return not ((ref.group, ref.kind) == ("", "Endpoints") and ref.name in services)

    def _kept(
        self, namespace: ObjectRef, why: str, *, foreign: Collection[ObjectRef] = ()
    ) -> SyncdError:
        return SyncdError(
            f"Namespace {namespace.name} was not deleted: {why}; it stays in the inventory and "
            "syncd checks again every run",
            code=ErrorCode.NAMESPACE_IN_USE,
            resources=[
                ResourceRef(ref=namespace),
                *(ResourceRef(ref=r) for r in list(foreign)[:_SHOWN]),
            ],
            transient=True,
        )
