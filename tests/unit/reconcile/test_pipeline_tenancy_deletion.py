"""Deleting a RepoSync with its objects: pruned as the tenant, released with its namespace."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from syncd.testing.fake_rbac import FakeRequest
from tests.unit.kube import NAMESPACE, REPO_SYNC, RESOURCE_GROUP, cm_ref, configmap, ref_of
from tests.unit.reconcile.test_pipeline_tenancy import (
    TENANT,
    TENANT_USER,
    Tenancy,
    files,
    make_tenancy,
    repo_sync,
)

SYNC_REF = ref_of(REPO_SYNC, "repo", "team-a")


def edit(request: FakeRequest) -> bool:
    """What a RoleBinding to `edit` in team-a allows: not syncd's own kinds."""
    return request.namespace == "team-a" and request.group != "syncd.dev"


def foreground_tenant(tmp_path: Path, executor: ThreadPoolExecutor) -> Tenancy:
    """A tenant RepoSync asking for Foreground deletion, synced with one ConfigMap."""
    env = make_tenancy(tmp_path, executor)
    env.cluster.authorize(edit)
    body = repo_sync()
    body["metadata"]["annotations"] = {"syncd.dev/deletion-propagation": "Foreground"}
    env.cluster.apply(SYNC_REF, body, field_manager="kubectl")
    env.sources[TENANT].commit(files(configmap("a", "team-a")))
    assert env.run(TENANT)
    return env


def test_foreground_deletion_prunes_as_the_tenant_and_deletes_the_inventory_as_syncd(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = foreground_tenant(tmp_path, executor)
    env.cluster.delete(SYNC_REF)  # held by the finalizer: marked for deletion
    mark = env.mark()
    assert env.run(TENANT)
    group = ref_of(RESOURCE_GROUP, "repo", "team-a")
    assert env.cluster.peek(cm_ref("a", "team-a")) is None
    assert env.cluster.peek(group) is None
    assert env.cluster.peek(SYNC_REF) is None  # the finalizer was removed last
    assert ("delete", str(cm_ref("a", "team-a"))) in env.requests_as(mark, TENANT_USER)
    assert ("delete", str(group)) in env.requests_as(mark, "")


def test_an_account_without_rights_stalls_the_deletion_and_says_why(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = foreground_tenant(tmp_path, executor)
    env.cluster.authorize(lambda request: False)  # its RoleBinding is gone
    env.cluster.delete(SYNC_REF)
    assert not env.run(TENANT)
    assert env.cluster.peek(SYNC_REF) is not None
    assert env.cluster.peek(cm_ref("a", "team-a")) is not None
    ((code, message),) = env.errors(TENANT)
    assert code == "SD2013"
    assert 'cannot list resource "configmaps"' in message


def test_a_repo_sync_in_a_terminating_namespace_is_released_without_pruning(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    # Deleting the namespace deletes the account's RoleBinding too; the namespace
    # controller deletes what the RepoSync manages, and waits for the RepoSync.
    env = foreground_tenant(tmp_path, executor)
    env.cluster.authorize(lambda request: False)
    namespace = ref_of(NAMESPACE, "team-a")
    env.cluster.apply(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "team-a", "finalizers": ["kubernetes"]},
        },
        field_manager="kubectl",
    )
    env.cluster.delete(namespace)  # held by its finalizer: terminating
    env.cluster.delete(SYNC_REF)
    mark = env.mark()
    assert env.run(TENANT)
    assert env.cluster.peek(SYNC_REF) is None
    assert env.requests_as(mark, TENANT_USER) == []
