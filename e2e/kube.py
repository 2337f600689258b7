"""Small helpers shared by e2e tests that talk to the API server."""

from __future__ import annotations

import uuid
from typing import Any

from syncd.devenv.kubehttp import KubeHttp, Response
from syncd.devenv.proc import wait_until


def unique(prefix: str) -> str:
    """A DNS-1123 name unique to this call."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_namespace(admin: KubeHttp, name: str) -> None:
    """Create a namespace, failing the test on any error."""
    resp = admin.post("/api/v1/namespaces", {"metadata": {"name": name}})
    assert resp.status == 201, resp.text


def configmap(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    """A ConfigMap manifest."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def wait_status(client: KubeHttp, path: str, expected: int, *, timeout: float = 30.0) -> Response:
    """Poll GET `path` until it answers `expected`; return that response."""

    def probe() -> Response | None:
        resp = client.get(path)
        return resp if resp.status == expected else None

    return wait_until(probe, timeout=timeout, what=f"GET {path} -> {expected}", interval=0.1)


def wait_condition(
    client: KubeHttp, path: str, cond_type: str, *, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll GET `path` until status.conditions has `cond_type` True; return the object."""

    def probe() -> dict[str, Any] | None:
        resp = client.get(path)
        if resp.status != 200:
            return None
        obj: dict[str, Any] = resp.json()
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if cond.get("type") == cond_type and cond.get("status") == "True":
                return obj
        return None

    return wait_until(probe, timeout=timeout, what=f"{path} {cond_type}=True", interval=0.2)


def widget_crd(group: str) -> dict[str, Any]:
    """A namespaced CRD `widgets.<group>` with a status subresource and a validated spec."""
    return namespaced_crd(group, "Widget", spec={"size": {"type": "integer", "minimum": 1}})


def namespaced_crd(group: str, kind: str, *, spec: dict[str, Any]) -> dict[str, Any]:
    """A namespaced CRD for `kind` (plural: lowercase + s) whose spec has the `spec` properties.

    It has a status subresource with a string `status.phase`.
    """
    singular = kind.lower()
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{singular}s.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": f"{singular}s", "singular": singular, "kind": kind},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {"type": "object", "properties": spec},
                                "status": {
                                    "type": "object",
                                    "properties": {"phase": {"type": "string"}},
                                },
                            },
                        }
                    },
                }
            ],
        },
    }


def merge_patch(client: KubeHttp, path: str, patch: Any, *, manager: str) -> Response:
    """A JSON merge patch recorded under field manager `manager` (like `kubectl edit`)."""
    return client.request(
        "PATCH",
        f"{path}?fieldManager={manager}",
        body=patch,
        content_type="application/merge-patch+json",
    )
