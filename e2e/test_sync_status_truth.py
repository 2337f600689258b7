"""Status tells the truth and holds still: readiness of everything, no flapping, kstatus-right.

Each test drives a RootSync into a state that today's peers often report
wrongly (an object that never becomes ready, a declared object stuck
terminating, a failure that persists, a source that is down) and samples
the RootSync's status on the real API server while syncd polls.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from e2e.kube import merge_patch, unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller, get_root_sync
from e2e.syncsteps import (
    RESOURCE_GROUPS,
    TIMEOUT,
    cm_path,
    configmap,
    create_root_sync,
    deployment,
    errors_with_code,
    events_for,
    get_object,
    namespace,
    ns_path,
    run_records,
    to_yaml,
    wait_more_runs,
    wait_state,
)
from syncd.core.kstatus import KStatus, compute
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import free_port, wait_until

pytestmark = pytest.mark.e2e

UNSCHEDULABLE = {"nodeSelector": {"e2e.syncd.dev/no-such-node": "true"}}
"""A pod spec no node matches: its Deployment never becomes Available."""


def _states_during(admin: KubeHttp, name: str, controller: Controller, runs: int) -> list[str]:
    """`summary.state` of RootSync `name`, sampled every 20 ms while it makes `runs` more runs."""
    target = len(run_records(controller, name)) + runs
    deadline = time.monotonic() + TIMEOUT
    states: list[str] = []
    while len(run_records(controller, name)) < target:
        assert time.monotonic() < deadline, f"{runs} more runs of {name} did not happen"
        status = get_root_sync(admin, name).get("status") or {}
        states.append(str((status.get("summary") or {}).get("state")))
        time.sleep(0.02)  # a sampling period, not a wait for a condition
    return states


def test_an_object_that_never_becomes_ready_is_sd2011_and_the_sync_stays_not_synced(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("notready")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns), configmap("ok", ns, "1")),
            "app.yaml": to_yaml(deployment("stuck", ns, replicas=1, pod=UNSCHEDULABLE)),
        },
        "a Deployment no node can run",
    )
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        cleanup=[ns_path(ns)],
        spec={"override": {"reconcileTimeout": "3s"}},
    )
    status = wait_state(admin, name, sha, "Error")["status"]
    [error] = errors_with_code(status, "SD2011")
    assert f"Deployment.apps {ns}/stuck" in error["message"], error
    assert "not ready after 3s" in error["message"], error
    assert [r.get("sourcePath") for r in error["resources"]] == ["app.yaml"]
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"
    states = _states_during(admin, name, syncd_controller, 4)
    assert set(states) == {"Error"}, states  # never Synced, never flipping to Syncing


def test_a_terminating_declared_object_is_named_left_alone_and_recreated_once_gone(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("terminating")
    held = configmap("held", ns, "1")
    held["metadata"]["finalizers"] = ["e2e.syncd.dev/hold"]
    repo = git_repo_factory(git_http)
    sha = repo.commit({"ns.yaml": to_yaml(namespace(ns)), "cm.yaml": to_yaml(held)}, "held CM")
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    request.addfinalizer(
        lambda: merge_patch(
            admin, cm_path(ns, "held"), {"metadata": {"finalizers": None}}, manager="e2e"
        )
    )
    wait_state(admin, name, sha, "Synced")
    first_uid = get_object(admin, cm_path(ns, "held"))["metadata"]["uid"]  # type: ignore[index]

    assert admin.delete(cm_path(ns, "held")).status == 200  # held: it only gets a deletionTimestamp
    status = wait_state(admin, name, sha, "Error")["status"]
    [error] = errors_with_code(status, "SD2011")
    assert f"ConfigMap {ns}/held is terminating" in error["message"], error
    assert "e2e.syncd.dev/hold" in error["message"], error
    terminating = get_object(admin, cm_path(ns, "held"))
    assert terminating is not None
    wait_more_runs(syncd_controller, name, 3)
    still = get_object(admin, cm_path(ns, "held"))
    assert still is not None
    assert still["metadata"]["resourceVersion"] == terminating["metadata"]["resourceVersion"]

    merge_patch(admin, cm_path(ns, "held"), {"metadata": {"finalizers": None}}, manager="e2e")

    def recreated() -> dict[str, Any] | None:
        live = get_object(admin, cm_path(ns, "held"))
        return live if live is not None and live["metadata"]["uid"] != first_uid else None

    wait_until(recreated, timeout=TIMEOUT, what="the ConfigMap re-created once gone")
    wait_state(admin, name, sha, "Synced")


def test_a_persistent_failure_holds_still_and_its_event_counts_up(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("persistent")
    bad = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "bad", "namespace": ns},
        "data": {"not a valid key!": "x"},
    }
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {"ns.yaml": to_yaml(namespace(ns), configmap("good", ns, "1")), "bad.yaml": to_yaml(bad)},
        "one object the API server rejects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Error")
    states = _states_during(admin, name, syncd_controller, 5)
    assert set(states) == {"Error"}, states

    def object_errors() -> list[dict[str, Any]]:
        return [
            ev
            for ev in events_for(admin, name)
            if ev.get("reason") == "ObjectError" and f"{ns}/bad" in str(ev.get("message"))
        ]

    assert len(object_errors()) == 1, object_errors()


def test_a_source_that_is_down_is_reconciling_not_stalled(
    admin: KubeHttp, request: pytest.FixtureRequest, syncd_controller: Controller
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/missing.git"
    name = create_root_sync(admin, request, repo=nowhere)

    def failed() -> dict[str, Any] | None:
        obj = get_root_sync(admin, name)
        status = obj.get("status") or {}
        return obj if errors_with_code(status, "SD2004") else None

    obj = wait_until(failed, timeout=TIMEOUT, what="SD2004 on a RootSync whose Git server is down")
    conditions = {c["type"]: c for c in obj["status"]["conditions"]}
    assert conditions["Reconciling"]["status"] == "True", conditions
    assert conditions["Stalled"]["status"] == "False", conditions
    assert conditions["Ready"]["status"] == "False", conditions
    assert obj["status"]["summary"]["state"] == "Error"
    now = dt.datetime.now(dt.UTC)
    assert compute(obj, now=now).status is KStatus.IN_PROGRESS


@pytest.mark.parametrize("mode", ["enabled", "disabled"])
def test_status_mode_decides_whether_per_object_status_is_kept(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    *,
    mode: str,
) -> None:
    ns = unique(f"status-{mode}")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {"ns.yaml": to_yaml(namespace(ns), configmap("a", ns, "1"), configmap("b", ns, "2"))},
        "three objects",
    )
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        cleanup=[ns_path(ns)],
        spec={"override": {"statusMode": mode}},
    )
    wait_state(admin, name, sha, "Synced")
    group = get_object(admin, f"{RESOURCE_GROUPS}/{name}")
    assert group is not None
    assert len(group["spec"]["resources"]) == 3
    objects = (group.get("status") or {}).get("objects") or {}
    if mode == "enabled":
        expected = sorted([f"ConfigMap/{ns}/a", f"ConfigMap/{ns}/b", f"Namespace/{ns}"])
        assert sorted(objects.get("current") or []) == expected, group.get("status")
    others = [entry for key, entries in objects.items() if key != "current" for entry in entries]
    assert others == [], group.get("status")
    if mode == "disabled":
        assert not objects.get("current"), group.get("status")
