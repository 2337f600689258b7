"""Objects over time: letting go (detach, managed: disabled), drift, and what users see.

Covers the lifecycle annotations syncd honours, drift correction without a
new commit, the `kubectl get rootsync` columns and the Events on the
RootSync, all against the real control plane and a real `syncd run`.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import SYSTEM_NS, Controller, get_root_sync
from e2e.syncsteps import (
    TIMEOUT,
    cm_path,
    configmap,
    create_root_sync,
    get_object,
    manager_of,
    manager_value,
    namespace,
    ns_path,
    syncd_metadata,
    to_yaml,
    wait_event,
    wait_more_runs,
    wait_state,
)
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

DETACH = {"client.lifecycle.config.k8s.io/deletion": "detach"}
DISABLED = {"syncd.dev/managed": "disabled"}


def _inventory_names(admin: KubeHttp, name: str) -> set[str]:
    resp = admin.get(f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/resourcegroups/{name}")
    assert resp.status == 200, resp.text
    return {entry["name"] for entry in resp.json()["spec"].get("resources") or []}


def test_detached_objects_survive_their_removal_from_git_without_syncd_metadata(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("detach")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "keep.yaml": to_yaml(configmap("keep", ns, "1")),
            "detached.yaml": to_yaml(configmap("detached", ns, "1", annotations=DETACH)),
        },
        "objects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")
    before = get_object(admin, cm_path(ns, "detached"))
    assert before is not None
    assert manager_of(before) == manager_value(name)

    sha2 = repo.commit({"detached.yaml": None}, "remove the detached object")
    status = wait_state(admin, name, sha2, "Synced")["status"]

    assert status["sync"]["pruned"] == 0, status["sync"]
    after = get_object(admin, cm_path(ns, "detached"))
    assert after is not None, "a detach object was deleted"
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["data"] == {"value": "1"}
    assert syncd_metadata(after) == []
    assert "detached" not in _inventory_names(admin, name)
    wait_more_runs(syncd_controller, name, 2)
    assert get_object(admin, cm_path(ns, "detached")) is not None


def test_objects_marked_managed_disabled_are_released_and_never_deleted(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("release")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "keep.yaml": to_yaml(configmap("keep", ns, "1")),
            "released.yaml": to_yaml(configmap("released", ns, "1")),
        },
        "objects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")
    before = get_object(admin, cm_path(ns, "released"))
    assert before is not None
    assert syncd_metadata(before) != []

    # The disabled object's new content must not be applied: syncd only lets go.
    sha2 = repo.commit(
        {"released.yaml": to_yaml(configmap("released", ns, "2", annotations=DISABLED))},
        "let go of an object",
    )
    wait_state(admin, name, sha2, "Synced")

    after = get_object(admin, cm_path(ns, "released"))
    assert after is not None
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert syncd_metadata(after) == []
    assert after["data"] == {"value": "1"}
    assert "released" not in _inventory_names(admin, name)

    sha3 = repo.commit({"released.yaml": None}, "forget it")
    status = wait_state(admin, name, sha3, "Synced")["status"]
    assert status["sync"]["pruned"] == 0, status["sync"]
    wait_more_runs(syncd_controller, name, 2)
    assert get_object(admin, cm_path(ns, "released")) is not None
    assert get_object(admin, cm_path(ns, "keep")) is not None


def test_drift_from_another_field_manager_or_a_deletion_is_reverted_without_a_new_commit(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("drift")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {"ns.yaml": to_yaml(namespace(ns)), "cm.yaml": to_yaml(configmap("cm", ns, "declared"))},
        "objects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")
    path = cm_path(ns, "cm")

    intruder = admin.apply(
        path, configmap("cm", ns, "changed by hand"), manager="intruder", force=True
    )
    assert intruder.status == 200, intruder.text
    assert intruder.json()["data"] == {"value": "changed by hand"}

    def restored() -> dict[str, Any] | None:
        obj = get_object(admin, path)
        return obj if obj is not None and obj["data"] == {"value": "declared"} else None

    wait_until(restored, timeout=TIMEOUT, what="the edited ConfigMap restored", interval=0.2)

    original_uid = intruder.json()["metadata"]["uid"]
    resp = admin.delete(path)
    assert resp.status == 200, resp.text

    def recreated() -> dict[str, Any] | None:
        obj = restored()
        return obj if obj is not None and obj["metadata"]["uid"] != original_uid else None

    obj = wait_until(
        recreated, timeout=TIMEOUT, what="the deleted ConfigMap recreated", interval=0.2
    )
    assert manager_of(obj) == manager_value(name)
    status = get_root_sync(admin, name)["status"]
    assert status["sync"]["commit"] == sha
    assert status["lastSyncedCommit"] == sha


def _kubectl_row(control_plane: ControlPlane, name: str) -> dict[str, str]:
    done = subprocess.run(
        control_plane.kubectl_argv("get", "rootsync", "-n", SYSTEM_NS, name),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.strip().splitlines()
    return dict(zip(header.split(), row.split(), strict=True))


@pytest.mark.usefixtures("syncd_controller")
def test_kubectl_get_rootsync_shows_ready_status_commit_and_error_count(
    admin: KubeHttp,
    control_plane: ControlPlane,
    request: pytest.FixtureRequest,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("kubectl")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {"ns.yaml": to_yaml(namespace(ns)), "cm.yaml": to_yaml(configmap("cm", ns, "1"))},
        "objects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")

    row = _kubectl_row(control_plane, name)
    assert row["NAME"] == name
    assert row["READY"] == "True"
    assert row["STATUS"] == "Synced"
    assert row["COMMIT"] == sha[:7]
    assert row["ERRORS"] == "0"

    sha2 = repo.commit({"bad.yaml": "kind: [\n"}, "a file that does not parse")
    wait_state(admin, name, sha2, "Error")

    row = _kubectl_row(control_plane, name)
    assert row["READY"] == "False"
    assert row["STATUS"] == "Error"
    assert int(row["ERRORS"]) > 0


def test_the_rootsync_gets_a_synced_event_and_a_warning_naming_each_error_code(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("events")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {"ns.yaml": to_yaml(namespace(ns)), "cm.yaml": to_yaml(configmap("cm", ns, "1"))},
        "objects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")

    synced = wait_event(
        admin,
        name,
        lambda ev: ev.get("reason") == "Synced" and sha[:12] in str(ev.get("message")),
        what=f"Synced at {sha[:12]}",
    )
    assert synced["type"] == "Normal"
    assert synced["involvedObject"]["kind"] == "RootSync"
    assert synced["involvedObject"]["namespace"] == SYSTEM_NS

    sha2 = repo.commit({"bad.yaml": "kind: [\n"}, "a file that does not parse")
    wait_state(admin, name, sha2, "Error")

    warning = wait_event(
        admin,
        name,
        lambda ev: ev.get("type") == "Warning" and "SD1006" in str(ev.get("message")),
        what="a Warning naming SD1006",
    )
    assert "bad.yaml" in warning["message"]
