"""`syncd tenant init` prints (or applies) a ServiceAccount, a RoleBinding and a valid RepoSync."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml

from syncd.api.models import parse_repo_sync
from syncd.cli.main import main
from syncd.cli.tenant_cmd import apply_plan
from syncd.cli.tenant_objects import TenantAuth, TenantPlan
from syncd.core.errors import ForbiddenError, UnknownKindError
from syncd.core.ports import ResourceType
from syncd.core.refs import ObjectRef
from syncd.testing.fake_cluster import FakeCluster

REPO = "https://git.example.com/team-a/config.git"


def _printed(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    assert main(["tenant", "init", *argv]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return [doc for doc in yaml.safe_load_all(captured.out) if doc is not None]


def _by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {obj["kind"]: obj for obj in objects}


def test_prints_a_service_account_a_role_binding_and_a_valid_repo_sync(
    capsys: pytest.CaptureFixture[str],
) -> None:
    objects = _printed(capsys, "team-a", "--repo", REPO)
    assert [obj["kind"] for obj in objects] == ["ServiceAccount", "RoleBinding", "RepoSync"]
    kinds = _by_kind(objects)
    assert kinds["ServiceAccount"]["metadata"] == {"name": "syncd-repo-sync", "namespace": "team-a"}
    binding = kinds["RoleBinding"]
    assert binding["metadata"] == {"name": "syncd-repo-sync", "namespace": "team-a"}
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "syncd-tenant",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "syncd-repo-sync", "namespace": "team-a"}
    ]
    sync = parse_repo_sync(kinds["RepoSync"])
    assert (sync.metadata.name, sync.metadata.namespace) == ("repo-sync", "team-a")
    assert sync.service_account_name == "syncd-repo-sync"
    assert "serviceAccountName" not in kinds["RepoSync"]["spec"]
    git = kinds["RepoSync"]["spec"]["git"]
    assert git == {"repo": REPO, "branch": "main", "dir": ".", "period": "15s", "auth": "none"}


def test_the_printed_yaml_starts_with_the_next_steps_as_comments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["tenant", "init", "team-a", "--repo", REPO, "--auth", "token"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Onboarding of tenant namespace team-a")
    assert "create secret generic repo-sync-git --from-literal=token=" in out
    assert "#   syncd status -n team-a" in out


def test_options_reach_the_repo_sync_and_the_identity(capsys: pytest.CaptureFixture[str]) -> None:
    objects = _printed(
        capsys,
        "team-b",
        "--repo",
        REPO,
        "--name",
        "apps",
        "--branch",
        "release",
        "--dir",
        "tenants/team-b",
        "--period",
        "1m",
        "--auth",
        "basic",
        "--service-account",
        "deployer",
        "--create-namespace",
    )
    assert [obj["kind"] for obj in objects] == [
        "Namespace",
        "ServiceAccount",
        "RoleBinding",
        "RepoSync",
    ]
    kinds = _by_kind(objects)
    assert kinds["Namespace"]["metadata"] == {"name": "team-b"}
    assert kinds["ServiceAccount"]["metadata"]["name"] == "deployer"
    assert kinds["RoleBinding"]["metadata"]["name"] == "syncd-apps"
    assert kinds["RoleBinding"]["subjects"][0]["name"] == "deployer"
    sync = parse_repo_sync(kinds["RepoSync"])
    assert sync.service_account_name == "deployer"
    assert kinds["RepoSync"]["spec"]["serviceAccountName"] == "deployer"
    git = kinds["RepoSync"]["spec"]["git"]
    assert (git["branch"], git["dir"], git["period"]) == ("release", "tenants/team-b", "1m")
    assert git["auth"] == "basic"
    assert git["secretRef"] == {"name": "apps-git"}


def test_secret_name_names_the_credentials_secret(capsys: pytest.CaptureFixture[str]) -> None:
    objects = _printed(
        capsys, "team-a", "--repo", REPO, "--auth", "token", "--secret-name", "team-a-token"
    )
    assert _by_kind(objects)["RepoSync"]["spec"]["git"]["secretRef"] == {"name": "team-a-token"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["team-a", "--repo", "file:///srv/git/team-a"], "may not sync a file:// repository"),
        (["team-a", "--repo", "/srv/git/team-a"], "may not sync a local path (SD1061)"),
        (["team-a", "--repo", "../team-a"], "is not a URL"),
        (["team-a", "--repo", "git@github.com:team/a.git"], "ssh repositories are not supported"),
        (["team-a", "--repo", "https://me:hunter2@git.example.com/a"], "credentials in the URL"),
        (["team-a", "--repo", "ftp://git.example.com/a"], "scheme 'ftp' is not supported"),
        (["team-a", "--repo", "git://git.example.com/a", "--auth", "token"], "git:// sends no"),
        (["Team_A", "--repo", REPO], "namespace 'Team_A' is not a DNS-1123 label"),
        (["team-a", "--repo", REPO, "--name", "a.b"], "--name 'a.b' is not a DNS-1123 label"),
        (["team-a", "--repo", REPO, "--name", "x" * 64], "is not a DNS-1123 label"),
        (["team-a", "--repo", REPO, "--period", "soon"], "spec.git.period"),
        (["team-a", "--repo", REPO, "--dir", "../other"], "spec.git.dir"),
        (["team-a", "--repo", REPO, "--service-account", "Bad!"], "--service-account"),
        (["syncd-system", "--repo", REPO], "is syncd's own namespace"),
    ],
)
def test_unusable_options_exit_2_with_a_message_and_print_nothing(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["tenant", "init", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("syncd: ")
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert "hunter2" not in captured.err


def test_tenant_without_a_command_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenant"]) == 2
    assert "init" in capsys.readouterr().err


# -- --apply, against the fake cluster -------------------------------------------------------

TYPES = [
    ResourceType(group="", version="v1", kind="Namespace", resource="namespaces", namespaced=False),
    ResourceType(
        group="", version="v1", kind="ServiceAccount", resource="serviceaccounts", namespaced=True
    ),
    ResourceType(
        group="rbac.authorization.k8s.io",
        version="v1",
        kind="RoleBinding",
        resource="rolebindings",
        namespaced=True,
    ),
    ResourceType(
        group="rbac.authorization.k8s.io",
        version="v1",
        kind="ClusterRole",
        resource="clusterroles",
        namespaced=False,
    ),
]
REPO_SYNC_TYPE = ResourceType(
    group="syncd.dev", version="v1beta1", kind="RepoSync", resource="reposyncs", namespaced=True
)
PLAN = TenantPlan(namespace="team-a", repo=REPO, auth=TenantAuth.TOKEN, create_namespace=True)


def test_apply_creates_each_object_then_reports_them_unchanged() -> None:
    cluster = FakeCluster([*TYPES, REPO_SYNC_TYPE])
    first = io.StringIO()
    apply_plan(PLAN, cluster=cluster, force=False, out=first)
    assert first.getvalue().splitlines()[:4] == [
        "namespace/team-a created",
        "serviceaccount/syncd-repo-sync created",
        "rolebinding.rbac.authorization.k8s.io/syncd-repo-sync created",
        "reposync.syncd.dev/repo-sync created",
    ]
    assert "ClusterRole syncd-tenant does not exist" in first.getvalue()
    sync = cluster.peek(
        ObjectRef(group="syncd.dev", kind="RepoSync", namespace="team-a", name="repo-sync")
    )
    assert sync is not None
    assert parse_repo_sync(sync).spec.git is not None
    again = io.StringIO()
    apply_plan(PLAN, cluster=cluster, force=False, out=again)
    assert again.getvalue().splitlines()[:4] == [
        "namespace/team-a unchanged",
        "serviceaccount/syncd-repo-sync unchanged",
        "rolebinding.rbac.authorization.k8s.io/syncd-repo-sync unchanged",
        "reposync.syncd.dev/repo-sync unchanged",
    ]


def test_apply_writes_nothing_when_the_repo_sync_crd_is_missing() -> None:
    cluster = FakeCluster(TYPES)
    with pytest.raises(UnknownKindError, match="install syncd's CRDs first"):
        apply_plan(PLAN, cluster=cluster, force=False, out=io.StringIO())
    assert cluster.peek(ObjectRef(group="", kind="Namespace", name="team-a")) is None


def test_apply_stops_at_a_forbidden_object_after_reporting_the_ones_before() -> None:
    cluster = FakeCluster([*TYPES, REPO_SYNC_TYPE])
    cluster.fail_always("apply", REPO_SYNC_TYPE, ForbiddenError("no", status=403))
    out = io.StringIO()
    with pytest.raises(ForbiddenError):
        apply_plan(PLAN, cluster=cluster, force=False, out=out)
    assert out.getvalue().splitlines()[-1] == (
        "rolebinding.rbac.authorization.k8s.io/syncd-repo-sync created"
    )


def test_syncd_namespace_names_the_namespace_a_repo_sync_may_not_use(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCD_NAMESPACE", "gitops")
    assert main(["tenant", "init", "gitops", "--repo", REPO]) == 2
    assert "'gitops' is syncd's own namespace" in capsys.readouterr().err
    assert main(["tenant", "init", "syncd-system", "--repo", REPO]) == 0
