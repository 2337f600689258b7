"""Multi-repo tenancy on the real control plane: RepoSyncs act as their tenants' accounts.

A RepoSync syncs its namespace as its service account (the default
`syncd-<name>` or `spec.serviceAccountName`), reads its Git credentials from
its own namespace as that account, reports through its own status, Events
and `kubectl get reposync -A` columns; a RootSync limited by
`override.roleRefs` acts as the service account syncd binds to those roles
and is refused what they do not grant.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from e2e.kube import merge_patch, unique
from e2e.servers import GitHttpAuth, GitRepoFactory
from e2e.syncenv import ROOT_SYNCS, SYSTEM_NS, Controller, get_root_sync
from e2e.syncsteps import (
    configmap,
    create_root_sync,
    create_secret,
    errors_of,
    get_object,
    to_yaml,
    wait_state,
)
from e2e.tenants import (
    TIMEOUT,
    Tenant,
    create_repo_sync,
    exists,
    get_repo_sync,
    grant,
    namespaced_path,
    onboard,
    other_namespace,
    repo_sync_events,
    tenant_secret,
    wait_repo_error,
    wait_repo_state,
)
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

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


@pytest.mark.usefixtures("syncd_controller")
def test_a_repo_syncs_events_and_kubectl_columns_are_its_own(
    admin: KubeHttp,
    control_plane: ControlPlane,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="report")
    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit({"cm.yaml": to_yaml(configmap("hello", tenant.namespace, "hi"))}, "add")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    uid = wait_repo_state(admin, tenant, sha)["metadata"]["uid"]

    def synced_event() -> dict[str, Any] | None:
        return next(
            (
                ev
                for ev in repo_sync_events(admin, tenant)
                if ev.get("reason") == "Synced" and sha[:12] in ev.get("message", "")
            ),
            None,
        )

    event = wait_until(synced_event, timeout=TIMEOUT, what="a Synced Event on the RepoSync")
    assert event["type"] == "Normal"
    assert event["metadata"]["namespace"] == tenant.namespace
    involved = event["involvedObject"]
    assert (involved["kind"], involved["namespace"], involved["uid"]) == (
        "RepoSync",
        tenant.namespace,
        uid,
    )

    result = subprocess.run(
        control_plane.kubectl_argv("get", "reposync", "-A"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "READY", "STATUS", "COMMIT", "ERRORS", "AGE"]
    (row,) = [r.split() for r in rows if r.split()[0] == tenant.namespace]
    assert row[:6] == [tenant.namespace, "repo-sync", "True", "Synced", sha[:7], "0"]


def test_the_credentials_secret_is_read_from_the_namespace_as_the_account(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    # The default account may only view: it may not read Secrets, though syncd may,
    # and a Secret of that name in syncd-system holds good credentials too.
    tenant = onboard(admin, request, prefix="creds", role="view")
    secret = unique("git-creds")
    tenant_secret(admin, tenant, secret, {"token": git_http_auth.token})
    request.addfinalizer(lambda: admin.delete(namespaced_path(SYSTEM_NS, "secrets", secret)))
    create_secret(admin, secret, {"token": git_http_auth.token})
    repo = git_repo_factory(git_http_auth, prefix="creds")
    sha = repo.commit({"cm.yaml": to_yaml(configmap("fetched", tenant.namespace, "x"))}, "add")
    git = {"auth": "token", "secretRef": {"name": secret}}
    create_repo_sync(admin, tenant, repo=git_http_auth.server.repo_url(repo.name), git=git)

    status = wait_repo_error(admin, tenant, "SD2013")["status"]
    (error,) = errors_of(status)
    assert error["code"] == "SD2013"
    assert 'cannot get resource "secrets"' in error["message"], error
    assert tenant.user in error["message"], error
    assert f'namespace "{tenant.namespace}"' in error["message"], error
    assert git_http_auth.token not in str(status)
    assert not exists(admin, tenant.path("configmaps", "fetched"))

    def warned() -> list[dict[str, Any]] | None:
        events = repo_sync_events(admin, tenant)
        return [e for e in events if e["type"] == "Warning" and "secrets" in e["message"]] or None

    assert wait_until(warned, timeout=TIMEOUT, what="a Warning Event on the RepoSync")

    # Acting as an account that may read them (spec.serviceAccountName), it syncs.
    deployer = Tenant(namespace=tenant.namespace, service_account="deployer")
    resp = admin.post(
        f"/api/v1/namespaces/{tenant.namespace}/serviceaccounts",
        {"metadata": {"name": "deployer", "namespace": tenant.namespace}},
    )
    assert resp.status == 201, resp.text
    grant(admin, deployer, tenant.namespace, name="deployer")
    live = get_repo_sync(admin, tenant)
    live["spec"]["serviceAccountName"] = "deployer"
    resp = admin.request("PUT", tenant.repo_sync_path(), body=live)
    assert resp.status == 200, resp.text
    wait_repo_state(admin, tenant, sha)
    assert exists(admin, tenant.path("configmaps", "fetched"))


def test_a_root_sync_limited_by_role_refs_is_refused_outside_them(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    allowed, elsewhere = (
        other_namespace(admin, request, "app"),
        other_namespace(admin, request, "x"),
    )
    repo = git_repo_factory(git_http, prefix="limited")
    sha = repo.commit(
        {
            "in.yaml": to_yaml(configmap("inside", allowed, "yes")),
            "out.yaml": to_yaml(configmap("outside", elsewhere, "no")),
        },
        "one ConfigMap in each namespace",
    )
    role_refs = [{"kind": "ClusterRole", "name": "edit", "namespace": allowed}]
    account_path = namespaced_path(SYSTEM_NS, "serviceaccounts", "{name}")
    made: list[str] = []  # deleted after the RootSync (finalizers run last first)
    request.addfinalizer(lambda: [admin.delete(account_path.format(name=a)) for a in made])
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        spec={"override": {"roleRefs": role_refs}},
    )
    account = f"syncd-root-{name}"
    made.append(account)
    user = f"system:serviceaccount:{SYSTEM_NS}:{account}"

    def settled() -> dict[str, Any] | None:
        status = get_root_sync(admin, name).get("status") or {}
        if (status.get("sync") or {}).get("commit") != sha:
            return None
        names = {r["name"] for e in errors_of(status) for r in e.get("resources") or []}
        return status if names == {"outside"} else None

    status = wait_until(settled, timeout=TIMEOUT, what=f"RootSync {name} refused only outside")
    (error,) = errors_of(status)
    assert error["code"] == "SD2013", error
    assert user in error["message"], error
    assert f'namespace "{elsewhere}"' in error["message"], error
    assert status["summary"]["state"] == "Error"
    assert exists(admin, namespaced_path(allowed, "configmaps", "inside"))
    assert not exists(admin, namespaced_path(elsewhere, "configmaps", "outside"))

    assert exists(admin, account_path.format(name=account))
    binding_path = namespaced_path(
        allowed, "rolebindings", f"{account}.clusterrole.edit", group="rbac.authorization.k8s.io/v1"
    )
    binding = get_object(admin, binding_path)
    assert binding is not None
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account, "namespace": SYSTEM_NS}
    ]

    # Without roleRefs it acts as syncd again, and the binding it made is deleted.
    patch = {"spec": {"override": {"roleRefs": None}}}
    resp = merge_patch(admin, f"{ROOT_SYNCS}/{name}", patch, manager="e2e")
    assert resp.status == 200, resp.text
    wait_state(admin, name, sha, "Synced")
    assert exists(admin, namespaced_path(elsewhere, "configmaps", "outside"))
    assert not exists(admin, binding_path)


def test_deleting_a_tenants_namespace_is_not_held_by_its_foreground_repo_sync(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    # The namespace controller deletes the account's RoleBinding with everything else,
    # so the RepoSync's finalizer could never prune: it must let the namespace go.
    tenant = onboard(admin, request, prefix="offboard")
    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit({"cm.yaml": to_yaml(configmap("hello", tenant.namespace, "hi"))}, "add")
    foreground = {"syncd.dev/deletion-propagation": "Foreground"}
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name), annotations=foreground)
    live = wait_repo_state(admin, tenant, sha)
    assert "syncd.dev/delete-managed-objects" in live["metadata"]["finalizers"]

    resp = admin.delete(f"/api/v1/namespaces/{tenant.namespace}")
    assert resp.status == 200, resp.text
    wait_until(
        lambda: not exists(admin, f"/api/v1/namespaces/{tenant.namespace}"),
        timeout=TIMEOUT,
        what=f"namespace {tenant.namespace} deleted",
    )
