"""Reading a package directory locally, exactly as the controller does.

Shared by `syncd vet` and `syncd render`: decode every file, validate, order
(depends-on). Scope (namespaced or not) comes from the cluster's discovery
when a kubeconfig is given, otherwise from the built-in kinds below; kinds
known to neither are left for the controller to judge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.errors import ClusterError, SyncdError
from syncd.core.ordering import OrderResult, apply_waves
from syncd.core.results import DecodeResult, ValidationResult
from syncd.parse.decode import decode_directory
from syncd.parse.validate import ScopeRules, validate

CLUSTER_SCOPED: Final = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("apiregistration.k8s.io", "APIService"),
    }
)
NAMESPACED: Final = frozenset(
    {
        ("", "ConfigMap"),
        ("", "Secret"),
        ("", "Service"),
        ("", "ServiceAccount"),
        ("", "Pod"),
        ("", "PersistentVolumeClaim"),
        ("", "ResourceQuota"),
        ("", "LimitRange"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("networking.k8s.io", "Ingress"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("policy", "PodDisruptionBudget"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """A directory as the controller would see it."""

    decoded: DecodeResult
    validation: ValidationResult
    order: OrderResult

    @property
    def errors(self) -> tuple[SyncdError, ...]:
        """Every coded error, in pipeline order."""
        return self.decoded.errors + self.validation.errors + self.order.errors


def builtin_scope(group: str, kind: str) -> bool | None:
    """Whether a well-known kind is namespaced; None for kinds this table does not know."""
    if (group, kind) in CLUSTER_SCOPED:
        return False
    if (group, kind) in NAMESPACED:
        return True
    return None


def scope_from(kubeconfig: Path | None) -> Callable[[str, str], bool | None]:
    """Discovery-backed scope when a kubeconfig is given, else the built-in table."""
    if kubeconfig is None:
        return builtin_scope
    cluster = KubeClient(load_connection(kubeconfig))

    def from_cluster(group: str, kind: str) -> bool | None:
        try:
            return cluster.resource_type(group, kind).namespaced
        except ClusterError:
            return builtin_scope(group, kind)

    return from_cluster


def load_package(directory: Path, *, scope: Callable[[str, str], bool | None]) -> Package:
    """Decode, validate and order `directory` like one controller run does."""
    decoded = decode_directory(directory)
    validation = validate(decoded.manifests, scope=ScopeRules(is_namespaced=scope))
    return Package(decoded=decoded, validation=validation, order=apply_waves(validation.manifests))
