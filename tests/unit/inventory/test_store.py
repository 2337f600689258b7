"""The inventory store writes the ResourceGroup as an ApplySet parent, and only when it changes."""

from __future__ import annotations

import pytest

from syncd import __version__
from syncd.api.resourcegroup import ResourceStatus
from syncd.core.errors import ClusterError, ConflictError, SyncSpecError
from syncd.core.inventory import InventorySet, applyset_id
from syncd.core.metadata import (
    APPLYSET_GROUP_KINDS_ANNOTATION,
    APPLYSET_ID_LABEL,
    APPLYSET_NAMESPACES_ANNOTATION,
    APPLYSET_TOOLING_ANNOTATION,
    MANAGED_BY_LABEL,
)
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId, SyncKind
from syncd.inventory.store import InventoryStore
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import BUILTIN_TYPES, WRITE_VERBS, cm_ref, verbs

SYNC = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="root")
REFS = InventorySet.of(
    [
        ObjectRef(group="", kind="ConfigMap", namespace="app", name="a"),
        ObjectRef(group="", kind="ConfigMap", namespace="syncd-system", name="b"),
        ObjectRef(group="apps", kind="Deployment", namespace="web", name="d"),
        ObjectRef(group="", kind="Namespace", name="app"),
        ObjectRef(group="rbac.authorization.k8s.io", kind="ClusterRole", name="reader"),
    ]
)


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(BUILTIN_TYPES, clock=FakeClock())


@pytest.fixture
def store(cluster: FakeCluster) -> InventoryStore:
    return InventoryStore(cluster, sync=SYNC)


