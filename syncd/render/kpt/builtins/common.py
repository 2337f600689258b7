"""What the built-in functions share: reading their functionConfig, matching kinds, scope.

A functionConfig is either a ConfigMap (its `data`) or the function's typed
kind (`fn.kpt.dev/v1alpha1`). Scope follows the kpt SDK: kinds Kubernetes
knows to be cluster-scoped are; other objects are namespaced when they set
`metadata.namespace` or are a known namespaced kind.
"""

from __future__ import annotations

from typing import Any, Final

from syncd.render.kpt.model import FunctionOutcome, Result

FN_GROUP_VERSION: Final = "fn.kpt.dev/v1alpha1"

CLUSTER_SCOPED: Final = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "APIService",
        "StorageClass",
        "CSIDriver",
        "CSINode",
        "PriorityClass",
        "RuntimeClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "PodSecurityPolicy",
        "VolumeAttachment",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "ComponentStatus",
    }
)
NAMESPACED: Final = frozenset(
    {
        "ConfigMap",
        "Secret",
        "Service",
        "ServiceAccount",
        "Pod",
        "PodTemplate",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
        "Role",
        "RoleBinding",
        "Ingress",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "LimitRange",
        "ResourceQuota",
        "Endpoints",
        "EndpointSlice",
        "Lease",
        "Event",
    }
)


def group_of(item: dict[str, Any]) -> str:
    """The API group of an item (`""` for the core group)."""
    version = item.get("apiVersion")
    if not isinstance(version, str) or "/" not in version:
        return ""
    return version.split("/", 1)[0]


def is_kind(item: dict[str, Any], kind: str, *, group: str | None = None) -> bool:
    """Whether the item is `kind` (in `group`, when one is given)."""
    return item.get("kind") == kind and (group is None or group_of(item) == group)


def is_cluster_scoped(item: dict[str, Any]) -> bool:
    """Whether the item is one of the kinds Kubernetes keeps at cluster scope."""
    return item.get("kind") in CLUSTER_SCOPED


def is_namespaced(item: dict[str, Any]) -> bool:
    """Whether the item is namespace-scoped, as far as the package can tell."""
    if is_cluster_scoped(item):
        return False
    metadata = item.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("namespace"), str):
        return True
    return item.get("kind") in NAMESPACED


def config_data(config: dict[str, Any] | None) -> dict[str, str] | None:
    """A ConfigMap functionConfig's `data` (values as strings), None when not a ConfigMap."""
    if config is None or config.get("kind") != "ConfigMap" or group_of(config) != "":
        return None
    data = config.get("data") or {}
    if not isinstance(data, dict):
        return {}
    return {
        str(key): value if isinstance(value, str) else str(value) for key, value in data.items()
    }


def is_typed(config: dict[str, Any] | None, kind: str) -> bool:
    """Whether the functionConfig is the function's own kind in `fn.kpt.dev`."""
    if config is None or config.get("kind") != kind:
        return False
    version = config.get("apiVersion")
    return isinstance(version, str) and version.startswith("fn.kpt.dev/")


def config_name(config: dict[str, Any] | None) -> str:
    """The functionConfig's `metadata.name`."""
    metadata = (config or {}).get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else ""


def string_map(value: object) -> dict[str, str] | None:
    """A mapping of strings (values converted), None when not a mapping."""
    if not isinstance(value, dict):
        return None
    return {str(key): "" if item is None else str(item) for key, item in value.items()}


def failure(message: str) -> FunctionOutcome:
    """The outcome of a function that refuses its input or config: one error result."""
    return FunctionOutcome(items=None, results=(Result(severity="error", message=message),))


def info(items: list[dict[str, Any]], message: str) -> FunctionOutcome:
    """A successful outcome with one informational result."""
    return FunctionOutcome(items=items, results=(Result(severity="info", message=message),))


def nested(item: dict[str, Any], *path: str) -> dict[str, Any] | None:
    """The mapping at `path` under `item`, None when any step is missing or not a mapping."""
    current: object = item
    for key in path:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current if isinstance(current, dict) else None


def ensure(item: dict[str, Any], *path: str) -> dict[str, Any] | None:
    """The mapping at `path`, created where missing; None when a step holds a non-mapping."""
    current = item
    for key in path:
        child = current.get(key)
        if child is None:
            child = {}
            current[key] = child
        if not isinstance(child, dict):
            return None
        current = child
    return current
