"""Canonical wire objects shared by the api tests: every field set, as the server returns them."""

from __future__ import annotations

from typing import Any

META: dict[str, Any] = {"name": "root", "namespace": "syncd-system"}


def root_sync(spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": dict(META),
        "spec": spec,
        **extra,
    }


CANONICAL_RENDER: dict[str, Any] = {
    "renderer": "auto",
    "kustomize": {"loadRestrictor": "rootOnly"},
    "helm": {"valuesFiles": [], "includeCRDs": True},
}
CANONICAL_OVERRIDE: dict[str, Any] = {
    "reconcileTimeout": "5m",
    "apiServerTimeout": "15s",
    "statusMode": "enabled",
    "roleRefs": [],
}

CANONICAL_ROOT_SYNC: dict[str, Any] = {
    "apiVersion": "syncd.dev/v1beta1",
    "kind": "RootSync",
    "metadata": {
        "name": "root",
        "namespace": "syncd-system",
        "generation": 3,
        "resourceVersion": "4711",
        "uid": "0b7c7f0e-1111-2222-3333-444455556666",
        "labels": {"team": "platform"},
        "annotations": {"note": "x"},
        "creationTimestamp": "2024-05-01T12:00:00Z",
        "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
    },
    "spec": {
        "sourceType": "git",
        "git": {
            "repo": "https://git.example/platform.git",
            "branch": "main",
            "revision": "v1.2.3",
            "dir": "clusters/prod",
            "period": "1m30s",
            "auth": "token",
            "secretRef": {"name": "git-creds"},
            "caCertSecretRef": {"name": "git-ca"},
            "noSSLVerify": False,
        },
        "suspend": False,
        "render": CANONICAL_RENDER,
        "sourceFormat": "hierarchy",
        "override": {
            "reconcileTimeout": "10m",
            "apiServerTimeout": "30s",
            "statusMode": "disabled",
            "prune": {"maxDeletes": 10, "maxDeletePercent": 25},
            "roleRefs": [
                {"kind": "ClusterRole", "name": "edit"},
                {"kind": "Role", "name": "admin", "namespace": "apps"},
            ],
        },
    },
    "status": {
        "observedGeneration": 3,
        "lastSyncedCommit": "abc1234def",
        "source": {"commit": "abc1234def", "lastUpdate": "2024-05-01T12:00:00Z", "errors": []},
        "rendering": {
            "commit": "abc1234def",
            "lastUpdate": "2024-05-01T12:00:01Z",
            "errors": [],
            "message": "Rendering not required",
        },
        "sync": {
            "commit": "abc1234def",
            "lastUpdate": "2024-05-01T12:00:02.5+02:00",
            "errors": [
                {
                    "code": "SD2009",
                    "message": "admission webhook refused",
                    "resources": [
                        {
                            "sourcePath": "apps/web.yaml",
                            "group": "apps",
                            "kind": "Deployment",
                            "namespace": "apps",
                            "name": "web",
                        }
                    ],
                }
            ],
            "errorSummary": {"totalCount": 1, "truncated": False},
            "applied": 4,
            "unchanged": 10,
            "pruned": 1,
            "failed": 1,
            "total": 15,
        },
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "ApplyFailed",
                "message": "1 object failed",
                "lastTransitionTime": "2024-05-01T12:00:02Z",
                "observedGeneration": 3,
            }
        ],
        "summary": {"state": "Error", "errorCount": 1, "shortCommit": "abc1234"},
    },
}

CANONICAL_REPO_SYNCS: list[dict[str, Any]] = [
    {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": "tenant", "namespace": "team-a"},
        "spec": {
            "sourceType": "oci",
            "sourceFormat": "unstructured",
            "oci": {
                "image": "registry.example/team-a/config@sha256:" + "a" * 64,
                "dir": ".",
                "period": "30s",
                "auth": "basic",
                "secretRef": {"name": "pull"},
                "verify": {"secretRef": {"name": "cosign-pub"}},
            },
            "suspend": True,
            "render": CANONICAL_RENDER,
            "serviceAccountName": "deployer",
            "override": {
                "reconcileTimeout": "5m",
                "apiServerTimeout": "15s",
                "statusMode": "enabled",
            },
        },
    },
    {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": "tenant", "namespace": "team-a"},
        "spec": {
            "sourceType": "helm",
            "sourceFormat": "unstructured",
            "helm": {
                "repo": "oci://registry.example/charts",
                "chart": "web",
                "version": "^1.2",
                "releaseName": "web",
                "namespace": "team-a",
                "values": {"replicas": 3, "image": {"tag": None}, "list": [1, "two"]},
                "valuesFileRefs": [{"name": "web-values", "key": "prod.yaml"}],
                "includeCRDs": True,
                "period": "1h",
                "auth": "none",
            },
            "suspend": False,
            "render": CANONICAL_RENDER,
            "override": {
                "reconcileTimeout": "5m",
                "apiServerTimeout": "15s",
                "statusMode": "enabled",
            },
        },
    },
]

CANONICAL_RESOURCE_GROUP: dict[str, Any] = {
    "apiVersion": "syncd.dev/v1beta1",
    "kind": "ResourceGroup",
    "metadata": {
        "name": "root",
        "namespace": "syncd-system",
        "labels": {"applyset.kubernetes.io/id": "applyset-abc-v1"},
    },
    "spec": {
        "resources": [
            {"group": "", "kind": "Namespace", "namespace": "", "name": "apps"},
            {"group": "apps", "kind": "Deployment", "namespace": "apps", "name": "web"},
        ],
        "claims": [{"group": "", "kind": "ConfigMap", "namespace": "apps", "name": "shared"}],
    },
    "status": {
        "observedGeneration": 2,
        "resourceCount": 2,
        "objects": {
            "current": ["Namespace/apps"],
            "failed": [],
            "inProgress": ["Deployment.apps/apps/web"],
            "notFound": [],
            "terminating": [],
            "unknown": [],
        },
    },
}
