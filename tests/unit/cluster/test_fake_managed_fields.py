"""FakeCluster's managedFields look like the real server's and honour managedFields surgery.

The facts these mirror are pinned against the real API server in
e2e/test_ssa_facts.py (entries, order, time, surgery by merge patch).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from syncd.core.errors import ConflictError
from syncd.core.fields import entry_fields, managed_fields_patch, missing_paths, syncd_entry
from syncd.core.fields import without_managers as drop_managers
from syncd.core.ports import ResourceType
from syncd.core.refs import ObjectRef
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster

CONFIGMAP = ResourceType(
    group="", version="v1", kind="ConfigMap", resource="configmaps", namespaced=True
)
DEPLOYMENT = ResourceType(
    group="apps", version="v1", kind="Deployment", resource="deployments", namespaced=True
)
START = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=START)


@pytest.fixture
def cluster(clock: FakeClock) -> FakeCluster:
    return FakeCluster([CONFIGMAP, DEPLOYMENT], clock=clock)


def cm_ref(name: str = "a") -> ObjectRef:
    return ObjectRef(group="", kind="ConfigMap", namespace="ns", name=name, version="v1")


def cm(data: dict[str, str], name: str = "a") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "ns"},
        "data": data,
    }


def deployment(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "labels": {"empty": ""}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "app", "image": "nginx:1"}],
                    "volumes": [{"name": "scratch", "emptyDir": {}}],
                },
            },
            **spec,
        },
    }


DEPLOYMENT_REF = ObjectRef(
    group="apps", kind="Deployment", namespace="ns", name="web", version="v1"
)


def managers(live: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in live["metadata"]["managedFields"]]


def at(seconds: int) -> str:
    return (START + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_entries_carry_fields_v1_with_lists_atomic_and_empty_maps_as_leaves(
    cluster: FakeCluster,
) -> None:
    live = cluster.apply(DEPLOYMENT_REF, deployment(replicas=2), field_manager="syncd")
    [entry] = live["metadata"]["managedFields"]
    assert entry == {
        "manager": "syncd",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": "2025-03-04T05:06:07Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {"f:empty": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {"f:matchLabels": {"f:app": {}}},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {}, "f:volumes": {}},
                },
            },
        },
    }


def test_the_core_fields_module_reads_the_fakes_entries(cluster: FakeCluster) -> None:
    body = deployment(replicas=2)
    live = cluster.apply(DEPLOYMENT_REF, body, field_manager="syncd")
    assert missing_paths(body, entry_fields(syncd_entry(live))) == ()
    edited = cluster.merge_patch(
        DEPLOYMENT_REF,
        {"metadata": {"labels": {"empty": None}}, "spec": {"replicas": 5}},
        field_manager="kubectl-edit",
    )
    assert missing_paths(body, entry_fields(syncd_entry(edited))) == (
        ".metadata.labels.empty",
        ".spec.replicas",
    )


def test_a_manager_time_moves_only_when_its_own_fields_change(
    cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.apply(cm_ref(), cm({"k": "v", "j": "w"}), field_manager="syncd")
    clock.advance(60)
    same = cluster.apply(cm_ref(), cm({"k": "v", "j": "w"}), field_manager="syncd")
    assert same["metadata"]["managedFields"][0]["time"] == at(0)
    clock.advance(60)
    taken = cluster.merge_patch(cm_ref(), {"data": {"k": "edited"}}, field_manager="kubectl-edit")
    by_manager = {e["manager"]: e for e in taken["metadata"]["managedFields"]}
    assert by_manager["syncd"]["time"] == at(0)  # losing a field does not move it
    assert by_manager["kubectl-edit"]["time"] == at(120)
    assert by_manager["syncd"]["fieldsV1"] == {"f:data": {"f:j": {}}}
    clock.advance(60)
    restored = cluster.apply(cm_ref(), cm({"k": "v", "j": "w"}), field_manager="syncd")
    assert syncd_entry(restored) is not None
    assert syncd_entry(restored)["time"] == at(180)  # type: ignore[index]


def test_entries_are_in_the_servers_order_apply_first_then_oldest(
    cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.apply(cm_ref(), cm({"k": "v"}), field_manager="syncd")
    clock.advance(1)
    cluster.merge_patch(cm_ref(), {"data": {"z": "1"}}, field_manager="zeta")
    clock.advance(1)
    cluster.merge_patch(cm_ref(), {"data": {"y": "1"}}, field_manager="alpha")
    clock.advance(1)
    live = cluster.apply(cm_ref(), cm({"k": "v", "x": "1"}), field_manager="helper")
    assert managers(live) == [
        ("syncd", "Apply"),
        ("helper", "Apply"),
        ("zeta", "Update"),
        ("alpha", "Update"),
    ]


def test_a_merge_patch_that_writes_an_unchanged_value_takes_no_ownership(
    cluster: FakeCluster,
) -> None:
    cluster.apply(cm_ref(), cm({"k": "v"}), field_manager="syncd")
    live = cluster.merge_patch(cm_ref(), {"data": {"k": "v"}}, field_manager="kubectl-edit")
    assert managers(live) == [("syncd", "Apply")]


def test_managed_fields_surgery_replaces_the_list_exactly_and_adds_no_entry(
    cluster: FakeCluster,
) -> None:
    live = cluster.apply(DEPLOYMENT_REF, deployment(replicas=3), field_manager="syncd")
    entries = copy.deepcopy(live["metadata"]["managedFields"])
    del entries[0]["fieldsV1"]["f:spec"]["f:replicas"]
    patched = cluster.merge_patch(
        DEPLOYMENT_REF, managed_fields_patch(live, entries), field_manager="syncd"
    )
    assert patched["metadata"]["managedFields"] == entries
    assert patched["spec"]["replicas"] == 3
    # Without replicas in syncd's entry, an apply that omits it leaves the value alone.
    again = cluster.apply(DEPLOYMENT_REF, deployment(), field_manager="syncd")
    assert again["spec"]["replicas"] == 3


def test_without_surgery_an_apply_that_omits_a_field_removes_it(cluster: FakeCluster) -> None:
    cluster.apply(DEPLOYMENT_REF, deployment(replicas=3), field_manager="syncd")
    again = cluster.apply(DEPLOYMENT_REF, deployment(), field_manager="syncd")
    assert "replicas" not in again["spec"]


def test_surgery_with_a_stale_resource_version_conflicts_and_changes_nothing(
    cluster: FakeCluster,
) -> None:
    live = cluster.apply(cm_ref(), cm({"k": "v"}), field_manager="syncd")
    cluster.apply(cm_ref(), cm({"k": "w"}), field_manager="syncd")
    with pytest.raises(ConflictError, match="has been modified") as info:
        cluster.merge_patch(cm_ref(), managed_fields_patch(live, [{}]), field_manager="syncd")
    assert info.value.status == 409
    stored = cluster.peek(cm_ref())
    assert stored is not None
    assert managers(stored) == [("syncd", "Apply")]


def test_a_list_of_one_empty_entry_clears_every_entry(cluster: FakeCluster) -> None:
    live = cluster.apply(cm_ref(), cm({"k": "v"}), field_manager="syncd")
    wiped = cluster.merge_patch(cm_ref(), managed_fields_patch(live, []), field_manager="x")
    assert "managedFields" not in wiped["metadata"]
    assert wiped["data"] == {"k": "v"}


def test_an_empty_managed_fields_list_in_a_patch_is_ignored(cluster: FakeCluster) -> None:
    cluster.apply(cm_ref(), cm({"k": "v"}), field_manager="syncd")
    live = cluster.merge_patch(
        cm_ref(), {"metadata": {"managedFields": []}}, field_manager="kubectl-edit"
    )
    assert managers(live) == [("syncd", "Apply")]


@pytest.mark.parametrize("other", ["kubectl", "kubectl-client-side-apply"])
@pytest.mark.parametrize("surgery", [True, False])
def test_a_dropped_field_is_removed_only_once_the_co_owners_entry_is_gone(
    cluster: FakeCluster, other: str, *, surgery: bool
) -> None:
    cluster.create(cm_ref(), cm({}))
    if other == "kubectl":
        cluster.apply(cm_ref(), cm({"a": "1", "b": "2"}), field_manager=other)
    else:
        cluster.merge_patch(cm_ref(), {"data": {"a": "1", "b": "2"}}, field_manager=other)
    live = cluster.apply(cm_ref(), cm({"a": "1", "b": "2"}), field_manager="syncd", force=True)
    assert {m for m, _ in managers(live)} == {"syncd", other}  # same values: co-owned
    if surgery:
        entries = drop_managers(live["metadata"]["managedFields"], [other])
        cluster.merge_patch(cm_ref(), managed_fields_patch(live, entries), field_manager="syncd")
    dropped = cluster.apply(cm_ref(), cm({"a": "1"}), field_manager="syncd")
    assert dropped["data"] == ({"a": "1"} if surgery else {"a": "1", "b": "2"})
