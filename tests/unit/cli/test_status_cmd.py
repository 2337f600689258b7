"""`syncd status` shows each sync's source, state, commit, errors and (optionally) objects."""

from __future__ import annotations

import io

from syncd.cli.status_cmd import render
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
