"""The escape suite: a tenant's repository tries every way out of its namespace, and none works.

The table (`e2e.escapes`) is committed as one file per attempt in one
commit, synced by one RepoSync acting as a real service account bound to
`edit` in its namespace, and also to `edit` in the victim namespace, so that
syncd's own wall (validation, SD1058) is what stands there, not only RBAC.
Every attempt must be refused with its code, named by the error's
resources, and an admin GET of each target must find nothing; the
tenant's legitimate objects apply beside them. The special cases that need
a RepoSync of their own (a `file://` repository, a kustomize remote base in
another tenant's repository, RBAC escalation prevention with an `admin`
tenant) follow.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from e2e.escapes import ESCALATION, SD2013, Escape, Places, escapes, rbac_escalations
from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import SYSTEM_NS, Controller
from e2e.syncsteps import (
    RESOURCE_GROUPS as ROOT_GROUPS,
)
from e2e.syncsteps import (
    configmap,
    create_root_sync,
    errors_of,
    errors_with_code,
    get_object,
    manager_of,
    manager_value,
    to_yaml,
    wait_state,
)
from e2e.tenants import (
    REPO_SYNC,
    SYNCD_API,
    Tenant,
    commit_links,
    create_repo_sync,
    exists,
    grant,
    inventory_of,
    onboard,
    other_namespace,
    wait_repo_error,
    wait_repo_state,
)
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp

pytestmark = pytest.mark.e2e

PART_OF = "applyset.kubernetes.io/part-of"
APPLYSET_ID = "applyset.kubernetes.io/id"

SD1006 = "SD1006"  # a file that cannot be read: here, a link out of the checkout
SD1061 = "SD1061"


def codes_by_object(status: Mapping[str, Any]) -> dict[tuple[str, str], set[str]]:
    """`(kind, name)` -> the codes of every error naming that object in its resources."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for error in errors_of(status):
        for res in error.get("resources") or []:
            found[(res["kind"], res["name"])].add(error["code"])
    return dict(found)


def applyset_of(admin: KubeHttp, collection: str, name: str) -> str:
    """The ApplySet id of a sync's ResourceGroup (its members' part-of label)."""
    group = get_object(admin, f"{collection}/{name}")
    assert group is not None
    return str(group["metadata"]["labels"][APPLYSET_ID])


def message_about(status: Mapping[str, Any], escape: Escape) -> str:
    """The message of the error that refuses `escape`."""
    for error in errors_of(status):
        named = {(r["kind"], r["name"]) for r in error.get("resources") or []}
        if error["code"] == escape.code and (escape.kind, escape.name) in named:
            return str(error["message"])
    raise AssertionError(f"no {escape.code} error names {escape.what}")


def escape_files(table: list[Escape], *allowed: dict[str, Any]) -> dict[str, str]:
    files = {path: text for i, e in enumerate(table) for path, text in e.committed(i).items()}
    files.update({f"app/{i:02d}.yaml": to_yaml(obj) for i, obj in enumerate(allowed)})
    return files


def link_escapes(controller: Controller, outside: Path) -> dict[str, tuple[str, str]]:
    """Symbolic links out of the checkout: what -> (path in the repository, target)."""
    return {
        "symlink to the controller's kubeconfig": (
            "links/kubeconfig.yaml",
            controller.env["SYNCD_KUBECONFIG"],
        ),
        "symlink to the controller's environment": ("links/env.yaml", "/proc/self/environ"),
        "symlink to a manifest outside the repository": ("links/cm.yaml", str(outside)),
    }


def names_in(admin: KubeHttp, namespace: str, resource: str) -> set[str]:
    resp = admin.get(f"/api/v1/namespaces/{namespace}/{resource}")
    assert resp.status == 200, resp.text
    return {item["metadata"]["name"] for item in resp.json()["items"]}