def test_record_writes_the_resource_group_as_an_applyset_parent(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    assert store.record(REFS) is True
    live = cluster.peek(store.ref)
    assert live is not None
    meta = live["metadata"]
    assert (meta["namespace"], meta["name"]) == ("syncd-system", "root")
    assert meta["labels"][APPLYSET_ID_LABEL] == applyset_id(
        "root", namespace="syncd-system", kind="ResourceGroup", group="syncd.dev"
    )
    assert meta["labels"][APPLYSET_ID_LABEL] == store.applyset_id
    assert meta["labels"][MANAGED_BY_LABEL] == "syncd"
    annotations = meta["annotations"]
    assert annotations[APPLYSET_TOOLING_ANNOTATION] == f"syncd/{__version__}"
    assert annotations[APPLYSET_GROUP_KINDS_ANNOTATION] == (
        "ClusterRole.rbac.authorization.k8s.io,ConfigMap,Deployment.apps,Namespace"
    )
    assert annotations[APPLYSET_NAMESPACES_ANNOTATION] == "app,web"
    entries = {
        (e.get("group", ""), e["kind"], e.get("namespace", ""), e["name"])
        for e in live["spec"]["resources"]
    }
    assert entries == {(r.group, r.kind, r.namespace, r.name) for r in REFS}
    assert meta["managedFields"][0]["manager"] == "syncd"


def test_recording_the_same_set_again_makes_no_request(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    store.record(REFS)
    start = len(cluster.requests)
    assert store.record(InventorySet.of(list(REFS))) is False
    assert cluster.requests[start:] == []


def test_a_loaded_inventory_is_not_rewritten_when_unchanged(cluster: FakeCluster) -> None:
    InventoryStore(cluster, sync=SYNC).record(REFS)
    restarted = InventoryStore(cluster, sync=SYNC)
    inventory = restarted.load()
    assert inventory.exists
    assert inventory.refs == REFS
    start = len(cluster.requests)
    assert restarted.record(REFS) is False
    assert cluster.requests[start:] == []


def test_a_changed_set_is_written_again(cluster: FakeCluster, store: InventoryStore) -> None:
    store.record(REFS)
    smaller = REFS.difference(
        [ObjectRef(group="apps", kind="Deployment", namespace="web", name="d")]
    )
    assert store.record(smaller) is True
    live = cluster.peek(store.ref)
    assert live is not None
    assert len(live["spec"]["resources"]) == 4
    assert live["metadata"]["annotations"][APPLYSET_NAMESPACES_ANNOTATION] == "app"
    assert "Deployment.apps" not in live["metadata"]["annotations"][APPLYSET_GROUP_KINDS_ANNOTATION]


def test_a_missing_resource_group_is_an_empty_inventory(store: InventoryStore) -> None:
    inventory = store.load()
    assert not inventory.exists
    assert len(inventory.refs) == 0


def test_a_resource_group_owned_by_another_tool_is_refused(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    cluster.apply(
        store.ref,
        {
            "apiVersion": "syncd.dev/v1beta1",
            "kind": "ResourceGroup",
            "metadata": {
                "name": "root",
                "namespace": "syncd-system",
                "annotations": {APPLYSET_TOOLING_ANNOTATION: "kubectl/v1.33.0"},
            },
            "spec": {"resources": []},
        },
        field_manager="kubectl",
    )
    with pytest.raises(ClusterError, match=r"kubectl/v1\.33\.0"):
        store.load()


def test_object_statuses_are_written_once_until_they_change(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    store.record(REFS)
    statuses = dict.fromkeys(REFS, ResourceStatus.CURRENT)
    assert store.record_statuses(statuses) is True
    live = cluster.peek(store.ref)
    assert live is not None
    assert live["status"]["resourceCount"] == len(REFS)
    assert sorted(live["status"]["objects"]["current"]) == sorted(r.short for r in REFS)
    assert live["status"]["objects"]["inProgress"] == []
    start = len(cluster.requests)
    assert store.record_statuses(dict(statuses)) is False
    assert cluster.requests[start:] == []
    changed = {**statuses, next(iter(REFS)): ResourceStatus.IN_PROGRESS}
    assert store.record_statuses(changed) is True
    assert verbs(cluster.requests[start:], WRITE_VERBS) == [
        (FakeVerb.REPLACE_STATUS.value, "ResourceGroup.syncd.dev syncd-system/root")
    ]


def test_a_malformed_inventory_entry_is_reported_with_its_field_path(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    cluster.apply(
        store.ref,
        {
            "apiVersion": "syncd.dev/v1beta1",
            "kind": "ResourceGroup",
            "metadata": {"name": "root", "namespace": "syncd-system"},
            "spec": {"resources": [{"group": "", "name": "no-kind"}]},
        },
        field_manager="someone-else",
    )
    with pytest.raises(SyncSpecError, match=r"spec\.resources\[0\]\.kind: field required"):
        store.load()


def test_load_reads_every_entry_of_a_large_inventory(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    many = InventorySet.of(
        ObjectRef(group="", kind="ConfigMap", namespace="n", name=f"c{i}") for i in range(2000)
    )
    store.record(many)
    assert InventoryStore(cluster, sync=SYNC).load().refs == many


def test_statuses_already_stored_are_not_rewritten_by_a_new_process(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    refs = InventorySet.of([cm_ref("a")])
    store.record(refs)
    statuses = {cm_ref("a"): ResourceStatus.CURRENT}
    assert store.record_statuses(statuses)
    restarted = InventoryStore(cluster, sync=SYNC)
    restarted.load()
    start = len(cluster.requests)
    assert not restarted.record_statuses(statuses)
    assert cluster.requests[start:] == []
    assert restarted.record_statuses({cm_ref("a"): ResourceStatus.IN_PROGRESS})


def test_a_status_in_an_older_form_is_written_again_in_the_current_one(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    live = store.record(InventorySet.of([cm_ref("a")])) and cluster.peek(store.ref)
    assert live
    old = [{"kind": "ConfigMap", "namespace": "app", "name": "a", "status": "Current"}]
    cluster.replace_status(store.ref, {**live, "status": {"resourceStatuses": old}})
    restarted = InventoryStore(cluster, sync=SYNC)
    restarted.load()
    assert restarted.record_statuses({cm_ref("a"): ResourceStatus.CURRENT})
    stored = cluster.peek(store.ref)
    assert stored is not None
    assert stored["status"]["objects"]["current"] == [cm_ref("a").short]


def test_the_status_names_the_generation_of_the_spec_it_describes(cluster: FakeCluster) -> None:
    store = InventoryStore(cluster, sync=SYNC, clock=FakeClock())
    store.record(InventorySet.of([cm_ref("a"), cm_ref("b")]))
    store.record_statuses(dict.fromkeys([cm_ref("a"), cm_ref("b")], ResourceStatus.CURRENT))
    store.record(InventorySet.of([cm_ref("a")]))
    store.record_statuses({cm_ref("a"): ResourceStatus.CURRENT})
    live = cluster.peek(store.ref)
    assert live is not None
    assert [e["name"] for e in live["spec"]["resources"]] == ["a"]
    assert live["status"]["objects"]["current"] == [cm_ref("a").short]
    assert live["status"]["observedGeneration"] == live["metadata"]["generation"]


def test_claims_elsewhere_names_the_other_syncs_claims_and_never_its_own(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    other_sync = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="other")
    other = InventoryStore(cluster, sync=other_sync)
    theirs, mine = cm_ref("wanted-by-other"), cm_ref("wanted-by-root")
    other.record(InventorySet.of([]), claims=frozenset({theirs}))
    store.record(REFS, claims=frozenset({mine}))
    assert store.claims_elsewhere() == {theirs: other_sync.manager}
    assert other.claims_elsewhere() == {mine: SYNC.manager}


def test_a_status_write_after_someone_else_wrote_the_group_is_refused_then_read_again(
    cluster: FakeCluster,
) -> None:
    store = InventoryStore(cluster, sync=SYNC, clock=FakeClock())
    store.record(REFS)
    cluster.merge_patch(store.ref, {"metadata": {"labels": {"team": "x"}}}, field_manager="kubectl")
    with pytest.raises(ConflictError):  # the PUT carries the resourceVersion syncd wrote
        store.record_statuses(dict.fromkeys(REFS.refs, ResourceStatus.CURRENT))
    start = len(cluster.requests)
    assert store.load().refs == REFS  # nothing trusted any more: one GET
    assert [verb for verb, _ in cluster.requests[start:]] == [FakeVerb.GET.value]
    assert store.record_statuses(dict.fromkeys(REFS.refs, ResourceStatus.CURRENT)) is True
    live = cluster.peek(store.ref) or {}
    assert live["metadata"]["labels"]["team"] == "x"


def test_a_tenants_claims_reach_only_its_namespace_and_it_cannot_speak_for_a_root_sync(
    cluster: FakeCluster, store: InventoryStore
) -> None:
    tenant = SyncId(kind=SyncKind.REPO_SYNC, namespace="app", name="repo")
    inside, outside = cm_ref("in", "app"), cm_ref("out", "other")
    InventoryStore(cluster, sync=tenant).record(
        InventorySet.of([]), claims=frozenset({inside, outside})
    )
    assert store.claims_elsewhere() == {inside: tenant.manager}
    # A ResourceGroup in the tenant's namespace naming a RootSync as its sync.
    forged = InventoryStore(cluster, sync=tenant)
    forged.record(InventorySet.of([]), claims=frozenset({outside}))
    cluster.merge_patch(
        forged.ref,
        {"metadata": {"annotations": {"syncd.dev/manager": "RootSync/syncd-system/other"}}},
        field_manager="kubectl",
    )
    assert store.claims_elsewhere() == {}


def test_a_tenants_inventory_never_lists_what_lies_outside_its_namespace(
    cluster: FakeCluster,
) -> None:
    tenant = SyncId(kind=SyncKind.REPO_SYNC, namespace="app", name="repo")
    InventoryStore(cluster, sync=tenant).record(
        InventorySet.of([cm_ref("in", "app"), cm_ref("out", "other")])
    )
    assert InventoryStore(cluster, sync=tenant).load().refs.refs == {cm_ref("in", "app")}
