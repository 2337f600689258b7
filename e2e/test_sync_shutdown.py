"""`syncd run` stopped by SIGTERM mid-run exits 0, between waves, with a complete inventory.

The RootSync's commit has four waves: a Namespace; ConfigMaps and a
Deployment `gate`; ConfigMaps that depend on `gate`; one ConfigMap that
depends on those. The private plane (`quiet_control_plane`) runs no
controller-manager, so `gate` never becomes Available and the run waits for
it (reconcileTimeout 10m). A second RootSync's Git server accepts
connections and never answers (a hung remote), so its worker is stuck in a
request that no stop signal reaches. SIGTERM then arrives: the process must
exit 0 within Kubernetes' default grace period of 30 s, giving up on the stuck
sync at syncd's own 20 s deadline. The test plays the Deployment controller
afterwards (it writes `gate`'s status) so that a restarted `syncd run` can
finish the commit.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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
from e2e.syncsteps import RESOURCE_GROUPS, configmap, depends_on, deployment, namespace, to_yaml
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

BEFORE = 30
AFTER = 10
EXIT_WITHIN = 30.0
"""Kubernetes' default terminationGracePeriodSeconds (syncd's own deadline is 20 s)."""
Entry = tuple[str, str, str, str]
"""An inventory entry: group, kind, namespace, name."""


def _files(ns: str) -> dict[str, str]:
    gate = f"apps/namespaces/{ns}/Deployment/gate"
    return {
        "namespace.yaml": to_yaml(namespace(ns)),
        "gate.yaml": to_yaml(deployment("gate", ns, image="registry.invalid/app:1", replicas=0)),
        "before.yaml": to_yaml(*(configmap(f"before-{i:02d}", ns, str(i)) for i in range(BEFORE))),
        "after.yaml": to_yaml(
            *(
                configmap(f"after-{i:02d}", ns, str(i), annotations=depends_on(gate))
                for i in range(AFTER)
            )
        ),
        "last.yaml": to_yaml(
            configmap(
                "last", ns, "last", annotations=depends_on(f"/namespaces/{ns}/ConfigMap/after-00")
            )
        ),
    }


def _expected(ns: str) -> set[Entry]:
    names = [f"before-{i:02d}" for i in range(BEFORE)] + [f"after-{i:02d}" for i in range(AFTER)]
    entries = {("", "ConfigMap", ns, name) for name in [*names, "last"]}
    return entries | {("", "Namespace", "", ns), ("apps", "Deployment", ns, "gate")}


def _inventory(admin: KubeHttp, name: str) -> set[Entry]:
    resp = admin.get(f"{RESOURCE_GROUPS}/{name}")
    assert resp.status == 200, resp.text
    resources = resp.json()["spec"].get("resources") or []
    return {(r.get("group", ""), r["kind"], r.get("namespace", ""), r["name"]) for r in resources}


def _labelled(admin: KubeHttp, ns: str, applyset: str) -> set[Entry]:
    """Every object in `ns` (and `ns` itself) that carries the sync's ApplySet label."""
    selector = f"applyset.kubernetes.io%2Fpart-of%3D{applyset}"
    found: set[Entry] = set()
    for group, kind, path in (
        ("", "ConfigMap", f"/api/v1/namespaces/{ns}/configmaps"),
        ("apps", "Deployment", f"/apis/apps/v1/namespaces/{ns}/deployments"),
    ):
        resp = admin.get(f"{path}?labelSelector={selector}")
        assert resp.status == 200, resp.text
        found |= {(group, kind, ns, item["metadata"]["name"]) for item in resp.json()["items"]}
    resp = admin.get(f"/api/v1/namespaces?labelSelector={selector}")
    assert resp.status == 200, resp.text
    found |= {("", "Namespace", "", item["metadata"]["name"]) for item in resp.json()["items"]}
    return found


def _exists(admin: KubeHttp, path: str) -> bool:
    status = admin.get(path).status
    assert status in (200, 404), status
    return status == 200


def _make_available(admin: KubeHttp, ns: str) -> None:
    """Do what the Deployment controller would: report `gate` rolled out."""
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/gate"
    live = admin.get(path).json()
    status = {
        "observedGeneration": live["metadata"]["generation"],
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "gate", "namespace": ns},
        "status": status,
    }
    resp = admin.apply(f"{path}/status", body, manager="e2e", force=True)
    assert resp.status == 200, resp.text


@dataclass
class Stalled:
    """A listener on 127.0.0.1 that accepts connections and never answers."""

    port: int
    connections: list[socket.socket] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stalled.git"


@contextmanager
def stalled_server() -> Iterator[Stalled]:
    listener = socket.create_server(("127.0.0.1", 0))
    stalled = Stalled(port=listener.getsockname()[1])

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was closed
                return
            stalled.connections.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield stalled
    finally:
        listener.close()
        for conn in stalled.connections:
            conn.close()
        thread.join(5)


