"""The tenants benchmark's pure parts: layout, Synced, idle-cost arithmetic, goals, tree RSS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import metrics
from bench.rss import descendants, tree_rss
from bench.tenant_goals import (
    evaluate,
    idle_cost,
    idle_goal,
    render,
    rss_goal,
    synced_goal,
    without,
)
from bench.tenant_scenario import SyncKind, TenantScenario, is_synced


def _delta(detail: dict[str, int]) -> metrics.Delta:
    snapshot = metrics.Snapshot()
    for key, n in detail.items():
        verb, resource, code = key.split(" ")
        name, _, sub = resource.partition("/")
        labels = f'code="{code}",resource="{name}",subresource="{sub}",verb="{verb}"'
        snapshot.counts.update(metrics.parse(f"apiserver_request_total{{{labels}}} {n}").counts)
    return metrics.delta(metrics.Snapshot(), snapshot)


def test_each_sync_reads_its_own_directory_of_a_shared_repository() -> None:
    scenario = TenantScenario(syncs=5, objects=3, repos=2)
    assert [scenario.repo_of(i) for i in range(5)] == [0, 1, 0, 1, 0]
    assert scenario.syncs_of_repo(0) == [0, 2, 4]
    files = scenario.repo_files(1)
    assert sorted(files) == ["sync-001/cms-000.yaml", "sync-003/cms-000.yaml"]
    docs = list(yaml.safe_load_all(files["sync-003/cms-000.yaml"]))
    assert {d["metadata"]["namespace"] for d in docs} == {"tenant-003"}
    assert len(docs) == 3
    assert set(scenario.expected(3)) == {d["metadata"]["name"] for d in docs}


def test_a_reposync_lives_in_its_tenant_namespace_and_a_rootsync_in_syncd_system() -> None:
    repo = TenantScenario(syncs=2, objects=1, repos=1, kind=SyncKind.REPO_SYNC)
    root = TenantScenario(syncs=2, objects=1, repos=1, kind=SyncKind.ROOT_SYNC)
    assert repo.sync_namespace(1) == "tenant-001"
    assert repo.service_account(1) == "syncd-tenant-001"
    assert repo.list_path() == "/apis/syncd.dev/v1beta1/reposyncs"
    root_syncs = "/apis/syncd.dev/v1beta1/namespaces/syncd-system/rootsyncs"
    assert root.sync_path(1) == f"{root_syncs}/tenant-001"
    body = root.sync_body(1, repo_url="http://git/r.git")
    assert body["spec"]["git"] == {
        "repo": "http://git/r.git",
        "branch": "main",
        "dir": "sync-001",
        "period": "15s",
    }


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"syncs": 0, "objects": 1, "repos": 1}, "positive"),
        ({"syncs": 2, "objects": 1, "repos": 3}, "must not exceed"),
        ({"syncs": 2, "objects": 1, "repos": 1, "period_seconds": 0.5}, "at least 1s"),
    ],
)
def test_impossible_sizes_are_refused(sizes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TenantScenario(**sizes)


def _sync(generation: int, observed: int, commit: str, ready: str = "True") -> dict[str, Any]:
    condition = {"type": "Ready", "status": ready, "observedGeneration": observed}
    return {
        "metadata": {"generation": generation},
        "status": {
            "observedGeneration": observed,
            "lastSyncedCommit": commit,
            "conditions": [{"type": "Reconciling", "status": "False"}, condition],
        },
    }


def test_synced_means_ready_for_the_current_generation_at_the_commit() -> None:
    assert is_synced(_sync(2, 2, "abc"), "abc")
    assert not is_synced(_sync(2, 1, "abc"), "abc")
    assert not is_synced(_sync(2, 2, "old"), "abc")
    assert not is_synced(_sync(2, 2, "abc", ready="False"), "abc")
    assert not is_synced({"metadata": {"generation": 1}}, "abc")


def test_idle_cost_is_per_sync_and_poll_with_the_api_servers_leases_left_out() -> None:
    delta = _delta(
        {
            "LIST configmaps 200": 400,
            "WATCH rootsyncs 200": 1,
            "GET resourcegroups 200": 20,
            "PUT leases 200": 6,
        }
    )
    cost = idle_cost(delta, syncs=200, window_seconds=30.0, period_seconds=15.0)
    assert cost.polls == 2.0
    assert cost.left_out == {"PUT leases": 6}
    assert cost.lists_per_type() == {"configmaps": 1.0}
    assert cost.gets == 0.05
    assert cost.writes == 0.0
    assert cost.total == pytest.approx(1.0525)
    assert cost.by_verb() == {"GET": 0.05, "LIST": 1.0, "WATCH": 0.0025}


def test_the_idle_goal_holds_one_list_per_type_and_one_get_and_nothing_past_that_budget() -> None:
    def goal(detail: dict[str, int]) -> dict[str, Any]:
        cost = idle_cost(_delta(detail), syncs=10, window_seconds=20.0, period_seconds=10.0)
        return idle_goal(cost, ["configmaps"])

    assert goal({"LIST configmaps 200": 20, "GET resourcegroups 200": 20})["met"] is True
    assert goal({"LIST configmaps 200": 21})["met"] is False
    assert goal({"LIST configmaps 200": 20, "GET rootsyncs 200": 21})["met"] is False
    assert goal({"LIST secrets 200": 21})["met"] is False
    over_budget = goal({"LIST configmaps 200": 20, "GET x 200": 20, "PUT rootsyncs/status 200": 1})
    assert over_budget["met"] is False
    assert over_budget["writes"] == 0.05
    assert idle_goal(None, ["configmaps"])["met"] is None


def test_synced_and_rss_goals_and_the_table() -> None:
    synced = synced_goal(41.5, 200, 200)
    assert synced["met"] is True
    late = synced_goal(None, 150, 200)
    assert late["met"] is False
    assert rss_goal(700 * 1024 * 1024, None)["met"] is False
    cost = idle_cost(
        _delta({"LIST configmaps 200": 40, "PUT leases 200": 2}),
        syncs=20,
        window_seconds=20.0,
        period_seconds=10.0,
    )
    goals = evaluate(
        synced=late,
        idle=idle_goal(cost, ["configmaps"]),
        rss=rss_goal(300 * 1024 * 1024, 250 * 1024 * 1024),
    )
    assert goals["all_met"] is False
    text = render(goals, kind="RepoSync")
    assert "150 of 200 Synced (timed out)" in text
    assert "LIST configmaps 1.00; GET 0.00; all 1.00" in text
    assert "peak 300 MiB (idle 250 MiB)" in text
    assert "not counted: the API server's own PUT leases=2" in text
    assert text.endswith("all goals met: no")
    unmeasured = evaluate(synced=synced, idle=idle_goal(None, []), rss=rss_goal(None, None))
    assert unmeasured["all_met"] is None


def test_the_harness_own_requests_are_taken_out_of_a_delta() -> None:
    delta = _delta({"LIST rootsyncs 200": 30, "POST rootsyncs 201": 5, "GET x 404": 2})
    left = without(delta, {"LIST rootsyncs 200": 30, "POST rootsyncs 201": 5})
    assert left.detail == {"GET x 404": 2}
    assert left.total == 2
    assert left.errors == 2
    assert left.by_resource == {"x": 2}


def _proc(root: Path, pid: int, rss_kib: int, kids: list[int]) -> None:
    task = root / str(pid) / "task" / str(pid)
    task.mkdir(parents=True)
    (task / "children").write_text(" ".join(map(str, kids)))
    status = f"Name:\tx\nVmHWM:\t{rss_kib}\tkB\nVmRSS:\t{rss_kib} kB\n"
    (root / str(pid) / "status").write_text(status)


def test_the_resident_set_of_a_process_tree_is_summed(tmp_path: Path) -> None:
    _proc(tmp_path, 10, 1000, [11])
    _proc(tmp_path, 11, 200, [12])
    _proc(tmp_path, 12, 30, [])
    assert descendants(10, tmp_path) == [10, 11, 12]
    assert tree_rss(10, tmp_path) == 1230 * 1024
    assert tree_rss(99, tmp_path) is None
