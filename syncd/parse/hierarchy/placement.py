"""Sorting a hierarchy repository's objects by top-level directory and scope.

The first step of `read_hierarchy`, as Config Sync does it:

- files at the root or outside `system/`, `cluster/`, `clusterregistry/` and
  `namespaces/` are not read at all (Config Sync ignores them; their paths
  are returned so callers can say so);
- Repo and HierarchyConfig belong in `system/`, Cluster and ClusterSelector
  in `clusterregistry/`, Namespaces, NamespaceSelectors and namespaced
  objects in `namespaces/`, other cluster-scoped objects in `cluster/`;
  anything elsewhere is SD1113. A kind discovery does not know takes the
  scope of its directory (`cluster/` or `namespaces/`);
- a Namespace directly in `namespaces/` is SD1109, one whose name is not its
  directory's SD1110; a namespaced object whose `metadata.namespace` is not
  its directory's name, and a cluster-scoped one with a namespace, SD1053;
  the namespace-selector annotation on a cluster-scoped object or a
  Namespace is SD1101.

Objects with an error are dropped, except a Namespace carrying the
namespace-selector annotation (reported; the annotation has no effect).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy.names import (
    CLUSTER_DIR,
    CLUSTER_REGISTRY_DIR,
    NAMESPACE_SELECTOR_ANNOTATIONS,
    NAMESPACES_DIR,
    SYSTEM_DIR,
    TOP_LEVEL_DIRS,
    ConfigKind,
    annotation_values,
    config_kind,
    is_namespace,
)
from syncd.parse.hierarchy.problems import object_error

_HOME = {
    ConfigKind.REPO: SYSTEM_DIR,
    ConfigKind.HIERARCHY_CONFIG: SYSTEM_DIR,
    ConfigKind.CLUSTER: CLUSTER_REGISTRY_DIR,
    ConfigKind.CLUSTER_SELECTOR: CLUSTER_REGISTRY_DIR,
    ConfigKind.NAMESPACE_SELECTOR: NAMESPACES_DIR,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Placed:
    """The objects of a hierarchy repository, by role, with placement errors."""

    repos: tuple[Manifest, ...]
    hierarchy_configs: tuple[Manifest, ...]
    cluster_registry: tuple[Manifest, ...]
    namespace_selectors: tuple[Manifest, ...]
    cluster: tuple[Manifest, ...]
    namespaces: tuple[Manifest, ...]
    namespaced: tuple[Manifest, ...]
    broken_dirs: frozenset[str]
    ignored_paths: tuple[str, ...]
    errors: tuple[SyncdError, ...]


def directory_of(manifest: Manifest) -> str:
    """The declaring file's directory (`namespaces/eng/web`)."""
    return manifest.source_path.rpartition("/")[0]


def base_name(directory: str) -> str:
    """The last segment of a directory path."""
    return directory.rpartition("/")[2]


def place(
    manifests: Sequence[Manifest], *, is_namespaced: Callable[[str, str], bool | None]
) -> Placed:
    """Sort `manifests` into their roles; see the module docstring for the rules."""
    buckets: dict[str, list[Manifest]] = {
        name: []
        for name in (
            "repos",
            "hierarchy_configs",
            "cluster_registry",
            "namespace_selectors",
            "cluster",
            "namespaces",
            "namespaced",
        )
    }
    broken: set[str] = set()
    ignored: list[str] = []
    errors: list[SyncdError] = []
    config_buckets = {
        ConfigKind.REPO: "repos",
        ConfigKind.HIERARCHY_CONFIG: "hierarchy_configs",
        ConfigKind.CLUSTER: "cluster_registry",
        ConfigKind.CLUSTER_SELECTOR: "cluster_registry",
        ConfigKind.NAMESPACE_SELECTOR: "namespace_selectors",
    }
    for manifest in manifests:
        top = manifest.source_path.split("/", 1)[0]
        if "/" not in manifest.source_path or top not in TOP_LEVEL_DIRS:
            ignored.append(manifest.source_path)
            continue
        kind = config_kind(manifest.ref)
        if kind is not None:
            if top != _HOME[kind]:
                errors.append(_misplaced(manifest, f"{kind} objects belong in {_HOME[kind]}/"))
            else:
                buckets[config_buckets[kind]].append(manifest)
            continue
        if is_namespace(manifest.ref):
            error = _namespace_error(manifest, top)
            if error is None or error.code is ErrorCode.ILLEGAL_SELECTOR_ANNOTATION:
                buckets["namespaces"].append(manifest)
            else:
                broken.add(directory_of(manifest))
            if error is not None:
                errors.append(error)
            continue
        role, error = _ordinary(manifest, top, is_namespaced)
        if error is not None:
            errors.append(error)
        else:
            buckets[role].append(manifest)
    return Placed(
        **{name: tuple(items) for name, items in buckets.items()},
        broken_dirs=frozenset(broken),
        ignored_paths=tuple(ignored),
        errors=tuple(errors),
    )


