"""Pruning never deletes what syncd does not manage, and follows the apply graph in reverse.

Each test sets up, on the real control plane, a case where a naive prune
would delete the wrong thing or delete in the wrong order, and reads the API
server's watch history to prove what happened and when.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from e2e.kube import merge_patch, unique, widget_crd
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    TIMEOUT,
    cm_path,
    configmap,
    create_root_sync,
    current_resource_version,
    deployment,
    errors_with_code,
    first_revision,
    get_object,
    history,
    manager_of,
    manager_value,
    namespace,
    ns_path,
    syncd_metadata,
    to_yaml,
    wait_more_runs,
    wait_state,
)
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e


def _namespace_deleted_since(admin: KubeHttp, name: str, since: int) -> bool:
    """Whether the Namespace got a deletionTimestamp (or went away) after revision `since`."""
    events = history(admin, f"/api/v1/namespaces?fieldSelector=metadata.name={name}", since)
    return any(
        kind == "DELETED" or obj["metadata"].get("deletionTimestamp") for kind, _, obj in events
    )


def test_a_namespace_that_holds_another_syncs_objects_is_kept_and_reported(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    shared = unique("shared")
    owner_repo, tenant_repo = git_repo_factory(git_http), git_repo_factory(git_http)
    owner_sha = owner_repo.commit(
        {
            "ns.yaml": to_yaml(namespace(shared)),
            "own.yaml": to_yaml(configmap("own", shared, "1")),
            "keep.yaml": to_yaml(configmap("anchor", "default", "1")),
        },
        "a Namespace and one ConfigMap in it",
    )
    owner = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(owner_repo.name),
        cleanup=[ns_path(shared), cm_path("default", "anchor")],
    )
    wait_state(admin, owner, owner_sha, "Synced")
    tenant_anchor = unique("tenant-anchor")
    tenant_sha = tenant_repo.commit(
        {
            "theirs.yaml": to_yaml(configmap("theirs", shared, "1")),
            "anchor.yaml": to_yaml(configmap(tenant_anchor, "default", "1")),
        },
        "another sync's ConfigMap there",
    )
    tenant = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(tenant_repo.name),
        cleanup=[cm_path("default", tenant_anchor)],
    )
    wait_state(admin, tenant, tenant_sha, "Synced")
    since = current_resource_version(admin)

    sha2 = owner_repo.commit({"ns.yaml": None, "own.yaml": None}, "drop the Namespace")
    status = wait_state(admin, owner, sha2, "Error")["status"]
    [kept] = errors_with_code(status, "SD2010")
    assert shared in kept["message"], kept
    assert "theirs" in kept["message"], kept
    wait_more_runs(syncd_controller, owner, 2)
    assert get_object(admin, cm_path(shared, "own")) is None  # its own object was pruned
    theirs = get_object(admin, cm_path(shared, "theirs"))
    assert theirs is not None
    assert manager_of(theirs) == manager_value(tenant)
    assert not _namespace_deleted_since(admin, shared, since), "the Namespace was deleted"

    # Once the other sync lets go of its object, the Namespace goes on a later run.
    tenant_repo.commit({"theirs.yaml": None}, "move away")
    wait_until(
        lambda: get_object(admin, ns_path(shared)) is None, timeout=TIMEOUT, what="Namespace gone"
    )


def test_a_namespace_moved_to_another_sync_is_handed_over_without_a_delete(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    moving = unique("moving")
    old_repo, new_repo = git_repo_factory(git_http), git_repo_factory(git_http)
    files = {"ns.yaml": to_yaml(namespace(moving)), "cm.yaml": to_yaml(configmap("c", moving, "1"))}
    old_sha = old_repo.commit(
        {**files, "keep.yaml": to_yaml(configmap(unique("anchor"), "default", "1"))}, "first home"
    )
    old = create_root_sync(
        admin, request, repo=git_http.repo_url(old_repo.name), cleanup=[ns_path(moving)]
    )
    wait_state(admin, old, old_sha, "Synced")
    ns_uid = get_object(admin, ns_path(moving))["metadata"]["uid"]  # type: ignore[index]
    cm_uid = get_object(admin, cm_path(moving, "c"))["metadata"]["uid"]  # type: ignore[index]
    since = current_resource_version(admin)

    # The new owner declares them first: it may not touch them yet (SD1060) but claims them.
    new_sha = new_repo.commit(files, "second home")
    new = create_root_sync(admin, request, repo=git_http.repo_url(new_repo.name))
    status = wait_state(admin, new, new_sha, "Error")["status"]
    assert len(errors_with_code(status, "SD1060")) == 2, status
    # Then the old owner drops them: it hands them over instead of deleting them.
    old_repo.commit({"ns.yaml": None, "cm.yaml": None}, "moved away")

    def adopted() -> bool:
        ns, cm = get_object(admin, ns_path(moving)), get_object(admin, cm_path(moving, "c"))
        return (
            ns is not None
            and cm is not None
            and manager_of(ns) == manager_value(new)
            and manager_of(cm) == manager_value(new)
        )

    wait_until(adopted, timeout=TIMEOUT, what="the new sync manages the moved objects")
    wait_state(admin, new, new_sha, "Synced")
    assert get_object(admin, ns_path(moving))["metadata"]["uid"] == ns_uid  # type: ignore[index]
    assert get_object(admin, cm_path(moving, "c"))["metadata"]["uid"] == cm_uid  # type: ignore[index]
    assert not _namespace_deleted_since(admin, moving, since)
    assert (
        first_revision(history(admin, f"/api/v1/namespaces/{moving}/configmaps", since), "DELETED")
        == {}
    )


def test_a_system_namespace_removed_from_the_source_is_never_deleted(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    repo = git_repo_factory(git_http)
    anchor = unique("anchor")
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace("kube-public")),
            "cm.yaml": to_yaml(configmap(anchor, "default", "1")),
        },
        "adopt kube-public",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[cm_path("default", anchor)]
    )
    wait_state(admin, name, sha, "Synced")
    assert manager_of(get_object(admin, ns_path("kube-public")) or {}) == manager_value(name)
    since = current_resource_version(admin)
    sha2 = repo.commit({"ns.yaml": None}, "drop kube-public")
    wait_state(admin, name, sha2, "Synced")
    live = get_object(admin, ns_path("kube-public"))
    assert live is not None
    assert syncd_metadata(live) == []  # let go of, not deleted
    assert not _namespace_deleted_since(admin, "kube-public", since)


def _widget(group: str, name: str, ns: str, finalizer: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": ns, "finalizers": [finalizer]},
        "spec": {"size": 1},
    }


def test_an_operators_resources_are_gone_before_the_operator_and_its_crd(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    group = f"op{uuid.uuid4().hex[:8]}.e2e.syncd.dev"
    ns = unique("operator")
    finalizer = f"{group}/cleanup"
    crd_path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}"
    widget_path = f"/apis/{group}/v1/namespaces/{ns}/widgets/w"
    deploy_path = f"/apis/apps/v1/namespaces/{ns}/deployments/operator"
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns), configmap("keep", ns, "1")),
            "operator.yaml": to_yaml(widget_crd(group), deployment("operator", ns, replicas=1)),
            "widget.yaml": to_yaml(_widget(group, "w", ns, finalizer)),
        },
        "an operator, its CRD and one resource it finalizes",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns), crd_path]
    )
    wait_state(admin, name, sha, "Synced", timeout=2 * TIMEOUT)
    since = current_resource_version(admin)
    seen: dict[str, Any] = {}

    def play_the_operator() -> None:
        """Clear the finalizer once the Widget is terminating, noting whether we still run."""

        def terminating() -> dict[str, Any] | None:
            widget = get_object(admin, widget_path)
            return widget if widget and widget["metadata"].get("deletionTimestamp") else None

        wait_until(terminating, timeout=2 * TIMEOUT, what="the Widget terminating")
        seen["operator"] = get_object(admin, deploy_path)
        seen["crd"] = get_object(admin, crd_path)
        resp = merge_patch(admin, widget_path, {"metadata": {"finalizers": None}}, manager="op")
        assert resp.status == 200, resp.text
        # The last finalizer gone, the Widget is deleted in the same request.
        seen["widget_gone_after"] = int(resp.json()["metadata"]["resourceVersion"])
        seen["widget_after_patch"] = get_object(admin, widget_path)

    operator = threading.Thread(target=play_the_operator, daemon=True)
    operator.start()
    sha2 = repo.commit({"operator.yaml": None, "widget.yaml": None}, "remove the operator")
    wait_state(admin, name, sha2, "Synced", timeout=2 * TIMEOUT)
    operator.join(10)
    assert seen["operator"] is not None, "the operator was deleted before its resource was gone"
    assert not seen["operator"]["metadata"].get("deletionTimestamp")
    assert seen["crd"] is not None
    assert not seen["crd"]["metadata"].get("deletionTimestamp")
    assert seen["widget_after_patch"] is None
    deploy_gone = first_revision(
        history(admin, f"/apis/apps/v1/namespaces/{ns}/deployments", since), "DELETED"
    )["operator"]
    crd_changes = history(
        admin,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        f"?fieldSelector=metadata.name=widgets.{group}",
        since,
    )
    crd_deleted = min(
        rv
        for kind, rv, obj in crd_changes
        if kind == "DELETED" or obj["metadata"].get("deletionTimestamp")
    )
    # The Widget was gone before syncd deleted the operator, and the operator before the CRD.
    assert seen["widget_gone_after"] < deploy_gone < crd_deleted, (seen, deploy_gone, crd_deleted)
    assert get_object(admin, cm_path(ns, "keep")) is not None
