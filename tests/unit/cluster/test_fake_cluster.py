"""FakeCluster behaves like the API server where the stages above the cluster care."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from syncd.core.errors import (
    ApiError,
    ClusterError,
    ConflictError,
    ErrorCode,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ResourceExpiredError,
    UnknownKindError,
)
from syncd.core.ports import Cluster, DeleteResult, ResourceType, WatchEventType
from syncd.core.refs import ObjectRef
from syncd.testing.fake_cluster import FakeCluster, FakeVerb

CONFIGMAP = ResourceType(
    group="", version="v1", kind="ConfigMap", resource="configmaps", namespaced=True
)
NAMESPACE = ResourceType(
    group="", version="v1", kind="Namespace", resource="namespaces", namespaced=False
)
DEPLOYMENT = ResourceType(
    group="apps", version="v1", kind="Deployment", resource="deployments", namespaced=True
)
WIDGET = ResourceType(
    group="ex.com", version="v1", kind="Widget", resource="widgets", namespaced=True
)


class FixedClock:
    def now(self) -> dt.datetime:
        return dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)

    def monotonic(self) -> float:
        return 0.0


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster([CONFIGMAP, NAMESPACE, DEPLOYMENT], clock=FixedClock())


def cm_ref(name: str = "a", namespace: str = "ns") -> ObjectRef:
    return ObjectRef(group="", kind="ConfigMap", namespace=namespace, name=name, version="v1")


def cm(name: str = "a", namespace: str = "ns", **fields: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if "labels" in fields:
        metadata["labels"] = fields.pop("labels")
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, **fields}


def stored_data(cluster: FakeCluster) -> Any:
    stored = cluster.peek(cm_ref())
    assert stored is not None
    return stored.get("data")


def test_fake_cluster_satisfies_the_cluster_protocol() -> None:
    fake: Cluster = FakeCluster([CONFIGMAP])  # checked by mypy --strict
    assert fake.resource_type("", "ConfigMap") == CONFIGMAP


def test_unknown_kinds_raise_sd1021(cluster: FakeCluster) -> None:
    with pytest.raises(UnknownKindError) as info:
        cluster.resource_type("ex.com", "Widget")
    assert info.value.code is ErrorCode.UNKNOWN_KIND
    assert "Widget.ex.com" in str(info.value)
    with pytest.raises(UnknownKindError):
        cluster.apply(
            ObjectRef(group="ex.com", kind="Widget", namespace="ns", name="w"),
            {"apiVersion": "ex.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
            field_manager="syncd",
        )


def test_registered_types_appear_after_refresh_discovery(cluster: FakeCluster) -> None:
    cluster.register_type(WIDGET)
    with pytest.raises(UnknownKindError):
        cluster.resource_type("ex.com", "Widget")
    cluster.refresh_discovery()
    assert cluster.resource_type("ex.com", "Widget") == WIDGET
    with pytest.raises(UnknownKindError, match="version v2"):
        cluster.resource_type("ex.com", "Widget", version="v2")


def test_apply_creates_with_server_assigned_metadata(cluster: FakeCluster) -> None:
    live = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    meta = live["metadata"]
    assert meta["uid"]
    assert meta["resourceVersion"] == "2"
    assert meta["generation"] == 1
    assert meta["creationTimestamp"] == "2025-03-04T05:06:07Z"
    assert meta["managedFields"] == [
        {
            "manager": "syncd",
            "operation": "Apply",
            "apiVersion": "v1",
            "time": "2025-03-04T05:06:07Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:k": {}}},
        }
    ]
    assert live["data"] == {"k": "v"}
    assert cluster.get(cm_ref()) == live


def test_reapplying_identical_content_keeps_the_resource_version(cluster: FakeCluster) -> None:
    first = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    again = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again == first


def test_changes_bump_resource_version_and_content_changes_bump_generation(
    cluster: FakeCluster,
) -> None:
    first = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    relabelled = cluster.apply(
        cm_ref(), cm(data={"k": "v"}, labels={"a": "b"}), field_manager="syncd"
    )
    assert int(relabelled["metadata"]["resourceVersion"]) > int(
        first["metadata"]["resourceVersion"]
    )
    assert relabelled["metadata"]["generation"] == 1
    changed = cluster.apply(cm_ref(), cm(data={"k": "w"}, labels={"a": "b"}), field_manager="syncd")
    assert changed["metadata"]["generation"] == 2


def test_fields_no_longer_applied_are_removed(cluster: FakeCluster) -> None:
    cluster.apply(
        cm_ref(),
        cm(data={"k": "v", "old": "x"}, labels={"keep": "1", "drop": "2"}),
        field_manager="syncd",
    )
    live = cluster.apply(cm_ref(), cm(data={"k": "v"}, labels={"keep": "1"}), field_manager="syncd")
    assert live["data"] == {"k": "v"}
    assert live["metadata"]["labels"] == {"keep": "1"}
    emptied = cluster.apply(cm_ref(), cm(), field_manager="syncd")
    assert "data" not in emptied
    assert "labels" not in emptied["metadata"]


def test_fields_owned_by_other_managers_survive_removal(cluster: FakeCluster) -> None:
    cluster.apply(cm_ref(), cm(data={"k": "v", "shared": "s"}), field_manager="syncd")
    cluster.apply(cm_ref(), cm(data={"shared": "s"}), field_manager="helper")  # co-owner
    cluster.merge_patch(cm_ref(), {"data": {"theirs": "t"}}, field_manager="kubectl-edit")
    live = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    assert live["data"] == {"k": "v", "shared": "s", "theirs": "t"}
    managers = {(e["manager"], e["operation"]) for e in live["metadata"]["managedFields"]}
    assert managers == {("syncd", "Apply"), ("helper", "Apply"), ("kubectl-edit", "Update")}


def test_conflicting_apply_without_force_reports_field_manager_causes(
    cluster: FakeCluster,
) -> None:
    cluster.apply(cm_ref(), cm(data={"k": "a"}), field_manager="alpha")
    with pytest.raises(ConflictError) as info:
        cluster.apply(cm_ref(), cm(data={"k": "b"}), field_manager="beta", force=False)
    assert info.value.status == 409
    assert info.value.causes == (
        {"reason": "FieldManagerConflict", "message": 'conflict with "alpha"', "field": ".data.k"},
    )
    assert str(info.value).endswith('Apply failed with 1 conflict: conflict with "alpha": .data.k')
    assert stored_data(cluster) == {"k": "a"}


def test_forced_apply_takes_the_fields_from_the_other_manager(cluster: FakeCluster) -> None:
    cluster.apply(cm_ref(), cm(data={"k": "a"}), field_manager="alpha")
    live = cluster.apply(cm_ref(), cm(data={"k": "b"}), field_manager="beta", force=True)
    assert live["data"] == {"k": "b"}
    assert [e["manager"] for e in live["metadata"]["managedFields"]] == ["beta"]


def test_dry_run_apply_does_not_persist(cluster: FakeCluster) -> None:
    created = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd", dry_run=True)
    assert created["data"] == {"k": "v"}
    assert "resourceVersion" not in created["metadata"]
    assert cluster.peek(cm_ref()) is None
    cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    preview = cluster.apply(cm_ref(), cm(data={"k": "w"}), field_manager="syncd", dry_run=True)
    assert preview["data"] == {"k": "w"}
    assert stored_data(cluster) == {"k": "v"}
    assert cluster.requests[0] == ("dry_run_apply", "ConfigMap ns/a")


def test_bodies_the_server_rejects_are_rejected(cluster: FakeCluster) -> None:
    body = cm()
    body["metadata"]["managedFields"] = []
    with pytest.raises(ApiError, match="managedFields must be nil") as info:
        cluster.apply(cm_ref(), body, field_manager="syncd")
    assert info.value.status == 400
    with pytest.raises(ApiError, match="does not match the name"):
        cluster.apply(cm_ref("a"), cm("b"), field_manager="syncd")
    with pytest.raises(ClusterError, match="namespaced"):
        cluster.apply(cm_ref(namespace=""), cm(namespace=""), field_manager="syncd")


def test_stale_resource_versions_conflict(cluster: FakeCluster) -> None:
    live = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    cluster.apply(cm_ref(), cm(data={"k": "w"}), field_manager="syncd")
    live["status"] = {"phase": "x"}
    with pytest.raises(ConflictError, match="has been modified"):
        cluster.replace_status(cm_ref(), live)


def test_replace_status_changes_status_only(cluster: FakeCluster) -> None:
    live = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    updated = cluster.replace_status(cm_ref(), {**live, "status": {"ok": True}, "data": {}})
    assert updated["status"] == {"ok": True}
    assert updated["data"] == {"k": "v"}
    assert updated["metadata"]["generation"] == 1
    assert updated["metadata"]["resourceVersion"] != live["metadata"]["resourceVersion"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", ["a", "b", "c", "d"]),
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("tier", ["a", "c"]),
        ("!tier", ["b", "d"]),
        ("app=web,tier=front", ["a"]),
        ("app in (web, db)", ["a", "b", "c"]),
        ("app notin (web)", ["c", "d"]),
    ],
)
def test_list_filters_by_label_selector(
    cluster: FakeCluster, selector: str, expected: list[str]
) -> None:
    labels = {
        "a": {"app": "web", "tier": "front"},
        "b": {"app": "web"},
        "c": {"app": "db", "tier": "back"},
        "d": {},
    }
    for name, lab in labels.items():
        cluster.apply(cm_ref(name), cm(name, labels=lab), field_manager="syncd")
    result = cluster.list(CONFIGMAP, label_selector=selector)
    assert [item["metadata"]["name"] for item in result.items] == expected
    assert result.resource_version == cluster.resource_version


def test_list_is_per_namespace_or_across_all(cluster: FakeCluster) -> None:
    cluster.apply(cm_ref("a", "one"), cm("a", "one"), field_manager="syncd")
    cluster.apply(cm_ref("b", "two"), cm("b", "two"), field_manager="syncd")
    assert len(cluster.list(CONFIGMAP).items) == 2
    assert [i["metadata"]["name"] for i in cluster.list(CONFIGMAP, namespace="two").items] == ["b"]
    assert cluster.list(DEPLOYMENT).items == ()


@pytest.mark.parametrize(
    ("selector", "problem"),
    [
        ("bad key!=x", "invalid label key"),
        ("app in (web", "unbalanced parenthesis"),
        ("app in ()", "needs at least one value"),
        ("app=bad value", "invalid label value"),
    ],
)
def test_malformed_selectors_are_bad_requests(
    cluster: FakeCluster, selector: str, problem: str
) -> None:
    with pytest.raises(ApiError, match=problem) as info:
        cluster.list(CONFIGMAP, label_selector=selector)
    assert info.value.status == 400


def test_delete_with_a_mismatched_uid_conflicts_and_keeps_the_object(cluster: FakeCluster) -> None:
    live = cluster.apply(cm_ref(), cm(), field_manager="syncd")
    with pytest.raises(ConflictError, match="UID in the precondition"):
        cluster.delete(cm_ref(), uid="someone-else")
    assert cluster.peek(cm_ref()) is not None
    assert cluster.delete(cm_ref(), uid=live["metadata"]["uid"]) is DeleteResult.DELETED
    assert cluster.peek(cm_ref()) is None
    assert cluster.delete(cm_ref()) is DeleteResult.ABSENT


def test_finalizers_hold_a_deleted_object_until_they_are_removed(cluster: FakeCluster) -> None:
    body = cm()
    body["metadata"]["finalizers"] = ["syncd.dev/foreground"]
    cluster.apply(cm_ref(), body, field_manager="syncd")
    assert cluster.delete(cm_ref()) is DeleteResult.PENDING
    terminating = cluster.peek(cm_ref())
    assert terminating is not None
    assert terminating["metadata"]["deletionTimestamp"] == "2025-03-04T05:06:07Z"
    cluster.merge_patch(cm_ref(), {"metadata": {"finalizers": None}}, field_manager="syncd")
    assert cluster.peek(cm_ref()) is None


def test_merge_patch_follows_rfc_7386(cluster: FakeCluster) -> None:
    cluster.apply(cm_ref(), cm(data={"a": "1", "b": "2"}, labels={"x": "1"}), field_manager="syncd")
    live = cluster.merge_patch(
        cm_ref(),
        {"data": {"a": None, "c": "3"}, "metadata": {"labels": {"y": "2"}}},
        field_manager="release",
    )
    assert live["data"] == {"b": "2", "c": "3"}
    assert live["metadata"]["labels"] == {"x": "1", "y": "2"}
    with pytest.raises(NotFoundError):
        cluster.merge_patch(cm_ref("missing"), {"data": {}}, field_manager="release")


def test_create_refuses_duplicates_and_supports_generate_name(cluster: FakeCluster) -> None:
    cluster.create(cm_ref(), cm())
    with pytest.raises(ConflictError) as info:
        cluster.create(cm_ref(), cm())
    assert info.value.reason == "AlreadyExists"
    generated = cluster.create(
        cm_ref(""),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "ev-"}},
    )
    assert generated["metadata"]["name"].startswith("ev-")
    assert generated["metadata"]["generateName"] == "ev-"
    with pytest.raises(InvalidError):
        cluster.create(cm_ref(""), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})


def test_cluster_scoped_objects_ignore_namespaces(cluster: FakeCluster) -> None:
    ref = ObjectRef(group="", kind="Namespace", name="team-a", version="v1")
    live = cluster.apply(
        ref,
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}},
        field_manager="syncd",
    )
    assert "namespace" not in live["metadata"]
    assert [i["metadata"]["name"] for i in cluster.list(NAMESPACE, namespace="x").items] == [
        "team-a"
    ]


def test_returned_objects_are_copies(cluster: FakeCluster) -> None:
    live = cluster.apply(cm_ref(), cm(data={"k": "v"}), field_manager="syncd")
    live["data"]["k"] = "mutated"
    got = cluster.get(cm_ref())
    assert got is not None
    assert got["data"] == {"k": "v"}


def test_watch_from_empty_lists_current_objects_then_a_bookmark(cluster: FakeCluster) -> None:
    cluster.apply(cm_ref("a"), cm("a"), field_manager="syncd")
    cluster.apply(cm_ref("b", "other"), cm("b", "other"), field_manager="syncd")
    events = list(cluster.watch(CONFIGMAP, namespace="ns"))
    assert [(e.type, e.object["metadata"].get("name")) for e in events] == [
        (WatchEventType.ADDED, "a"),
        (WatchEventType.BOOKMARK, None),
    ]
    assert events[-1].object["metadata"]["resourceVersion"] == cluster.resource_version


def test_watch_from_a_resource_version_replays_later_changes(cluster: FakeCluster) -> None:
    start = cluster.apply(cm_ref(), cm(data={"k": "1"}), field_manager="syncd")
    cluster.apply(cm_ref(), cm(data={"k": "2"}), field_manager="syncd")
    cluster.apply(cm_ref("b"), cm("b", labels={"app": "x"}), field_manager="syncd")
    cluster.delete(cm_ref())
    events = list(cluster.watch(CONFIGMAP, resource_version=start["metadata"]["resourceVersion"]))
    assert [(e.type, e.object["metadata"].get("name")) for e in events] == [
        (WatchEventType.MODIFIED, "a"),
        (WatchEventType.ADDED, "b"),
        (WatchEventType.DELETED, "a"),
        (WatchEventType.BOOKMARK, None),
    ]
    selected = list(cluster.watch(CONFIGMAP, resource_version="1", label_selector="app=x"))
    assert [e.type for e in selected] == [WatchEventType.ADDED, WatchEventType.BOOKMARK]


def test_watching_from_before_a_compaction_expires_on_first_next(cluster: FakeCluster) -> None:
    cluster.apply(cm_ref(), cm(), field_manager="syncd")
    cluster.compact()
    events = cluster.watch(CONFIGMAP, resource_version="1")  # nothing raised yet
    with pytest.raises(ResourceExpiredError) as info:
        next(events)
    assert info.value.status == 410
    latest = cluster.watch(CONFIGMAP, resource_version=cluster.resource_version)
    assert [e.type for e in latest] == [WatchEventType.BOOKMARK]


def test_fail_next_hits_only_the_named_object_once(cluster: FakeCluster) -> None:
    denied = ForbiddenError("configmaps is forbidden", status=403, reason="Forbidden")
    cluster.fail_next(FakeVerb.APPLY, cm_ref("b"), denied)
    cluster.apply(cm_ref("a"), cm("a"), field_manager="syncd")
    with pytest.raises(ForbiddenError) as info:
        cluster.apply(cm_ref("b"), cm("b"), field_manager="syncd")
    assert info.value.code is ErrorCode.FORBIDDEN
    cluster.apply(cm_ref("b"), cm("b"), field_manager="syncd")
    assert cluster.requests == [
        ("apply", "ConfigMap ns/a"),
        ("apply", "ConfigMap ns/b"),
        ("apply", "ConfigMap ns/b"),
    ]


def test_fail_always_by_type_lasts_until_cleared(cluster: FakeCluster) -> None:
    invalid = InvalidError("Deployment is invalid", status=422, reason="Invalid")
    cluster.fail_always("list", DEPLOYMENT, invalid)
    for _ in range(2):
        with pytest.raises(InvalidError):
            cluster.list(DEPLOYMENT)
    assert cluster.list(CONFIGMAP).items == ()
    cluster.clear_failures()
    assert cluster.list(DEPLOYMENT).items == ()
    assert cluster.requests.count(("list", "Deployment.apps")) == 3


def test_fail_next_without_target_hits_any_call_of_the_verb(cluster: FakeCluster) -> None:
    cluster.fail_next("get", None, ClusterError("connection reset"), times=2)
    for name in ("a", "b"):
        with pytest.raises(ClusterError):
            cluster.get(cm_ref(name))
    assert cluster.get(cm_ref("c")) is None
