"""Tenants on the real control plane: a namespace, its service account bound to a role, a RepoSync.

`Tenant` is what a test holds for one tenant; `onboard` creates it as the
platform team would (as admin): the Namespace, the ServiceAccount
`syncd-<reposync>`, a RoleBinding to the namespace `edit` ClusterRole, and
optionally the Git credentials Secret. `create_repo_sync` starts the sync;
`wait_repo_state` polls its status like `syncsteps.wait_state` does for RootSyncs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from e2e.kube import unique
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ServerError, wait_until

TIMEOUT = 90.0
REPO_SYNC = "repo-sync"


@dataclass(frozen=True)
class Tenant:
    """One onboarded tenant namespace."""

    namespace: str
    service_account: str = f"syncd-{REPO_SYNC}"

    @property
    def user(self) -> str:
        """The user name the API server sees when syncd acts as this tenant."""
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"

    @property
    def repo_syncs(self) -> str:
        return f"/apis/syncd.dev/v1beta1/namespaces/{self.namespace}/reposyncs"

    def path(self, resource: str, name: str, *, group: str = "") -> str:
        """The URL path of a namespaced object of this tenant (core group by default)."""
        prefix = f"/apis/{group}" if group else "/api/v1"
        return f"{prefix}/namespaces/{self.namespace}/{resource}/{name}"


def _apply(admin: KubeHttp, path: str, body: Mapping[str, Any]) -> None:
    resp = admin.apply(path, dict(body), manager="e2e", force=True)
    assert resp.status in (200, 201), resp.text


def onboard(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    *,
    prefix: str = "tenant",
    role: str = "edit",
) -> Tenant:
    """A new tenant namespace whose service account may do what ClusterRole `role` allows there."""
    tenant = Tenant(namespace=unique(prefix))
    ns = tenant.namespace
    _apply(
        admin,
        f"/api/v1/namespaces/{ns}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
    )
    request.addfinalizer(lambda: admin.delete(f"/api/v1/namespaces/{ns}"))
    _apply(
        admin,
        tenant.path("serviceaccounts", tenant.service_account),
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": tenant.service_account, "namespace": ns},
        },
    )
    _apply(
        admin,
        tenant.path("rolebindings", "syncd-tenant", group="rbac.authorization.k8s.io/v1"),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "syncd-tenant", "namespace": ns},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": tenant.service_account, "namespace": ns}
            ],
        },
    )
    return tenant


def tenant_secret(admin: KubeHttp, tenant: Tenant, name: str, data: Mapping[str, str]) -> None:
    """A Secret in the tenant's namespace (the tenant's Git credentials)."""
    _apply(
        admin,
        tenant.path("secrets", name),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": tenant.namespace},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
        },
    )


def create_repo_sync(
    admin: KubeHttp,
    tenant: Tenant,
    *,
    repo: str,
    git: Mapping[str, Any] | None = None,
    spec: Mapping[str, Any] | None = None,
) -> None:
    """The tenant's RepoSync polling `repo` every second."""
    body = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": REPO_SYNC, "namespace": tenant.namespace},
        "spec": {"git": {"repo": repo, "period": "1s", **(git or {})}, **(spec or {})},
    }
    resp = admin.post(tenant.repo_syncs, body)
    assert resp.status == 201, resp.text


def get_repo_sync(admin: KubeHttp, tenant: Tenant) -> dict[str, Any]:
    resp = admin.get(f"{tenant.repo_syncs}/{REPO_SYNC}")
    assert resp.status == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def wait_repo_state(
    admin: KubeHttp, tenant: Tenant, commit: str, *states: str, timeout: float = TIMEOUT
) -> dict[str, Any]:
    """Poll until the RepoSync's sync block is at `commit` in one of `states` (default Synced)."""
    wanted = states or ("Synced",)
    last: dict[str, Any] = {}

    def probe() -> dict[str, Any] | None:
        obj = get_repo_sync(admin, tenant)
        status = obj.get("status") or {}
        last["status"] = status
        at_commit = (status.get("sync") or {}).get("commit") == commit
        return obj if at_commit and (status.get("summary") or {}).get("state") in wanted else None

    try:
        return wait_until(
            probe, timeout=timeout, what=f"RepoSync in {tenant.namespace} at {commit[:7]}"
        )
    except ServerError as exc:
        summary = json.dumps(
            {k: last.get("status", {}).get(k) for k in ("summary", "source", "rendering", "sync")}
        )[:3000]
        raise ServerError(f"{exc}; last status: {summary}") from None
