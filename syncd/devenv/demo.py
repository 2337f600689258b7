"""The demo's main job: install syncd's CRDs, run `syncd run`, sync an example from Git.

Used by `python -m syncd.devenv demo [--example NAME]` (`make demo
EXAMPLE=NAME`) and by the e2e test of the examples, so both take the same
steps. Every step talks to the real local control plane and the real Git
server; `syncd run` is the real controller process, given the built
kustomize and helm.

An example is a directory under `examples/` holding a `root-sync.yaml`: the
RootSync the demo creates (and, for a tenant, a `repo-sync.yaml`: the RepoSync
it creates once the RootSync is Synced, in the namespace the RootSync made).
The example is committed under `<name>/` in the demo's repository, so the
files' `spec.git.dir` holds as written; only `spec.git.repo` (and the poll
period) are replaced by the local server's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from syncd.api.models import parse_repo_sync, parse_root_sync
from syncd.core.errors import SyncSpecError
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitrepo import GitRepo, read_tree
from syncd.devenv.proc import ManagedProcess, ServerError, wait_until
from syncd.devenv.tools import REPO_ROOT

SYSTEM_NS = "syncd-system"
CRD_DIR = REPO_ROOT / "manifests" / "crds"
EXAMPLES_DIR = REPO_ROOT / "examples"
ROOT_SYNC_FILE = "root-sync.yaml"
REPO_SYNC_FILE = "repo-sync.yaml"
RBAC_DIR = REPO_ROOT / "manifests" / "rbac"
TENANT_ROLE = "/apis/rbac.authorization.k8s.io/v1/clusterroles/syncd-tenant"
DEFAULT_EXAMPLE = "hello"
DEMO_PERIOD = "2s"
LOCAL_CONFIG = "config.kubernetes.io/local-config"
MANAGED_BY = "app.kubernetes.io/managed-by=syncd"
ROOT_SYNCS = f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/rootsyncs"
RESOURCE_GROUPS = f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/resourcegroups"


class ExampleError(ValueError):
    """An example does not exist, or its root-sync.yaml is not a valid RootSync."""


def example_names() -> list[str]:
    """The examples: directories under examples/ holding a root-sync.yaml, sorted."""
    return sorted(path.parent.name for path in EXAMPLES_DIR.glob(f"*/{ROOT_SYNC_FILE}"))


def example_dir(name: str) -> Path:
    """`examples/<name>`; ExampleError listing the examples when there is none."""
    names = example_names()
    if name not in names:
        raise ExampleError(
            f"no example named {name!r} under {EXAMPLES_DIR}; the examples are: {', '.join(names)}"
        )
    return EXAMPLES_DIR / name


def example_summary(name: str) -> str:
    """What the example shows: its README's heading, without the leading `# <name>: `."""
    readme = EXAMPLES_DIR / name / "README.md"
    heading = readme.read_text().splitlines()[0] if readme.is_file() else ""
    return heading.lstrip("# ").removeprefix(f"{name}:").strip()


def root_sync_for(
    example: str, *, repo_url: str, name: str | None = None, period: str = DEMO_PERIOD
) -> dict[str, Any]:
    """The example's RootSync, pointed at `repo_url`; `name` replaces its name if given."""
    placed = {"namespace": SYSTEM_NS, **({"name": name} if name is not None else {})}
    path = example_dir(example) / ROOT_SYNC_FILE
    return _example_sync(
        path, parse_root_sync, kind="RootSync", repo_url=repo_url, period=period, placed=placed
    )


