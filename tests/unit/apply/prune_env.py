"""The pruner tests' environment: a FakeCluster with a custom resource kind, and helpers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from syncd.apply.namespaces import NamespaceGuard
from syncd.apply.pruner import PruneIdentity, Pruner
from syncd.core.metadata import FIELD_MANAGER
from syncd.core.plan import Action, Plan, PlannedObject
from syncd.core.refs import ObjectRef
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.apply.plans import APPLYSET, SYNC_ID, decorated, planned
from tests.unit.kube import verbs


class SteppingClock(FakeClock):
    """Monotonic time moves one second per reading, so waits run out quickly."""

    def monotonic(self) -> float:
        self.advance(1)
        return super().monotonic()


def make_pruner(
    cluster: FakeCluster,
    pool: ThreadPoolExecutor,
    *,
    clock: FakeClock | None = None,
    stop: threading.Event | None = None,
) -> Pruner:
    return Pruner(
        cluster,
        executor=pool,
        clock=clock or FakeClock(),
        identity=PruneIdentity(sync_id=SYNC_ID, applyset_id=APPLYSET),
        namespaces=NamespaceGuard(cluster, executor=pool, protected=("syncd-system",)),
        stop=stop,
    )


def create(cluster: FakeCluster, body: dict[str, Any]) -> ObjectRef:
    m = decorated(body)
    cluster.apply(m.ref, m.body, field_manager=FIELD_MANAGER)
    return m.ref


def removal(cluster: FakeCluster, ref: ObjectRef, action: Action = Action.PRUNE) -> PlannedObject:
    return planned(None, action, ref=ref, live=cluster.peek(ref))


def plan_of(cluster: FakeCluster, *refs: ObjectRef) -> Plan:
    return Plan(objects=tuple(removal(cluster, ref) for ref in refs))


def deletes_since(cluster: FakeCluster, start: int) -> list[str]:
    return [label for _, label in verbs(cluster.requests[start:], [FakeVerb.DELETE])]
