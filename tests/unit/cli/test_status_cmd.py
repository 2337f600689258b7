"""`syncd status` shows each sync's source, state, commit, errors and (optionally) objects."""

from __future__ import annotations

import io

from syncd.cli.status_cmd import render
from syncd.core.errors import ForbiddenError
from syncd.core.ports import ResourceType
from syncd.core.refs import ObjectRef
from syncd.testing.fake_cluster import FakeCluster

TYPES = [
    ResourceType(
        group="syncd.dev", version="v1beta1", kind="RootSync", resource="rootsyncs", namespaced=True
    ),
    ResourceType(
        group="syncd.dev", version="v1beta1", kind="RepoSync", resource="reposyncs", namespaced=True
    ),
    ResourceType(
        group="syncd.dev",
        version="v1beta1",
        kind="ResourceGroup",
        resource="resourcegroups",
        namespaced=True,
    ),
]


def _root_sync(name: str, status: dict[str, object]) -> dict[str, object]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": name, "namespace": "syncd-system"},
        "spec": {"git": {"repo": "https://git.example/repo.git", "branch": "main", "dir": "apps"}},
        "status": status,
    }


def _ref(kind: str, name: str) -> ObjectRef:
    return ObjectRef(
        group="syncd.dev", version="v1beta1", kind=kind, namespace="syncd-system", name=name
    )


def _seed(cluster: FakeCluster, name: str, status: dict[str, object]) -> None:
    # Like the real server, apply ignores status; it goes through /status.
    live = cluster.apply(_ref("RootSync", name), _root_sync(name, {}), field_manager="test")
    cluster.replace_status(_ref("RootSync", name), {**live, "status": status})


def test_a_synced_sync_shows_source_state_commit_and_counts_and_exits_zero() -> None:
    cluster = FakeCluster(TYPES)
    _seed(
        cluster,
        "root",
        {
            "summary": {"state": "Synced", "shortCommit": "abc1234", "errorCount": 0},
            "sync": {"commit": "abc1234def", "applied": 3, "unchanged": 1, "pruned": 2, "total": 4},
        },
    )
    out = io.StringIO()
    assert render(cluster, namespace="", resources=False, out=out) == 0
    text = out.getvalue()
    assert "RootSync syncd-system/root" in text
    assert "source:  https://git.example/repo.git@main dir apps" in text
    assert "state:   Synced  commit abc1234  errors 0" in text
    assert "4 declared, 3 applied, 1 unchanged, 2 pruned, 0 failed" in text


def test_errors_are_listed_with_their_source_paths_and_the_exit_code_is_one() -> None:
    cluster = FakeCluster(TYPES)
    _seed(
        cluster,
        "broken",
        {
            "summary": {"state": "Error", "shortCommit": "fff0000", "errorCount": 1},
            "source": {
                "errors": [
                    {
                        "code": "SD1006",
                        "message": "bad YAML",
                        "resources": [
                            {"sourcePath": "apps/x.yaml", "kind": "ConfigMap", "name": "x"}
                        ],
                    }
                ]
            },
        },
    )
    out = io.StringIO()
    assert render(cluster, namespace="", resources=False, out=out) == 1
    assert "SD1006: bad YAML (apps/x.yaml)" in out.getvalue()


def test_resources_flag_lists_inventory_objects_with_their_readiness() -> None:
    cluster = FakeCluster(TYPES)
    _seed(cluster, "root", {"summary": {"state": "Synced"}})
    group_ref = _ref("ResourceGroup", "root")
    entry = {"group": "", "kind": "ConfigMap", "namespace": "a", "name": "c"}
    live = cluster.apply(
        group_ref,
        {
            "apiVersion": "syncd.dev/v1beta1",
            "kind": "ResourceGroup",
            "metadata": {"name": "root", "namespace": "syncd-system"},
            "spec": {"resources": [entry]},
        },
        field_manager="test",
    )
    status = {"objects": {"current": ["ConfigMap/a/c"]}}
    cluster.replace_status(group_ref, {**live, "status": status})
    out = io.StringIO()
    render(cluster, namespace="", resources=True, out=out)
    assert "resources (1):" in out.getvalue()
    assert "Current     ConfigMap a/c" in out.getvalue()


def test_no_syncs_says_how_to_create_one() -> None:
    out = io.StringIO()
    assert render(FakeCluster(TYPES), namespace="", resources=False, out=out) == 1
    assert "create a RootSync" in out.getvalue()


def _seed_repo_sync(cluster: FakeCluster, namespace: str, name: str, state: str) -> None:
    ref = ObjectRef(
        group="syncd.dev", version="v1beta1", kind="RepoSync", namespace=namespace, name=name
    )
    body = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"git": {"repo": f"https://git.example/{namespace}.git"}},
    }
    live = cluster.apply(ref, body, field_manager="test")
    status = {"summary": {"state": state, "shortCommit": "1234567", "errorCount": 0}}
    cluster.replace_status(ref, {**live, "status": status})