def test_every_escape_in_a_tenants_repository_is_refused_with_its_code(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="escape")
    ns = tenant.namespace
    victim = other_namespace(admin, request, "victim")
    grant(admin, tenant, victim)  # RBAC would let the tenant write there: syncd must not
    # The platform team's RootSync holds one ConfigMap in the tenant's namespace.
    platform, root_object = git_repo_factory(git_http, prefix="platform"), unique("platform")
    root_sha = platform.commit({"cm.yaml": to_yaml(configmap(root_object, ns, "platform"))}, "p")
    root = create_root_sync(admin, request, repo=git_http.repo_url(platform.name))
    wait_state(admin, root, root_sha, "Synced")

    suffix = uuid.uuid4().hex[:6]
    at = Places(tenant=ns, victim=victim, root_sync=root, root_object=root_object, suffix=suffix)
    table = escapes(at)
    assert len(table) >= 15
    assert len({(e.kind, e.name) for e in table}) == len(table)
    forged = configmap(
        f"forged-{suffix}", ns, "tenant", annotations={"syncd.dev/manager": manager_value(root)}
    )
    forged["metadata"]["labels"] = {PART_OF: applyset_of(admin, ROOT_GROUPS, root)}
    repo = git_repo_factory(git_http, prefix="escape")
    ok = configmap(f"ok-{suffix}", ns, "fine")
    sha = repo.commit(escape_files(table, ok, forged), "every way out of the namespace")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))

    status = wait_repo_state(admin, tenant, sha, "Error")["status"]
    refused = codes_by_object(status)
    outcome = {e.what: sorted(refused.get((e.kind, e.name), set())) for e in table}
    assert outcome == {e.what: [e.code] for e in table}
    assert set(refused) == {(e.kind, e.name) for e in table}, "only the escapes are refused"
    for escape in table:
        if escape.says:
            assert escape.says in message_about(status, escape), escape.what
    for block in ("source", "rendering", "sync"):
        assert not ((status.get(block) or {}).get("errorSummary") or {}).get("truncated")
    assert_nothing_outside(admin, tenant, victim, table)
    # Its own ResourceGroup lists what the sync manages, not what the repository wrote.
    assert inventory_of(admin, tenant) == {
        ("", "ConfigMap", ns, f"ok-{suffix}"),
        ("", "ConfigMap", ns, f"forged-{suffix}"),
    }
    assert_forgeries_changed_nothing(admin, tenant, root, root_object, f"forged-{suffix}")
    live_ok = get_object(admin, tenant.path("configmaps", f"ok-{suffix}"))
    assert live_ok is not None
    assert live_ok["data"] == {"value": "fine"}


def assert_nothing_outside(
    admin: KubeHttp, tenant: Tenant, victim: str, table: list[Escape]
) -> None:
    """No target exists (the RBAC objects inside the namespace neither), nothing else leaked."""
    created = [e.what for e in table if e.target and exists(admin, e.target)]
    assert created == []
    assert names_in(admin, victim, "configmaps") == {"kube-root-ca.crt"}
    assert not [s for s in names_in(admin, victim, "secrets") if s.startswith("esc-")]
    assert not [c for c in names_in(admin, "kube-system", "configmaps") if c.startswith("esc-")]
    own_ns = get_object(admin, f"/api/v1/namespaces/{tenant.namespace}")
    assert own_ns is not None
    assert "escape" not in (own_ns["metadata"].get("labels") or {})


def assert_forgeries_changed_nothing(
    admin: KubeHttp, tenant: Tenant, root: str, root_object: str, forged: str
) -> None:
    """The RootSync's object is untouched; a forged manager and ApplySet on a new one are undone."""
    held = get_object(admin, tenant.path("configmaps", root_object))
    assert held is not None
    assert held["data"] == {"value": "platform"}
    assert manager_of(held) == manager_value(root)
    new = get_object(admin, tenant.path("configmaps", forged))
    assert new is not None
    assert manager_of(new) == tenant.manager()
    groups = f"{SYNCD_API}/namespaces/{tenant.namespace}/resourcegroups"
    assert new["metadata"]["labels"][PART_OF] == applyset_of(admin, groups, REPO_SYNC)


def test_links_out_of_the_checkout_are_never_followed(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    # Links to the controller's credentials and environment, and to a manifest beside the
    # repository: none is read, so nothing is applied from them and nothing leaks.
    tenant = onboard(admin, request, prefix="links")
    repo = git_repo_factory(git_http, prefix="links")
    outside_cm = unique("outside")
    outside = repo.work_path.parent / f"{outside_cm}.yaml"
    outside.write_text(to_yaml(configmap(outside_cm, tenant.namespace, "outside")))
    repo.commit({"ok.yaml": to_yaml(configmap("ok", tenant.namespace, "fine"))}, "one object")
    links = link_escapes(syncd_controller, outside)
    sha = commit_links(repo, dict(links.values()), "links out of the checkout")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))

    status = wait_repo_state(admin, tenant, sha, "Error")["status"]
    # Each link is reported (SD1006), never silently dropped, so nothing is pruned for it.
    reported = {
        path
        for error in errors_with_code(status, "SD1006")
        for path in links_named(error, [p for p, _ in links.values()])
    }
    assert reported == {path for path, _ in links.values()}, errors_with_code(status, "SD1006")
    text = json.dumps(status)
    assert admin.token not in text
    assert "SYNCD_KUBECONFIG" not in text
    assert not exists(admin, tenant.path("configmaps", outside_cm))
    assert inventory_of(admin, tenant) == {("", "ConfigMap", tenant.namespace, "ok")}
    skipped = syncd_controller.log_records("source.git.entry_skipped", reason="link_outside_tree")
    assert {path for path, _ in links.values()} <= {r["path"] for r in skipped}


def links_named(error: dict[str, object], paths: list[str]) -> set[str]:
    """Which of `paths` an error's message names."""
    message = str(error.get("message", ""))
    return {path for path in paths if path in message}


