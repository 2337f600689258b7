"""Helpers for e2e tests of syncd's RBAC: manifests/rbac/ applied with kubectl, access reviews.

`install_rbac` applies the directory the way the user guide says (`kubectl
apply --server-side -f manifests/rbac/`) and waits until the aggregation
controller has filled the `syncd-tenant` ClusterRole. `can` asks the API
server (SelfSubjectAccessReview) whether the client's identity, impersonated
or not, may do one thing.
"""

from __future__ import annotations

import subprocess
from typing import Any

from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until
from syncd.devenv.tools import REPO_ROOT

RBAC_DIR = REPO_ROOT / "manifests" / "rbac"
SYNCD_SA_USER = "system:serviceaccount:syncd-system:syncd"
TENANT_ROLE = "/apis/rbac.authorization.k8s.io/v1/clusterroles/syncd-tenant"
CLUSTER_ROLES = "/apis/rbac.authorization.k8s.io/v1/clusterroles"
ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def kubectl(control_plane: ControlPlane, *args: str) -> str:
    """Run the built kubectl as admin; fail the test on a non-zero exit."""
    done = subprocess.run(
        control_plane.kubectl_argv(*args), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def install_rbac(control_plane: ControlPlane, admin: KubeHttp) -> dict[str, Any]:
    """Apply manifests/rbac/ and return the syncd-tenant ClusterRole once aggregation filled it."""
    kubectl(control_plane, "apply", "--server-side", "-f", str(RBAC_DIR))

    def filled() -> dict[str, Any] | None:
        resp = admin.get(TENANT_ROLE)
        role: dict[str, Any] = resp.json() if resp.status == 200 else {}
        return role if role.get("rules") else None

    return wait_until(filled, timeout=60, what="syncd-tenant rules aggregated", interval=0.2)


def can(
    client: KubeHttp, verb: str, resource: str, *, group: str = "", namespace: str = ""
) -> bool:
    """Whether the client's (impersonated) identity may `verb` `resource`, by access review."""
    attributes = {"verb": verb, "group": group, "resource": resource, "namespace": namespace}
    resp = client.post(
        ACCESS_REVIEWS,
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        },
    )
    assert resp.status == 201, resp.text
    return bool(resp.json()["status"].get("allowed"))


def service_account_user(namespace: str, name: str) -> str:
    """The user name a service account authenticates (and is impersonated) as."""
    return f"system:serviceaccount:{namespace}:{name}"


def cluster_role(name: str) -> dict[str, Any]:
    """A harmless ClusterRole body, to see who may create one."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
    }