def _blocks(text: str) -> list[str]:
    """The namespace headers and sync titles, in the order printed."""
    return [line for line in text.splitlines() if line.startswith(("==", "RootSync", "RepoSync"))]


def test_repo_syncs_are_listed_next_to_root_syncs_grouped_by_namespace() -> None:
    cluster = FakeCluster(TYPES)
    _seed(cluster, "root", {"summary": {"state": "Synced"}})
    _seed_repo_sync(cluster, "team-b", "repo-sync", "Synced")
    _seed_repo_sync(cluster, "team-a", "web", "Synced")
    _seed_repo_sync(cluster, "team-a", "api", "Synced")
    out = io.StringIO()
    assert render(cluster, namespace="", resources=False, out=out) == 0
    assert _blocks(out.getvalue()) == [
        "== namespace syncd-system: 1 RootSync ==",
        "RootSync syncd-system/root",
        "== namespace team-a: 2 RepoSyncs ==",
        "RepoSync team-a/api",
        "RepoSync team-a/web",
        "== namespace team-b: 1 RepoSync ==",
        "RepoSync team-b/repo-sync",
    ]
    assert "source:  https://git.example/team-a.git@main" in out.getvalue()
    assert "state:   Synced  commit 1234567  errors 0" in out.getvalue()


def test_namespace_filter_shows_only_that_namespace() -> None:
    cluster = FakeCluster(TYPES)
    _seed(cluster, "root", {"summary": {"state": "Synced"}})
    _seed_repo_sync(cluster, "team-a", "repo-sync", "Error")
    _seed_repo_sync(cluster, "team-b", "repo-sync", "Synced")
    out = io.StringIO()
    assert render(cluster, namespace="team-a", resources=False, out=out) == 1
    assert _blocks(out.getvalue()) == [
        "== namespace team-a: 1 RepoSync ==",
        "RepoSync team-a/repo-sync",
    ]


def test_a_missing_repo_sync_crd_still_shows_the_root_syncs_with_a_note() -> None:
    cluster = FakeCluster([t for t in TYPES if t.kind != "RepoSync"])
    _seed(cluster, "root", {"summary": {"state": "Synced"}})
    out = io.StringIO()
    assert render(cluster, namespace="", resources=False, out=out) == 0
    assert "RootSync syncd-system/root" in out.getvalue()
    notes = [line for line in out.getvalue().splitlines() if line.startswith("note:")]
    assert notes == ["note: the RepoSync CRD is not installed (manifests/crds/reposync.yaml)"]


def test_a_forbidden_cluster_wide_repo_sync_list_still_shows_the_root_syncs_with_a_note() -> None:
    cluster = FakeCluster(TYPES)
    _seed(cluster, "root", {"summary": {"state": "Synced"}})
    _seed_repo_sync(cluster, "team-a", "repo-sync", "Synced")
    cluster.fail_always("list", TYPES[1], ForbiddenError("reposyncs is forbidden", status=403))
    out = io.StringIO()
    assert render(cluster, namespace="", resources=False, out=out) == 0
    text = out.getvalue()
    assert "RootSync syncd-system/root" in text
    assert "RepoSync team-a" not in text
    notes = [line for line in text.splitlines() if line.startswith("note:")]
    assert notes == [
        (
            "note: you may not list RepoSyncs in all namespaces (forbidden); "
            "pass --namespace to see one namespace's"
        )
    ]


def test_a_tenant_sees_its_repo_syncs_when_root_syncs_are_forbidden() -> None:
    cluster = FakeCluster(TYPES)
    _seed_repo_sync(cluster, "team-a", "repo-sync", "Synced")
    cluster.fail_always("list", TYPES[0], ForbiddenError("rootsyncs is forbidden", status=403))
    cluster.fail_always("get", None, ForbiddenError("resourcegroups is forbidden", status=403))
    out = io.StringIO()
    assert render(cluster, namespace="team-a", resources=True, out=out) == 0
    text = out.getvalue()
    assert "RepoSync team-a/repo-sync" in text
    assert "resources: you may not read this sync's ResourceGroup (forbidden)" in text
    assert "note: you may not list RootSyncs in namespace team-a (forbidden)" in text


def test_nothing_listable_says_why_and_how_to_onboard_a_tenant() -> None:
    cluster = FakeCluster(TYPES)
    cluster.fail_always("list", TYPES[1], ForbiddenError("no", status=403))
    out = io.StringIO()
    assert render(cluster, namespace="", resources=False, out=out) == 1
    text = out.getvalue()
    assert text.startswith("note: you may not list RepoSyncs")
    assert "syncd tenant init" in text
