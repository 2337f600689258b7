"""Helpers for e2e tests of syncd's RBAC: manifests/rbac/ applied with kubectl, access reviews.

`install_rbac` applies the directory the way the user guide says (`kubectl
apply --server-side -f manifests/rbac/`) and waits until the aggregation
controller has filled the `syncd-tenant` ClusterRole. `can` asks the API
server (SelfSubjectAccessReview) whether the client's identity, impersonated
or not, may do one thing. `service_account_token` gets a real token of a
service account (TokenRequest API) and `write_token_kubeconfig` writes a
kubeconfig authenticating with it, so `syncd run` can run as that account.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
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


def service_account_token(
    admin: KubeHttp, namespace: str, name: str, *, seconds: int = 3600
) -> str:
    """A token of service account `namespace/name`, from the TokenRequest API (as admin)."""
    resp = admin.post(
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        },
    )
    assert resp.status == 201, resp.text
    token: str = resp.json()["status"]["token"]
    return token


def write_token_kubeconfig(control_plane: ControlPlane, path: Path, token: str) -> Path:
    """A kubeconfig for the plane's API server authenticating with `token`; returns `path`."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "syncd-local",
                "cluster": {
                    "server": control_plane.server,
                    "certificate-authority": str(control_plane.ca_file),
                },
            }
        ],
        "users": [{"name": "token", "user": {"token": token}}],
        "contexts": [{"name": "token", "context": {"cluster": "syncd-local", "user": "token"}}],
        "current-context": "token",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)
    return path


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
