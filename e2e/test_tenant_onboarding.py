"""`syncd tenant init --apply` onboards a tenant whose service account is walled into its namespace.

Against the real control plane (RBAC, the clusterrole-aggregation controller
in kube-controller-manager): the aggregated `syncd-tenant` role holds the
namespace edit rights and nothing on syncd.dev, RBAC or cluster-scoped
objects; the command creates the Namespace, ServiceAccount, RoleBinding and
RepoSync; and the service account, impersonated, may create a ConfigMap in
its namespace but nowhere else, no ClusterRole and no ResourceGroup read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from e2e.kube import configmap, create_namespace, unique
from e2e.rbac import CLUSTER_ROLES, cluster_role, install_rbac, kubectl, service_account_user
from syncd.api.models import parse_repo_sync
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

REPO = "https://git.example.com/team/config.git"
READ_VERBS = {"get", "list", "watch"}


@dataclass(frozen=True)
class Tenant:
    """A tenant onboarded by `syncd tenant init --apply`, and what the command printed."""

    namespace: str
    stdout: str


def _tenant_init(control_plane: ControlPlane, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "syncd.cli.main",
            "tenant",
            "init",
            *argv,
            "--kubeconfig",
            str(control_plane.kubeconfig),
        ],
        env={k: v for k, v in os.environ.items() if k != "SYNCD_KUBECONFIG"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tenant_role(control_plane: ControlPlane, admin: KubeHttp, syncd_crds: None) -> dict[str, Any]:
    """manifests/rbac/ applied; the aggregated syncd-tenant ClusterRole as aggregation filled it."""
    return install_rbac(control_plane, admin)


@pytest.fixture(scope="module")
def tenant(control_plane: ControlPlane, tenant_role: dict[str, Any]) -> Tenant:
    namespace = unique("team")
    done = _tenant_init(control_plane, namespace, "--repo", REPO, "--create-namespace", "--apply")
    assert done.returncode == 0, done.stderr
    return Tenant(namespace=namespace, stdout=done.stdout)


def test_the_aggregated_tenant_role_holds_namespace_edit_rights_and_nothing_wider(
    control_plane: ControlPlane, tenant_role: dict[str, Any]
) -> None:
    rules = tenant_role["rules"]
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    # The edit rights a tenant's package needs are there ...
    for needed in [
        ("", "configmaps"),
        ("", "secrets"),
        ("", "serviceaccounts"),
        ("apps", "deployments"),
    ]:
        assert {"create", "patch", "delete"} <= granted[needed], needed
    assert granted[("", "configmaps")] >= READ_VERBS
    # ... and nothing on syncd's own kinds, on RBAC, or by wildcard.
    groups = {group for group, _ in granted}
    assert "syncd.dev" not in groups
    assert "rbac.authorization.k8s.io" not in groups
    assert "*" not in groups
    assert all("*" not in verbs for verbs in granted.values())
    assert all(resource != "*" for _, resource in granted)
    # Of cluster-scoped kinds, only Namespaces are named, read-only (through a
    # RoleBinding that reaches the tenant's own Namespace alone).
    cluster_scoped = {
        (rtype.group, rtype.resource)
        for rtype in KubeClient(load_connection(control_plane.kubeconfig)).resource_types()
        if not rtype.namespaced
    }
    named: dict[tuple[str, str], set[str]] = {}
    for (group, resource), verbs in granted.items():
        named.setdefault((group, resource.partition("/")[0]), set()).update(verbs)
    wider = {key: verbs for key, verbs in named.items() if key in cluster_scoped}
    assert set(wider) == {("", "namespaces")}
    assert wider[("", "namespaces")] <= READ_VERBS


def test_tenant_init_apply_creates_the_namespace_service_account_binding_and_repo_sync(
    admin: KubeHttp, tenant: Tenant
) -> None:
    ns = tenant.namespace
    lines = tenant.stdout.splitlines()
    assert lines[:4] == [
        f"namespace/{ns} created",
        "serviceaccount/syncd-repo-sync created",
        "rolebinding.rbac.authorization.k8s.io/syncd-repo-sync created",
        "reposync.syncd.dev/repo-sync created",
    ]
    assert "warning" not in tenant.stdout
    assert "next steps:" in lines
    assert f"  kubectl get reposync -n {ns}" in lines

    assert admin.get(f"/api/v1/namespaces/{ns}/serviceaccounts/syncd-repo-sync").status == 200
    binding = admin.get(
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/syncd-repo-sync"
    ).json()
    assert binding["roleRef"]["name"] == "syncd-tenant"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "syncd-repo-sync", "namespace": ns}
    ]
    resp = admin.get(f"/apis/syncd.dev/v1beta1/namespaces/{ns}/reposyncs/repo-sync")
    assert resp.status == 200, resp.text
    obj = resp.json()
    # The spec is syncd-cli's; the session's controller may already have written the
    # status (and its finalizer bookkeeping) as `syncd`.
    spec_managers = {
        entry["manager"]
        for entry in obj["metadata"]["managedFields"]
        if "f:spec" in (entry.get("fieldsV1") or {})
    }
    assert spec_managers == {"syncd-cli"}
    sync = parse_repo_sync(obj)
    assert sync.spec.git is not None
    assert sync.spec.git.repo == REPO
    assert sync.service_account_name == "syncd-repo-sync"


def test_tenant_init_apply_again_changes_nothing(
    control_plane: ControlPlane, tenant: Tenant
) -> None:
    done = _tenant_init(
        control_plane, tenant.namespace, "--repo", REPO, "--create-namespace", "--apply"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The Namespace declares nothing but its name, which managedFields do not
    # track: the first apply leaves no entry, so the server writes one
    # (`before-first-apply`) for its own label and finalizer on the second.
    assert lines[0] in (
        f"namespace/{tenant.namespace} unchanged",
        f"namespace/{tenant.namespace} configured",
    )
    assert lines[1:4] == [
        "serviceaccount/syncd-repo-sync unchanged",
        "rolebinding.rbac.authorization.k8s.io/syncd-repo-sync unchanged",
        "reposync.syncd.dev/repo-sync unchanged",
    ]


def test_the_tenant_service_account_may_write_its_namespace_and_nothing_outside_it(
    admin: KubeHttp, tenant: Tenant
) -> None:
    ns = tenant.namespace
    other = unique("other")
    create_namespace(admin, other)
    as_tenant = admin.impersonating(service_account_user(ns, "syncd-repo-sync"))

    def created_in_own_namespace() -> bool | None:
        # The RoleBinding reaches the RBAC authorizer's cache within moments.
        resp = as_tenant.post(f"/api/v1/namespaces/{ns}/configmaps", configmap("ok", ns, {}))
        assert resp.status in (201, 403), resp.text
        return resp.status == 201 or None

    wait_until(created_in_own_namespace, timeout=30, what="tenant may create a ConfigMap")

    elsewhere = as_tenant.post(f"/api/v1/namespaces/{other}/configmaps", configmap("x", other, {}))
    assert elsewhere.status == 403, elsewhere.text
    role = as_tenant.post(CLUSTER_ROLES, cluster_role(unique("tenant-escape")))
    assert role.status == 403, role.text
    groups = as_tenant.get(f"/apis/syncd.dev/v1beta1/namespaces/{ns}/resourcegroups")
    assert groups.status == 403, groups.text
    own_sync = as_tenant.get(f"/apis/syncd.dev/v1beta1/namespaces/{ns}/reposyncs/repo-sync")
    assert own_sync.status == 403, own_sync.text
    binding = as_tenant.post(
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
        {
            "metadata": {"name": "escalate"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "syncd-repo-sync", "namespace": ns}],
        },
    )
    assert binding.status == 403, binding.text
    assert as_tenant.get("/api/v1/namespaces").status == 403
    assert as_tenant.get(f"/api/v1/namespaces/{ns}").status == 200


def test_kubectl_get_reposync_all_namespaces_shows_the_status_columns(
    control_plane: ControlPlane, tenant: Tenant
) -> None:
    out = kubectl(control_plane, "get", "reposync", "-A")
    header, *rows = out.splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "READY", "STATUS", "COMMIT", "ERRORS", "AGE"]
    assert [tenant.namespace, "repo-sync"] in [row.split()[:2] for row in rows]


def test_tenant_init_refuses_a_file_url_without_touching_the_cluster(
    control_plane: ControlPlane, admin: KubeHttp, tenant_role: dict[str, Any]
) -> None:
    namespace = unique("team")
    done = _tenant_init(
        control_plane, namespace, "--repo", "file:///srv/git/x", "--create-namespace", "--apply"
    )
    assert done.returncode == 2
    assert "file://" in done.stderr
    assert "SD1061" in done.stderr
    assert "Traceback" not in done.stderr
    assert admin.get(f"/api/v1/namespaces/{namespace}").status == 404


def _status(
    control_plane: ControlPlane, *argv: str, user: str = "admin"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd.cli.main", "status", *argv],
        env={**os.environ, "SYNCD_KUBECONFIG": str(control_plane.kubeconfig_for(user))},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_syncd_status_lists_the_tenant_repo_sync_under_its_namespace(
    control_plane: ControlPlane, tenant: Tenant
) -> None:
    done = _status(control_plane, "-n", tenant.namespace)
    assert done.returncode == 1, done.stderr  # nothing reconciles it here: not Synced
    lines = done.stdout.splitlines()
    assert lines[0] == f"== namespace {tenant.namespace}: 1 RepoSync =="
    assert f"RepoSync {tenant.namespace}/repo-sync" in lines
    assert f"  source:  {REPO}@main" in lines


def test_syncd_status_for_a_user_who_may_list_no_syncs_says_so_without_a_traceback(
    control_plane: ControlPlane, tenant: Tenant
) -> None:
    done = _status(control_plane, user="alice")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    notes = [line for line in done.stdout.splitlines() if line.startswith("note:")]
    hint = "in all namespaces (forbidden); pass --namespace to see one namespace's"
    assert notes == [
        f"note: you may not list RootSyncs {hint}",
        f"note: you may not list RepoSyncs {hint}",
    ]
