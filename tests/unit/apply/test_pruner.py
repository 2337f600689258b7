"""The pruner: dependency waves that are gone before the next, a fresh look before every delete."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from syncd.apply.pruner import Outcome, Pruner
from syncd.core.errors import ConflictError, ErrorCode, ForbiddenError
from syncd.core.metadata import (
    APPLYSET_PART_OF_LABEL,
    DEPENDS_ON_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGER_ANNOTATION,
)
from syncd.core.plan import Action, Plan
from syncd.core.refs import ObjectRef
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.apply.plans import decorated, planned
from tests.unit.apply.prune_env import (
    SteppingClock,
    create,
    deletes_since,
    make_pruner,
    plan_of,
    removal,
)
from tests.unit.kube import (
    cluster_role,
    configmap,
    crd,
    deployment,
    namespace,
    verbs,
    widget,
)

OTHER_SYNC = "RootSync/syncd-system/other"


def with_annotation(body: dict[str, Any], key: str, value: str) -> dict[str, Any]:
    body["metadata"].setdefault("annotations", {})[key] = value
    return body


def test_custom_resources_go_first_and_crds_last(cluster: FakeCluster, pruner: Pruner) -> None:
    refs = [
        create(cluster, crd()),
        create(cluster, namespace("app")),
        create(cluster, cluster_role("reader")),
        create(cluster, configmap("cm")),
        create(cluster, widget("w")),
    ]
    start = len(cluster.requests)
    result = pruner.prune(plan_of(cluster, *refs), timeout=30)
    assert deletes_since(cluster, start) == [
        "Widget.ex.com app/w",
        "ConfigMap app/cm",
        "ClusterRole.rbac.authorization.k8s.io reader",
        "Namespace app",
        "CustomResourceDefinition.apiextensions.k8s.io widgets.ex.com",
    ]
    assert result.pruned == frozenset(refs)
    assert result.errors == ()


def test_depends_on_puts_dependents_in_an_earlier_wave(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    base = create(cluster, configmap("base"))
    middle = create(
        cluster,
        with_annotation(
            configmap("middle"), DEPENDS_ON_ANNOTATION, "/namespaces/app/ConfigMap/base"
        ),
    )
    top = create(
        cluster,
        with_annotation(
            configmap("top"), DEPENDS_ON_ANNOTATION, "/namespaces/app/ConfigMap/middle"
        ),
    )
    start = len(cluster.requests)
    pruner.prune(plan_of(cluster, base, middle, top), timeout=30)
    assert deletes_since(cluster, start) == [
        "ConfigMap app/top",
        "ConfigMap app/middle",
        "ConfigMap app/base",
    ]


def test_a_builtin_depending_on_a_custom_resource_goes_before_it(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    w = create(cluster, widget("w"))
    web = create(
        cluster,
        with_annotation(deployment("web"), DEPENDS_ON_ANNOTATION, "ex.com/namespaces/app/Widget/w"),
    )
    operator = create(cluster, deployment("operator"))
    start = len(cluster.requests)
    pruner.prune(plan_of(cluster, w, web, operator), timeout=30)
    assert deletes_since(cluster, start) == [
        "Deployment.apps app/web",
        "Widget.ex.com app/w",
        "Deployment.apps app/operator",
    ]


def test_a_wave_is_gone_before_the_next_starts(
    cluster: FakeCluster, pool: ThreadPoolExecutor
) -> None:
    body = widget("held")
    body["metadata"]["finalizers"] = ["ex.com/cleanup"]
    held = create(cluster, body)
    operator = create(cluster, deployment("operator"))
    deletes: list[str] = []

    def operator_clears_the_finalizer() -> None:
        # The operator removes its finalizer once the resource is terminating.
        while True:
            live = cluster.peek(held)
            if live is not None and live["metadata"].get("deletionTimestamp"):
                deletes.append("widget terminating")
                assert cluster.peek(operator) is not None, "the operator went first"
                cluster.merge_patch(held, {"metadata": {"finalizers": None}}, field_manager="op")
                return

    helper = threading.Thread(target=operator_clears_the_finalizer, daemon=True)
    helper.start()
    result = make_pruner(cluster, pool).prune(plan_of(cluster, held, operator), timeout=30)
    helper.join(5)
    assert deletes == ["widget terminating"]
    assert result.pruned == {held, operator}
    assert cluster.peek(held) is None
    assert cluster.peek(operator) is None


def test_a_wave_not_gone_in_time_stops_the_later_waves(
    cluster: FakeCluster, pool: ThreadPoolExecutor
) -> None:
    body = widget("stuck")
    body["metadata"]["finalizers"] = ["ex.com/never"]
    stuck = create(cluster, body)
    operator = create(cluster, deployment("operator"))
    pruner = make_pruner(cluster, pool, clock=SteppingClock())
    result = pruner.prune(plan_of(cluster, stuck, operator), timeout=3)
    assert result.failed == {stuck, operator}
    [error] = result.errors
    assert error.code is ErrorCode.PRUNE_INCOMPLETE
    assert error.transient
    assert "Widget.ex.com app/stuck" in error.message
    assert "1 later deletion(s) wait" in error.message
    assert cluster.peek(operator) is not None


def test_an_object_recreated_by_someone_else_is_dropped_not_deleted(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("reborn"))
    stale = removal(cluster, ref)
    cluster.delete(ref)
    cluster.apply(ref, configmap("reborn"), field_manager="someone-else")
    start = len(cluster.requests)
    result = pruner.prune(Plan(objects=(stale,)), timeout=30)
    assert deletes_since(cluster, start) == []
    assert result.outcomes == {ref: Outcome.DROPPED}
    assert result.errors == ()
    assert cluster.peek(ref) is not None


@pytest.mark.parametrize(
    ("annotation", "value"),
    [(MANAGER_ANNOTATION, OTHER_SYNC), ("client.lifecycle.config.k8s.io/deletion", "detach")],
)
def test_annotations_changed_since_the_plan_are_honoured(
    cluster: FakeCluster, pruner: Pruner, annotation: str, value: str
) -> None:
    ref = create(cluster, configmap("changed"))
    stale = removal(cluster, ref)
    cluster.merge_patch(
        ref, {"metadata": {"annotations": {annotation: value}}}, field_manager="human"
    )
    start = len(cluster.requests)
    result = pruner.prune(Plan(objects=(stale,)), timeout=30)
    assert deletes_since(cluster, start) == []
    assert cluster.peek(ref) is not None
    expected = Outcome.DROPPED if annotation == MANAGER_ANNOTATION else Outcome.DETACHED
    assert result.outcomes == {ref: expected}


def test_a_delete_whose_precondition_fails_keeps_the_object_for_the_next_run(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("racing"))
    cluster.fail_next(
        FakeVerb.DELETE,
        ref,
        ConflictError("the object has been modified", status=409, reason="Conflict"),
    )
    result = pruner.prune(plan_of(cluster, ref), timeout=30)
    assert result.failed == {ref}
    [error] = result.errors
    assert (error.code, error.transient) == (ErrorCode.PRUNE_INCOMPLETE, True)
    assert cluster.peek(ref) is not None


def test_deletes_carry_uid_and_resource_version_preconditions(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("precise"))
    stale = removal(cluster, ref)
    cluster.merge_patch(ref, {"data": {"extra": "x"}}, field_manager="human")
    seen: list[dict[str, Any]] = []
    original = cluster.delete

    def recording_delete(target: ObjectRef, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return original(target, **kwargs)

    cluster.delete = recording_delete  # type: ignore[method-assign]
    pruner.prune(Plan(objects=(stale,)), timeout=30)
    live_now = (stale.live or {})["metadata"]
    assert seen[0]["uid"] == live_now["uid"]
    assert seen[0]["resource_version"] != live_now["resourceVersion"]  # the re-read one


def test_an_object_another_sync_claims_is_handed_over_never_deleted(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("moving"))
    start = len(cluster.requests)
    result = pruner.prune(plan_of(cluster, ref), timeout=30, claims=lambda: {ref: OTHER_SYNC})
    assert deletes_since(cluster, start) == []
    assert result.outcomes == {ref: Outcome.HANDED_OVER}
    assert result.handed_over == {ref: OTHER_SYNC}
    live = cluster.peek(ref)
    assert live is not None
    assert MANAGER_ANNOTATION not in (live["metadata"].get("annotations") or {})
    assert APPLYSET_PART_OF_LABEL not in (live["metadata"].get("labels") or {})


def test_detach_removes_syncd_metadata_and_never_deletes(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("keep-me"))
    start = len(cluster.requests)
    result = pruner.prune(Plan(objects=(removal(cluster, ref, Action.DETACH),)), timeout=30)
    assert [verb for verb, _ in cluster.requests[start:]] == [FakeVerb.GET, FakeVerb.MERGE_PATCH]
    assert result.detached == {ref}
    live = cluster.peek(ref)
    assert live is not None
    assert MANAGED_BY_LABEL not in (live["metadata"].get("labels") or {})
    assert live["data"] == {"key": "keep-me"}


def test_one_forbidden_delete_is_reported_and_the_others_proceed(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    locked = create(cluster, configmap("locked"))
    others = [create(cluster, configmap(f"other-{i}")) for i in range(3)]
    cluster.fail_next(
        FakeVerb.DELETE, locked, ForbiddenError("cannot delete", status=403, reason="Forbidden")
    )
    result = pruner.prune(plan_of(cluster, locked, *others), timeout=30)
    assert result.pruned == frozenset(others)
    assert result.failed == {locked}
    [error] = result.errors
    assert error.code is ErrorCode.FORBIDDEN
    assert cluster.peek(locked) is not None


def test_many_objects_of_a_kind_are_reread_with_one_list(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    refs = [create(cluster, configmap(f"cm-{i}")) for i in range(20)]
    start = len(cluster.requests)
    result = pruner.prune(plan_of(cluster, *refs), timeout=30)
    assert len(verbs(cluster.requests[start:], [FakeVerb.LIST])) == 1
    assert verbs(cluster.requests[start:], [FakeVerb.GET]) == []
    assert result.pruned == frozenset(refs)


def test_shutdown_defers_every_wave_not_started(
    cluster: FakeCluster, pool: ThreadPoolExecutor
) -> None:
    stop = threading.Event()
    stop.set()
    refs = [create(cluster, configmap("a")), create(cluster, namespace("b"))]
    start = len(cluster.requests)
    result = make_pruner(cluster, pool, stop=stop).prune(plan_of(cluster, *refs), timeout=30)
    assert deletes_since(cluster, start) == []
    assert result.failed == frozenset(refs)


def test_objects_planned_for_anything_but_removal_are_left_alone(
    cluster: FakeCluster, pruner: Pruner
) -> None:
    ref = create(cluster, configmap("declared"))
    m = decorated(configmap("declared"))
    start = len(cluster.requests)
    result = pruner.prune(
        Plan(objects=(planned(m, Action.UNCHANGED, live=cluster.peek(ref)),)), timeout=30
    )
    assert cluster.requests[start:] == []
    assert result.outcomes == {}


def test_a_fresh_plan_is_decided_on_as_read_and_its_preconditions_guard_the_delete(
    cluster: FakeCluster, pool: ThreadPoolExecutor
) -> None:
    clock = FakeClock()
    refs = [create(cluster, configmap(f"cm-{i}")) for i in range(3)]
    plan = plan_of(cluster, *refs)
    cluster.merge_patch(refs[0], {"data": {"changed": "since the plan"}}, field_manager="human")
    start = len(cluster.requests)
    result = make_pruner(cluster, pool, clock=clock).prune(
        plan, timeout=30, planned_at=clock.monotonic()
    )
    assert verbs(cluster.requests[start:], [FakeVerb.GET, FakeVerb.LIST]) == []  # no re-read
    assert result.pruned == {refs[1], refs[2]}
    assert result.failed == {refs[0]}  # changed since it was read: refused, looked at next run
    assert cluster.peek(refs[0]) is not None


def test_an_old_plan_is_read_again_before_deleting(
    cluster: FakeCluster, pool: ThreadPoolExecutor
) -> None:
    clock = FakeClock()
    ref = create(cluster, configmap("old"))
    plan = plan_of(cluster, ref)
    planned_at = clock.monotonic()
    clock.advance(60)
    start = len(cluster.requests)
    make_pruner(cluster, pool, clock=clock).prune(plan, timeout=30, planned_at=planned_at)
    assert verbs(cluster.requests[start:], [FakeVerb.GET]) != []