def _sigterm_and_wait(controller: Controller) -> int:
    controller.proc.terminate()
    try:
        return controller.proc.wait(timeout=EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        controller.proc.kill()
        controller.proc.wait(timeout=10)
        pytest.fail(
            f"syncd run still running {EXIT_WITHIN:.0f}s after SIGTERM:\n"
            f"{controller.log_text()[-6000:]}"
        )


@pytest.fixture
def stalled() -> Iterator[Stalled]:
    with stalled_server() as server:
        yield server


def _run_until_mid_run_then_sigterm(
    plane: ControlPlane, workdir: Path, admin: KubeHttp, ns: str, stalled: Stalled
) -> Controller:
    """Start `syncd run`, wait until it waits for `gate` and the stuck sync hangs, SIGTERM it."""
    first = start_controller(plane, workdir)
    try:

        def mid_run() -> bool:
            assert first.proc.poll() is None, f"syncd run died:\n{first.log_text()[-4000:]}"
            return (
                bool(stalled.connections)
                and _exists(admin, f"/apis/apps/v1/namespaces/{ns}/deployments/gate")
                and _exists(admin, f"/api/v1/namespaces/{ns}/configmaps/before-{BEFORE - 1:02d}")
            )

        wait_until(mid_run, timeout=120, what="the second wave applied", interval=0.1)
        code = _sigterm_and_wait(first)
    finally:
        if first.proc.poll() is None:
            stop_controller(first)
    log = first.log_text()
    assert code == 0, f"syncd run exited {code}:\n{log[-4000:]}"
    assert not first.log_records("reconcile.run_crashed"), log[-4000:]
    assert first.log_records("apply.stopped"), "the run did not stop between waves"
    return first


def test_sigterm_mid_run_stops_between_waves_exits_0_and_a_restart_finishes_the_sync(
    quiet_control_plane: ControlPlane,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    stalled: Stalled,
    tmp_path: Path,
) -> None:
    admin = quiet_control_plane.http()
    ns = unique("shutdown")
    repo = git_repo_factory(git_http, prefix="shutdown")
    sha = repo.commit(_files(ns), "four waves; the second waits for a Deployment")
    name, stuck = unique("root-shutdown"), unique("root-stuck")
    body = root_sync_body(name, repo=git_http.repo_url(repo.name))
    body["spec"]["override"] = {"reconcileTimeout": "10m"}
    stuck_body = root_sync_body(stuck, repo=stalled.url)
    stuck_body["spec"]["override"] = {"apiServerTimeout": "120s"}  # the Git read timeout too
    for obj in (body, stuck_body):
        resp = admin.post(ROOT_SYNCS, obj)
        assert resp.status == 201, resp.text

    first = _run_until_mid_run_then_sigterm(
        quiet_control_plane, tmp_path / "syncd-first", admin, ns, stalled
    )
    stopped = first.log_records("cli.stopped")
    assert stopped, first.log_text()[-4000:]
    # Only the sync stuck in a request was given up on (at the deadline).
    assert stopped[0]["abandoned"] == [f"RootSync/{SYSTEM_NS}/{stuck}"], stopped

    # The run stopped between waves: nothing after the gate was applied...
    assert not _exists(admin, f"/api/v1/namespaces/{ns}/configmaps/after-00")
    assert not _exists(admin, f"/api/v1/namespaces/{ns}/configmaps/last")
    # ...and everything it did write is in the inventory.
    rg = admin.get(f"{RESOURCE_GROUPS}/{name}").json()
    applyset = rg["metadata"]["labels"]["applyset.kubernetes.io/id"]
    written = _labelled(admin, ns, applyset)
    assert len(written) == BEFORE + 2, sorted(written)
    inventory = _inventory(admin, name)
    assert written <= inventory, f"written but not inventoried: {sorted(written - inventory)}"
    assert inventory <= _expected(ns), sorted(inventory - _expected(ns))

    assert admin.delete(f"{ROOT_SYNCS}/{stuck}").status == 200
    _make_available(admin, ns)
    second = start_controller(quiet_control_plane, tmp_path / "syncd-second")
    try:

        def finished() -> bool:
            assert second.proc.poll() is None, f"syncd run died:\n{second.log_text()[-4000:]}"
            return _exists(admin, f"/api/v1/namespaces/{ns}/configmaps/last")

        wait_until(finished, timeout=120, what="the restarted run to reach the last wave")
        obj = wait_synced(admin, name, sha, timeout=120)
        assert obj["status"]["summary"]["state"] == "Synced", obj["status"]
        assert _labelled(admin, ns, applyset) == _expected(ns)
        assert _inventory(admin, name) == _expected(ns)
    finally:
        code = stop_controller(second)
    assert code == 0, f"syncd run exited {code}:\n{second.log_text()[-4000:]}"
