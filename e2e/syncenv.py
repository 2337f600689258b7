"""Pytest plugin: syncd's CRDs on the real control plane and `syncd run` as a real process.

Fixtures:
- `syncd_crds` (session): the generated CRDs applied and Established, and
  the `syncd-system` namespace.
- `syncd_controller` (session): `syncd run` in a subprocess against the
  control plane, logging JSON to a file the tests can search.
- `root_sync` (function): creates RootSyncs with unique names and deletes them
  (and what they manage) afterwards.
- `quiet_control_plane` (function): a private control plane with only etcd and
  the API server (no controller-manager, scheduler or node) and the CRDs, for
  tests that count the API server's requests or run their own `syncd run`
  without the session controller seeing their RootSyncs.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.kube import wait_condition
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import free_port, wait_until
from syncd.devenv.tools import REPO_ROOT, Tools

SYSTEM_NS = "syncd-system"
ROOT_SYNCS = f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/rootsyncs"


@pytest.fixture(scope="session")
def syncd_crds(admin: KubeHttp) -> None:
    install_crds(admin)


def install_crds(admin: KubeHttp) -> None:
    """Apply syncd's generated CRDs, wait until Established, and create `syncd-system`."""
    for path in sorted((REPO_ROOT / "manifests" / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        name = crd["metadata"]["name"]
        url = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        resp = admin.apply(url, crd, manager="e2e", force=True)
        assert resp.status in (200, 201), resp.text
        wait_condition(admin, url, "Established")
    resp = admin.apply(
        f"/api/v1/namespaces/{SYSTEM_NS}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NS}},
        manager="e2e",
    )
    assert resp.status in (200, 201), resp.text


@dataclass
class Controller:
    """A running `syncd run` process."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)
    renders_path: Path | None = None
    """Where the controller's kustomize logs one line per `kustomize build` (its cwd)."""
    metrics_port: int = 0
    """Where it serves /healthz, /readyz and /metrics on 127.0.0.1."""

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kustomize_builds(self, directory: str) -> int:
        """How many `kustomize build` processes ran for a unit directory named `directory`."""
        if self.renders_path is None or not self.renders_path.exists():
            return 0
        lines = self.renders_path.read_text().splitlines()
        return sum(1 for line in lines if line.rstrip("/").endswith(f"/{directory}"))

    def log_records(self, event: str, **fields: str) -> list[dict[str, Any]]:
        """The JSON log records named `event` whose fields include every `fields` pair."""
        records = []
        for line in self.log_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or record.get("event") != event:
                continue
            if all(record.get(key) == value for key, value in fields.items()):
                records.append(record)
        return records


def start_controller(
    control_plane: ControlPlane,
    workdir: Path,
    *,
    user: str = "admin",
    namespace: str = SYSTEM_NS,
    kubeconfig: Path | None = None,
    metrics: bool = False,
) -> Controller:
    """`syncd run` as `user` (one of the plane's users), watching RootSyncs in `namespace`.

    `kubeconfig`, when given, replaces the user's: e.g. one holding a service
    account's token (`e2e.rbac.write_token_kubeconfig`). With `metrics`, it
    serves /healthz, /readyz and /metrics on 127.0.0.1:`metrics_port`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "syncd.log"
    renders = workdir / "kustomize-builds.log"
    kustomize = _counting_kustomize(workdir, control_plane.tools.kustomize, renders)
    env = {
        **os.environ,
        "SYNCD_KUBECONFIG": str(kubeconfig or control_plane.kubeconfig_for(user)),
        "SYNCD_NAMESPACE": namespace,
        "SYNCD_LOG_FORMAT": "json",
        "SYNCD_LOG_LEVEL": "debug",
        "SYNCD_CACHE_DIR": str(workdir / "cache"),
        "SYNCD_KUSTOMIZE": str(kustomize),
        "SYNCD_HELM": str(control_plane.tools.helm),
    }
    metrics_port = free_port() if metrics else 0
    if metrics:  # only the session's controller: every other one keeps its ports free
        env.update(SYNCD_METRICS_ADDRESS="127.0.0.1", SYNCD_METRICS_PORT=str(metrics_port))
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "syncd.cli.main", "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
        )
    return Controller(
        proc=proc, log_path=log_path, env=env, renders_path=renders, metrics_port=metrics_port
    )


def _counting_kustomize(workdir: Path, real: Path, log: Path) -> Path:
    """A kustomize that logs the directory of every `build`, then runs the real one."""
    wrapper = workdir / "bin" / "kustomize"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = build ]; then echo "$PWD" >> {shlex.quote(str(log))}; fi\n'
        f'exec {shlex.quote(str(real))} "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def stop_controller(controller: Controller) -> int:
    if controller.proc.poll() is None:
        controller.proc.send_signal(signal.SIGTERM)
        try:
            controller.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            controller.proc.kill()
            controller.proc.wait(timeout=10)
    return controller.proc.returncode


@pytest.fixture(scope="session")
def syncd_controller(
    control_plane: ControlPlane, syncd_crds: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Controller]:
    controller = start_controller(control_plane, tmp_path_factory.mktemp("syncd"), metrics=True)
    try:
        yield controller
    finally:
        code = stop_controller(controller)
        assert code == 0, f"syncd run exited {code}:\n{controller.log_text()[-4000:]}"


@pytest.fixture
def quiet_control_plane(tools: Tools, tmp_path: Path) -> Iterator[ControlPlane]:
    """A private control plane: etcd and the API server only, with syncd's CRDs.

    Nothing else writes to it (no controller-manager, scheduler, node or
    session controller), so the test's own `syncd run` is the only client
    besides the API server's internal loops (e.g. its identity lease).
    """
    plane = ControlPlane(
        workdir=tmp_path / "quiet-plane", tools=tools, with_controllers=False, with_node=False
    )
    with plane:
        install_crds(plane.http())
        yield plane


def root_sync_body(
    name: str, *, repo: str, directory: str = ".", period: str = "1s", **git: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": name, "namespace": SYSTEM_NS},
        "spec": {
            "sourceType": "git",
            "git": {"repo": repo, "dir": directory, "period": period, **git},
        },
    }


def get_root_sync(admin: KubeHttp, name: str) -> dict[str, Any]:
    resp = admin.get(f"{ROOT_SYNCS}/{name}")
    assert resp.status == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def wait_synced(
    admin: KubeHttp, name: str, commit: str, *, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll until the RootSync reports `commit` as synced (sync block and Ready)."""

    def probe() -> dict[str, Any] | None:
        obj = get_root_sync(admin, name)
        status = obj.get("status") or {}
        if (status.get("sync") or {}).get("commit") != commit:
            return None
        if (status.get("summary") or {}).get("state") not in ("Synced", "Error"):
            return None
        return obj

    return wait_until(probe, timeout=timeout, what=f"RootSync {name} at {commit[:7]}", interval=0.1)
