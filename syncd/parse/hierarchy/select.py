"""`select_objects`: the selectors of a Config Sync repository applied for one cluster.

Who does what, in both formats (run after `read_hierarchy` in the hierarchy
format, on its `for_selection`):

1. configuration objects are taken out and never returned: Cluster,
   ClusterSelector, NamespaceSelector, and Repo and HierarchyConfig (in the
   unstructured format these two are SD1111). A cluster-selector annotation
   on a Cluster or a selector is SD1101;
2. ClusterSelectors and cluster-name-selectors decide which objects this
   cluster gets (`cluster_selection`);
3. unstructured format only: NamespaceSelectors copy objects into the
   declared Namespaces they select (`namespace_selection`). In the hierarchy
   format `read_hierarchy` already applied them, and the annotation is left
   alone here;
4. objects declared more than once (after inheritance and copying, among
   those selected) are all dropped with one SD1029 naming every file, as
   Config Sync's final check does.

Selector annotations stay on the returned bodies, as on the objects Config
Sync applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy.cluster_selection import cluster_labels, select_for_cluster
from syncd.parse.hierarchy.names import (
    CLUSTER_NAME_SELECTOR_ANNOTATIONS,
    CLUSTER_SELECTOR_ANNOTATIONS,
    ConfigKind,
    annotation_values,
    config_kind,
)
from syncd.parse.hierarchy.namespace_selection import spread_to_namespaces
from syncd.parse.hierarchy.problems import object_error
from syncd.parse.hierarchy.results import SelectionResult
from syncd.parse.hierarchy.selectors import read_selectors
from syncd.parse.validate import drop_duplicates

_SELECTION_KINDS = (ConfigKind.CLUSTER, ConfigKind.CLUSTER_SELECTOR, ConfigKind.NAMESPACE_SELECTOR)


def select_objects(
    manifests: Sequence[Manifest],
    *,
    cluster_name: str,
    hierarchy: bool,
    is_namespaced: Callable[[str, str], bool | None] | None = None,
) -> SelectionResult:
    """Apply the repository's selectors for the cluster named `cluster_name`.

    `hierarchy` says whether `manifests` come from `read_hierarchy`. With
    `is_namespaced` (discovery), the namespace-selector annotation on a
    cluster-scoped kind is reported here (SD1101); without it, only on
    Namespaces, and the copies of other cluster-scoped kinds are left to
    validation (SD1053). Invalid objects are dropped and reported.
    """
    errors: list[SyncdError] = []
    config: dict[ConfigKind, list[Manifest]] = {kind: [] for kind in _SELECTION_KINDS}
    objects: list[Manifest] = []
    for manifest in manifests:
        kind = config_kind(manifest.ref)
        if kind is None:
            objects.append(manifest)
        elif kind in config:
            if annotation_values(
                manifest, CLUSTER_SELECTOR_ANNOTATIONS + CLUSTER_NAME_SELECTOR_ANNOTATIONS
            ):
                errors.append(
                    object_error(
                        ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
                        manifest,
                        f"{kind} objects cannot be cluster-selected; remove the "
                        "cluster-selector and cluster-name-selector annotations",
                    )
                )
            config[kind].append(manifest)
        elif not hierarchy:
            errors.append(
                object_error(
                    ErrorCode.HIERARCHY_KIND_IN_UNSTRUCTURED,
                    manifest,
                    f"{kind} objects are read only in the hierarchy format",
                )
            )
    cluster_selectors, selector_errors = read_selectors(
        config[ConfigKind.CLUSTER_SELECTOR], kind=ConfigKind.CLUSTER_SELECTOR, hierarchy=hierarchy
    )
    errors.extend(selector_errors)
    selected, selection_errors = select_for_cluster(
        objects,
        cluster_name=cluster_name,
        labels=cluster_labels(config[ConfigKind.CLUSTER], cluster_name),
        selectors=cluster_selectors,
    )
    errors.extend(selection_errors)
    if not hierarchy:
        namespace_selectors, ns_errors = read_selectors(
            config[ConfigKind.NAMESPACE_SELECTOR],
            kind=ConfigKind.NAMESPACE_SELECTOR,
            hierarchy=False,
        )
        errors.extend(ns_errors)
        selected, spread_errors = spread_to_namespaces(
            selected, selectors=namespace_selectors, is_namespaced=is_namespaced
        )
        errors.extend(spread_errors)
    unique, duplicate_errors = drop_duplicates(selected)
    errors.extend(duplicate_errors)
    return SelectionResult(manifests=unique, errors=tuple(errors))
