"""`syncd run` as its own service account, with only manifests/rbac/ for its rights.

On a private control plane with kube-controller-manager (its
clusterrole-aggregation controller fills `syncd-tenant`) and no node: the
CRDs and manifests/rbac/ applied as the user guide says, then `syncd run`
with a real token of `syncd-system/syncd` (TokenRequest API). The session
controller runs as admin and reconciles RepoSyncs in every namespace, so it
never sees this plane.

- A tenant onboarded with `syncd tenant init --apply` (token auth, the
  Secret in its namespace, read as the tenant) syncs and follows commits; a
  RootSync without roleRefs syncs through `syncd-root-cluster-admin`.
- Without that binding, syncd-controller alone still lets syncd create a
  roleRefs RootSync's `syncd-root-<name>` account and binding, and that
  RootSync is held to its roles (SD2013 outside them); a RootSync without
  roleRefs gets SD2013 too; the tenant keeps syncing and a new tenant
  syncs from scratch (its Secret readable only as the tenant).
- The process logs no traceback and exits 0 on SIGTERM.

The tests share the plane and the controller and run in file order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from e2e.kube import create_namespace, unique
from e2e.rbac import (
    RBAC_DIR,
    SYNCD_SA_USER,
    can,
    install_rbac,
    kubectl,
    service_account_token,
    write_token_kubeconfig,
)
from e2e.servers import GitHttpTenants, GitTenant
from e2e.syncenv import (
    ROOT_SYNCS,
    SYSTEM_NS,
    Controller,
    get_root_sync,
    install_crds,
    root_sync_body,
    start_controller,
    stop_controller,
)
from e2e.syncsteps import (
    cm_path,
    configmap,
    create_secret,
    errors_with_code,
    get_object,
    namespace,
    to_yaml,
    wait_state,
)
from e2e.tenants import REPO_SYNC, Tenant, get_repo_sync, tenant_secret, wait_repo_state
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ServerError, wait_until
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e

RBAC_GROUP = "rbac.authorization.k8s.io/v1"
RBAC = f"/apis/{RBAC_GROUP}"
ROOT_ADMIN_BINDING = f"{RBAC}/clusterrolebindings/syncd-root-cluster-admin"
TIMEOUT = 90.0


@dataclass(frozen=True)
class SyncdAsServiceAccount:
    """The private plane, `syncd run` as syncd's service account, and a client with its token."""

    plane: ControlPlane
    admin: KubeHttp
    syncd: KubeHttp
    controller: Controller


@dataclass(frozen=True)
class OnboardedTenant:
    """A tenant from `syncd tenant init --apply`, syncing its own repository."""

    tenant: Tenant
    repo: GitRepo


@pytest.fixture(scope="module")
def as_syncd(
    tools: Tools, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SyncdAsServiceAccount]:
    workdir = tmp_path_factory.mktemp("rbac-controller")
    plane = ControlPlane(workdir=workdir / "plane", tools=tools, with_node=False)
    with plane:
        admin = plane.http()
        install_crds(admin)
        install_rbac(plane, admin)
        token = service_account_token(admin, SYSTEM_NS, "syncd")
        kubeconfig = write_token_kubeconfig(plane, workdir / "kubeconfig-syncd.json", token)
        controller = start_controller(plane, workdir / "syncd", kubeconfig=kubeconfig)
        try:
            yield SyncdAsServiceAccount(
                plane=plane, admin=admin, syncd=admin.as_user(token), controller=controller
            )
        finally:
            code = stop_controller(controller)
            assert code == 0, f"syncd run exited {code}:\n{controller.log_text()[-4000:]}"


@pytest.fixture(scope="module")
def onboarded(as_syncd: SyncdAsServiceAccount, git_http_tenants: GitHttpTenants) -> OnboardedTenant:
    """Team-a onboarded while syncd holds cluster-admin, its first commit synced."""
    return _onboard(as_syncd, git_http_tenants, git_http_tenants.a)


def _onboard(
    as_syncd: SyncdAsServiceAccount, tenants: GitHttpTenants, identity: GitTenant
) -> OnboardedTenant:
    """A tenant onboarded the user guide's way (`syncd tenant init --apply`, then its Secret).

    Its repository is readable with `identity`'s token only; returns once
    the first commit (ConfigMap `hello`, value 1) is synced.
    """
    tenant = Tenant(namespace=unique(identity.name))
    repo = GitRepo.create(tenants.server.root, unique(identity.name))
    tenants.own(repo, identity)
    first = repo.commit({"cm.yaml": to_yaml(configmap("hello", tenant.namespace, "1"))}, "one")
    done = _tenant_init(
        as_syncd.plane,
        tenant.namespace,
        "--repo",
        tenants.server.repo_url(repo.name),
        "--auth",
        "token",
        "--period",
        "1s",
        "--create-namespace",
        "--apply",
    )
    assert done.returncode == 0, done.stderr
    tenant_secret(as_syncd.admin, tenant, f"{REPO_SYNC}-git", {"token": identity.token})
    wait_repo_state(as_syncd.admin, tenant, first)
    cm = get_object(as_syncd.admin, tenant.path("configmaps", "hello"))
    assert cm is not None
    assert cm["data"] == {"value": "1"}
    assert "syncd" in _manager_names(cm)
    return OnboardedTenant(tenant=tenant, repo=repo)


