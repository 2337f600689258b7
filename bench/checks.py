"""What the harness asks the API server outside the timed window.

Waiting for the API server's own bootstrap objects, creating a contender's
namespace, and verifying a namespace after a phase with one LIST.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

APPLYSET_ID_LABEL = "applyset.kubernetes.io/id"


def wait_for_bootstrap(admin: KubeHttp) -> None:
    """Wait until the API server has created its own objects, so they do not count."""

    def settled() -> bool:
        path = "/api/v1/namespaces/default/services/kubernetes"
        return (
            admin.get(path).status == 200
            and admin.get("/api/v1/namespaces/kube-system").status == 200
        )

    wait_until(settled, timeout=60.0, what="the API server's bootstrap objects")


def create_namespace(admin: KubeHttp, namespace: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    resp = admin.post("/api/v1/namespaces", body)
    if resp.status != 201:
        raise RuntimeError(f"creating namespace {namespace}: {resp.status} {resp.text[:200]}")


def verify(
    admin: KubeHttp,
    namespace: str,
    expected: dict[str, str],
    labels: Mapping[str, str] | None = None,
) -> str:
    """One LIST; '' if the namespace holds exactly `expected` (name -> data.version).

    With `labels`, every one of those ConfigMaps must also carry those labels.
    """
    resp = admin.get(f"/api/v1/namespaces/{namespace}/configmaps")
    if resp.status != 200:
        return f"LIST configmaps failed: {resp.status} {resp.text[:200]}"
    live: dict[str, str | None] = {}
    unlabelled: list[str] = []
    for item in resp.json()["items"]:
        meta = item["metadata"]
        have = meta.get("labels") or {}
        if APPLYSET_ID_LABEL in have:
            continue  # an ApplySet parent, not a declared object
        live[meta["name"]] = (item.get("data") or {}).get("version")
        if any(have.get(k) != v for k, v in (labels or {}).items()):
            unlabelled.append(meta["name"])
    missing = sorted(set(expected) - set(live))
    extra = sorted(set(live) - set(expected))
    wrong = sorted(n for n in set(live) & set(expected) if live[n] != expected[n])
    unlabelled.sort()
    if not (missing or extra or wrong or unlabelled):
        return ""
    parts = [f"{len(live)} ConfigMaps, expected {len(expected)}"]
    found = (
        ("missing", missing),
        ("unexpected", extra),
        ("wrong version", wrong),
        ("without the expected labels", unlabelled),
    )
    for label, names in found:
        if names:
            parts.append(f"{len(names)} {label} (e.g. {', '.join(names[:3])})")
    return "; ".join(parts)
