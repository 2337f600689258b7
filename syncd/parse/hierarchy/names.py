"""The names Config Sync repositories use, and syncd's equivalents, in one place.

A repository written for Config Sync must sync unchanged, so every kind and
annotation is accepted under both Config Sync's name and syncd's
(`syncd.dev`). Nothing else in the package spells these strings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef

CONFIG_MANAGEMENT_GROUP: Final = "configmanagement.gke.io"
CLUSTER_REGISTRY_GROUP: Final = "clusterregistry.k8s.io"
SYNCD_GROUP: Final = "syncd.dev"

# Top-level directories of a hierarchy repository.
SYSTEM_DIR: Final = "system"
CLUSTER_DIR: Final = "cluster"
CLUSTER_REGISTRY_DIR: Final = "clusterregistry"
NAMESPACES_DIR: Final = "namespaces"
TOP_LEVEL_DIRS: Final = frozenset({SYSTEM_DIR, CLUSTER_DIR, CLUSTER_REGISTRY_DIR, NAMESPACES_DIR})

# Repo spec.version values Config Sync accepts.
REPO_VERSIONS: Final = frozenset({"1.0.0", "0.1.0"})

NAMESPACE_SELECTOR_ANNOTATIONS: Final = (
    "configmanagement.gke.io/namespace-selector",
    "syncd.dev/namespace-selector",
)
CLUSTER_SELECTOR_ANNOTATIONS: Final = (
    "configmanagement.gke.io/cluster-selector",
    "syncd.dev/cluster-selector",
)
CLUSTER_NAME_SELECTOR_ANNOTATIONS: Final = (
    "configsync.gke.io/cluster-name-selector",
    "syncd.dev/cluster-name-selector",
)


class ConfigKind(StrEnum):
    """The kinds that configure syncd itself; they are read, never applied."""

    NAMESPACE_SELECTOR = "NamespaceSelector"
    CLUSTER_SELECTOR = "ClusterSelector"
    HIERARCHY_CONFIG = "HierarchyConfig"
    REPO = "Repo"
    CLUSTER = "Cluster"


_GROUPS: Final = {
    ConfigKind.NAMESPACE_SELECTOR: frozenset({CONFIG_MANAGEMENT_GROUP, SYNCD_GROUP}),
    ConfigKind.CLUSTER_SELECTOR: frozenset({CONFIG_MANAGEMENT_GROUP, SYNCD_GROUP}),
    ConfigKind.HIERARCHY_CONFIG: frozenset({CONFIG_MANAGEMENT_GROUP, SYNCD_GROUP}),
    ConfigKind.REPO: frozenset({CONFIG_MANAGEMENT_GROUP, SYNCD_GROUP}),
    ConfigKind.CLUSTER: frozenset({CLUSTER_REGISTRY_GROUP, SYNCD_GROUP}),
}

# Groups whose kinds a HierarchyConfig may not configure.
UNCONFIGURABLE_GROUPS: Final = frozenset({CONFIG_MANAGEMENT_GROUP, SYNCD_GROUP})


def config_kind(ref: ObjectRef) -> ConfigKind | None:
    """Which configuration kind `ref` is, under either name; None for ordinary objects."""
    try:
        kind = ConfigKind(ref.kind)
    except ValueError:
        return None
    return kind if ref.group in _GROUPS[kind] else None


def is_namespace(ref: ObjectRef) -> bool:
    """Whether `ref` is a core Namespace."""
    return ref.group == "" and ref.kind == "Namespace"


def annotation_values(manifest: Manifest, keys: tuple[str, ...]) -> dict[str, str]:
    """`key -> value` for those of `keys` (one annotation's aliases) the object carries.

    A value that is not a string is reported as its text so that it can never
    be mistaken for an absent annotation.
    """
    found: dict[str, str] = {}
    for key in keys:
        if key in manifest.annotations:
            value = manifest.annotations[key]
            found[key] = value if isinstance(value, str) else repr(value)
    return found
