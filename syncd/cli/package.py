"""Reading a package directory locally, exactly as the controller does.

Shared by `syncd vet` and `syncd render`: render (the controller's own render
stage and tools: kustomize, Helm, plain files), validate, order (depends-on).
Render options and the default namespace come from `--sync FILE` (the
RootSync or RepoSync manifest the controller reads) and `--default-namespace`.
Scope (namespaced or not) comes from the cluster's discovery when a
kubeconfig is given, otherwise from the built-in kinds below; kinds
known to neither are left for the controller to judge. The decode limits
default to the controller's defaults; `--max-file-bytes`, `--max-package-bytes`,
`--max-objects` and `--max-depth` match a controller whose SYNCD_MAX_* differ.

Everything printed from a package goes through `one_line`: messages quote
names, kinds and paths from the package, and none of them may break a line.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from syncd.api.models import (
    ROOT_DEFAULT_NAMESPACE,
    RepoSync,
    RootSync,
    parse_repo_sync,
    parse_root_sync,
)
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.errors import ClusterError, SyncdError, SyncSpecError
from syncd.core.limits import DEPTH_CEILING, DecodeLimits
from syncd.core.ordering import OrderResult
from syncd.core.render import RenderedBundle, RenderOptions
from syncd.core.sync import SYNCD_GROUP
from syncd.parse.decode import decode_text
from syncd.parse.text import display_path, escape_unsafe
from syncd.reconcile.parsing import ReadOptions, options_of, read_rendered
from syncd.reconcile.reporting import Parsed
from syncd.render.stage import PackageRenderer, RenderRequest
from syncd.render.tools import HELM_SETTING, KUSTOMIZE_SETTING, Tools

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
    """A directory as the controller would see it: rendered, then read as one commit."""

    bundle: RenderedBundle
    parsed: Parsed

    @property
    def order(self) -> OrderResult:
        """The apply waves."""
        return self.parsed.order

    @property
    def errors(self) -> tuple[SyncdError, ...]:
        """Every coded error, in pipeline order."""
        parsed = self.parsed
        return (
            parsed.parse_errors
            + parsed.render_errors
            + parsed.validation.errors
            + parsed.order.errors
        )


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


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadSettings:
    """How to read a package: the controller's read options, and the tools and checkout."""

    options: ReadOptions = field(
        default_factory=lambda: ReadOptions(
            render=RenderOptions(), default_namespace=ROOT_DEFAULT_NAMESPACE
        )
    )
    tools: Tools | None = None
    root: Path | None = None
    """The checkout the package lies in (default: the nearest ancestor holding `.git`)."""


def checkout_root(directory: Path) -> Path:
    """The nearest ancestor of `directory` (itself included) that holds `.git`, else `directory`."""
    resolved = directory.resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            return candidate
    return resolved


def load_package(
    directory: Path,
    *,
    scope: Callable[[str, str], bool | None],
    limits: DecodeLimits | None = None,
    settings: ReadSettings | None = None,
) -> Package:
    """Render, validate and order `directory` like one controller run does."""
    settings = settings or ReadSettings()
    tools = settings.tools or Tools(
        kustomize=_env_path(KUSTOMIZE_SETTING), helm=_env_path(HELM_SETTING)
    )
    renderer = PackageRenderer(tools=tools, decode_limits=limits or DecodeLimits())
    options = settings.options
    bundle = renderer.render(
        RenderRequest(
            root=settings.root or checkout_root(directory),
            package=directory.resolve(),
            options=options.render,
            default_namespace=options.default_namespace,
            user_git=True,
        )
    )
    parsed = read_rendered("", bundle, options=options, is_namespaced=scope)
    return Package(bundle=bundle, parsed=parsed)


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """`--sync`, `--default-namespace`, `--kustomize`, `--helm`: read as the controller would."""
    group = parser.add_argument_group("rendering (as the controller renders)")
    group.add_argument(
        "--sync",
        type=Path,
        metavar="FILE",
        help="a RootSync or RepoSync manifest: its spec.render and default namespace apply",
    )
    group.add_argument(
        "--default-namespace",
        metavar="NS",
        help="namespace for namespaced objects that name none (default: the sync's, else default)",
    )
    group.add_argument(
        "--cluster-name",
        metavar="NAME",
        default=os.environ.get("SYNCD_CLUSTER_NAME", ""),
        help="the cluster's name for ClusterSelectors (default $SYNCD_CLUSTER_NAME)",
    )
    group.add_argument(
        "--kustomize",
        type=Path,
        metavar="PATH",
        help="kustomize binary (default $SYNCD_KUSTOMIZE, else kustomize on PATH)",
    )
    group.add_argument(
        "--helm",
        type=Path,
        metavar="PATH",
        help="helm binary (default $SYNCD_HELM, else helm on PATH)",
    )


def read_settings_from(args: argparse.Namespace, *, limits: DecodeLimits) -> ReadSettings:
    """The ReadSettings the render options ask for; SyncSpecError for a bad `--sync` file."""
    options = ReadSettings().options
    if args.sync is not None:
        options = options_of(_read_sync(args.sync, limits=limits))
    options = dataclasses.replace(
        options,
        default_namespace=args.default_namespace or options.default_namespace,
        cluster_name=args.cluster_name,
    )
    tools = Tools(
        kustomize=args.kustomize or _env_path(KUSTOMIZE_SETTING),
        helm=args.helm or _env_path(HELM_SETTING),
    )
    return ReadSettings(options=options, tools=tools)


def _read_sync(path: Path, *, limits: DecodeLimits) -> RootSync | RepoSync:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SyncSpecError(f"--sync {shown_path(path)}: cannot be read: {exc}") from None
    decoded = decode_text(text, source_path=str(path), limits=limits)
    if decoded.errors:
        raise SyncSpecError(f"--sync {shown_path(path)}: {decoded.errors[0].message}")
    for manifest in decoded.manifests:
        if manifest.ref.group == SYNCD_GROUP and manifest.ref.kind == "RootSync":
            return parse_root_sync(manifest.body)
        if manifest.ref.group == SYNCD_GROUP and manifest.ref.kind == "RepoSync":
            return parse_repo_sync(manifest.body)
    raise SyncSpecError(f"--sync {shown_path(path)}: holds no RootSync or RepoSync")


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "")
    return Path(value) if value else None
