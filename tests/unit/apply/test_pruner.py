"""The pruner deletes in reverse stage order, guarded by uid, and detaches without deleting."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.apply.pruner import Pruner
from syncd.core.errors import ErrorCode, ForbiddenError
from syncd.core.metadata import (
    APPLYSET_PART_OF_LABEL,
    FIELD_MANAGER,
    MANAGED_BY_LABEL,
    MANAGER_ANNOTATION,
)
from syncd.core.plan import Action, Plan, PlannedObject
from syncd.core.refs import ObjectRef
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.apply.plans import decorated, planned
from tests.unit.kube import (
    BUILTIN_TYPES,
    cluster_role,
    configmap,
    crd,
    namespace,
    verbs,
)


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(BUILTIN_TYPES, clock=FakeClock())


@pytest.fixture
def pruner(cluster: FakeCluster) -> Iterator[Pruner]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield Pruner(cluster, executor=pool)


def create(cluster: FakeCluster, body: dict[str, object]) -> ObjectRef:
    m = decorated(body)
    cluster.apply(m.ref, m.body, field_manager=FIELD_MANAGER)
    return m.ref


def removal(cluster: FakeCluster, ref: ObjectRef, action: Action = Action.PRUNE) -> PlannedObject:
    return planned(None, action, ref=ref, live=cluster.peek(ref))


def test_prune_deletes_namespaced_then_cluster_scoped_then_namespaces_then_crds(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    refs = [
        create(cluster, crd()),
        create(cluster, namespace("app")),
        create(cluster, cluster_role("reader")),
        create(cluster, configmap("cm")),
    ]
    start = len(cluster.requests)
    result = pruner.prune(Plan(objects=tuple(removal(cluster, ref) for ref in refs)))
    deletes = [label for _, label in verbs(cluster.requests[start:], [FakeVerb.DELETE])]
    assert deletes == [
        "ConfigMap app/cm",
        "ClusterRole.rbac.authorization.k8s.io reader",
        "Namespace app",
        "CustomResourceDefinition.apiextensions.k8s.io widgets.ex.com",
    ]
    assert result.pruned == frozenset(refs)
    assert result.errors == ()
    assert all(cluster.peek(ref) is None for ref in refs)


def test_an_object_recreated_with_another_uid_is_not_deleted(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("reborn"))
    stale = removal(cluster, ref)
    cluster.delete(ref)
    cluster.apply(ref, configmap("reborn"), field_manager="someone-else")
    result = pruner.prune(Plan(objects=(stale,)))
    assert result.pruned == frozenset()
    assert result.failed == {ref}
    [error] = result.errors
    assert "409 Conflict" in error.message
    assert "UID" in error.message
    assert error.resources[0].ref == ref
    survivor = cluster.peek(ref)
    assert survivor is not None
    assert survivor["metadata"]["uid"] != (stale.live or {})["metadata"]["uid"]


def test_detach_removes_syncd_metadata_and_never_deletes(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("keep-me"))
    start = len(cluster.requests)
    result = pruner.prune(Plan(objects=(removal(cluster, ref, Action.DETACH),)))
    assert [verb for verb, _ in cluster.requests[start:]] == [FakeVerb.MERGE_PATCH]
    assert result.detached == {ref}
    assert result.pruned == frozenset()
    live = cluster.peek(ref)
    assert live is not None
    labels = live["metadata"].get("labels") or {}
    assert MANAGED_BY_LABEL not in labels
    assert APPLYSET_PART_OF_LABEL not in labels
    assert MANAGER_ANNOTATION not in (live["metadata"].get("annotations") or {})
    assert live["data"] == {"key": "keep-me"}


def test_one_forbidden_delete_is_reported_and_the_others_proceed(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    locked = create(cluster, configmap("locked"))
    others = [create(cluster, configmap(f"other-{i}")) for i in range(3)]
    cluster.fail_next(
        FakeVerb.DELETE, locked, ForbiddenError("cannot delete", status=403, reason="Forbidden")
    )
    result = pruner.prune(Plan(objects=tuple(removal(cluster, r) for r in [locked, *others])))
    assert result.pruned == frozenset(others)
    assert result.failed == {locked}
    [error] = result.errors
    assert error.code is ErrorCode.FORBIDDEN
    assert cluster.peek(locked) is not None


def test_objects_planned_for_anything_but_removal_are_left_alone(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("declared"))
    m = decorated(configmap("declared"))
    start = len(cluster.requests)
    result = pruner.prune(Plan(objects=(planned(m, Action.UNCHANGED, live=cluster.peek(ref)),)))
    assert cluster.requests[start:] == []
    assert result.pruned == frozenset()
    assert cluster.peek(ref) is not None
