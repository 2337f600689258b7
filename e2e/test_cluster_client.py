"""KubeClient against the real control plane: discovery, SSA, lists, deletes, RBAC, watches.

Every assertion here is about what the real API server does with syncd's raw
JSON requests, including the error shapes `syncd.cluster.errors` translates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from e2e.kube import unique, widget_crd
from syncd.cluster.client import KubeClient
from syncd.cluster.config import Connection, load_connection
from syncd.core.errors import (
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
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import free_port, wait_until

pytestmark = pytest.mark.e2e

MANAGER = "syncd"


@pytest.fixture(scope="module")
def connection(control_plane: ControlPlane) -> Connection:
    return load_connection(control_plane.kubeconfig)


@pytest.fixture(scope="module")
def client(connection: Connection) -> KubeClient:
    return KubeClient(connection, max_connections=32)


@pytest.fixture
def namespace(client: KubeClient) -> str:
    name = unique("cc")
    ref = ObjectRef(group="", kind="Namespace", name=name, version="v1")
    client.apply(
        ref,
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        field_manager=MANAGER,
    )
    return name


def cm_ref(namespace: str, name: str) -> ObjectRef:
    return ObjectRef(group="", kind="ConfigMap", namespace=namespace, name=name, version="v1")


def configmap(namespace: str, name: str, data: dict[str, str], **labels: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def test_load_connection_reads_the_admin_kubeconfig(
    control_plane: ControlPlane, connection: Connection
) -> None:
    assert connection.server == control_plane.server
    assert connection.ca_file == control_plane.ca_file
    assert connection.bearer_token
    assert connection.bearer_token not in repr(connection)


def test_discovery_maps_builtin_kinds_with_two_requests(connection: Connection) -> None:
    fresh = KubeClient(connection)
    assert fresh.resource_type("", "ConfigMap") == ResourceType(
        group="", version="v1", kind="ConfigMap", resource="configmaps", namespaced=True
    )
    assert fresh.resource_type("apps", "Deployment") == ResourceType(
        group="apps", version="v1", kind="Deployment", resource="deployments", namespaced=True
    )
    crd = fresh.resource_type("apiextensions.k8s.io", "CustomResourceDefinition")
    assert (crd.resource, crd.namespaced) == ("customresourcedefinitions", False)
    assert fresh.request_counts == {"discovery": 2}  # aggregated discovery: /api and /apis


def test_a_new_crd_kind_is_unknown_until_discovery_is_refreshed(
    connection: Connection, admin: KubeHttp, namespace: str
) -> None:
    # A frozen clock: a lookup miss never reloads by itself, only refresh_discovery() does.
    client = KubeClient(connection, clock=lambda: 0.0)
    group = f"{unique('w')}.example.com"
    with pytest.raises(UnknownKindError) as before:
        client.resource_type(group, "Widget")
    assert before.value.code is ErrorCode.UNKNOWN_KIND
    assert f"Widget.{group}" in str(before.value)

    crd = widget_crd(group)
    crd_ref = ObjectRef.from_object(crd)
    client.apply(crd_ref, crd, field_manager=MANAGER)

    def established() -> bool:
        live = client.get(crd_ref) or {}
        conditions = (live.get("status") or {}).get("conditions") or []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

    wait_until(established, timeout=30, what="CRD Established")
    with pytest.raises(UnknownKindError):  # still the cached mapping
        client.resource_type(group, "Widget")
    client.refresh_discovery()
    rtype = client.resource_type(group, "Widget")
    assert rtype == ResourceType(
        group=group, version="v1", kind="Widget", resource="widgets", namespaced=True
    )

    ref = ObjectRef(group=group, kind="Widget", namespace=namespace, name="w1", version="v1")
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": namespace},
        "spec": {"size": 2},
    }

    def applied() -> dict[str, Any] | None:
        try:
            return client.apply(ref, body, field_manager=MANAGER)
        except NotFoundError as exc:
            if exc.reason:  # only the plain-text 404 of a not-yet-served CR path is expected
                raise
            return None

    live = wait_until(applied, timeout=15, what="first Widget applied")

    # The status subresource: PUT with the live resourceVersion, stale ones conflict.
    live["status"] = {"phase": "Ready"}
    updated = client.replace_status(ref, live)
    assert updated["status"] == {"phase": "Ready"}
    with pytest.raises(ConflictError, match="has been modified"):
        client.replace_status(ref, live)

    # 422 with causes from the CRD's schema.
    with pytest.raises(InvalidError) as invalid:
        client.apply(ref, {**body, "spec": {"size": 0}}, field_manager=MANAGER)
    assert invalid.value.status == 422
    assert any(c.get("field") == "spec.size" for c in invalid.value.causes)

    # This type's watch cache started when the CRD was created, long after
    # resourceVersion 1: the server answers 200 with one ERROR event (code 410).
    raw = admin.get(f"/apis/{group}/v1/widgets?watch=1&resourceVersion=1&timeoutSeconds=5")
    assert raw.status == 200
    event = json.loads(raw.body.splitlines()[0])
    assert (event["type"], event["object"]["code"], event["object"]["reason"]) == (
        "ERROR",
        410,
        "Expired",
    )
    with pytest.raises(ResourceExpiredError, match="too old resource version: 1"):
        next(client.watch(rtype, resource_version="1", timeout_seconds=5))


def test_apply_creates_and_an_identical_reapply_keeps_the_resource_version(
    client: KubeClient, namespace: str
) -> None:
    ref = cm_ref(namespace, "same")
    body = configmap(namespace, "same", {"k": "v"})
    created = client.apply(ref, body, field_manager=MANAGER)
    assert created["data"] == {"k": "v"}
    again = client.apply(ref, body, field_manager=MANAGER)
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    changed = client.apply(ref, configmap(namespace, "same", {"k": "w"}), field_manager=MANAGER)
    assert changed["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    got = client.get(ref)
    assert got is not None
    assert got["data"] == {"k": "w"}
    assert client.get(cm_ref(namespace, "absent")) is None


def test_a_conflicting_apply_without_force_raises_conflict_with_causes(
    client: KubeClient, namespace: str
) -> None:
    ref = cm_ref(namespace, "contested")
    client.apply(ref, configmap(namespace, "contested", {"k": "a"}), field_manager="alpha")
    with pytest.raises(ConflictError) as info:
        client.apply(
            ref, configmap(namespace, "contested", {"k": "b"}), field_manager="beta", force=False
        )
    assert info.value.status == 409
    assert info.value.reason == "Conflict"
    assert info.value.causes == (
        {"reason": "FieldManagerConflict", "message": 'conflict with "alpha"', "field": ".data.k"},
    )
    forced = client.apply(
        ref, configmap(namespace, "contested", {"k": "b"}), field_manager="beta", force=True
    )
    assert forced["data"] == {"k": "b"}


def test_dry_run_apply_does_not_persist(client: KubeClient, namespace: str) -> None:
    ref = cm_ref(namespace, "ghost")
    preview = client.apply(
        ref, configmap(namespace, "ghost", {"a": "1"}), field_manager=MANAGER, dry_run=True
    )
    assert preview["data"] == {"a": "1"}
    # 1.35 fills in metadata (even a uid) as for a real create, but nothing
    # reached etcd: there is no resourceVersion and a GET finds nothing.
    assert not preview["metadata"].get("resourceVersion")
    assert client.get(ref) is None


def test_parallel_applies_then_a_paginated_list_across_namespaces(
    connection: Connection, namespace: str
) -> None:
    client = KubeClient(connection, max_connections=32, list_page_size=500)
    other = unique("cc")
    client.apply(
        ObjectRef(group="", kind="Namespace", name=other, version="v1"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}},
        field_manager=MANAGER,
    )
    batch = unique("batch")
    wanted = [(namespace if i % 2 else other, f"cm-{i:03d}") for i in range(600)]
    before = dict(client.request_counts)

    def apply_one(item: tuple[str, str]) -> str:
        ns, name = item
        live = client.apply(
            cm_ref(ns, name), configmap(ns, name, {"i": name}, batch=batch), field_manager=MANAGER
        )
        return str(live["metadata"]["uid"])

    with ThreadPoolExecutor(max_workers=32) as pool:
        uids = list(pool.map(apply_one, wanted))
    assert len(set(uids)) == 600

    rtype = client.resource_type("", "ConfigMap")
    result = client.list(rtype, label_selector=f"batch={batch}")
    after = client.request_counts
    assert after["apply"] - before.get("apply", 0) == 600
    assert after["list"] - before.get("list", 0) == 2  # 500 + 100 (page size 500)
    assert sorted(
        (i["metadata"]["namespace"], i["metadata"]["name"]) for i in result.items
    ) == sorted(wanted)
    assert all(i["apiVersion"] == "v1" and i["kind"] == "ConfigMap" for i in result.items)
    assert result.resource_version
    in_one = client.list(rtype, namespace=namespace, label_selector=f"batch={batch}")
    assert len(in_one.items) == 300


def test_delete_with_a_mismatched_uid_conflicts_and_the_object_survives(
    client: KubeClient, namespace: str
) -> None:
    ref = cm_ref(namespace, "precious")
    live = client.apply(ref, configmap(namespace, "precious", {}), field_manager=MANAGER)
    with pytest.raises(ConflictError, match="UID in the precondition"):
        client.delete(ref, uid="00000000-0000-0000-0000-000000000000")
    assert client.get(ref) is not None
    assert client.delete(ref, uid=live["metadata"]["uid"]) is DeleteResult.DELETED
    assert client.get(ref) is None
    assert client.delete(ref) is DeleteResult.ABSENT


def test_merge_patch_and_create(client: KubeClient, namespace: str) -> None:
    ref = cm_ref(namespace, "patched")
    client.apply(ref, configmap(namespace, "patched", {"a": "1", "b": "2"}), field_manager=MANAGER)
    patched = client.merge_patch(
        ref, {"data": {"a": None, "c": "3"}}, field_manager="syncd-release"
    )
    assert patched["data"] == {"b": "2", "c": "3"}
    managers = {e["manager"] for e in patched["metadata"]["managedFields"]}
    assert "syncd-release" in managers

    generated = client.create(
        cm_ref(namespace, ""),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "ev-"}},
    )
    name = generated["metadata"]["name"]
    assert name.startswith("ev-")
    with pytest.raises(ConflictError) as info:
        client.create(
            cm_ref(namespace, name),
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}},
        )
    assert info.value.reason == "AlreadyExists"


def test_a_plain_user_is_forbidden_with_sd2013(control_plane: ControlPlane, namespace: str) -> None:
    alice = KubeClient(load_connection(control_plane.kubeconfig_for("alice")))
    with pytest.raises(ForbiddenError) as info:
        alice.get(cm_ref(namespace, "anything"))
    assert info.value.code is ErrorCode.FORBIDDEN
    assert info.value.status == 403
    assert 'User "alice" cannot get resource "configmaps"' in info.value.message


def test_impersonating_alice_is_forbidden_like_alice(client: KubeClient, namespace: str) -> None:
    as_alice = client.impersonating("alice")
    with pytest.raises(ForbiddenError, match='User "alice" cannot patch'):
        as_alice.apply(cm_ref(namespace, "x"), configmap(namespace, "x", {}), field_manager=MANAGER)
    assert as_alice.request_counts == {"apply": 1}


def test_impersonation_sends_the_user_and_every_group(client: KubeClient) -> None:
    review = client.impersonating("carol", ["team-a", "team-b"]).create(
        ObjectRef(group="authentication.k8s.io", kind="SelfSubjectReview", name="", version="v1"),
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    user = review["status"]["userInfo"]
    assert user["username"] == "carol"
    assert {"team-a", "team-b"} <= set(user["groups"])


def test_watch_sees_added_modified_and_deleted(client: KubeClient, namespace: str) -> None:
    rtype = client.resource_type("", "ConfigMap")
    start = client.list(rtype, namespace=namespace).resource_version
    ref = cm_ref(namespace, "watched")
    client.apply(ref, configmap(namespace, "watched", {"v": "1"}), field_manager=MANAGER)
    client.apply(ref, configmap(namespace, "watched", {"v": "2"}), field_manager=MANAGER)
    assert client.delete(ref) is DeleteResult.DELETED

    seen: list[WatchEventType] = []
    events: Iterator[Any] = client.watch(
        rtype, namespace=namespace, resource_version=start, timeout_seconds=30
    )
    for event in events:
        if event.object.get("metadata", {}).get("name") == "watched":
            seen.append(event.type)
        if event.type is WatchEventType.DELETED:
            break
    events.close()  # type: ignore[attr-defined]
    assert seen == [WatchEventType.ADDED, WatchEventType.MODIFIED, WatchEventType.DELETED]


def test_an_unserved_path_answers_plain_text_404(client: KubeClient) -> None:
    nowhere = ResourceType(
        group="nope.example.com", version="v1", kind="Gizmo", resource="gizmos", namespaced=True
    )
    with pytest.raises(NotFoundError) as info:
        client.list(nowhere)
    assert info.value.reason == ""
    assert (
        info.value.message == "GET /apis/nope.example.com/v1/gizmos: HTTP 404: 404 page not found"
    )


def test_invalid_objects_raise_invalid_error_with_causes(
    client: KubeClient, namespace: str
) -> None:
    body = configmap(namespace, "bad", {}, **{"bad key!": "x"})
    with pytest.raises(InvalidError) as info:
        client.apply(cm_ref(namespace, "bad"), body, field_manager=MANAGER)
    assert info.value.reason == "Invalid"
    assert {c["field"] for c in info.value.causes} == {"metadata.labels"}


def test_the_token_never_appears_in_errors(
    client: KubeClient, connection: Connection, namespace: str
) -> None:
    token = connection.bearer_token
    errors: list[ClusterError] = []
    attempts: list[Callable[[], object]] = [
        lambda: client.impersonating("alice").get(cm_ref(namespace, "x")),
        lambda: client.apply(
            cm_ref(namespace, "bad"),
            configmap(namespace, "bad", {}, **{"bad key!": "x"}),
            field_manager=MANAGER,
        ),
        lambda: client.delete(cm_ref(namespace, "gone"), uid="u"),
        lambda: KubeClient(
            Connection(server=f"https://127.0.0.1:{free_port()}", bearer_token=token), timeout=2
        ).resource_type("", "ConfigMap"),
    ]
    for attempt in attempts:
        try:
            attempt()
        except ClusterError as exc:
            errors.append(exc)
    assert len(errors) == 3  # the delete of a missing object is not an error
    for err in errors:
        text = f"{err} {err!r} {getattr(err, 'causes', ())}"
        assert token not in text


def test_kube_client_is_a_cluster(client: KubeClient) -> None:
    typed: Cluster = client
    assert typed.resource_type("", "Secret").resource == "secrets"
