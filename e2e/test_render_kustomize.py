"""A kustomize overlay syncs as `kustomize build` renders it; a broken one changes nothing.

The overlay pulls a remote base from the local Git server with the sync's own
credentials, generates a ConfigMap and a Secret (hash suffixes), adds a
component and inflates a local Helm chart (`helmCharts`). The set of objects
in the cluster is compared with what the real kustomize prints on its own.
A remote base in a repository the sync's credentials may not read (another
tenant's, on the same server) fails to render and applies nothing.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from e2e.kube import unique
from e2e.rendersteps import (
    git_env_for,
    live_matches,
    managed_refs,
    ref_of,
    tool_objects,
    wait_render_error,
)
from e2e.servers import GitHttpAuth, GitHttpTenants, GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    create_root_sync,
    create_secret,
    errors_with_code,
    get_object,
    ns_path,
    wait_state,
)
from syncd.devenv.gitrepo import repo_dir_name
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec: {containers: [{name: app, image: example.com/app:1}]}
"""
CHART = "apiVersion: v2\nname: web\nversion: 0.1.0\n"
CHART_CM = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: "{{ .Release.Name }}-greeting"}
data: {greeting: {{ .Values.greeting | quote }}}
"""
LEAK = "configMapGenerator:\n- name: leak\n  files: [../secret.txt]\n"
COMPONENT = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
labels:
- pairs: {team: platform}
"""


def _overlay(ns: str, base_url: str, replicas: int) -> str:
    return f"""\
namespace: {ns}
resources:
- {base_url}//base?ref=main
- ns.yaml
components: [../../components/team]
configMapGenerator:
- name: settings
  literals: [mode=prod]
secretGenerator:
- name: creds
  literals: [token=not-a-real-token]
helmCharts:
- name: web
  releaseName: web
  valuesInline: {{greeting: hi}}
patches:
- target: {{kind: Deployment, name: app}}
  patch: '[{{"op": "replace", "path": "/spec/replicas", "value": {replicas}}}]'
"""


def _sync_with_credentials(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    auth: GitHttpAuth,
    repo: str,
    *,
    directory: str,
    cleanup: list[str] | None = None,
) -> str:
    """A RootSync of `directory` in `repo` on the auth server, with a basic-auth Secret."""
    secret = unique("git-creds")
    create_secret(admin, secret, {"username": auth.username, "password": auth.password})
    return create_root_sync(
        admin,
        request,
        repo=auth.server.repo_url(repo),
        cleanup=cleanup or [],
        git={"dir": directory, "auth": "basic", "secretRef": {"name": secret}},
    )


def _default_for(obj: dict[str, Any]) -> str:
    return "" if obj["kind"] == "Namespace" else "default"


def _live(admin: KubeHttp, path: str) -> dict[str, Any]:
    obj = get_object(admin, path)
    assert obj is not None, f"{path} is not in the cluster"
    return obj


def test_an_overlay_with_a_remote_base_generators_and_helm_charts_syncs_as_kustomize_builds_it(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
    *,
    tools: Tools,
) -> None:
    ns = unique("kust")
    base = git_repo_factory(git_http_auth, prefix="base")
    base.commit(
        {"base/kustomization.yaml": "resources: [deploy.yaml]\n", "base/deploy.yaml": DEPLOY},
        "base",
    )
    base_url = git_http_auth.server.repo_url(base.name)
    repo = git_repo_factory(git_http_auth)
    files = {
        "overlays/prod/kustomization.yaml": _overlay(ns, base_url, replicas=2),
        "overlays/prod/ns.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n",
        "overlays/prod/charts/web/Chart.yaml": CHART,
        "overlays/prod/charts/web/values.yaml": "greeting: hello\n",
        "overlays/prod/charts/web/templates/cm.yaml": CHART_CM,
        "components/team/kustomization.yaml": COMPONENT,
    }
    sha = repo.commit(files, "overlay")
    name = _sync_with_credentials(
        admin,
        request,
        git_http_auth,
        repo.name,
        directory="overlays/prod",
        cleanup=[ns_path(ns), "/api/v1/namespaces/default/configmaps/web-greeting"],
    )
    obj = wait_state(admin, name, sha, "Synced")
    assert "kustomize v5" in obj["status"]["rendering"]["message"], obj["status"]["rendering"]

    # What the real kustomize prints on its own, from the same commit.
    built = tool_objects(
        [str(tools.kustomize), "build", "--enable-helm", "--helm-command", str(tools.helm), "."],
        cwd=repo.work_path / "overlays/prod",
        env=git_env_for(git_http_auth),
    )
    # kustomize leaves helmCharts output without a namespace: syncd's default rule places it.
    expected = {ref_of(o, default_namespace=_default_for(o)) for o in built}
    assert managed_refs(admin, name) == expected
    plural = {"ConfigMap": "configmaps", "Secret": "secrets"}
    for obj in (o for o in built if o["kind"] in plural):
        where = obj["metadata"].get("namespace") or "default"
        path = f"/api/v1/namespaces/{where}/{plural[obj['kind']]}/{obj['metadata']['name']}"
        assert live_matches(_live(admin, path), obj) == [], path
    deploy = _live(admin, f"/apis/apps/v1/namespaces/{ns}/deployments/app")
    (rendered_deploy,) = (o for o in built if o["kind"] == "Deployment")
    assert live_matches(deploy, rendered_deploy) == []
    assert deploy["spec"]["replicas"] == 2
    assert deploy["metadata"]["labels"]["team"] == "platform"
    assert "config.kubernetes.io/origin" not in deploy["metadata"].get("annotations", {})
    names = {o["metadata"]["name"] for o in built}
    assert any(n.startswith("settings-") for n in names), names  # the generator's hash suffix
    assert any(n.startswith("creds-") for n in names), names

    # A change to the patch reaches the cluster.
    began = time.monotonic()
    sha2 = repo.commit(
        {"overlays/prod/kustomization.yaml": _overlay(ns, base_url, replicas=3)}, "scale"
    )
    wait_state(admin, name, sha2, "Synced")
    print(f"patch change to Synced in {time.monotonic() - began:.2f}s (period 1s)")
    assert _live(admin, f"/apis/apps/v1/namespaces/{ns}/deployments/app")["spec"]["replicas"] == 3

    # A commit that breaks rendering reports SD1068 with kustomize's message and changes nothing.
    before = managed_refs(admin, name)
    broken = "resources: [missing.yaml]\n"
    sha3 = repo.commit({"overlays/prod/kustomization.yaml": broken}, "break")
    obj = wait_render_error(admin, name, sha3)
    errors = errors_with_code(obj["status"], "SD1068")
    assert errors, obj["status"]
    assert "missing.yaml" in errors[0]["message"], errors
    assert git_http_auth.password not in str(obj["status"])
    assert managed_refs(admin, name) == before
    assert _live(admin, f"/apis/apps/v1/namespaces/{ns}/deployments/app")["spec"]["replicas"] == 3


