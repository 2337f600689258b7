"""The applier applies APPLY objects in waves, isolates failures, and releases objects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.apply.applier import Applier, ApplyResult
from syncd.apply.waiter import Waiter
from syncd.core.errors import ErrorCode, ForbiddenError, InvalidError, SyncdError
from syncd.core.kstatus import KStatus
from syncd.core.manifest import Manifest
from syncd.core.metadata import (
    DEPENDS_ON_ANNOTATION,
    FIELD_MANAGER,
    MANAGED_BY_LABEL,
    MANAGER_ANNOTATION,
    SOURCE_PATH_ANNOTATION,
)
from syncd.core.ordering import apply_waves
from syncd.core.plan import Action, Plan, PlannedObject
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.apply.plans import decorated, planned
from tests.unit.kube import (
    BUILTIN_TYPES,
    CRD,
    WIDGET,
    cluster_role,
    configmap,
    crd,
    deployment,
    namespace,
    ref_of,
    verbs,
    widget,
)


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(BUILTIN_TYPES, clock=FakeClock())


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


@pytest.fixture
def applier(cluster: FakeCluster, executor: ThreadPoolExecutor) -> Applier:
    waiter = Waiter(cluster, clock=FakeClock(), executor=executor)
    return Applier(cluster, executor=executor, waiter=waiter)


def run(applier: Applier, objects: list[PlannedObject], *, timeout: float = 5.0) -> ApplyResult:
    manifests = [obj.manifest for obj in objects if obj.manifest is not None]
    return applier.apply(Plan(objects=tuple(objects)), apply_waves(manifests), timeout=timeout)


def applied_refs(cluster: FakeCluster) -> list[str]:
    return [label for _, label in verbs(cluster.requests, [FakeVerb.APPLY])]


def with_annotation(m: Manifest, key: str, value: str) -> Manifest:
    body = dict(m.body)
    metadata = dict(body["metadata"])
    metadata["annotations"] = {**metadata.get("annotations", {}), key: value}
    body["metadata"] = metadata
    return Manifest(ref=m.ref, body=body, source_path=m.source_path)


def test_only_objects_planned_apply_are_sent(cluster: FakeCluster, applier: Applier) -> None:
    new = decorated(configmap("new"))
    same = decorated(configmap("same"))
    theirs = decorated(configmap("theirs"))
    kept = decorated(configmap("kept"))
    result = run(
        applier,
        [
            planned(new, Action.APPLY),
            planned(same, Action.UNCHANGED),
            planned(theirs, Action.CONFLICT),
            planned(kept, Action.SKIP_MUTATION),
        ],
    )
    assert [verb for verb, _ in cluster.requests] == [FakeVerb.APPLY]
    assert applied_refs(cluster) == [str(new.ref)]
    assert set(result.applied) == {new.ref}
    assert result.errors == ()
    stored = cluster.peek(new.ref)
    assert stored is not None
    assert stored["metadata"]["managedFields"][0]["manager"] == FIELD_MANAGER


def test_crds_are_applied_and_established_before_namespaces_and_namespaced_objects(
    cluster: FakeCluster, applier: Applier
) -> None:
    crd_ref = ref_of(CRD, "widgets.ex.com")
    established = threading.Event()

    def apiextensions_controller() -> None:
        # Serve the new kind and mark the CRD Established once it exists.
        while not established.wait(0.01):
            live = cluster.peek(crd_ref)
            if live is None:
                continue
            cluster.register_type(WIDGET)
            live["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
            cluster.replace_status(crd_ref, live)
            established.set()

    controller = threading.Thread(target=apiextensions_controller, daemon=True)
    controller.start()
    objects = [
        decorated(widget("w")),
        decorated(configmap("cm")),
        decorated(cluster_role("reader")),
        decorated(namespace("app")),
        decorated(crd()),
    ]
    try:
        result = run(applier, [planned(m, Action.APPLY) for m in objects], timeout=10)
    finally:
        established.set()
        controller.join(5)
    order = applied_refs(cluster)
    assert order[:3] == [
        "CustomResourceDefinition.apiextensions.k8s.io widgets.ex.com",
        "Namespace app",
        "ClusterRole.rbac.authorization.k8s.io reader",
    ]
    assert sorted(order[3:]) == ["ConfigMap app/cm", "Widget.ex.com app/w"]
    assert result.errors == ()
    assert result.statuses[crd_ref].status is KStatus.CURRENT
    assert cluster.peek(ref_of(WIDGET, "w", "app")) is not None


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            InvalidError("data: Invalid value", status=422, reason="Invalid"),
            ErrorCode.APPLY_FAILURE,
        ),
        (
            ForbiddenError("configmaps is forbidden", status=403, reason="Forbidden"),
            ErrorCode.FORBIDDEN,
        ),
    ],
)
def test_one_rejected_object_is_reported_with_its_code_and_path_while_the_rest_apply(
    cluster: FakeCluster, applier: Applier, error: SyncdError, code: ErrorCode
) -> None:
    bad = decorated(configmap("bad"), "deploy/bad.yaml")
    good = [decorated(configmap(f"good-{i}")) for i in range(3)]
    cluster.fail_next(FakeVerb.APPLY, bad.ref, error)
    result = run(applier, [planned(m, Action.APPLY) for m in [bad, *good]])
    assert result.failed == frozenset({bad.ref})
    assert set(result.applied) == {m.ref for m in good}
    [reported] = result.errors
    assert reported.code is code
    assert [(r.ref, r.source_path) for r in reported.resources] == [(bad.ref, "deploy/bad.yaml")]
    assert cluster.peek(bad.ref) is None
    assert all(cluster.peek(m.ref) is not None for m in good)


def test_dependents_of_a_failed_object_are_skipped_with_an_error(
    cluster: FakeCluster, applier: Applier
) -> None:
    base = decorated(configmap("base"), "base.yaml")
    dependent = with_annotation(
        decorated(configmap("dependent"), "dependent.yaml"),
        DEPENDS_ON_ANNOTATION,
        "/namespaces/app/ConfigMap/base",
    )
    bystander = decorated(configmap("bystander"))
    cluster.fail_next(
        FakeVerb.APPLY, base.ref, InvalidError("bad base", status=422, reason="Invalid")
    )
    result = run(applier, [planned(m, Action.APPLY) for m in [dependent, base, bystander]])
    assert result.failed == {base.ref, dependent.ref}
    assert set(result.applied) == {bystander.ref}
    skipped = [e for e in result.errors if dependent.ref in {r.ref for r in e.resources}]
    assert len(skipped) == 1
    assert skipped[0].code is ErrorCode.APPLY_FAILURE
    assert "depends on ConfigMap app/base" in skipped[0].message
    assert skipped[0].resources[0].source_path == "dependent.yaml"
    assert str(dependent.ref) not in applied_refs(cluster)


def test_dependents_of_an_object_that_is_not_ready_in_time_are_skipped(
    cluster: FakeCluster, applier: Applier
) -> None:
    app = decorated(deployment("web"))
    dependent = with_annotation(
        decorated(configmap("after-web")),
        DEPENDS_ON_ANNOTATION,
        "apps/namespaces/app/Deployment/web",
    )
    result = run(applier, [planned(m, Action.APPLY) for m in [app, dependent]], timeout=0)
    assert set(result.applied) == {app.ref}
    assert result.statuses[app.ref].status is KStatus.IN_PROGRESS
    assert dependent.ref in result.failed
    assert cluster.peek(dependent.ref) is None
    assert not result.all_ready


def test_release_removes_syncd_metadata_with_a_merge_patch_and_keeps_the_object(
    cluster: FakeCluster, applier: Applier
) -> None:
    body = decorated(configmap("freed"))
    user_body = dict(body.body)
    user_body["metadata"] = {
        **body.body["metadata"],
        "labels": {**body.body["metadata"]["labels"], "team": "a"},
    }
    cluster.apply(body.ref, user_body, field_manager=FIELD_MANAGER)
    start = len(cluster.requests)
    result = run(applier, [planned(body, Action.RELEASE, live=cluster.peek(body.ref))])
    assert [verb for verb, _ in cluster.requests[start:]] == [FakeVerb.MERGE_PATCH]
    assert result.released == {body.ref}
    assert result.applied == {}
    live = cluster.peek(body.ref)
    assert live is not None
    assert live["metadata"]["labels"] == {"team": "a"}
    annotations = live["metadata"].get("annotations") or {}
    assert MANAGER_ANNOTATION not in annotations
    assert SOURCE_PATH_ANNOTATION not in annotations
    assert MANAGED_BY_LABEL not in live["metadata"]["labels"]
    assert live["data"] == {"key": "freed"}


def test_configmaps_are_current_from_the_apply_response_without_a_get(
    cluster: FakeCluster, applier: Applier
) -> None:
    objects = [decorated(configmap(f"cm-{i}")) for i in range(3)]
    result = run(applier, [planned(m, Action.APPLY) for m in objects])
    assert {r: s.status for r, s in result.statuses.items()} == {
        m.ref: KStatus.CURRENT for m in objects
    }
    assert result.all_ready
    assert verbs(cluster.requests, [FakeVerb.GET]) == []


def test_unknown_kind_is_reported_as_sd1021(cluster: FakeCluster, applier: Applier) -> None:
    unknown = decorated(widget("w"), "w.yaml")
    result = run(applier, [planned(unknown, Action.APPLY)])
    [error] = result.errors
    assert error.code is ErrorCode.UNKNOWN_KIND
    assert error.resources[0].source_path == "w.yaml"
    assert result.failed == {unknown.ref}
