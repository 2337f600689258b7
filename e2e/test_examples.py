"""Every example under examples/ syncs to Synced the way `make demo EXAMPLE=<name>` syncs it.

One private control plane (with controllers and a fake node, so Deployments
become ready), one real Git server, and the demo's own steps from
`syncd.devenv.demo`: push each example, start `syncd run` with the built
kustomize and helm, create each example's RootSync from its root-sync.yaml.
All five sync side by side; then one characteristic object per example is
checked against what its renderer is meant to produce.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.rendersteps import tool_objects
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.demo import (
    EXAMPLES_DIR,
    create_example_sync,
    example_names,
    install_crds,
    install_rbac,
    push_example,
    show_synced,
    start_syncd,
    sync_tenant,
    wait_for_commit,
)
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e

EXAMPLES = ("hello", "kustomize", "helm", "kpt", "hierarchy", "tenant")


@dataclass(frozen=True, slots=True, kw_only=True)
class Synced:
    """The examples synced on one plane, and what the demo's steps printed."""

    admin: KubeHttp
    printed: str


def _get(admin: KubeHttp, path: str) -> dict[str, Any]:
    resp = admin.get(path)
    assert resp.status == 200, f"GET {path}: {resp.status} {resp.text}"
    body: dict[str, Any] = resp.json()
    return body


def _absent(admin: KubeHttp, path: str) -> bool:
    return admin.get(path).status == 404


@pytest.fixture(scope="module")
def synced(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    workdir = tmp_path_factory.mktemp("examples")
    lines: list[str] = []
    with ControlPlane(workdir=workdir / "plane", tools=tools) as plane:
        git_root = workdir / "git"
        git_root.mkdir()
        with GitHttpServer(git_root) as server:
            repo = GitRepo.create(git_root, "examples")
            for example in EXAMPLES:
                push_example(repo, example)
            install_crds(plane)
            install_rbac(plane)
            syncd = start_syncd(plane, workdir)
            try:
                url = server.repo_url("examples")
                names = [
                    create_example_sync(plane, ex, repo_url=url, say=lines.append, name=f"ex-{ex}")
                    for ex in EXAMPLES
                ]
                head = repo.head()
                for name in names:
                    wait_for_commit(plane, head, syncd, name=name, timeout=90)
                show_synced(plane, "ex-kustomize", lines.append)
                sync_tenant(
                    plane, "tenant", repo_url=url, commit=head, syncd=syncd, say=lines.append
                )
                yield Synced(admin=plane.http(), printed="\n".join(lines))
            finally:
                syncd.stop(timeout=30)


def test_every_example_is_covered_and_synced_as_the_demo_prints_it(synced: Synced) -> None:
    assert sorted(EXAMPLES) == example_names()
    for example in EXAMPLES:
        assert re.search(
            rf"^ex-{example}\s+True\s+Synced\s+[0-9a-f]{{7}}\s+0\s", synced.printed, re.M
        )
    # The RootSync's render options from root-sync.yaml reached the cluster's object.
    helm = _get(synced.admin, "/apis/syncd.dev/v1beta1/namespaces/syncd-system/rootsyncs/ex-helm")
    assert helm["spec"]["render"]["helm"]["valuesFiles"] == ["values-prod.yaml"]
    assert re.search(r"deployment\.apps/web\s+3/3", synced.printed), synced.printed


def test_the_tenant_example_syncs_its_namespace_as_the_tenants_account(synced: Synced) -> None:
    assert re.search(
        r"^team-a\s+repo-sync\s+True\s+Synced\s+[0-9a-f]{7}\s+0\s", synced.printed, re.M
    ), synced.printed
    app = _get(synced.admin, "/apis/apps/v1/namespaces/team-a/deployments/app")
    assert app["metadata"]["annotations"]["syncd.dev/manager"] == "RepoSync/team-a/repo-sync"
    assert (app["status"].get("readyReplicas") or 0) == 1
    settings = _get(synced.admin, "/api/v1/namespaces/team-a/configmaps/settings")
    assert settings["data"] == {"owner": "team-a"}
    # The platform's RootSync made the account, bound to the aggregated tenant role.
    binding = "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/syncd-repo-sync"
    assert _get(synced.admin, binding)["roleRef"]["name"] == "syncd-tenant"


def test_kustomize_overlay_patches_replicas_and_references_the_hashed_configmap(
    synced: Synced, tools: Tools
) -> None:
    built = tool_objects(
        [str(tools.kustomize), "build", "overlays/prod"], cwd=EXAMPLES_DIR / "kustomize"
    )
    (hashed,) = [o["metadata"]["name"] for o in built if o["kind"] == "ConfigMap"]
    assert re.fullmatch(r"web-config-[a-z0-9]{10}", hashed), hashed
    web = _get(synced.admin, "/apis/apps/v1/namespaces/web-prod/deployments/web")
    assert web["spec"]["replicas"] == 3
    assert (web["status"].get("readyReplicas") or 0) == 3
    (container,) = web["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": hashed}}]
    config = _get(synced.admin, f"/api/v1/namespaces/web-prod/configmaps/{hashed}")
    assert config["data"]["LOG_LEVEL"] == "warn"
    assert "feature.checkout=on" in config["data"]["settings.properties"]
    assert _absent(synced.admin, "/api/v1/namespaces/web-prod/configmaps/web-config")
    policy = "/apis/networking.k8s.io/v1/namespaces/web-prod/networkpolicies/web-allow-http"
    assert _get(synced.admin, policy)["spec"]["ingress"][0]["ports"][0]["port"] == 8080
    # The component patched the base's Deployment as well as adding its policy.
    assert web["metadata"]["annotations"]["example.com/ingress-policy"] == "web-allow-http"