def test_the_load_restrictor_keeps_a_kustomization_inside_its_directory(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_repo_factory: GitRepoFactory,
    git_http_auth: GitHttpAuth,
) -> None:
    repo = git_repo_factory(git_http_auth)
    sha = repo.commit(
        {
            "app/kustomization.yaml": LEAK,
            "secret.txt": "outside the kustomization\n",
        },
        "reach outside",
    )
    name = _sync_with_credentials(admin, request, git_http_auth, repo.name, directory="app")
    obj = wait_render_error(admin, name, sha)
    (error,) = errors_with_code(obj["status"], "SD1068")
    assert "secret.txt" in error["message"], error
    assert "security" in error["message"], error
    assert "syncd-render-" not in error["message"], "the private copy's path is not shown"
    listed = admin.get("/api/v1/namespaces/default/configmaps").json()["items"]
    assert not [cm for cm in listed if cm["metadata"]["name"].startswith("leak")]


def test_a_remote_base_in_a_repository_the_syncs_credentials_may_not_read_fails_to_render(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http_tenants: GitHttpTenants,
    git_repo_factory: GitRepoFactory,
) -> None:
    tenants, server = git_http_tenants, git_http_tenants.server
    stolen = unique("stolen")
    base = git_repo_factory(tenants, prefix="team-b-base")
    base.commit(
        {
            "base/kustomization.yaml": "resources: [cm.yaml]\n",
            "base/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {stolen}}}\n",
        },
        "team b's base",
    )
    tenants.own(base, tenants.b)
    repo = git_repo_factory(tenants, prefix="team-a")
    local = unique("local")
    sha = repo.commit(
        {
            "app/kustomization.yaml": (
                f"namespace: default\nresources:\n- {server.repo_url(base.name)}//base?ref=main\n"
                "- cm.yaml\n"
            ),
            "app/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {local}}}\n",
        },
        "overlay on another tenant's base",
    )
    tenants.own(repo, tenants.a)
    secret = unique("git-creds")
    create_secret(admin, secret, {"username": tenants.a.name, "password": tenants.a.password})
    name = create_root_sync(
        admin,
        request,
        repo=server.repo_url(repo.name),
        cleanup=[f"/api/v1/namespaces/default/configmaps/{n}" for n in (stolen, local)],
        git={"dir": "app", "auth": "basic", "secretRef": {"name": secret}},
    )

    obj = wait_render_error(admin, name, sha)
    (error,) = errors_with_code(obj["status"], "SD1068")
    assert base.name in error["message"], error
    for secret_value in (tenants.a.password, tenants.a.token, tenants.b.password, tenants.b.token):
        assert secret_value not in str(obj["status"])
    assert obj["status"]["source"]["commit"] == sha  # the sync's own repository was read
    # kustomize asked with tenant a's credentials (scoped to this server) and was refused.
    prefix = f"/{repo_dir_name(base.name)}/"
    asked = {(r.status, r.user) for r in server.requests if r.path.startswith(prefix)}
    assert (404, tenants.a.name) in asked, asked
    assert not [status for status, _ in asked if status == 200], asked
    for cm in (stolen, local):
        assert get_object(admin, f"/api/v1/namespaces/default/configmaps/{cm}") is None, cm
    assert obj["status"].get("lastSyncedCommit") != sha
