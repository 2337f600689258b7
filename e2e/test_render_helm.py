"""A chart in the repository syncs as `helm template` renders it; hooks are skipped, not applied."""

from __future__ import annotations

import time
from typing import Any

import pytest

from e2e.kube import unique
from e2e.rendersteps import live_matches, managed_refs, ref_of, tool_objects, wait_render_error
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import create_root_sync, errors_with_code, get_object, ns_path, wait_state
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e

CHART = """\
apiVersion: v2
name: web
version: 0.1.0
dependencies:
- name: lib
  version: 0.1.0
"""
LIB_CHART = "apiVersion: v2\nname: lib\nversion: 0.1.0\n"
LIB_SA = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: lib-sa}\n"
CM = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: "{{ .Release.Name }}-config", namespace: "{{ .Release.Namespace }}"}
data:
  greeting: {{ .Values.greeting | quote }}
  replicas: {{ .Values.replicas | quote }}
"""
HOOK = """\
apiVersion: v1
kind: Pod
metadata:
  name: "{{ .Release.Name }}-smoke-test"
  annotations: {helm.sh/hook: test}
spec: {containers: [{name: t, image: example.com/t:1}]}
"""
CRD_GROUP = "charts.render.example.com"
CRD = f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: gadgets.{CRD_GROUP}}}
spec:
  group: {CRD_GROUP}
  names: {{kind: Gadget, plural: gadgets, singular: gadget}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
"""


def _chart_files(replicas: int) -> dict[str, str]:
    return {
        "web/Chart.yaml": CHART,
        "web/values.yaml": "greeting: hello\nreplicas: 1\n",
        "web/values-prod.yaml": f"replicas: {replicas}\n",
        "web/templates/cm.yaml": CM,
        "web/templates/smoke-test.yaml": HOOK,
        "web/crds/gadgets.yaml": CRD,
        "web/charts/lib/Chart.yaml": LIB_CHART,
        "web/charts/lib/templates/sa.yaml": LIB_SA,
    }


def _config(admin: KubeHttp, ns: str) -> dict[str, Any]:
    obj = get_object(admin, f"/api/v1/namespaces/{ns}/configmaps/web-config")
    assert obj is not None, "the chart's ConfigMap is not in the cluster"
    return obj


def test_a_chart_with_values_files_crds_and_a_vendored_dependency_syncs_as_helm_renders_it(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    *,
    tools: Tools,
) -> None:
    ns = unique("helm")
    repo = git_repo_factory(git_http)
    files = _chart_files(replicas=3)
    files["ns/ns.yaml"] = f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n"
    sha = repo.commit(files, "chart")
    helm_spec = {"valuesFiles": ["values-prod.yaml"], "values": {"greeting": "hi"}, "namespace": ns}
    namespace_sync = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), git={"dir": "ns"}, cleanup=[ns_path(ns)]
    )
    wait_state(admin, namespace_sync, sha, "Synced")
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        git={"dir": "web"},
        spec={"render": {"helm": helm_spec}},
        cleanup=[f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{CRD_GROUP}"],
    )
    obj = wait_state(admin, name, sha, "Synced")
    message = obj["status"]["rendering"]["message"]
    assert "helm v3" in message, message
    assert "skipped 1 Helm hook" in message, message
    assert "web-smoke-test" in message, message

    rendered = tool_objects(
        [
            str(tools.helm),
            "template",
            "web",
            ".",
            "--namespace",
            ns,
            "--include-crds",
            "--values",
            "values-prod.yaml",
            "--set",
            "greeting=hi",
        ],
        cwd=repo.work_path / "web",
    )
    hooks = [o for o in rendered if "helm.sh/hook" in (o["metadata"].get("annotations") or {})]
    assert [h["metadata"]["name"] for h in hooks] == ["web-smoke-test"]
    applied = [o for o in rendered if o not in hooks]
    expected = {
        ref_of(o, default_namespace="" if o["kind"] == "CustomResourceDefinition" else ns)
        for o in applied
    }
    assert managed_refs(admin, name) == expected
    assert get_object(admin, f"/api/v1/namespaces/{ns}/pods/web-smoke-test") is None
    (cm,) = (o for o in applied if o["kind"] == "ConfigMap")
    assert live_matches(_config(admin, ns), cm) == []
    assert _config(admin, ns)["data"] == {"greeting": "hi", "replicas": "3"}

    began = time.monotonic()
    sha2 = repo.commit({"web/values-prod.yaml": "replicas: 5\n"}, "values")
    wait_state(admin, name, sha2, "Synced")
    print(f"values change to Synced in {time.monotonic() - began:.2f}s (period 1s)")
    assert _config(admin, ns)["data"]["replicas"] == "5"

    sha3 = repo.commit({"web/templates/broken.yaml": "{{ .Values.nope.deeper }}\n"}, "break")
    obj = wait_render_error(admin, name, sha3)
    (error,) = errors_with_code(obj["status"], "SD1068")
    assert "nil pointer" in error["message"], error
    assert _config(admin, ns)["data"]["replicas"] == "5"

    sha4 = repo.commit({"web/templates/broken.yaml": None, "web/charts/lib": None}, "unvendor")
    obj = wait_render_error(admin, name, sha4)
    (error,) = errors_with_code(obj["status"], "SD1068")
    assert "lib 0.1.0" in error["message"], error
    assert "helm dependency build" in error["message"], error
    assert get_object(admin, f"/api/v1/namespaces/{ns}/serviceaccounts/lib-sa") is not None


def test_a_chart_that_builds_gigabytes_in_memory_is_stopped_by_the_memory_limit(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    bomb = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n"
        '  a: "{{ range until 20000000 }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{ end }}"\n'
    )
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "bomb/Chart.yaml": "apiVersion: v2\nname: bomb\nversion: 0.1.0\n",
            "bomb/templates/cm.yaml": bomb,
        },
        "a template that never stops growing",
    )
    name = create_root_sync(admin, request, repo=git_http.repo_url(repo.name), git={"dir": "bomb"})
    obj = wait_render_error(admin, name, sha)
    (error,) = errors_with_code(obj["status"], "SD1068")
    assert "render memory limit" in error["message"], error
