"""Multi-repo tenancy on the real control plane: RepoSyncs act as their tenants' accounts."""

from __future__ import annotations

import pytest

from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import configmap, to_yaml
from e2e.tenants import create_repo_sync, onboard, wait_repo_state
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp

pytestmark = pytest.mark.e2e


def test_a_repo_sync_syncs_its_namespace_as_its_service_account(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request)
    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit({"cm.yaml": to_yaml(configmap("hello", tenant.namespace, "hi"))}, "add")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    wait_repo_state(admin, tenant, sha)
    resp = admin.get(tenant.path("configmaps", "hello"))
    assert resp.status == 200, resp.text
    fields = resp.json()["metadata"]["managedFields"]
    assert {f["manager"] for f in fields} >= {"syncd"}
