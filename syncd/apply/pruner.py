"""Pruning: deleting objects that left the source, in reverse apply order.

Deletes carry a UID precondition, so an object recreated under the same name
by someone else is never deleted by mistake. DETACH objects are not deleted:
they lose syncd's metadata and leave the inventory.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from syncd.apply.applier import release_patch
from syncd.apply.errors import object_error
from syncd.core.errors import ClusterError, SyncdError
from syncd.core.metadata import FIELD_MANAGER
from syncd.core.ordering import prune_order
from syncd.core.plan import Action, Plan, PlannedObject
from syncd.core.ports import Cluster
from syncd.core.refs import ObjectRef
from syncd.logging import get_logger

log = get_logger("apply.pruner")


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneResult:
    """Objects deleted or detached, and those that could not be."""

    pruned: frozenset[ObjectRef]
    detached: frozenset[ObjectRef]
    failed: frozenset[ObjectRef]
    errors: tuple[SyncdError, ...]


class Pruner:
    """Deletes and detaches for one cluster identity."""

    def __init__(
        self, cluster: Cluster, *, executor: Executor, field_manager: str = FIELD_MANAGER
    ) -> None:
        """`executor` bounds parallelism within a prune wave."""
        self._cluster = cluster
        self._executor = executor
        self._field_manager = field_manager

    def prune(self, plan: Plan) -> PruneResult:
        """Delete PRUNE objects (reverse stage order) and detach DETACH objects."""
        targets: Mapping[ObjectRef, PlannedObject] = {
            obj.ref: obj for obj in plan.objects if obj.action in (Action.PRUNE, Action.DETACH)
        }
        pruned: set[ObjectRef] = set()
        detached: set[ObjectRef] = set()
        failed: set[ObjectRef] = set()
        errors: list[SyncdError] = []
        for wave in prune_order(targets):
            futures: list[tuple[PlannedObject, Future[object]]] = []
            for ref in wave:
                obj = targets[ref]
                futures.append((obj, self._executor.submit(self._one, obj)))
            for obj, future in futures:
                try:
                    future.result()
                except ClusterError as exc:
                    failed.add(obj.ref)
                    verb = "delete" if obj.action is Action.PRUNE else "detach"
                    errors.append(object_error(verb, obj.ref, "", exc))
                    log.warning("apply.prune_failed", object=str(obj.ref), error=str(exc))
                    continue
                (pruned if obj.action is Action.PRUNE else detached).add(obj.ref)
        return PruneResult(
            pruned=frozenset(pruned),
            detached=frozenset(detached),
            failed=frozenset(failed),
            errors=tuple(errors),
        )

    def _one(self, obj: PlannedObject) -> object:
        if obj.action is Action.DETACH:
            return self._cluster.merge_patch(
                obj.ref, release_patch(), field_manager=self._field_manager
            )
        uid = (obj.live or {}).get("metadata", {}).get("uid")
        return self._cluster.delete(obj.ref, uid=uid)
