"""`syncd run` killed with SIGKILL in the middle of a large apply converges when restarted.

The test runs on a private control plane (`quiet_control_plane`) with its own
`syncd run`: the session controller watches every RootSync in the session
plane's `syncd-system`, and two controllers on one RootSync would fight; a
private plane also keeps 2,000 objects out of the shared API server.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import (
    ROOT_SYNCS,
    SYSTEM_NS,
    Controller,
    root_sync_body,
    start_controller,
    stop_controller,
    wait_synced,
)
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ServerError, wait_until

pytestmark = pytest.mark.e2e

FILES = 20
PER_FILE = 100
OBJECTS = FILES * PER_FILE
KILL_WINDOW = range(OBJECTS // 4, OBJECTS - 100)
MANAGED_SELECTOR = "app.kubernetes.io%2Fmanaged-by%3Dsyncd"
Entry = tuple[str, str, str, str]
"""An inventory entry: group, kind, namespace, name."""


def _files(ns: str) -> dict[str, str]:
    files = {"namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"}
    for f in range(FILES):
        docs = [
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{f:02d}-{i:03d}\n"
            f'  namespace: {ns}\ndata:\n  file: "{f}"\n  index: "{i}"\n'
            for i in range(PER_FILE)
        ]
        files[f"configmaps/part-{f:02d}.yaml"] = "---\n".join(docs)
    return files


def _configmap_count(admin: KubeHttp, ns: str) -> int:
    """How many ConfigMaps `ns` holds, from one LIST with limit=1."""
    resp = admin.get(f"/api/v1/namespaces/{ns}/configmaps?limit=1")
    assert resp.status == 200, resp.text
    body = resp.json()
    return len(body["items"]) + int(body["metadata"].get("remainingItemCount") or 0)


def _list_configmaps(admin: KubeHttp, ns: str, *, selector: str = "") -> list[dict[str, Any]]:
    """Every ConfigMap in `ns` (all pages)."""
    items: list[dict[str, Any]] = []
    token = ""
    while True:
        query = f"limit=500&continue={token}" + (f"&labelSelector={selector}" if selector else "")
        resp = admin.get(f"/api/v1/namespaces/{ns}/configmaps?{query}")
        assert resp.status == 200, resp.text
        body = resp.json()
        items += body["items"]
        token = body["metadata"].get("continue") or ""
        if not token:
            return items


def _inventory(admin: KubeHttp, name: str) -> set[Entry]:
    resp = admin.get(f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/resourcegroups/{name}")
    assert resp.status == 200, resp.text
    resources = resp.json()["spec"].get("resources") or []
    entries = {
        (r.get("group", ""), r["kind"], r.get("namespace", ""), r["name"]) for r in resources
    }
    assert len(entries) == len(resources), "the inventory lists an object twice"
    return entries


def _kill_mid_apply(controller: Controller, admin: KubeHttp, ns: str, name: str) -> int:
    """SIGKILL `controller` once `ns` holds a count of ConfigMaps inside KILL_WINDOW."""

    def in_window() -> int | None:
        assert controller.proc.poll() is None, f"syncd run died:\n{controller.log_text()[-4000:]}"
        count = _configmap_count(admin, ns)
        assert count < KILL_WINDOW.stop, f"{count} ConfigMaps already applied: missed the window"
        return count if count in KILL_WINDOW else None

    try:
        count = wait_until(in_window, timeout=180, what="the apply under way", interval=0.01)
    except ServerError:
        status = admin.get(f"{ROOT_SYNCS}/{name}").json().get("status")
        pytest.fail(
            f"{_configmap_count(admin, ns)} ConfigMaps after 180s; status {status}; "
            f"log tail:\n{controller.log_text()[-6000:]}"
        )
    controller.proc.kill()
    controller.proc.wait(timeout=30)
    return count


def _assert_inventory_matches_cluster(
    admin: KubeHttp, name: str, ns: str, *, expected: set[Entry], sync: str
) -> None:
    """The inventory lists exactly `expected`, all of it exists, and nothing managed is left out."""
    inventory = _inventory(admin, name)
    assert inventory == expected, (
        f"missing {sorted(expected - inventory)[:5]}, extra {sorted(inventory - expected)[:5]}"
    )
    labelled = _list_configmaps(admin, ns, selector=MANAGED_SELECTOR)
    live = {("", "ConfigMap", ns, cm["metadata"]["name"]) for cm in labelled}
    orphans = live - inventory
    assert not orphans, f"managed ConfigMaps missing from the inventory: {sorted(orphans)[:5]}"
    missing = {e for e in inventory if e[1] == "ConfigMap"} - live
    assert not missing, f"inventory entries that do not exist: {sorted(missing)[:5]}"
    assert admin.get(f"/api/v1/namespaces/{ns}").status == 200
    assert len(_list_configmaps(admin, ns)) == OBJECTS, "unmanaged ConfigMaps appeared"
    managers = {cm["metadata"]["annotations"]["syncd.dev/manager"] for cm in labelled}
    assert managers == {sync}


def test_controller_killed_mid_apply_converges_after_restart_with_a_complete_inventory(
    quiet_control_plane: ControlPlane,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    tmp_path: Path,
) -> None:
    admin = quiet_control_plane.http()
    ns = unique("crash")
    repo = git_repo_factory(git_http, prefix="crash")
    sha = repo.commit(_files(ns), f"add {OBJECTS} ConfigMaps in {FILES} files")
    name = unique("root-crash")
    sync = f"RootSync/{SYSTEM_NS}/{name}"
    expected: set[Entry] = {
        ("", "ConfigMap", ns, f"cm-{f:02d}-{i:03d}") for f in range(FILES) for i in range(PER_FILE)
    }
    expected.add(("", "Namespace", "", ns))

    first = start_controller(quiet_control_plane, tmp_path / "syncd-first")
    try:
        resp = admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name)))
        assert resp.status == 201, resp.text
        at_kill = _kill_mid_apply(first, admin, ns, name)
    finally:
        if first.proc.poll() is None:
            stop_controller(first)
    assert first.proc.returncode == -9, "the controller should have died by SIGKILL"

    # The kill left a half-applied commit: not synced, fewer objects than declared,
    # but the inventory was recorded (old + new) before the first apply.
    left = _configmap_count(admin, ns)
    assert left < OBJECTS, f"{left} ConfigMaps after the kill: the apply had finished"
    status = admin.get(f"{ROOT_SYNCS}/{name}").json().get("status") or {}
    assert (status.get("sync") or {}).get("commit") != sha, status
    assert _inventory(admin, name) == expected

    began = time.monotonic()
    second = start_controller(quiet_control_plane, tmp_path / "syncd-second")
    try:
        obj = wait_synced(admin, name, sha, timeout=240)
        converged = time.monotonic() - began
        assert obj["status"]["summary"]["state"] == "Synced", obj["status"]
        assert obj["status"]["lastSyncedCommit"] == sha

        _assert_inventory_matches_cluster(admin, name, ns, expected=expected, sync=sync)

        first_run = wait_until(
            lambda: second.log_records("reconcile.synced", sync=sync),
            timeout=30,
            what="the restarted controller's run log",
        )[0]
        print(  # the figures the acceptance report quotes (pytest -s)
            f"\nkilled at {at_kill} ConfigMaps ({left} after the kill); restarted controller "
            f"converged in {converged:.1f}s: applied {first_run['applied']}, "
            f"unchanged {first_run['unchanged']}"
        )
        assert first_run["applied"] + first_run["unchanged"] == OBJECTS + 1, first_run
        # What the killed run had applied (and the Namespace) is not applied again.
        assert first_run["unchanged"] == left + 1, first_run
        assert first_run["pruned"] == 0
        assert first_run["failed"] == 0
    finally:
        code = stop_controller(second)
    assert code == 0, f"syncd run exited {code}:\n{second.log_text()[-4000:]}"
