"""The render stage end to end: namespace defaults, kpt pipelines, the hierarchy format, caching.

Every test syncs through the real controller (`syncd run`) from the local
Git server, with the real kustomize and helm.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from e2e.kube import unique
from e2e.rendersteps import live_matches, managed_refs, ref_of, wait_source_error
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    create_root_sync,
    errors_with_code,
    get_object,
    ns_path,
    wait_more_runs,
    wait_state,
)
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.render.kpt import render_kpt

pytestmark = pytest.mark.e2e

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {value: '1'}\n"


def _ns(name: str, labels: str = "{}") -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n"


def test_plain_objects_without_a_namespace_go_to_default_or_the_sync_default_namespace(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    into_default, into_team, team = unique("nons"), unique("nons"), unique("team")
    plain = git_repo_factory(git_http)
    sha = plain.commit({"cm.yaml": CM % into_default}, "no namespace")
    first = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(plain.name),
        cleanup=[f"/api/v1/namespaces/default/configmaps/{into_default}"],
    )
    obj = wait_state(admin, first, sha, "Synced")
    assert obj["status"]["rendering"]["message"] == "Rendering not required: plain manifests"
    assert get_object(admin, f"/api/v1/namespaces/default/configmaps/{into_default}") is not None

    other = git_repo_factory(git_http)
    sha = other.commit({"cm.yaml": CM % into_team, "ns.yaml": _ns(team)}, "no namespace")
    second = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(other.name),
        spec={"defaultNamespace": team},
        cleanup=[ns_path(team)],
    )
    wait_state(admin, second, sha, "Synced")
    assert get_object(admin, f"/api/v1/namespaces/{team}/configmaps/{into_team}") is not None
    assert managed_refs(admin, second) == {
        ("", "ConfigMap", team, into_team),
        ("", "Namespace", "", team),
    }


def test_an_unchanged_poll_of_a_rendered_package_spawns_no_renderer(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    directory, ns = unique("counted"), unique("counted")
    repo = git_repo_factory(git_http)
    files = {
        f"{directory}/kustomization.yaml": f"namespace: {ns}\nresources: [cm.yaml, ns.yaml]\n",
        f"{directory}/cm.yaml": CM % "counted",
        f"{directory}/ns.yaml": _ns(ns),
    }
    sha = repo.commit(files, "kustomize")
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        git={"dir": directory},
        cleanup=[ns_path(ns)],
    )
    wait_state(admin, name, sha, "Synced")
    assert syncd_controller.kustomize_builds(directory) == 1
    wait_more_runs(syncd_controller, name, more=3)  # three more polls of the same commit
    assert syncd_controller.kustomize_builds(directory) == 1
    sha2 = repo.commit({f"{directory}/cm.yaml": (CM % "counted").replace("'1'", "'2'")}, "change")
    wait_state(admin, name, sha2, "Synced")
    assert syncd_controller.kustomize_builds(directory) == 2


KPTFILE = """\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata: {name: app}
pipeline:
  mutators:
  - image: gcr.io/kpt-fn/apply-setters:v0.2
    configMap: {replicas: "4", tier: backend}
  - image: gcr.io/kpt-fn/set-namespace:v0.4
    configMap: {namespace: NS}
  - image: gcr.io/kpt-fn/starlark:v0.4
    configPath: label-fn.yaml
"""
STARLARK = """\
apiVersion: fn.kpt.dev/v1alpha1
kind: StarlarkRun
metadata:
  name: label
  annotations: {config.kubernetes.io/local-config: "true"}
source: |
  for r in ctx.resource_list["items"]:
    r["metadata"].setdefault("labels", {})["rendered-by"] = "starlark"
"""
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels:
    tier: frontend # kpt-set: ${tier}
spec:
  replicas: 1 # kpt-set: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: registry.k8s.io/pause:3.10}]}
"""


