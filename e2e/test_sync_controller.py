"""`syncd run` as a controller: spec changes, the status CLI, and its JSON logs."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import ROOT_SYNCS, Controller, root_sync_body, wait_synced
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until
from syncd.devenv.tools import REPO_ROOT

pytestmark = pytest.mark.e2e


def _cm(name: str, ns: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n"


def _ns(name: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


def test_a_spec_change_is_acted_on_without_waiting_for_the_poll_period(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("spec")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "one/ns.yaml": _ns(ns),
            "one/a.yaml": _cm("a", ns),
            "two/ns.yaml": _ns(ns),
            "two/b.yaml": _cm("b", ns),
        },
        "two directories",
    )
    name = unique("spec")
    body = root_sync_body(name, repo=git_http.repo_url(repo.name), directory="one", period="1h")
    assert admin.post(ROOT_SYNCS, body).status == 201
    wait_synced(admin, name, sha)
    assert admin.get(f"/api/v1/namespaces/{ns}/configmaps/a").status == 200

    # With a one-hour period only the spec change itself can trigger the run.
    began = time.monotonic()
    patch = {"spec": {"git": {"dir": "two"}}}
    resp = admin.request(
        "PATCH", f"{ROOT_SYNCS}/{name}", body=patch, content_type="application/merge-patch+json"
    )
    assert resp.status == 200, resp.text

    def switched() -> bool:
        b = admin.get(f"/api/v1/namespaces/{ns}/configmaps/b").status == 200
        a_gone = admin.get(f"/api/v1/namespaces/{ns}/configmaps/a").status == 404
        return b and a_gone

    wait_until(switched, timeout=30, what="objects of the new directory", interval=0.05)
    print(f"spec change acted on in {time.monotonic() - began:.2f}s")


def test_syncd_status_shows_the_sync_and_its_resources(
    admin: KubeHttp,
    control_plane: ControlPlane,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("cli")
    repo = git_repo_factory(git_http)
    sha = repo.commit({"ns.yaml": _ns(ns), "c.yaml": _cm("c", ns)}, "add")
    name = unique("cli")
    assert (
        admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name))).status
        == 201
    )
    wait_synced(admin, name, sha)

    def status_output() -> str | None:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "syncd.cli.main",
                "status",
                "--resources",
                "--kubeconfig",
                str(control_plane.kubeconfig),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO_ROOT,
            check=False,
        )
        return out.stdout if "Current     ConfigMap " + f"{ns}/c" in out.stdout else None

    text = wait_until(status_output, timeout=30, what="syncd status lists the objects")
    block = text.split(f"RootSync syncd-system/{name}\n", 1)[1].split("\n\n", 1)[0]
    assert f"state:   Synced  commit {sha[:7]}  errors 0" in block
    assert "2 declared, 2 applied" in block
    assert f"Current     Namespace {ns}" in block


def test_logs_are_json_and_carry_the_sync_and_the_commit(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("logs")
    repo = git_repo_factory(git_http)
    sha = repo.commit({"ns.yaml": _ns(ns)}, "add")
    name = unique("logs")
    assert (
        admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name))).status
        == 201
    )
    wait_synced(admin, name, sha)
    records = [
        json.loads(line)
        for line in syncd_controller.log_text().splitlines()
        if line.startswith("{")
    ]
    mine = [
        r
        for r in records
        if r.get("event") == "reconcile.synced" and r.get("sync") == f"RootSync/syncd-system/{name}"
    ]
    assert mine, "no reconcile.synced record for the sync"
    assert mine[0]["commit"] == sha[:12]
    assert {"timestamp", "level", "component"} <= mine[0].keys()


def test_a_deployment_with_resource_quantities_is_not_reapplied_on_later_polls(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    # The server stores `cpu: 1` as "1" and `memory: 1024Mi` as "1Gi"; a
    # naive comparison would re-apply this Deployment on every poll.
    ns = unique("qty")
    deployment = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            limits: {{cpu: 1, memory: 1024Mi}}
            requests: {{cpu: 0.5, memory: 0.5Gi}}
"""
    repo = git_repo_factory(git_http)
    sha = repo.commit({"ns.yaml": _ns(ns), "web.yaml": deployment}, "add")
    name = unique("qty")
    sync = f"RootSync/syncd-system/{name}"
    assert (
        admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name))).status
        == 201
    )
    wait_synced(admin, name, sha)
    live = admin.get(f"/apis/apps/v1/namespaces/{ns}/deployments/web").json()
    limits = live["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "1", "memory": "1Gi"}
    seen = len(syncd_controller.log_records("reconcile.synced", sync=sync))
    wait_until(
        lambda: len(syncd_controller.log_records("reconcile.synced", sync=sync)) >= seen + 3,
        timeout=60,
        what="three more polls",
    )
    later = syncd_controller.log_records("reconcile.synced", sync=sync)[seen:]
    assert [r["applied"] for r in later] == [0] * len(later)
    assert all(r["unchanged"] == 2 for r in later)


def test_corrected_drift_is_an_event_that_names_who_changed_what(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("drift")
    repo = git_repo_factory(git_http)
    cm = _cm("c", ns) + "data:\n  value: declared\n"
    sha = repo.commit({"ns.yaml": _ns(ns), "c.yaml": cm}, "add")
    name = unique("drift")
    assert (
        admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name))).status
        == 201
    )
    wait_synced(admin, name, sha)
    path = f"/api/v1/namespaces/{ns}/configmaps/c"
    edit = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": ns},
        "data": {"value": "hijacked"},
    }
    assert admin.apply(path, edit, manager="intruder", force=True).status == 200

    def drift_event() -> str | None:
        events = admin.get(
            "/api/v1/namespaces/syncd-system/events"
            f"?fieldSelector=involvedObject.name%3D{name},reason%3DDriftCorrected"
        ).json()["items"]
        return events[0]["message"] if events else None

    message = wait_until(drift_event, timeout=60, what="a DriftCorrected Event")
    assert admin.get(path).json()["data"] == {"value": "declared"}
    assert message == f"ConfigMap {ns}/c drifted: .data.value (taken by intruder); restored"


