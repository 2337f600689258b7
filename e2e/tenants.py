"""Tenants on the real control plane: a namespace, its service account bound to a role, a RepoSync.

`Tenant` is what a test holds for one tenant; `onboard` creates it as the
platform team would (as admin): the Namespace, the ServiceAccount
`syncd-<reposync>`, a RoleBinding to the namespace `edit` ClusterRole, and
optionally the Git credentials Secret. `create_repo_sync` starts the sync;
`wait_repo_state` and `wait_repo_error` poll its status like
`syncsteps.wait_state` does for RootSyncs. `other_namespace` and `grant` make
the places a tenant must not reach (optionally with RBAC that would let it, so
that only syncd's own wall stands), `inventory_of` reads a RepoSync's
ResourceGroup and `repo_sync_events` its Events.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from e2e.kube import unique
from e2e.syncsteps import errors_with_code
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ServerError, wait_until

TIMEOUT = 90.0
REPO_SYNC = "repo-sync"
SYNCD_API = "/apis/syncd.dev/v1beta1"
RBAC_API = "rbac.authorization.k8s.io/v1"


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
        return namespaced_path(self.namespace, resource, name, group=group)

    def repo_sync_path(self, name: str = REPO_SYNC) -> str:
        return f"{self.repo_syncs}/{name}"

    def resource_group_path(self, name: str = REPO_SYNC) -> str:
        """The ResourceGroup of RepoSync `name` (same name, same namespace)."""
        return f"{SYNCD_API}/namespaces/{self.namespace}/resourcegroups/{name}"

    def manager(self, name: str = REPO_SYNC) -> str:
        """The `syncd.dev/manager` value of objects RepoSync `name` manages."""
        return f"RepoSync/{self.namespace}/{name}"


def namespaced_path(namespace: str, resource: str, name: str, *, group: str = "") -> str:
    """The URL path of a namespaced object (core group unless `group` is `group/version`)."""
    prefix = f"/apis/{group}" if group else "/api/v1"
    return f"{prefix}/namespaces/{namespace}/{resource}/{name}"


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
    grant(admin, tenant, ns, role=role)
    return tenant


def other_namespace(admin: KubeHttp, request: pytest.FixtureRequest, prefix: str) -> str:
    """A new namespace no tenant owns, deleted when the test ends."""
    ns = unique(prefix)
    _apply(
        admin,
        f"/api/v1/namespaces/{ns}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
    )
    request.addfinalizer(lambda: admin.delete(f"/api/v1/namespaces/{ns}"))
    return ns


def grant(
    admin: KubeHttp,
    tenant: Tenant,
    namespace: str,
    *,
    role: str = "edit",
    name: str = "syncd-tenant",
) -> None:
    """Bind the tenant's service account to ClusterRole `role` in `namespace` (RoleBinding `name`).

    Returns once the API server authorizes the account there.
    """
    _apply(
        admin,
        namespaced_path(namespace, "rolebindings", name, group=RBAC_API),
        {
            "apiVersion": RBAC_API,
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": tenant.service_account,
                    "namespace": tenant.namespace,
                }
            ],
        },
    )
    # The API server's authorizer learns of a new binding from a watch: wait until it
    # authorizes the account, or a RepoSync's first run may be refused (and retried).
    as_tenant = admin.impersonating(tenant.user)
    wait_until(
        lambda: as_tenant.get(f"/api/v1/namespaces/{namespace}/configmaps?limit=1").status == 200,
        timeout=TIMEOUT,
        what=f"{tenant.user} authorized in {namespace}",
        interval=0.1,
    )


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
    name: str = REPO_SYNC,
    annotations: Mapping[str, str] | None = None,
) -> None:
    """The tenant's RepoSync `name` polling `repo` every second."""
    metadata: dict[str, Any] = {"name": name, "namespace": tenant.namespace}
    if annotations:
        metadata["annotations"] = dict(annotations)
    body = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": metadata,
        "spec": {"git": {"repo": repo, "period": "1s", **(git or {})}, **(spec or {})},
    }
    resp = admin.post(tenant.repo_syncs, body)
    assert resp.status == 201, resp.text