def test_rbac_escalation_prevention_refuses_an_admin_tenant_what_it_does_not_hold(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    # With `admin` in its namespace the account may write RoleBindings and Roles, so
    # what stops a binding to cluster-admin is the API server's escalation check.
    tenant = onboard(admin, request, prefix="escalate", role="admin")
    suffix = uuid.uuid4().hex[:6]
    table = rbac_escalations(tenant.namespace, suffix, says=(ESCALATION, ESCALATION))
    ok = configmap(f"ok-{suffix}", tenant.namespace, "fine")
    repo = git_repo_factory(git_http, prefix="escalate")
    sha = repo.commit(escape_files(table, ok), "grant myself cluster-admin")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))

    status = wait_repo_state(admin, tenant, sha, "Error")["status"]
    refused = codes_by_object(status)
    assert {e.what: sorted(refused.get((e.kind, e.name), set())) for e in table} == {
        e.what: [SD2013] for e in table
    }
    for escape in table:
        message = message_about(status, escape)
        assert escape.says in message, message
        assert tenant.user in message, message
        assert not exists(admin, escape.target), escape.what
    assert exists(admin, tenant.path("configmaps", f"ok-{suffix}"))


SPEC_ESCAPES: dict[str, tuple[Callable[[GitRepo], dict[str, Any]], str]] = {
    "file:// repository": (lambda r: {"git": {"repo": f"file://{r.bare_path}"}}, "git.repo"),
    "local path as repository": (lambda r: {"git": {"repo": str(r.bare_path)}}, "git.repo"),
    "local source": (
        lambda r: {"sourceType": "local", "local": {"path": str(r.work_path)}},
        "local",
    ),
    "hierarchy format": (lambda r: {"sourceFormat": "hierarchy"}, "sourceFormat"),
    "kustomize load restrictor lifted": (
        lambda r: {"render": {"kustomize": {"loadRestrictor": "none"}}},
        "render.kustomize.loadRestrictor",
    ),
}
"""Specs only a RootSync may have: (the spec fields over a Git source, the field refused)."""


def test_a_repo_sync_spec_asking_what_only_a_root_sync_may_have_stalls_with_sd1061(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="spec")
    system = Tenant(namespace=SYSTEM_NS)
    repo = git_repo_factory(git_http, prefix="spec")
    planted = unique("planted")
    repo.commit({"cm.yaml": to_yaml(configmap(planted, tenant.namespace, "x"))}, "one object")
    url = git_http.repo_url(repo.name)
    names = {what: f"spec-{i}" for i, what in enumerate(SPEC_ESCAPES)}
    for what, (spec, _) in SPEC_ESCAPES.items():
        fields = spec(repo)
        git = fields.pop("git", {})
        create_repo_sync(admin, tenant, repo=url, git=git, spec=fields, name=names[what])
    # A RepoSync in syncd's own namespace, from a repository that is otherwise fine.
    request.addfinalizer(lambda: admin.delete(system.repo_sync_path("in-system")))
    repo_in_system = unique("in-system")
    inside = git_repo_factory(git_http, prefix="in-system")
    inside.commit({"cm.yaml": to_yaml(configmap(repo_in_system, SYSTEM_NS, "x"))}, "system")
    create_repo_sync(admin, system, repo=git_http.repo_url(inside.name), name="in-system")

    cases = [(tenant, names[w], field) for w, (_, field) in SPEC_ESCAPES.items()]
    for who, name, field in [*cases, (system, "in-system", SYSTEM_NS)]:
        obj = wait_repo_error(admin, who, SD1061, name=name)
        status = obj["status"]
        assert status["summary"]["state"] == "Stalled", (name, status["summary"])
        (error,) = errors_with_code(status, SD1061)
        assert field in error["message"], error
        assert [e["code"] for e in errors_of(status)] == [SD1061], name
        assert not (status.get("sync") or {}).get("commit"), "nothing was synced"
    assert not exists(admin, tenant.path("configmaps", planted))
    assert not exists(admin, system.path("configmaps", repo_in_system))


def test_a_file_replaced_by_a_link_out_of_the_checkout_is_reported_and_nothing_is_pruned(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="swap")
    repo = git_repo_factory(git_http, prefix="swap")
    first = repo.commit(
        {
            "a.yaml": to_yaml(configmap("a", tenant.namespace, "1")),
            "b.yaml": to_yaml(configmap("b", tenant.namespace, "1")),
        },
        "two objects",
    )
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    wait_repo_state(admin, tenant, first)
    (repo.work_path / "a.yaml").unlink()
    sha = commit_links(repo, {"a.yaml": "/etc/hostname"}, "a.yaml becomes a link out")
    status = wait_repo_state(admin, tenant, sha, "Error")["status"]
    assert links_named(errors_with_code(status, "SD1006")[0], ["a.yaml"]) == {"a.yaml"}
    assert exists(admin, tenant.path("configmaps", "a"))  # not pruned: the commit is incomplete
    assert inventory_of(admin, tenant) == {
        ("", "ConfigMap", tenant.namespace, "a"),
        ("", "ConfigMap", tenant.namespace, "b"),
    }
