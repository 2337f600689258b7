"""Reading a package directory locally, exactly as the controller does.

Shared by `syncd vet` and `syncd render`: decode every file, validate, order
(depends-on). Scope (namespaced or not) comes from the cluster's discovery
when a kubeconfig is given, otherwise from the built-in kinds below; kinds
known to neither are left for the controller to judge. The decode limits
default to the controller's defaults; `--max-file-bytes`, `--max-package-bytes`,
`--max-objects` and `--max-depth` match a controller whose SYNCD_MAX_* differ.

Everything printed from a package goes through `one_line`: messages quote
names, kinds and paths from the package, and none of them may break a line.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.errors import ClusterError, SyncdError
from syncd.core.limits import DEPTH_CEILING, DecodeLimits
from syncd.core.ordering import OrderResult, apply_waves
from syncd.core.results import DecodeResult, ValidationResult
from syncd.parse.decode import decode_directory
from syncd.parse.text import display_path, escape_unsafe
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


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """The `--max-*` options (defaults: the controller's SYNCD_MAX_* defaults)."""
    defaults = DecodeLimits()
    for flag, default, what in (
        ("--max-file-bytes", defaults.max_file_bytes, "largest manifest file"),
        ("--max-package-bytes", defaults.max_package_bytes, "largest total of manifest files"),
        ("--max-objects", defaults.max_objects, "most documents and objects"),
        ("--max-depth", defaults.max_depth, f"deepest nesting (at most {DEPTH_CEILING})"),
    ):
        parser.add_argument(
            flag, type=_positive, default=default, metavar="N", help=f"{what} (default {default})"
        )


def limits_from(args: argparse.Namespace) -> DecodeLimits:
    """The limits the `--max-*` options ask for."""
    return DecodeLimits(
        max_file_bytes=args.max_file_bytes,
        max_package_bytes=args.max_package_bytes,
        max_objects=args.max_objects,
        max_depth=min(args.max_depth, DEPTH_CEILING),
    )


def one_line(text: str) -> str:
    """`text` with every character that could break or fake a line escaped."""
    return escape_unsafe(text)


def shown_path(path: Path | str) -> str:
    """A path for output: escaped and quoted when it holds unsafe characters."""
    return display_path(str(path))


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def load_package(
    directory: Path,
    *,
    scope: Callable[[str, str], bool | None],
    limits: DecodeLimits | None = None,
) -> Package:
    """Decode, validate and order `directory` like one controller run does."""
    decoded = decode_directory(directory, limits=limits or DecodeLimits())
    validation = validate(decoded.manifests, scope=ScopeRules(is_namespaced=scope))
    return Package(decoded=decoded, validation=validation, order=apply_waves(validation.manifests))