def _misplaced(manifest: Manifest, rule: str) -> SyncdError:
    return object_error(ErrorCode.WRONG_TOP_LEVEL_DIRECTORY, manifest, rule)


def _namespace_error(manifest: Manifest, top: str) -> SyncdError | None:
    directory = directory_of(manifest)
    if top != NAMESPACES_DIR:
        return _misplaced(manifest, f"Namespaces belong in {NAMESPACES_DIR}/<name>/")
    if directory == NAMESPACES_DIR:
        return object_error(
            ErrorCode.TOP_LEVEL_NAMESPACE,
            manifest,
            f"a Namespace must be declared in its own directory, {NAMESPACES_DIR}/<name>/",
        )
    if manifest.ref.name != base_name(directory):
        return object_error(
            ErrorCode.NAMESPACE_NAME_MISMATCH,
            manifest,
            f"the Namespace's name must be its directory's, {base_name(directory)!r}",
        )
    if manifest.metadata.get("namespace"):
        return object_error(
            ErrorCode.ILLEGAL_NAMESPACE, manifest, "a Namespace must not set metadata.namespace"
        )
    if annotation_values(manifest, NAMESPACE_SELECTOR_ANNOTATIONS):
        return object_error(
            ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
            manifest,
            "Namespaces cannot be namespace-selected; remove the namespace-selector annotation",
        )
    return None


def _ordinary(
    manifest: Manifest, top: str, is_namespaced: Callable[[str, str], bool | None]
) -> tuple[str, SyncdError | None]:
    """The bucket of a non-configuration object, or why it has none."""
    namespaced = is_namespaced(manifest.ref.group, manifest.ref.kind)
    if namespaced is None and top in (CLUSTER_DIR, NAMESPACES_DIR):
        namespaced = top == NAMESPACES_DIR
    misplaced = _directory_error(manifest, top, namespaced=bool(namespaced))
    if misplaced is not None:
        return "", misplaced
    if not namespaced:
        return "cluster", _cluster_scoped_error(manifest)
    declared = manifest.metadata.get("namespace")
    expected = base_name(directory_of(manifest))
    if declared and declared != expected:
        return "", object_error(
            ErrorCode.ILLEGAL_NAMESPACE,
            manifest,
            f"metadata.namespace {declared!r} must be its directory's name, {expected!r}, "
            "or be left out",
        )
    return "namespaced", None


def _directory_error(manifest: Manifest, top: str, *, namespaced: bool) -> SyncdError | None:
    """SD1113 when the object's top-level directory is not the one for its scope."""
    if top == SYSTEM_DIR:
        return _misplaced(manifest, "system/ may hold only Repo and HierarchyConfig objects")
    if top == CLUSTER_REGISTRY_DIR:
        return _misplaced(
            manifest, "clusterregistry/ may hold only Cluster and ClusterSelector objects"
        )
    if namespaced and top != NAMESPACES_DIR:
        return _misplaced(manifest, f"namespaced objects belong in {NAMESPACES_DIR}/")
    if not namespaced and top != CLUSTER_DIR:
        return _misplaced(
            manifest, f"cluster-scoped objects other than Namespaces belong in {CLUSTER_DIR}/"
        )
    return None


def _cluster_scoped_error(manifest: Manifest) -> SyncdError | None:
    if manifest.metadata.get("namespace"):
        return object_error(
            ErrorCode.ILLEGAL_NAMESPACE,
            manifest,
            f"{manifest.ref.group_kind} is cluster-scoped; remove metadata.namespace",
        )
    if annotation_values(manifest, NAMESPACE_SELECTOR_ANNOTATIONS):
        return object_error(
            ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
            manifest,
            "cluster-scoped objects cannot be namespace-selected; "
            "remove the namespace-selector annotation",
        )
    return None