def get_repo_sync(admin: KubeHttp, tenant: Tenant, name: str = REPO_SYNC) -> dict[str, Any]:
    resp = admin.get(tenant.repo_sync_path(name))
    assert resp.status == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def wait_repo_status(
    admin: KubeHttp,
    tenant: Tenant,
    match: Callable[[Mapping[str, Any]], bool],
    *,
    what: str,
    name: str = REPO_SYNC,
    timeout: float = TIMEOUT,
) -> dict[str, Any]:
    """Poll until the RepoSync's status satisfies `match`; return the RepoSync.

    On timeout the error carries the last status seen (summary and stage blocks).
    """
    last: dict[str, Any] = {}

    def probe() -> dict[str, Any] | None:
        obj = get_repo_sync(admin, tenant, name)
        status = obj.get("status") or {}
        last["status"] = status
        return obj if match(status) else None

    try:
        return wait_until(
            probe, timeout=timeout, what=f"RepoSync {tenant.namespace}/{name}: {what}"
        )
    except ServerError as exc:
        summary = json.dumps(
            {k: last.get("status", {}).get(k) for k in ("summary", "source", "rendering", "sync")}
        )[:3000]
        raise ServerError(f"{exc}; last status: {summary}") from None


def wait_repo_state(
    admin: KubeHttp,
    tenant: Tenant,
    commit: str,
    *states: str,
    name: str = REPO_SYNC,
    timeout: float = TIMEOUT,
) -> dict[str, Any]:
    """Poll until the RepoSync's sync block is at `commit` in one of `states` (default Synced)."""
    wanted = states or ("Synced",)

    def match(status: Mapping[str, Any]) -> bool:
        at_commit = (status.get("sync") or {}).get("commit") == commit
        return at_commit and (status.get("summary") or {}).get("state") in wanted

    return wait_repo_status(
        admin, tenant, match, what=f"{'|'.join(wanted)} at {commit[:7]}", name=name, timeout=timeout
    )


def wait_repo_error(
    admin: KubeHttp,
    tenant: Tenant,
    code: str,
    *,
    name: str = REPO_SYNC,
    timeout: float = TIMEOUT,
) -> dict[str, Any]:
    """Poll until the RepoSync reports an error with `code` in any stage block."""
    return wait_repo_status(
        admin,
        tenant,
        lambda status: bool(errors_with_code(status, code)),
        what=f"an {code} error",
        name=name,
        timeout=timeout,
    )


def inventory_of(
    admin: KubeHttp, tenant: Tenant, name: str = REPO_SYNC
) -> set[tuple[str, str, str, str]]:
    """`(group, kind, namespace, name)` of every entry the RepoSync's ResourceGroup lists."""
    resp = admin.get(tenant.resource_group_path(name))
    assert resp.status == 200, resp.text
    return {
        (e.get("group", ""), e["kind"], e.get("namespace", ""), e["name"])
        for e in (resp.json().get("spec") or {}).get("resources") or []
    }


def repo_sync_events(
    admin: KubeHttp, tenant: Tenant, name: str = REPO_SYNC
) -> list[dict[str, Any]]:
    """The Events in the tenant's namespace whose involved object is RepoSync `name`."""
    resp = admin.get(
        f"/api/v1/namespaces/{tenant.namespace}/events"
        f"?fieldSelector=involvedObject.kind%3DRepoSync,involvedObject.name%3D{name}"
    )
    assert resp.status == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def exists(admin: KubeHttp, path: str) -> bool:
    """Whether GET `path` as admin finds an object (any other answer than 200/404 fails)."""
    resp = admin.get(path)
    assert resp.status in (200, 404), resp.text
    return resp.status == 200


def commit_links(repo: GitRepo, links: Mapping[str, str], message: str) -> str:
    """Commit symbolic links (path in the repository -> target) on top of HEAD; return the sha.

    `GitRepo.commit` writes regular files only; the links are made in its
    working clone, which holds the branch's HEAD after every commit.
    """
    for rel, target in links.items():
        path = repo.work_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", message)
    repo.git("push", "-q", "origin", f"HEAD:refs/heads/{repo.branch}")
    return repo.git("rev-parse", "HEAD")
