"""Many syncs in one process: one sync waiting on a large package never holds up another's poll.

A RootSync applies Deployments that can never become Available (their pods
fit no node), so it sits in its readiness wait, polling every one of them,
for its whole reconcileTimeout. Meanwhile a tenant's RepoSync, in the same
`syncd run`, must still sync each new commit at its own period: the request
threads are shared fairly, one lane per sync.
"""

from __future__ import annotations

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller, get_root_sync
from e2e.syncsteps import configmap, create_root_sync, deployment, namespace, to_yaml
from e2e.tenants import create_repo_sync, onboard, wait_repo_state
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

WAITING = 60
"""Deployments the busy RootSync waits for."""


def test_a_sync_stuck_in_a_long_readiness_wait_does_not_delay_a_tenants_commits(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    busy_ns = unique("busy")
    request.addfinalizer(lambda: admin.delete(f"/api/v1/namespaces/{busy_ns}"))
    unschedulable = {"nodeSelector": {"syncd.dev/no-such-node": "true"}}
    busy_repo = git_repo_factory(git_http, prefix="busy")
    busy_repo.commit(
        {
            "ns.yaml": to_yaml(namespace(busy_ns)),
            "deploy.yaml": to_yaml(
                *(deployment(f"d{i}", busy_ns, pod=unschedulable) for i in range(WAITING))
            ),
        },
        "many deployments that never become available",
    )
    busy = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(busy_repo.name),
        spec={"override": {"reconcileTimeout": "10m"}},
    )
    # The busy sync has applied its Deployments and is waiting for them.
    wait_until(
        lambda: (
            admin.get(f"/apis/apps/v1/namespaces/{busy_ns}/deployments/d{WAITING - 1}").status
            == 200
        ),
        timeout=90,
        what="the busy sync's Deployments applied",
    )
    tenant = onboard(admin, request, prefix="quick")
    repo = git_repo_factory(git_http, prefix="quick")
    first = repo.commit({"cm.yaml": to_yaml(configmap("c", tenant.namespace, "1"))}, "one")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    wait_repo_state(admin, tenant, first)
    for step in range(2, 5):
        sha = repo.commit({"cm.yaml": to_yaml(configmap("c", tenant.namespace, str(step)))}, "next")
        wait_repo_state(admin, tenant, sha)
        resp = admin.get(tenant.path("configmaps", "c"))
        assert resp.json()["data"] == {"value": str(step)}
        # The busy sync is still waiting for its Deployments all along.
        status = get_root_sync(admin, busy).get("status") or {}
        assert (status.get("summary") or {}).get("state") == "Syncing", status.get("summary")
