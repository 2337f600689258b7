"""The core sync: a RootSync from Git is applied, updated and pruned, and status tells the truth."""

from __future__ import annotations

import time

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import ROOT_SYNCS, Controller, root_sync_body, wait_synced
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp

pytestmark = pytest.mark.e2e


def _cm(name: str, ns: str, value: str) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        f'data:\n  value: "{value}"\n'
    )


def test_commits_that_add_modify_and_delete_objects_reach_the_cluster_and_status(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("basic")
    repo = git_repo_factory(git_http)
    ns_yaml = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
    sha = repo.commit(
        {"ns.yaml": ns_yaml, "a.yaml": _cm("a", ns, "1"), "b.yaml": _cm("b", ns, "1")}, "add"
    )
    name = unique("root")
    resp = admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name)))
    assert resp.status == 201, resp.text
    obj = wait_synced(admin, name, sha)
    assert obj["status"]["summary"]["state"] == "Synced", obj["status"]
    cm = admin.get(f"/api/v1/namespaces/{ns}/configmaps/a").json()
    assert cm["data"] == {"value": "1"}
    assert cm["metadata"]["annotations"]["syncd.dev/manager"] == f"RootSync/syncd-system/{name}"

    began = time.monotonic()
    sha2 = repo.commit({"a.yaml": _cm("a", ns, "2")}, "modify a")
    wait_synced(admin, name, sha2)
    modified_after = time.monotonic() - began
    assert admin.get(f"/api/v1/namespaces/{ns}/configmaps/a").json()["data"] == {"value": "2"}

    began = time.monotonic()
    sha3 = repo.commit({"b.yaml": None}, "delete b")
    obj = wait_synced(admin, name, sha3)
    deleted_after = time.monotonic() - began
    assert admin.get(f"/api/v1/namespaces/{ns}/configmaps/b").status == 404
    assert obj["status"]["sync"]["pruned"] == 1
    # Figures for the closing note (the period is 1 s, so a commit waits up to
    # one period for the next poll); tests never assert speed.
    print(f"commit to status: modify {modified_after:.2f}s, delete {deleted_after:.2f}s")
