"""`syncd render` prints exactly the objects the controller applies from the same commit.

For each renderer (kustomize, Helm, kpt, plain), the same package is synced by
the controller and rendered locally with `syncd render --sync root-sync.yaml`:
the two sets of objects are equal by group, kind, namespace and name, and
every field `syncd render` prints is what the cluster holds.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import yaml

from e2e.kube import unique
from e2e.rendersteps import live_matches, managed_refs, ref_of
from e2e.servers import GitRepoFactory
from e2e.syncenv import SYSTEM_NS, Controller
from e2e.syncsteps import create_root_sync, get_object, ns_path, wait_state
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e

PATHS = {
    "Namespace": "/api/v1/namespaces/{name}",
    "ConfigMap": "/api/v1/namespaces/{ns}/configmaps/{name}",
    "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts/{name}",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
}
SERVICE_ACCOUNT = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: bot}\n"
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n"
    "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {containers: [{name: web, image: registry.k8s.io/pause:3.10}]}\n"
)


def _package(renderer: str, ns: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The files of a package for `renderer` under `pkg/`, and the spec.render it needs."""
    ns_yaml = f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n"
    if renderer == "kustomize":
        return {
            "base/kustomization.yaml": "resources: [deploy.yaml]\n",
            "base/deploy.yaml": DEPLOY,
            "pkg/kustomization.yaml": (
                f"namespace: {ns}\nresources: [../base, ns.yaml]\n"
                "configMapGenerator:\n- name: conf\n  literals: [a=1]\n"
                "patches:\n- target: {kind: Deployment}\n"
                '  patch: \'[{"op": "replace", "path": "/spec/replicas", "value": 2}]\'\n'
            ),
            "pkg/ns.yaml": ns_yaml,
        }, {}
    if renderer == "helm":
        return {
            "pkg/Chart.yaml": "apiVersion: v2\nname: pkg\nversion: 0.1.0\n",
            "pkg/values.yaml": "who: world\n",
            "pkg/templates/cm.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello}\n"
                "data: {who: {{ .Values.who | quote }}}\n"
            ),
            "pkg/templates/sa.yaml": SERVICE_ACCOUNT,
        }, {"helm": {"namespace": ns, "values": {"who": "syncd"}}}
    if renderer == "kpt":
        return {
            "pkg/Kptfile": (
                "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: pkg}\npipeline:\n"
                f"  mutators:\n  - image: set-namespace\n    configMap: {{namespace: {ns}}}\n"
                "  - image: set-labels\n    configMap: {team: a}\n"
            ),
            "pkg/deploy.yaml": DEPLOY,
        }, {}
    return {
        "pkg/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x, namespace: {ns}}}\n"
    }, {}


@pytest.mark.parametrize("renderer", ["kustomize", "helm", "kpt", "plain"])
def test_syncd_render_prints_the_objects_the_controller_applied(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    *,
    tools: Tools,
    renderer: str,
) -> None:
    ns = unique(f"cli-{renderer}")
    repo = git_repo_factory(git_http)
    files, render = _package(renderer, ns)
    namespaces = git_repo_factory(git_http)
    ns_sha = namespaces.commit(
        {"ns.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n"}, "ns"
    )
    if renderer != "kustomize":  # the overlay declares its own Namespace
        ns_sync = create_root_sync(
            admin, request, repo=git_http.repo_url(namespaces.name), cleanup=[ns_path(ns)]
        )
        wait_state(admin, ns_sync, ns_sha, "Synced")
    spec: dict[str, Any] = {"render": render} if render else {}
    sync_file = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": "local", "namespace": SYSTEM_NS},
        "spec": {"git": {"repo": git_http.repo_url(repo.name), "dir": "pkg"}, **spec},
    }
    files["root-sync.yaml"] = yaml.safe_dump(sync_file)
    sha = repo.commit(files, renderer)
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        git={"dir": "pkg"},
        spec=spec,
        cleanup=[ns_path(ns)] if renderer == "kustomize" else [],
    )
    wait_state(admin, name, sha, "Synced")

    done = subprocess.run(
        [sys.executable, "-m", "syncd.cli.main", "render", "--sync", "root-sync.yaml", "pkg"],
        cwd=repo.work_path,
        env={
            "PATH": "/usr/bin:/bin",
            "SYNCD_KUSTOMIZE": str(tools.kustomize),
            "SYNCD_HELM": str(tools.helm),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rendered = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    assert {ref_of(o) for o in rendered} == managed_refs(admin, name)
    for obj in rendered:
        _, kind, where, obj_name = ref_of(obj)
        live = get_object(admin, PATHS[kind].format(ns=where, name=obj_name))
        assert live is not None, obj
        assert live_matches(live, obj) == [], (kind, obj_name)