def test_a_kpt_package_syncs_as_its_function_pipeline_renders_it(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    *,
    tmp_path: Path,
) -> None:
    ns = unique("kpt")
    repo = git_repo_factory(git_http)
    files = {
        "app/Kptfile": KPTFILE.replace("NS", ns),
        "app/label-fn.yaml": STARLARK,
        "app/deploy.yaml": DEPLOY,
    }
    sha = repo.commit(files, "kpt package")
    namespaces = git_repo_factory(git_http)
    ns_sha = namespaces.commit({"ns.yaml": _ns(ns)}, "namespace")
    ns_sync = create_root_sync(
        admin, request, repo=git_http.repo_url(namespaces.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, ns_sync, ns_sha, "Synced")
    name = create_root_sync(admin, request, repo=git_http.repo_url(repo.name), git={"dir": "app"})
    obj = wait_state(admin, name, sha, "Synced")
    assert "kpt 3 function(s)" in obj["status"]["rendering"]["message"]

    # The pipeline's own result, from a copy of the same commit.
    package = tmp_path / "app"
    shutil.copytree(repo.work_path / "app", package)
    expected = render_kpt(package)
    assert expected.errors == ()
    assert managed_refs(admin, name) == {ref_of(o.body) for o in expected.objects}
    (rendered,) = (o.body for o in expected.objects)
    live = get_object(admin, f"/apis/apps/v1/namespaces/{ns}/deployments/api")
    assert live is not None
    assert live_matches(live, rendered) == []
    assert live["spec"]["replicas"] == 4
    assert live["metadata"]["labels"] == {
        "tier": "backend",
        "rendered-by": "starlark",
        "app.kubernetes.io/managed-by": "syncd",
        "applyset.kubernetes.io/part-of": live["metadata"]["labels"][
            "applyset.kubernetes.io/part-of"
        ],
    }


def _hierarchy(teams: tuple[str, str], role: str) -> dict[str, str]:
    selected, other = teams
    return {
        "system/repo.yaml": (
            "apiVersion: configmanagement.gke.io/v1\nkind: Repo\nmetadata: {name: repo}\n"
            "spec: {version: 1.0.0}\n"
        ),
        "cluster/role.yaml": (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
            f"metadata: {{name: {role}}}\nrules: []\n"
        ),
        "namespaces/teams/quota.yaml": (
            "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota}\n"
            "spec: {hard: {pods: '10'}}\n"
        ),
        "namespaces/teams/prod-selector.yaml": (
            "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\n"
            "metadata: {name: prod}\nspec: {selector: {matchLabels: {env: prod}}}\n"
        ),
        "namespaces/teams/prod-only.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prod-only\n"
            "  annotations: {configmanagement.gke.io/namespace-selector: prod}\ndata: {a: b}\n"
        ),
        f"namespaces/teams/{selected}/ns.yaml": _ns(selected, "{env: prod}"),
        f"namespaces/teams/{other}/ns.yaml": _ns(other),
    }


def test_a_hierarchy_repository_with_inheritance_and_a_namespace_selector_syncs(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    teams, role = (unique("prod"), unique("dev")), unique("viewer")
    repo = git_repo_factory(git_http)
    sha = repo.commit(_hierarchy(teams, role), "hierarchy")
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        spec={"sourceFormat": "hierarchy"},
        cleanup=[
            *(ns_path(t) for t in teams),
            f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{role}",
        ],
    )
    wait_state(admin, name, sha, "Synced")
    selected, other = teams
    assert managed_refs(admin, name) == {
        ("", "Namespace", "", selected),
        ("", "Namespace", "", other),
        ("rbac.authorization.k8s.io", "ClusterRole", "", role),
        ("", "ResourceQuota", selected, "quota"),
        ("", "ResourceQuota", other, "quota"),
        ("", "ConfigMap", selected, "prod-only"),
    }
    assert get_object(admin, f"/api/v1/namespaces/{other}/configmaps/prod-only") is None

    # A Namespace whose name does not match its directory: coded, and nothing is pruned.
    broken = {f"namespaces/teams/{other}/ns.yaml": _ns(unique("wrong"))}
    sha2 = repo.commit(broken, "mismatch")
    obj = wait_source_error(admin, name, sha2)
    (error,) = errors_with_code(obj["status"], "SD1110")
    assert f"namespaces/teams/{other}/ns.yaml" in error["message"], error
    assert get_object(admin, f"/api/v1/namespaces/{other}/resourcequotas/quota") is not None