def _example_sync(
    path: Path,
    parse: Callable[[dict[str, Any]], object],
    *,
    kind: str,
    repo_url: str,
    period: str,
    placed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A sync object from an example's file, pointed at the demo's server and validated.

    `placed` overrides metadata fields (namespace, name). The file's local-config
    marker, which keeps it out of its own package, means nothing on the cluster.
    """
    body = yaml.safe_load(path.read_text())
    if not isinstance(body, dict) or not isinstance((body.get("spec") or {}).get("git"), dict):
        raise ExampleError(f"{path}: not a {kind} with a spec.git block")
    metadata = body.setdefault("metadata", {})
    metadata.update(placed or {})
    annotations = {
        k: v for k, v in (metadata.get("annotations") or {}).items() if k != LOCAL_CONFIG
    }
    metadata.pop("annotations", None)
    if annotations:
        metadata["annotations"] = annotations
    body["spec"]["git"].update(repo=repo_url, branch="main", period=period)
    try:
        parse(body)
    except SyncSpecError as exc:
        raise ExampleError(f"{path}: {exc}") from None
    return body


def push_example(repo: GitRepo, example: str) -> str:
    """Commit `examples/<example>` under `<example>/` in `repo` and push it; return the sha."""
    files = {f"{example}/{rel}": data for rel, data in read_tree(example_dir(example)).items()}
    return repo.commit(files, f"Add examples/{example}")


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


def install_rbac(plane: ControlPlane) -> None:
    """Apply manifests/rbac/ as the user guide says; wait until syncd-tenant is aggregated."""
    output = kubectl(plane, "apply", "--server-side", "-f", str(RBAC_DIR))
    if "error" in output.lower():
        raise ServerError(f"applying {RBAC_DIR} failed: {output}")
    admin = plane.http()

    def aggregated() -> bool:
        resp = admin.get(TENANT_ROLE)
        return resp.status == 200 and bool(resp.json().get("rules"))

    wait_until(aggregated, timeout=60, what="the syncd-tenant ClusterRole aggregated")


def repo_sync_for(
    example: str, *, repo_url: str, period: str = DEMO_PERIOD
) -> dict[str, Any] | None:
    """The example's RepoSync pointed at `repo_url`, or None when it has no repo-sync.yaml."""
    path = example_dir(example) / REPO_SYNC_FILE
    if not path.is_file():
        return None
    return _example_sync(path, parse_repo_sync, kind="RepoSync", repo_url=repo_url, period=period)


def sync_tenant(
    plane: ControlPlane,
    example: str,
    *,
    repo_url: str,
    commit: str,
    syncd: ManagedProcess,
    say: Callable[[str], None],
) -> None:
    """Create the example's RepoSync (if it has one), wait until it is Ready, show it."""
    body = repo_sync_for(example, repo_url=repo_url)
    if body is None:
        return
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    collection = f"/apis/syncd.dev/v1beta1/namespaces/{namespace}/reposyncs"
    say(f"[demo] creating RepoSync {namespace}/{name} -> dir {body['spec']['git']['dir']}/")
    resp = plane.http().apply(f"{collection}/{name}", body, manager="syncd-demo", force=True)
    if resp.status not in (200, 201):
        raise ServerError(f"creating the RepoSync failed: {resp.status} {resp.text}")
    wait_for_commit(plane, commit, syncd, name=name, collection=collection)
    say("$ kubectl get reposync -A")
    say(kubectl(plane, "get", "reposync", "-A").rstrip())
    say(f"$ kubectl get configmap,deployment -n {namespace} -l {MANAGED_BY}")
    say(kubectl(plane, "get", "configmap,deployment", "-n", namespace, "-l", MANAGED_BY).rstrip())


def start_syncd(
    plane: ControlPlane,
    workdir: Path,
    *,
    log_format: str = "console",
    log_level: str = "info",
    extra_env: Mapping[str, str] | None = None,
) -> ManagedProcess:
    """Start `syncd run` against the local control plane with the built tools, logging to a file.

    It runs as the plane's admin, with its own source cache in `workdir` and the
    caller's environment plus `extra_env` (so `MALLOC_ARENA_MAX` and the like reach it).
    """
    env = {
        **os.environ,
        "SYNCD_KUBECONFIG": str(plane.kubeconfig),
        "SYNCD_NAMESPACE": SYSTEM_NS,
        "SYNCD_LOG_FORMAT": log_format,
        "SYNCD_LOG_LEVEL": log_level,
        "SYNCD_CACHE_DIR": str(workdir / "source-cache"),
        "SYNCD_KUSTOMIZE": str(plane.tools.kustomize),
        "SYNCD_HELM": str(plane.tools.helm),
        **(extra_env or {}),
    }
    proc = ManagedProcess(
        name="syncd",
        argv=[sys.executable, "-m", "syncd.cli.main", "run"],
        log_path=workdir / "syncd.log",
        env=env,
        cwd=REPO_ROOT,
    )
    return proc.start()


def create_root_sync(plane: ControlPlane, body: dict[str, Any]) -> None:
    """Create (or update) the RootSync `body`."""
    url = f"{ROOT_SYNCS}/{body['metadata']['name']}"
    resp = plane.http().apply(url, body, manager="syncd-demo", force=True)
    if resp.status not in (200, 201):
        raise ServerError(f"creating the RootSync failed: {resp.status} {resp.text}")


def create_example_sync(
    plane: ControlPlane,
    example: str,
    *,
    repo_url: str,
    say: Callable[[str], None],
    name: str | None = None,
) -> str:
    """Create the example's RootSync against `repo_url`; return the RootSync's name."""
    body = root_sync_for(example, repo_url=repo_url, name=name)
    spec = body["spec"]
    options = [f"sourceFormat {spec['sourceFormat']}"] if "sourceFormat" in spec else []
    if spec.get("render"):
        options.append("render " + json.dumps(spec["render"], separators=(",", ":")))
    shown = f" ({'; '.join(options)})" if options else ""
    sync_name = str(body["metadata"]["name"])
    say(
        f"[demo] creating RootSync {SYSTEM_NS}/{sync_name} -> {repo_url} "
        f"dir {spec['git']['dir']}/{shown}"
    )
    create_root_sync(plane, body)
    return sync_name


def kubectl(plane: ControlPlane, *args: str) -> str:
    """Run the built kubectl and return its output."""
    result = subprocess.run(
        plane.kubectl_argv(*args), capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout + result.stderr


def wait_for_commit(
    plane: ControlPlane,
    commit: str,
    syncd: ManagedProcess,
    *,
    name: str = "root",
    timeout: float = 120.0,
    collection: str = ROOT_SYNCS,
) -> None:
    """Poll until the sync `name` in `collection` (RootSyncs by default) is Ready at `commit`."""
    admin = plane.http()
    url = f"{collection}/{name}"

    def ready() -> bool:
        syncd.check_alive()
        status = admin.get(url).json().get("status") or {}
        conditions = status.get("conditions") or []
        is_ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
        return is_ready and status.get("lastSyncedCommit") == commit

    what = f"{collection.rpartition('/')[2]} {name} Ready at {commit[:7]}"
    wait_until(ready, timeout=timeout, what=what, interval=0.5)


def inventory(plane: ControlPlane, name: str) -> list[dict[str, str]]:
    """The objects the RootSync `name` manages, from its ResourceGroup's spec.resources."""
    resp = plane.http().get(f"{RESOURCE_GROUPS}/{name}")
    if resp.status != 200:
        raise ServerError(f"reading the ResourceGroup {name} failed: {resp.status} {resp.text}")
    entries: list[dict[str, str]] = (resp.json().get("spec") or {}).get("resources") or []
    return entries


def show_synced(plane: ControlPlane, name: str, say: Callable[[str], None]) -> None:
    """Print `kubectl get rootsync` and each kind the sync applied, as kubectl shows it."""
    say(f"$ kubectl get rootsync -n {SYSTEM_NS}")
    say(kubectl(plane, "get", "rootsync", "-n", SYSTEM_NS).rstrip())
    kinds = sorted(
        {
            e["kind"].lower() + (f".{e['group']}" if e.get("group") else "")
            for e in inventory(plane, name)
        }
    )
    say(f"$ kubectl get {','.join(kinds)} -A -l {MANAGED_BY}")
    say(kubectl(plane, "get", ",".join(kinds), "-A", "-l", MANAGED_BY).rstrip())


def follow_a_commit(
    plane: ControlPlane, repo: GitRepo, syncd: ManagedProcess, say: Callable[[str], None]
) -> None:
    """Commit a new greeting to the hello example and show the cluster follow it."""
    config = repo.work_path / DEFAULT_EXAMPLE / "config.yaml"
    changed = config.read_text().replace("Hello from Git", "Hello again, from a new commit")
    second = repo.commit({f"{DEFAULT_EXAMPLE}/config.yaml": changed}, "Change the greeting")
    say(f"[demo] committed {second[:7]}: a new greeting; waiting for the cluster to follow")
    wait_for_commit(plane, second, syncd)
    say(f"$ kubectl get rootsync -n {SYSTEM_NS}")
    say(kubectl(plane, "get", "rootsync", "-n", SYSTEM_NS).rstrip())
    say(f"$ kubectl get configmap greeting -n {DEFAULT_EXAMPLE} -o jsonpath='{{.data.message}}'")
    jsonpath = "jsonpath={.data.message}"
    say(kubectl(plane, "get", "configmap", "greeting", "-n", DEFAULT_EXAMPLE, "-o", jsonpath))


def run_demo(
    plane: ControlPlane,
    repo: GitRepo,
    *,
    repo_url: str,
    example: str,
    workdir: Path,
    say: Callable[[str], None],
) -> ManagedProcess:
    """Sync the example already pushed to `repo`; for hello, also follow a second commit."""
    say("[demo] installing syncd's CRDs (RootSync, RepoSync, ResourceGroup) and RBAC")
    install_crds(plane)
    install_rbac(plane)
    say("[demo] starting `syncd run` (log: " + str(workdir / "syncd.log") + ")")
    syncd = start_syncd(plane, workdir)
    try:
        name = create_example_sync(plane, example, repo_url=repo_url, say=say)
        wait_for_commit(plane, repo.head(), syncd, name=name)
        show_synced(plane, name, say)
        if example == DEFAULT_EXAMPLE:
            follow_a_commit(plane, repo, syncd, say)
        sync_tenant(plane, example, repo_url=repo_url, commit=repo.head(), syncd=syncd, say=say)
    except BaseException:
        say(f"[demo] syncd's log: {workdir / 'syncd.log'}")
        syncd.stop(timeout=30)
        raise
    return syncd
