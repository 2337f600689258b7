"""Inventory set algebra and ApplySet values (KEP-3659, kubectl's spelling)."""

from __future__ import annotations

from syncd.core.inventory import InventorySet, applyset_id, parse_group_kinds
from syncd.core.refs import ObjectRef


def ref(kind: str, name: str, namespace: str = "", group: str = "") -> ObjectRef:
    return ObjectRef(group=group, kind=kind, namespace=namespace, name=name)


A = ref("ConfigMap", "a", "ns")
B = ref("Deployment", "b", "other", "apps")
C = ref("ClusterRole", "c", group="rbac.authorization.k8s.io")


def test_applyset_id_matches_kubectl_test_vectors() -> None:
    assert (
        applyset_id("my-set", namespace="test", kind="Secret", group="")
        == "applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1"
    )
    assert (
        applyset_id("my-set", namespace="", kind="ApplySet", group="company.com")
        == "applyset-rhp1a-HVAVT_dFgyEygyA1BEB82HPp2o10UiFTpqtAs-v1"
    )


def test_pre_apply_record_is_the_union_of_old_and_new() -> None:
    assert InventorySet.pre_apply([A, B], [B, C]).refs == {A, B, C}


def test_post_prune_record_keeps_failed_removals_and_kept_objects() -> None:
    record = InventorySet.post_prune([A], failed_removals=[B], kept=[C])
    assert record.refs == {A, B, C}
    assert InventorySet.post_prune([A]).refs == {A}


def test_group_kinds_are_sorted_go_groupkind_strings() -> None:
    assert InventorySet.of([B, A, C, ref("ConfigMap", "z", "ns")]).group_kinds() == (
        "ClusterRole.rbac.authorization.k8s.io,ConfigMap,Deployment.apps"
    )
    assert InventorySet().group_kinds() == ""


def test_group_kinds_round_trip() -> None:
    value = InventorySet.of([A, B, C]).group_kinds()
    assert parse_group_kinds(value) == {
        ("", "ConfigMap"),
        ("apps", "Deployment"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
    }
    assert parse_group_kinds("") == frozenset()


def test_additional_namespaces_exclude_the_parents_own_and_cluster_scope() -> None:
    inventory = InventorySet.of([A, B, C, ref("ConfigMap", "x", "syncd-system")])
    assert inventory.namespaces() == ("ns", "other", "syncd-system")
    assert inventory.additional_namespaces(parent_namespace="syncd-system") == "ns,other"
    assert InventorySet.of([C]).additional_namespaces(parent_namespace="x") == ""


def test_set_operations_and_deterministic_iteration() -> None:
    inventory = InventorySet.of([C, B, A])
    assert list(inventory) == sorted([A, B, C])
    assert len(inventory) == 3
    assert A in inventory
    assert inventory.difference([A]).refs == {B, C}
    assert InventorySet.of([A]).union([B]).refs == {A, B}


def test_identity_ignores_the_version() -> None:
    v1 = ObjectRef(group="apps", kind="Deployment", namespace="other", name="b", version="v1")
    assert v1 in InventorySet.of([B])
