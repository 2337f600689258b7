"""The demo's main job: install syncd's CRDs, run `syncd run`, create a RootSync, follow Git.

Used by `python -m syncd.devenv demo` (`make demo`). Every step talks to the
real local control plane and the real Git server; `syncd run` is the real
controller process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.proc import ManagedProcess, ServerError, wait_until
from syncd.devenv.tools import REPO_ROOT

SYSTEM_NS = "syncd-system"
CRD_DIR = REPO_ROOT / "manifests" / "crds"


def install_crds(plane: ControlPlane) -> None:
    """Apply syncd's CRDs and the syncd-system namespace; wait until Established."""
    admin = plane.http()
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        url = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}"
        resp = admin.apply(url, crd, manager="syncd-demo", force=True)
        if resp.status not in (200, 201):
            raise ServerError(f"installing {path.name} failed: {resp.status} {resp.text}")

        def established(url: str = url) -> bool:
            conditions = (admin.get(url).json().get("status") or {}).get("conditions") or []
            return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

        wait_until(established, timeout=60, what=f"{path.name} Established")
    admin.apply(
        f"/api/v1/namespaces/{SYSTEM_NS}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NS}},
        manager="syncd-demo",
    )


def start_syncd(plane: ControlPlane, workdir: Path) -> ManagedProcess:
    """Start `syncd run` against the local control plane, logging to a file."""
    env = {
        **os.environ,
        "SYNCD_KUBECONFIG": str(plane.kubeconfig),
        "SYNCD_NAMESPACE": SYSTEM_NS,
        "SYNCD_LOG_FORMAT": "console",
        "SYNCD_CACHE_DIR": str(workdir / "source-cache"),
    }
    proc = ManagedProcess(
        name="syncd",
        argv=[sys.executable, "-m", "syncd.cli.main", "run"],
        log_path=workdir / "syncd.log",
        env=env,
        cwd=REPO_ROOT,
    )
    return proc.start()


def create_root_sync(plane: ControlPlane, *, repo_url: str, directory: str) -> None:
    """Create (or update) the RootSync `root` that follows `repo_url`."""
    body: dict[str, Any] = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": "root", "namespace": SYSTEM_NS},
        "spec": {"git": {"repo": repo_url, "branch": "main", "dir": directory, "period": "2s"}},
    }
    url = f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/rootsyncs/root"
    resp = plane.http().apply(url, body, manager="syncd-demo", force=True)
    if resp.status not in (200, 201):
        raise ServerError(f"creating the RootSync failed: {resp.status} {resp.text}")


def kubectl(plane: ControlPlane, *args: str) -> str:
    """Run the built kubectl and return its output."""
    result = subprocess.run(
        plane.kubectl_argv(*args), capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout + result.stderr


def wait_for_commit(
    plane: ControlPlane, commit: str, syncd: ManagedProcess, *, timeout: float = 120.0
) -> None:
    """Poll until the RootSync is Ready at `commit`."""
    admin = plane.http()
    url = f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/rootsyncs/root"

    def ready() -> bool:
        syncd.check_alive()
        status = admin.get(url).json().get("status") or {}
        conditions = status.get("conditions") or []
        is_ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
        return is_ready and status.get("lastSyncedCommit") == commit

    wait_until(ready, timeout=timeout, what=f"RootSync root Ready at {commit[:7]}", interval=0.5)


def run_demo(
    plane: ControlPlane,
    repo: GitRepo,
    *,
    repo_url: str,
    example: str,
    workdir: Path,
    say: Callable[[str], None],
) -> ManagedProcess:
    """Sync `examples/<example>` from Git, then commit a change and follow it."""
    say("[demo] installing syncd's CRDs (RootSync, RepoSync, ResourceGroup)")
    install_crds(plane)
    say("[demo] starting `syncd run` (log: " + str(workdir / "syncd.log") + ")")
    syncd = start_syncd(plane, workdir)
    say(f"[demo] creating RootSync syncd-system/root -> {repo_url} dir {example}/")
    create_root_sync(plane, repo_url=repo_url, directory=example)
    first = repo.head()
    wait_for_commit(plane, first, syncd)
    say("$ kubectl get rootsync -n syncd-system")
    say(kubectl(plane, "get", "rootsync", "-n", SYSTEM_NS).rstrip())
    say(f"$ kubectl get configmap,deployment -n {example}")
    say(kubectl(plane, "get", "configmap,deployment", "-n", example).rstrip())
    config = repo.work_path / example / "config.yaml"
    changed = config.read_text().replace("Hello from Git", "Hello again, from a new commit")
    second = repo.commit({f"{example}/config.yaml": changed}, "Change the greeting")
    say(f"[demo] committed {second[:7]}: a new greeting; waiting for the cluster to follow")
    wait_for_commit(plane, second, syncd)
    say("$ kubectl get rootsync -n syncd-system")
    say(kubectl(plane, "get", "rootsync", "-n", SYSTEM_NS).rstrip())
    say(f"$ kubectl get configmap greeting -n {example} -o jsonpath='{{.data.message}}'")
    say(
        kubectl(
            plane, "get", "configmap", "greeting", "-n", example, "-o", "jsonpath={.data.message}"
        )
    )
    return syncd
