"""Resource types, object builders and request filters for unit tests that use FakeCluster."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from syncd.core.ports import ResourceType
from syncd.core.refs import ObjectRef
from syncd.testing.fake_cluster import FakeCluster, FakeVerb

CONFIGMAP = ResourceType(
    group="", version="v1", kind="ConfigMap", resource="configmaps", namespaced=True
)
SECRET = ResourceType(group="", version="v1", kind="Secret", resource="secrets", namespaced=True)
NAMESPACE = ResourceType(
    group="", version="v1", kind="Namespace", resource="namespaces", namespaced=False
)
EVENT = ResourceType(group="", version="v1", kind="Event", resource="events", namespaced=True)
CRD = ResourceType(
    group="apiextensions.k8s.io",
    version="v1",
    kind="CustomResourceDefinition",
    resource="customresourcedefinitions",
    namespaced=False,
)
CLUSTER_ROLE = ResourceType(
    group="rbac.authorization.k8s.io",
    version="v1",
    kind="ClusterRole",
    resource="clusterroles",
    namespaced=False,
)
DEPLOYMENT = ResourceType(
    group="apps", version="v1", kind="Deployment", resource="deployments", namespaced=True
)
WIDGET = ResourceType(
    group="ex.com", version="v1", kind="Widget", resource="widgets", namespaced=True
)
ROOT_SYNC = ResourceType(
    group="syncd.dev", version="v1beta1", kind="RootSync", resource="rootsyncs", namespaced=True
)
RESOURCE_GROUP = ResourceType(
    group="syncd.dev",
    version="v1beta1",
    kind="ResourceGroup",
    resource="resourcegroups",
    namespaced=True,
)
BUILTIN_TYPES = (
    CONFIGMAP,
    SECRET,
    NAMESPACE,
    EVENT,
    DEPLOYMENT,
    CRD,
    CLUSTER_ROLE,
    ROOT_SYNC,
    RESOURCE_GROUP,
)

REPO_SYNC = ResourceType(
    group="syncd.dev", version="v1beta1", kind="RepoSync", resource="reposyncs", namespaced=True
)
SERVICE_ACCOUNT = ResourceType(
    group="", version="v1", kind="ServiceAccount", resource="serviceaccounts", namespaced=True
)
ROLE_BINDING = ResourceType(
    group="rbac.authorization.k8s.io",
    version="v1",
    kind="RoleBinding",
    resource="rolebindings",
    namespaced=True,
)
CLUSTER_ROLE_BINDING = ResourceType(
    group="rbac.authorization.k8s.io",
    version="v1",
    kind="ClusterRoleBinding",
    resource="clusterrolebindings",
    namespaced=False,
)
TENANCY_TYPES = (*BUILTIN_TYPES, REPO_SYNC, SERVICE_ACCOUNT, ROLE_BINDING, CLUSTER_ROLE_BINDING)
"""BUILTIN_TYPES and what tenancy needs (RepoSync, accounts, bindings)."""

# Verbs that change something on the server.
WRITE_VERBS = frozenset(
    {
        FakeVerb.APPLY,
        FakeVerb.DRY_RUN_APPLY,
        FakeVerb.MERGE_PATCH,
        FakeVerb.REPLACE_STATUS,
        FakeVerb.CREATE,
        FakeVerb.DELETE,
    }
)


def ref_of(rtype: ResourceType, name: str, namespace: str = "") -> ObjectRef:
    """The identity of an object of `rtype` (namespace ignored for cluster-scoped types)."""
    return ObjectRef(
        group=rtype.group,
        kind=rtype.kind,
        namespace=namespace if rtype.namespaced else "",
        name=name,
        version=rtype.version,
    )


def cm_ref(name: str, namespace: str = "app") -> ObjectRef:
    return ref_of(CONFIGMAP, name, namespace)


def configmap(name: str, namespace: str = "app", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(data) or {"key": name},
    }


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def crd(group: str = "ex.com", kind: str = "Widget", plural: str = "widgets") -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": plural},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }


def requests_since(cluster: FakeCluster, start: int) -> list[tuple[str, str]]:
    """The requests the cluster recorded after the first `start` ones."""
    return cluster.requests[start:]


def verbs(requests: Iterable[tuple[str, str]], wanted: Iterable[str]) -> list[tuple[str, str]]:
    """The requests whose verb is one of `wanted`."""
    keep = {str(v) for v in wanted}
    return [r for r in requests if r[0] in keep]


def cluster_role(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [],
    }


def deployment(name: str, namespace: str = "app") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": 1},
    }


def widget(name: str, namespace: str = "app") -> dict[str, Any]:
    return {
        "apiVersion": "ex.com/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"size": 1},
    }


def root_sync(
    spec: dict[str, Any] | None = None, name: str = "root", namespace: str = "syncd-system"
) -> dict[str, Any]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec if spec is not None else {"git": {"repo": "https://git.example/repo.git"}},
    }