def test_foreground_deletion_removes_the_managed_objects_then_the_sync(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("fg")
    repo = git_repo_factory(git_http)
    sha = repo.commit({"ns.yaml": _ns(ns), "c.yaml": _cm("c", ns)}, "add")
    name = unique("fg")
    body = root_sync_body(name, repo=git_http.repo_url(repo.name))
    body["metadata"]["annotations"] = {"syncd.dev/deletion-propagation": "Foreground"}
    assert admin.post(ROOT_SYNCS, body).status == 201
    wait_synced(admin, name, sha)

    def has_finalizer() -> bool:
        meta = admin.get(f"{ROOT_SYNCS}/{name}").json()["metadata"]
        return "syncd.dev/delete-managed-objects" in (meta.get("finalizers") or [])

    wait_until(has_finalizer, timeout=30, what="syncd's finalizer on the RootSync")
    assert admin.delete(f"{ROOT_SYNCS}/{name}").status == 200
    wait_until(
        lambda: admin.get(f"{ROOT_SYNCS}/{name}").status == 404,
        timeout=60,
        what="the RootSync gone once its objects are",
    )
    assert admin.get(f"/api/v1/namespaces/{ns}/configmaps/c").status == 404
    namespace = admin.get(f"/api/v1/namespaces/{ns}")
    assert namespace.status == 404 or namespace.json()["status"]["phase"] == "Terminating"
    groups = "/apis/syncd.dev/v1beta1/namespaces/syncd-system/resourcegroups"
    assert admin.get(f"{groups}/{name}").status == 404


def test_deleting_a_sync_without_the_annotation_orphans_its_objects(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("orphan")
    repo = git_repo_factory(git_http)
    sha = repo.commit({"ns.yaml": _ns(ns), "c.yaml": _cm("c", ns)}, "add")
    name = unique("orphan")
    assert (
        admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name))).status
        == 201
    )
    wait_synced(admin, name, sha)
    assert admin.delete(f"{ROOT_SYNCS}/{name}").status == 200
    assert admin.get(f"{ROOT_SYNCS}/{name}").status == 404
    assert admin.get(f"/api/v1/namespaces/{ns}/configmaps/c").status == 200
