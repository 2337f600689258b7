"""Source isolation between tenants: each reads only what its own credentials may read.

Two tenants on the tenants' Git server (`git_http_tenants`), each with a
token of its own in a Secret in its namespace and a private repository only
that token may read. Both sync. Tenant B naming tenant A's repository (with
B's token, pinned to A's commit that syncd has already fetched for A, or
following A's branch) gets SD2004 and nothing of A's; a kustomize remote
base in A's repository pointing at B's repository fails to render (SD1068)
and applies nothing. The Git server's request log shows who asked for what.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.kube import unique
from e2e.servers import GitHttpTenants, GitRepoFactory, GitTenant
from e2e.syncenv import Controller
from e2e.syncsteps import errors_of, errors_with_code
from e2e.tenants import (
    Tenant,
    create_repo_sync,
    onboard,
    tenant_secret,
    wait_repo_error,
    wait_repo_state,
)
from syncd.devenv.gitrepo import GitRepo, repo_dir_name
from syncd.devenv.kubehttp import KubeHttp

pytestmark = pytest.mark.e2e

SECRET = "git-creds"


def bare_configmap(name: str, value: str) -> str:
    """A ConfigMap naming no namespace: it lands in the namespace of whichever sync applies it."""
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}
    )


def token_auth(repo_url: str, **git: Any) -> dict[str, Any]:
    return {"repo": repo_url, "auth": "token", "secretRef": {"name": SECRET}, **git}


def configmaps_in(admin: KubeHttp, tenant: Tenant) -> set[str]:
    resp = admin.get(f"/api/v1/namespaces/{tenant.namespace}/configmaps")
    assert resp.status == 200, resp.text
    return {item["metadata"]["name"] for item in resp.json()["items"]} - {"kube-root-ca.crt"}


def asked_for(git: GitHttpTenants, repo: GitRepo) -> set[tuple[int, str | None]]:
    """`(status, user)` of every request the Git server answered for `repo`."""
    prefix = f"/{repo_dir_name(repo.name)}/"
    return {(r.status, r.user) for r in git.server.requests if r.path.startswith(prefix)}


def onboard_with_token(
    admin: KubeHttp, request: pytest.FixtureRequest, who: GitTenant, prefix: str
) -> Tenant:
    tenant = onboard(admin, request, prefix=prefix)
    tenant_secret(admin, tenant, SECRET, {"token": who.token})
    return tenant


def assert_no_secret(git: GitHttpTenants, text: str) -> None:
    for who in (git.a, git.b):
        assert who.token not in text
        assert who.password not in text


def test_each_tenant_syncs_its_own_private_repository_and_never_the_others(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http_tenants: GitHttpTenants,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    git, server = git_http_tenants, git_http_tenants.server
    a = onboard_with_token(admin, request, git.a, "team-a")
    b = onboard_with_token(admin, request, git.b, "team-b")
    repo_a, repo_b = git_repo_factory(git, prefix="team-a"), git_repo_factory(git, prefix="team-b")
    a_plan, b_app = unique("a-plan"), unique("b-app")
    sha_a = repo_a.commit({"cm.yaml": bare_configmap(a_plan, "a's secret plan")}, "a")
    sha_b = repo_b.commit({"cm.yaml": bare_configmap(b_app, "b")}, "b")
    git.own(repo_a, git.a)
    git.own(repo_b, git.b)
    url_a, url_b = server.repo_url(repo_a.name), server.repo_url(repo_b.name)

    create_repo_sync(admin, a, repo=url_a, git=token_auth(url_a))
    create_repo_sync(admin, b, repo=url_b, git=token_auth(url_b))
    wait_repo_state(admin, a, sha_a)
    wait_repo_state(admin, b, sha_b)
    assert configmaps_in(admin, a) == {a_plan}
    assert configmaps_in(admin, b) == {b_app}
    assert asked_for(git, repo_a) <= {(200, git.a.name), (401, None)}
    assert (200, git.a.name) in asked_for(git, repo_a)
    # A's commit sits in syncd's cache, fetched with A's token.
    cache = Path(syncd_controller.env["SYNCD_CACHE_DIR"])
    assert list(cache.glob(f"*/worktrees/{sha_a}*")), "A's commit is in the shared cache root"

    # Tenant B names A's repository with its own token: pinned to A's commit, or A's
    # branch; or names a Secret only A's namespace holds.
    tenant_secret(admin, a, "a-only", {"token": git.a.token})
    thieves: dict[str, tuple[dict[str, Any], str]] = {
        "thief-pinned": ({"revision": sha_a}, "HTTP 404"),
        "thief-head": ({}, "HTTP 404"),
        "thief-secret": ({"secretRef": {"name": "a-only"}}, f"{b.namespace}/a-only"),
    }
    before = len(server.requests)
    for name, (extra, _) in thieves.items():
        create_repo_sync(
            admin,
            b,
            repo=url_a,
            git=token_auth(url_a, **extra),
            spec={"serviceAccountName": b.service_account},
            name=name,
        )
    for name, (_, says) in thieves.items():
        status = wait_repo_error(admin, b, "SD2004", name=name)["status"]
        (error,) = errors_with_code(status, "SD2004")
        assert says in error["message"], error
        assert [e["code"] for e in errors_of(status)] == ["SD2004"], name
        assert (status.get("rendering") or {}).get("commit") != sha_a, name
        assert (status.get("sync") or {}).get("commit") is None, name
        assert_no_secret(git, str(status))
    # Every request for A's repository since then, but A's own polls: B's, all refused.
    later = {
        (r.status, r.user)
        for r in server.requests[before:]
        if r.path.startswith(f"/{repo_dir_name(repo_a.name)}/") and r.user != git.a.name
    }
    assert (404, git.b.name) in later, "each thief asked the server itself"
    assert later <= {(404, git.b.name), (401, None)}, later
    assert configmaps_in(admin, b) == {b_app}, "nothing of A's reached B's namespace"
    assert configmaps_in(admin, a) == {a_plan}


def test_a_tenants_kustomize_remote_base_in_another_tenants_repository_fails_to_render(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http_tenants: GitHttpTenants,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    git, server = git_http_tenants, git_http_tenants.server
    a = onboard_with_token(admin, request, git.a, "team-a")
    stolen, local = unique("stolen"), unique("local")
    base = git_repo_factory(git, prefix="team-b-base")
    base.commit(
        {
            "base/kustomization.yaml": "resources: [cm.yaml]\n",
            "base/cm.yaml": bare_configmap(stolen, "b"),
        },
        "team b's base",
    )
    git.own(base, git.b)
    repo = git_repo_factory(git, prefix="team-a")
    sha = repo.commit(
        {
            "app/kustomization.yaml": (
                f"resources:\n- {server.repo_url(base.name)}//base?ref=main\n- cm.yaml\n"
            ),
            "app/cm.yaml": bare_configmap(local, "a"),
        },
        "an overlay on another tenant's base",
    )
    git.own(repo, git.a)
    url = server.repo_url(repo.name)
    create_repo_sync(admin, a, repo=url, git=token_auth(url, dir="app"))

    status = wait_repo_error(admin, a, "SD1068")["status"]
    (error,) = errors_with_code(status, "SD1068")
    assert base.name in error["message"], error
    assert_no_secret(git, str(status))
    assert (status.get("source") or {}).get("commit") == sha, "its own repository was read"
    asked = asked_for(git, base)
    assert (404, git.a.name) in asked, asked
    assert not [st for st, _ in asked if st == 200], asked
    assert configmaps_in(admin, a) == set(), "nothing applied, neither the base's nor its own"
    assert (status.get("sync") or {}).get("commit") != sha