def _tenant_init(plane: ControlPlane, *argv: str) -> subprocess.CompletedProcess[str]:
    """`syncd tenant init ARGV` as a cluster admin, as the user guide says."""
    return subprocess.run(
        [sys.executable, "-m", "syncd.cli.main", "tenant", "init", *argv],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")},
            "SYNCD_KUBECONFIG": str(plane.kubeconfig),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _root_sync(
    admin: KubeHttp, prefix: str, repo: str, *, spec: Mapping[str, Any] | None = None, **git: Any
) -> str:
    """A RootSync named `prefix-<random>` polling `repo` every second (never deleted)."""
    name = unique(prefix)
    body = root_sync_body(name, repo=repo, **git)
    body["spec"].update(spec or {})
    resp = admin.post(ROOT_SYNCS, body)
    assert resp.status == 201, resp.text
    return name


def _wait_errors(
    admin: KubeHttp, name: str, commit: str, code: str, *, timeout: float = TIMEOUT
) -> dict[str, Any]:
    """Poll until RootSync `name` reports `commit` in its sync block with an error `code`."""
    last: dict[str, Any] = {}

    def probe() -> dict[str, Any] | None:
        status = get_root_sync(admin, name).get("status") or {}
        last.update(status)
        at_commit = (status.get("sync") or {}).get("commit") == commit
        return status if at_commit and errors_with_code(status, code) else None

    try:
        return wait_until(probe, timeout=timeout, what=f"RootSync {name} {code} at {commit[:7]}")
    except ServerError as exc:
        raise ServerError(f"{exc}; last status: {last}") from None


def _manager_names(obj: Mapping[str, Any]) -> set[str]:
    return {str(f.get("manager")) for f in (obj.get("metadata") or {}).get("managedFields") or []}


def test_syncd_runs_as_its_service_account(as_syncd: SyncdAsServiceAccount) -> None:
    resp = as_syncd.syncd.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert resp.status == 201, resp.text
    assert resp.json()["status"]["userInfo"]["username"] == SYNCD_SA_USER
    assert as_syncd.controller.proc.poll() is None, as_syncd.controller.log_text()[-4000:]


def test_a_tenant_onboarded_by_tenant_init_syncs_as_its_service_account(
    as_syncd: SyncdAsServiceAccount, onboarded: OnboardedTenant
) -> None:
    admin, tenant = as_syncd.admin, onboarded.tenant
    binding = get_object(
        admin, tenant.path("rolebindings", tenant.service_account, group=RBAC_GROUP)
    )
    assert binding is not None
    assert binding["roleRef"]["name"] == "syncd-tenant"
    sync = get_repo_sync(admin, tenant)
    assert sync["spec"]["git"]["auth"] == "token"
    assert get_object(admin, tenant.path("configmaps", "hello")) is not None
    _commit_synced(admin, onboarded, "2")


def _commit_synced(admin: KubeHttp, onboarded: OnboardedTenant, value: str) -> None:
    """A new commit of the tenant's repository (ConfigMap `hello` set to `value`) is synced."""
    tenant = onboarded.tenant
    sha = onboarded.repo.commit(
        {"cm.yaml": to_yaml(configmap("hello", tenant.namespace, value))}, f"value {value}"
    )
    wait_repo_state(admin, tenant, sha)
    cm = get_object(admin, tenant.path("configmaps", "hello"))
    assert cm is not None
    assert cm["data"] == {"value": value}


def test_a_root_sync_without_role_refs_syncs_through_the_cluster_admin_binding(
    as_syncd: SyncdAsServiceAccount, git_http: GitHttpServer
) -> None:
    admin = as_syncd.admin
    assert admin.get(ROOT_ADMIN_BINDING).status == 200
    platform = unique("platform")
    repo = GitRepo.create(git_http.root, unique("root"))
    sha = repo.commit(
        {"all.yaml": to_yaml(namespace(platform), configmap("p", platform, "1"))}, "platform"
    )
    name = _root_sync(admin, "root", git_http.repo_url(repo.name))
    wait_state(admin, name, sha, "Synced")
    cm = get_object(admin, cm_path(platform, "p"))
    assert cm is not None
    assert "syncd" in _manager_names(cm)


def test_without_the_cluster_admin_binding_role_refs_limit_a_root_sync_and_tenants_keep_syncing(
    as_syncd: SyncdAsServiceAccount,
    onboarded: OnboardedTenant,
    git_http: GitHttpServer,
    git_http_tenants: GitHttpTenants,
) -> None:
    admin, syncd = as_syncd.admin, as_syncd.syncd
    assert admin.delete(ROOT_ADMIN_BINDING).status == 200
    try:
        wait_until(
            lambda: not can(syncd, "create", "configmaps", namespace="default"),
            timeout=30,
            what="the cluster-admin binding's removal reaching the authorizer",
            interval=0.1,
        )
        # Tenants need nothing of cluster-admin: the one synced before follows
        # a new commit, and a new one is onboarded and synced from scratch
        # (finalizer, Secret read as the tenant, ResourceGroup, first apply).
        _commit_synced(admin, onboarded, "3")
        _onboard(as_syncd, git_http_tenants, git_http_tenants.b)
        _limited_root_sync(admin, git_http_tenants)
        _unlimited_root_sync_is_forbidden(admin, git_http)
    finally:
        kubectl(
            as_syncd.plane,
            "apply",
            "--server-side",
            "-f",
            str(RBAC_DIR / "root-cluster-admin.yaml"),
        )


def _limited_root_sync(admin: KubeHttp, tenants: GitHttpTenants) -> None:
    """A RootSync with roleRefs [edit in ns1] applies its ns1 ConfigMap, not its ns2 one."""
    ns1, ns2 = unique("limited"), unique("elsewhere")
    create_namespace(admin, ns1)
    create_namespace(admin, ns2)
    repo = GitRepo.create(tenants.server.root, unique("limited"))
    tenants.own(repo, tenants.b)
    sha = repo.commit(
        {
            "in.yaml": to_yaml(configmap("in", ns1, "1")),
            "out.yaml": to_yaml(configmap("out", ns2, "1")),
        },
        "one in reach, one out",
    )
    # The RootSync's credentials, in syncd-system: read as syncd (controller-role.yaml).
    secret = unique("limited-git")
    create_secret(admin, secret, {"token": tenants.b.token})
    name = _root_sync(
        admin,
        "limited",
        tenants.server.repo_url(repo.name),
        auth="token",
        secretRef={"name": secret},
        spec={
            "override": {"roleRefs": [{"kind": "ClusterRole", "name": "edit", "namespace": ns1}]}
        },
    )
    status = _wait_errors(admin, name, sha, "SD2013")

    account = get_object(admin, f"/api/v1/namespaces/{SYSTEM_NS}/serviceaccounts/syncd-root-{name}")
    assert account is not None, "syncd did not create the RootSync's service account"
    assert "syncd" in _manager_names(account)
    binding_name = f"syncd-root-{name}.clusterrole.edit"
    binding = get_object(admin, f"{RBAC}/namespaces/{ns1}/rolebindings/{binding_name}")
    assert binding is not None, f"syncd did not create RoleBinding {ns1}/{binding_name}"
    assert "syncd" in _manager_names(binding)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": f"syncd-root-{name}", "namespace": SYSTEM_NS}
    ]

    applied = get_object(admin, cm_path(ns1, "in"))
    assert applied is not None, status
    assert "syncd" in _manager_names(applied)
    assert get_object(admin, cm_path(ns2, "out")) is None
    forbidden = errors_with_code(status, "SD2013")
    named = [
        res for err in forbidden for res in err.get("resources") or [] if res.get("name") == "out"
    ]
    assert named, forbidden
    assert all(res.get("namespace") == ns2 for res in named), named
    # The API server judged the RootSync's own account, impersonated by syncd.
    account_user = f"system:serviceaccount:{SYSTEM_NS}:syncd-root-{name}"
    assert all(account_user in err["message"] for err in forbidden), forbidden
    assert not [
        res for err in forbidden for res in err.get("resources") or [] if res.get("name") == "in"
    ], forbidden


