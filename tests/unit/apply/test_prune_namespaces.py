"""Pruning a Namespace: never a system one, never one that holds what is not pruned with it."""

from __future__ import annotations

import pytest

from syncd.apply.pruner import Outcome, Pruner
from syncd.core.errors import ErrorCode, NotFoundError
from syncd.core.refs import ObjectRef
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.apply.prune_env import create, deletes_since, plan_of
from tests.unit.kube import WIDGET, configmap, deployment, namespace


def test_a_namespace_holding_someone_elses_object_is_kept(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ns = create(cluster, namespace("shared"))
    ours = create(cluster, configmap("ours", "shared"))
    theirs = configmap("theirs", "shared")
    cluster.apply(ObjectRef.from_object(theirs), theirs, field_manager="kubectl")
    start = len(cluster.requests)
    result = pruner.prune(plan_of(cluster, ns, ours), timeout=30)
    assert deletes_since(cluster, start) == ["ConfigMap shared/ours"]
    assert result.outcomes == {ours: Outcome.PRUNED, ns: Outcome.FAILED}
    [error] = result.errors
    assert error.code is ErrorCode.NAMESPACE_IN_USE
    assert "ConfigMap shared/theirs" in error.message
    assert cluster.peek(ns) is not None


def test_a_namespace_with_only_what_the_cluster_makes_is_deleted(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ns = create(cluster, namespace("mine"))
    for made in (configmap("kube-root-ca.crt", "mine"), deployment("owned", "mine")):
        if made["kind"] == "Deployment":
            made["metadata"]["ownerReferences"] = [{"kind": "Thing", "name": "x", "uid": "u"}]
        cluster.apply(ObjectRef.from_object(made), made, field_manager="kube-controller-manager")
    result = pruner.prune(plan_of(cluster, ns), timeout=30)
    assert result.outcomes == {ns: Outcome.PRUNED}
    assert cluster.peek(ns) is None


@pytest.mark.parametrize(
    "name", ["default", "kube-system", "kube-public", "kube-node-lease", "syncd-system"]
)
def test_system_namespaces_are_never_deleted(
    cluster: FakeCluster, pruner: Pruner, name: str
) -> None:
    ns = create(cluster, namespace(name))
    start = len(cluster.requests)
    result = pruner.prune(plan_of(cluster, ns), timeout=30)
    assert deletes_since(cluster, start) == []
    assert result.outcomes == {ns: Outcome.DETACHED}
    assert cluster.peek(ns) is not None


def test_a_type_gone_since_discovery_does_not_keep_a_namespace(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ns = create(cluster, namespace("stale"))
    cluster.fail_always(
        FakeVerb.LIST, WIDGET, NotFoundError("404 page not found", status=404, reason="")
    )
    result = pruner.prune(plan_of(cluster, ns), timeout=30)
    assert result.outcomes == {ns: Outcome.PRUNED}
    assert result.errors == ()