def test_helm_chart_takes_values_file_then_inline_values_and_its_crd_and_subchart(
    synced: Synced,
) -> None:
    ns = "/namespaces/helm-web"
    settings = _get(synced.admin, f"/api/v1{ns}/configmaps/shop-settings")["data"]
    assert settings == {"GREETING": "Hello from a RootSync", "LOG_LEVEL": "warn"}
    web = _get(synced.admin, f"/apis/apps/v1{ns}/deployments/shop")
    assert web["spec"]["replicas"] == 3
    assert web["metadata"]["labels"]["app.kubernetes.io/instance"] == "shop"
    cache = _get(synced.admin, f"/apis/apps/v1{ns}/deployments/shop-cache")
    (container,) = cache["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["memory"] == "256Mi"
    flag = _get(synced.admin, f"/apis/flags.example.com/v1{ns}/featureflags/new-checkout")
    assert flag["spec"] == {"enabled": True}
    assert _get(synced.admin, f"/api/v1{ns}/services/shop")["spec"]["ports"][0]["port"] == 80


def test_kpt_pipeline_applies_setters_namespace_and_starlark(synced: Synced) -> None:
    orders = _get(synced.admin, "/apis/apps/v1/namespaces/kpt-orders/deployments/orders")
    assert orders["spec"]["replicas"] == 2
    assert orders["metadata"]["labels"]["tier"] == "backend"
    assert orders["metadata"]["annotations"]["example.com/defaults"] == "container-defaults"
    (container,) = orders["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [{"name": "SERVICE_NAME", "value": "orders-service"}]
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    assert _get(synced.admin, "/api/v1/namespaces/kpt-orders/services/orders")
    # set-namespace renamed the package's Namespace rather than adding a second one.
    assert _absent(synced.admin, "/api/v1/namespaces/example")


def test_hierarchy_inherits_into_both_namespaces_and_selects_into_one(synced: Synced) -> None:
    for ns in ("shop-prod", "shop-dev"):
        binding = _get(
            synced.admin,
            f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/shop-viewers",
        )
        assert binding["roleRef"]["name"] == "shop-app-viewer"
    policy = "networkpolicies/deny-ingress-from-other-namespaces"
    assert _get(synced.admin, f"/apis/networking.k8s.io/v1/namespaces/shop-prod/{policy}")
    assert _absent(synced.admin, f"/apis/networking.k8s.io/v1/namespaces/shop-dev/{policy}")
    assert _get(synced.admin, "/apis/rbac.authorization.k8s.io/v1/clusterroles/shop-app-viewer")
    front = _get(synced.admin, "/apis/apps/v1/namespaces/shop-prod/deployments/storefront")
    assert front["status"].get("readyReplicas") == 2


def test_hello_syncs_plain_yaml(synced: Synced) -> None:
    greeting = _get(synced.admin, "/api/v1/namespaces/hello/configmaps/greeting")
    assert greeting["data"] == {"message": "Hello from Git"}
    assert (
        _get(synced.admin, "/apis/apps/v1/namespaces/hello/deployments/web")["status"].get(
            "readyReplicas"
        )
        == 2
    )


def test_root_sync_files_name_the_directory_they_are_pushed_under() -> None:
    for example in EXAMPLES:
        text = (EXAMPLES_DIR / example / "root-sync.yaml").read_text()
        (directory,) = re.findall(r"^\s+dir: (\S+)$", text, re.M)
        assert directory.split("/")[0] == example
        assert (EXAMPLES_DIR / Path(directory)).is_dir()