def _unlimited_root_sync_is_forbidden(admin: KubeHttp, git_http: GitHttpServer) -> None:
    """A RootSync without roleRefs acts as syncd, which now holds only syncd-controller."""
    ns = unique("unbound")
    create_namespace(admin, ns)
    repo = GitRepo.create(git_http.root, unique("unbound"))
    sha = repo.commit({"cm.yaml": to_yaml(configmap("c", ns, "1"))}, "one")
    name = _root_sync(admin, "unbound", git_http.repo_url(repo.name))
    status = _wait_errors(admin, name, sha, "SD2013")
    assert get_object(admin, cm_path(ns, "c")) is None, status
    forbidden = errors_with_code(status, "SD2013")
    assert [res.get("name") for err in forbidden for res in err.get("resources") or []] == ["c"]
    # Refused to syncd's own account: the controller really runs as it.
    assert all(f'"{SYNCD_SA_USER}"' in err["message"] for err in forbidden), forbidden


def test_the_controller_logs_no_traceback_and_exits_0_on_sigterm(
    as_syncd: SyncdAsServiceAccount,
) -> None:
    controller = as_syncd.controller
    assert controller.proc.poll() is None, controller.log_text()[-4000:]
    code = stop_controller(controller)
    log = controller.log_text()
    assert code == 0, f"syncd run exited {code}:\n{log[-4000:]}"
    assert "Traceback" not in log, log[max(0, log.index("Traceback") - 2000) :][:6000]
    with_exception = [line for line in log.splitlines() if '"exception":' in line]
    assert not with_exception, with_exception[:3]
