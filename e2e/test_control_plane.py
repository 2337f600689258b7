"""Smoke tests proving the control plane is the real thing.

Each test asserts behaviour only a real API server and controllers have:
field-manager conflicts, dry-run semantics, CRD establishment, RBAC,
impersonation, namespace finalization, garbage collection and scheduling.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from e2e.kube import (
    configmap,
    create_namespace,
    unique,
    wait_condition,
    wait_status,
    widget_crd,
)
from syncd.devenv.controlplane import FAKE_NODE, ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e


@pytest.fixture
def namespace(admin: KubeHttp) -> str:
    name = unique("smoke")
    create_namespace(admin, name)
    return name


def test_server_side_apply_conflict_then_force(admin: KubeHttp, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/shared"
    first = admin.apply(path, configmap("shared", namespace, {"key": "a"}), manager="alpha")
    assert first.status == 201, first.text

    clash = admin.apply(path, configmap("shared", namespace, {"key": "b"}), manager="beta")
    assert clash.status == 409
    status = clash.json()
    assert status["reason"] == "Conflict"
    causes = status["details"]["causes"]
    assert causes == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "alpha"', "field": ".data.key"}
    ]
    assert status["message"].startswith('Apply failed with 1 conflict: conflict with "alpha"')

    forced = admin.apply(
        path, configmap("shared", namespace, {"key": "b"}), manager="beta", force=True
    )
    assert forced.status == 200, forced.text
    live = forced.json()
    assert live["data"] == {"key": "b"}
    owners = {
        entry["manager"]: entry["fieldsV1"]
        for entry in live["metadata"]["managedFields"]
        if entry["operation"] == "Apply"
    }
    assert "f:key" in owners["beta"]["f:data"]
    # Force takes the field away from the other manager entirely.
    assert "f:data" not in owners.get("alpha", {})


def test_dry_run_all_does_not_persist(admin: KubeHttp, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/ghost"
    resp = admin.apply(path, configmap("ghost", namespace, {"a": "1"}), manager="m", dry_run=True)
    assert resp.status == 201, resp.text
    body = resp.json()
    assert body["data"] == {"a": "1"}
    # The server fills in metadata as for a real create (1.35 even assigns a
    # uid) but nothing reaches etcd: there is no resourceVersion.
    assert body["metadata"]["creationTimestamp"]
    assert not body["metadata"].get("resourceVersion")
    assert admin.get(path).status == 404


def test_crd_becomes_established_and_serves_custom_resources(
    admin: KubeHttp, namespace: str
) -> None:
    group = f"{unique('smoke')}.example.com"
    resp = admin.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd(group))
    assert resp.status == 201, resp.text
    crd = wait_condition(
        admin,
        f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}",
        "Established",
    )
    names_accepted = [c for c in crd["status"]["conditions"] if c["type"] == "NamesAccepted"]
    assert names_accepted[0]["status"] == "True"

    base = f"/apis/{group}/v1/namespaces/{namespace}/widgets"

    def create_widget() -> int:
        widget = {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": "w1"},
            "spec": {"size": 3},
            "status": {"phase": "ignored-on-main-resource"},
        }
        return admin.post(base, widget).status

    wait_status(admin, base, 200)
    assert create_widget() == 201
    created = admin.get(f"{base}/w1").json()
    # With a status subresource, status sent to the main resource is dropped.
    assert "status" not in created

    invalid = admin.post(
        base,
        {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": "w2"},
            "spec": {"size": 0},
        },
    )
    assert invalid.status == 422
    assert "spec.size" in invalid.json()["message"]

    created["status"] = {"phase": "Ready"}
    updated = admin.request("PUT", f"{base}/w1/status", body=created)
    assert updated.status == 200, updated.text
    assert admin.get(f"{base}/w1").json()["status"] == {"phase": "Ready"}


def test_rbac_forbids_plain_user_until_rolebinding(
    control_plane: ControlPlane, admin: KubeHttp, namespace: str
) -> None:
    alice = control_plane.http("alice")
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    denied = alice.get(path)
    assert denied.status == 403
    status = denied.json()
    assert status["reason"] == "Forbidden"
    assert 'User "alice" cannot list resource "configmaps"' in status["message"]

    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "alice-view", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
    }
    created = admin.post(
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings", binding
    )
    assert created.status == 201, created.text
    wait_status(alice, path, 200)
    # view does not include writes.
    write = alice.post(path, configmap("nope", namespace, {}))
    assert write.status == 403


def test_impersonation_requires_the_impersonate_verb(
    control_plane: ControlPlane, admin: KubeHttp, namespace: str
) -> None:
    sa_user = f"system:serviceaccount:{namespace}:deployer"
    bob = control_plane.http("bob")
    refused = bob.impersonating(sa_user).get(f"/api/v1/namespaces/{namespace}/configmaps")
    assert refused.status == 403
    assert 'cannot impersonate resource "serviceaccounts"' in refused.json()["message"]

    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "impersonate-deployer", "namespace": namespace},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["serviceaccounts"],
                "verbs": ["impersonate"],
                "resourceNames": ["deployer"],
            }
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "bob-impersonates", "namespace": namespace},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "impersonate-deployer",
        },
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}],
    }
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
    assert admin.post(f"{rbac}/roles", role).status == 201
    assert admin.post(f"{rbac}/rolebindings", binding).status == 201

    as_sa = bob.impersonating(sa_user)

    # Now impersonation is allowed, and the request is judged as the service
    # account, which itself may not list configmaps.
    def judged_as_sa() -> bool:
        resp = as_sa.get(f"/api/v1/namespaces/{namespace}/configmaps")
        return resp.status == 403 and f'User "{sa_user}" cannot list' in resp.json()["message"]

    wait_until(judged_as_sa, timeout=30, what="impersonated request judged as the SA")
    who = as_sa.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert who.status == 201, who.text
    assert who.json()["status"]["userInfo"]["username"] == sa_user


def test_namespace_deletion_completes(admin: KubeHttp) -> None:
    name = unique("doomed")
    create_namespace(admin, name)
    assert (
        admin.post(f"/api/v1/namespaces/{name}/configmaps", configmap("c", name, {"k": "v"})).status
        == 201
    )
    resp = admin.delete(f"/api/v1/namespaces/{name}")
    assert resp.status == 200
    assert resp.json()["status"]["phase"] == "Terminating"
    wait_status(admin, f"/api/v1/namespaces/{name}", 404, timeout=60)


def test_owner_reference_garbage_collection(admin: KubeHttp, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    parent = admin.post(base, configmap("parent", namespace, {})).json()
    child = configmap("child", namespace, {})
    child["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "parent",
            "uid": parent["metadata"]["uid"],
        }
    ]
    assert admin.post(base, child).status == 201
    assert admin.delete(f"{base}/parent", {"propagationPolicy": "Background"}).status == 200
    wait_status(admin, f"{base}/child", 404, timeout=60)


def test_deployment_becomes_available_on_the_fake_node(admin: KubeHttp, namespace: str) -> None:
    labels = {"app": "web"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    assert admin.post(path, deployment).status == 201
    live = wait_condition(admin, f"{path}/web", "Available", timeout=90)
    assert live["status"]["availableReplicas"] == 2
    pods = admin.get(f"/api/v1/namespaces/{namespace}/pods?labelSelector=app%3Dweb").json()
    assert {p["spec"]["nodeName"] for p in pods["items"]} == {FAKE_NODE}
    assert all(p["status"]["phase"] == "Running" for p in pods["items"])


def test_built_kubectl_talks_to_the_server(control_plane: ControlPlane) -> None:
    out = subprocess.run(
        control_plane.kubectl_argv("get", "namespace", "default", "-o", "json"),
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(out.stdout)["status"]["phase"] == "Active"
    version = subprocess.run(
        control_plane.kubectl_argv("version", "-o", "json"),
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    versions = json.loads(version.stdout)
    assert versions["serverVersion"]["gitVersion"] == versions["clientVersion"]["gitVersion"]
    assert versions["serverVersion"]["gitVersion"].startswith("v1.3")


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_teardown_leaves_no_process_behind(tools: Tools, tmp_path: Path) -> None:
    plane = ControlPlane(workdir=tmp_path / "plane", tools=tools)
    with plane:
        pids = plane.pids()
        assert len(pids) == 5  # etcd, apiserver, controller-manager, scheduler, kwok
        assert all(_alive(pid) for pid in pids)
        assert plane.http().get("/readyz").body == b"ok"
    assert [pid for pid in pids if _alive(pid)] == []
    print(
        f"control plane: ready in {plane.startup_seconds:.1f}s, "
        f"torn down in {plane.teardown_seconds:.2f}s"
    )


def test_the_fake_node_renews_its_lease_so_its_pods_stay_ready(admin: KubeHttp) -> None:
    """Without a renewed Lease the node controller marks the node, and every pod, not ready."""
    path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{FAKE_NODE}"

    def renew_time() -> str | None:
        resp = admin.get(path)
        return str(resp.json()["spec"].get("renewTime")) if resp.status == 200 else None

    first = wait_until(renew_time, timeout=60, what=f"the Lease of {FAKE_NODE}")
    wait_until(
        lambda: (renew_time() or first) != first, timeout=60, what="the Lease renewed", interval=1
    )
