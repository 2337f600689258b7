"""Apply and prune order: CRDs, Namespaces, cluster-scoped, namespaced, depends-on, reversed.

Order is read from the API server itself: on a single etcd every write gets
the next global revision, so the resourceVersion of an object's ADDED (or
DELETED) watch event says exactly when it was created (or deleted).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    cluster_role,
    cluster_role_path,
    cm_path,
    configmap,
    create_root_sync,
    current_resource_version,
    depends_on,
    errors_of,
    first_revision,
    first_run_at,
    get_object,
    history,
    manager_of,
    manager_value,
    namespace,
    ns_path,
    to_yaml,
    wait_state,
    warnings_for,
)
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e


def _crd(group: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"size": {"type": "integer"}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def _widget(group: str, name: str, ns: str, size: int) -> dict[str, Any]:
    return {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"size": size},
    }


def _established(crd: dict[str, Any]) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def test_a_crd_and_its_custom_resources_in_one_commit_sync_in_one_pass(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    group = f"g{uuid.uuid4().hex[:8]}.e2e.syncd.dev"
    ns = unique("crd")
    repo = git_repo_factory(git_http)
    since = current_resource_version(admin)
    # Sorted by path the custom resources come first: only ordering can make this work.
    sha = repo.commit(
        {
            "a-widgets.yaml": to_yaml(*(_widget(group, f"w{i}", ns, i) for i in range(3))),
            "b-namespace.yaml": to_yaml(namespace(ns)),
            "c-crd.yaml": to_yaml(_crd(group)),
        },
        "crd and its resources",
    )
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        cleanup=[
            ns_path(ns),
            f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}",
        ],
    )

    status = wait_state(admin, name, sha, "Synced")["status"]

    assert errors_of(status) == []
    counts = status["sync"]
    assert (counts["total"], counts["applied"] + counts["unchanged"], counts["failed"]) == (
        5,
        5,
        0,
    ), counts
    # One pass: the first run at this commit applied all five objects and
    # nothing failed (a retry would have found the Namespace and CRD unchanged).
    first = first_run_at(syncd_controller, name, sha)
    assert (first["applied"], first["unchanged"], first["failed"]) == (5, 0, 0), first
    assert warnings_for(admin, name) == []
    widgets = []
    for i in range(3):
        widget = get_object(admin, f"/apis/{group}/v1/namespaces/{ns}/widgets/w{i}")
        assert widget is not None, f"Widget w{i} missing"
        assert widget["spec"] == {"size": i}
        assert manager_of(widget) == manager_value(name)
        widgets.append(int(widget["metadata"]["resourceVersion"]))  # nothing else writes them
    crd_events = history(
        admin,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        f"?fieldSelector=metadata.name=widgets.{group}",
        since,
    )
    crd_created = first_revision(crd_events, "ADDED")[f"widgets.{group}"]
    established = min(rv for _, rv, crd in crd_events if _established(crd))
    ns_created = first_revision(
        history(admin, f"/api/v1/namespaces?fieldSelector=metadata.name={ns}", since), "ADDED"
    )[ns]
    # CRDs first, then Namespaces; custom resources only once their CRD is Established.
    assert crd_created < ns_created < min(widgets), (crd_created, ns_created, widgets)
    assert established < min(widgets), (established, widgets)


def test_namespaces_then_cluster_scoped_then_namespaced_objects_are_created_in_depends_on_order(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("order")
    r1, r2 = unique("order-r1"), unique("order-r2")
    repo = git_repo_factory(git_http)
    # File names sort in the reverse of the order the objects must be created in.
    files = {
        "0-cm-c.yaml": to_yaml(
            configmap("c", ns, "c", annotations=depends_on(f"/namespaces/{ns}/ConfigMap/b"))
        ),
        "1-cm-b.yaml": to_yaml(
            configmap("b", ns, "b", annotations=depends_on(f"/namespaces/{ns}/ConfigMap/a"))
        ),
        "2-cm-a.yaml": to_yaml(
            configmap(
                "a", ns, "a", annotations=depends_on(f"rbac.authorization.k8s.io/ClusterRole/{r2}")
            )
        ),
        "3-cm-d.yaml": to_yaml(configmap("d", ns, "d")),
        "4-roles.yaml": to_yaml(
            cluster_role(r2, annotations=depends_on(f"rbac.authorization.k8s.io/ClusterRole/{r1}")),
            cluster_role(r1),
        ),
        "5-namespace.yaml": to_yaml(namespace(ns)),
    }
    since = current_resource_version(admin)
    sha = repo.commit(files, "ordered objects")
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        cleanup=[ns_path(ns), cluster_role_path(r1), cluster_role_path(r2)],
    )

    status = wait_state(admin, name, sha, "Synced")["status"]

    # Had any namespaced object been sent before its Namespace existed, the
    # API server would have refused it (404) and the run would carry errors.
    assert errors_of(status) == []
    assert status["sync"]["failed"] == 0, status["sync"]
    first = first_run_at(syncd_controller, name, sha)
    assert (first["applied"], first["failed"]) == (7, 0), first
    assert warnings_for(admin, name) == []
    created = {
        **first_revision(
            history(admin, f"/api/v1/namespaces?fieldSelector=metadata.name={ns}", since),
            "ADDED",
        ),
        **first_revision(
            history(admin, "/apis/rbac.authorization.k8s.io/v1/clusterroles", since), "ADDED"
        ),
        **first_revision(history(admin, f"/api/v1/namespaces/{ns}/configmaps", since), "ADDED"),
    }
    missing = {ns, r1, r2, "a", "b", "c", "d"} - created.keys()
    assert not missing, f"no ADDED event for {missing}"
    assert created[ns] < created[r1] < created[r2] < created["a"] < created["b"] < created["c"]
    assert max(created[r1], created[r2]) < min(created[c] for c in "abcd"), created


def test_pruning_deletes_namespaced_objects_then_cluster_scoped_ones_then_namespaces(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    gone, kept = unique("prune"), unique("prune-keep")
    role = unique("prune-r")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "gone/ns.yaml": to_yaml(namespace(gone)),
            "gone/cms.yaml": to_yaml(configmap("p", gone, "p"), configmap("q", gone, "q")),
            "gone/role.yaml": to_yaml(cluster_role(role)),
            "kept.yaml": to_yaml(namespace(kept), configmap("k", kept, "k")),
        },
        "objects",
    )
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        cleanup=[ns_path(gone), ns_path(kept), cluster_role_path(role)],
    )
    wait_state(admin, name, sha, "Synced")
    since = current_resource_version(admin)

    sha2 = repo.commit({"gone": None}, "remove a namespace, its objects and a ClusterRole")
    status = wait_state(admin, name, sha2, "Synced")["status"]

    assert errors_of(status) == []
    first = first_run_at(syncd_controller, name, sha2)
    assert (first["pruned"], first["failed"]) == (4, 0), first
    assert get_object(admin, cm_path(kept, "k")) is not None
    assert get_object(admin, cluster_role_path(role)) is None
    deleted_cms = first_revision(
        history(admin, f"/api/v1/namespaces/{gone}/configmaps", since), "DELETED"
    )
    deleted_roles = first_revision(
        history(admin, "/apis/rbac.authorization.k8s.io/v1/clusterroles", since), "DELETED"
    )
    # The Namespace's first change after `since` is syncd's DELETE (deletionTimestamp set).
    ns_changes = history(admin, f"/api/v1/namespaces?fieldSelector=metadata.name={gone}", since)
    assert ns_changes, f"no change to Namespace {gone} after the prune"
    ns_kind, ns_deleted, ns_obj = ns_changes[0]
    assert ns_kind in ("MODIFIED", "DELETED"), ns_kind
    assert ns_obj["metadata"].get("deletionTimestamp"), ns_obj["metadata"]
    assert {"p", "q"} <= deleted_cms.keys(), deleted_cms
    assert role in deleted_roles, deleted_roles
    assert max(deleted_cms["p"], deleted_cms["q"]) < deleted_roles[role] < ns_deleted
    wait_until(
        lambda: get_object(admin, ns_path(gone)) is None,
        timeout=90,
        what=f"Namespace {gone} gone",
        interval=0.5,
    )
