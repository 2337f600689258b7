"""ClusterSelectors and the cluster-name-selector annotation: which objects this cluster gets.

As Config Sync does it: the cluster's labels are those of the `Cluster`
object named like the cluster (none when it is not declared). An object
with the cluster-selector annotation is kept when the named ClusterSelector
matches those labels; one with the cluster-name-selector annotation when the
comma-separated list names the cluster (case-insensitively, spaces trimmed;
never when the cluster has no name). Both on one object is SD1117; a
selector that is not declared, SD1103. Namespaces are decided first: an
object in a Namespace that no declaration selects is dropped with it. An
object that is not selected is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy.names import (
    CLUSTER_NAME_SELECTOR_ANNOTATIONS,
    CLUSTER_SELECTOR_ANNOTATIONS,
    is_namespace,
)
from syncd.parse.hierarchy.problems import object_error
from syncd.parse.hierarchy.selectors import DeclaredSelector, single_annotation


def cluster_labels(clusters: Sequence[Manifest], cluster_name: str) -> Mapping[str, Any]:
    """The labels of the Cluster object named `cluster_name`, or none."""
    for cluster in clusters:
        if cluster_name and cluster.ref.name == cluster_name:
            return cluster.labels
    return {}


def select_for_cluster(
    manifests: Sequence[Manifest],
    *,
    cluster_name: str,
    labels: Mapping[str, Any],
    selectors: Mapping[str, DeclaredSelector],
) -> tuple[list[Manifest], list[SyncdError]]:
    """The objects selected for the cluster, in their order, and the errors."""
    errors: list[SyncdError] = []
    decided: dict[int, bool] = {}
    namespace_active: dict[str, bool] = {}
    for index, manifest in enumerate(manifests):
        if not is_namespace(manifest.ref):
            continue
        active, error = _selected(manifest, cluster_name, labels, selectors)
        if error is not None:
            errors.append(error)
        decided[index] = active
        name = manifest.ref.name
        namespace_active[name] = namespace_active.get(name, False) or active
    kept: list[Manifest] = []
    for index, manifest in enumerate(manifests):
        if index in decided:
            if decided[index]:
                kept.append(manifest)
            continue
        if namespace_active.get(manifest.ref.namespace, True) is False:
            continue
        active, error = _selected(manifest, cluster_name, labels, selectors)
        if error is not None:
            errors.append(error)
        if active:
            kept.append(manifest)
    return kept, errors


def _selected(
    manifest: Manifest,
    cluster_name: str,
    labels: Mapping[str, Any],
    selectors: Mapping[str, DeclaredSelector],
) -> tuple[bool, SyncdError | None]:
    legacy, inline, error = _annotations(manifest)
    if error is not None:
        return False, error
    if inline is not None:
        wanted = cluster_name.casefold()
        return bool(cluster_name) and any(
            part.strip().casefold() == wanted for part in inline.split(",")
        ), None
    if legacy is None:
        return True, None
    found = selectors.get(legacy)
    if found is None:
        return False, object_error(
            ErrorCode.UNKNOWN_SELECTOR,
            manifest,
            f"the cluster-selector annotation names {legacy!r}, but no ClusterSelector of that "
            "name is declared",
        )
    return found.selector is not None and found.selector.matches(labels), None


def _annotations(manifest: Manifest) -> tuple[str | None, str | None, SyncdError | None]:
    """The cluster-selector and cluster-name-selector values, or why they conflict."""
    legacy, error = single_annotation(manifest, CLUSTER_SELECTOR_ANNOTATIONS)
    if error is not None:
        return None, None, error
    inline, error = single_annotation(manifest, CLUSTER_NAME_SELECTOR_ANNOTATIONS)
    if error is not None:
        return None, None, error
    if legacy is not None and inline is not None:
        return (
            None,
            None,
            object_error(
                ErrorCode.SELECTOR_ANNOTATION_CONFLICT,
                manifest,
                "an object may carry only one of the cluster-selector and "
                "cluster-name-selector annotations; remove one",
            ),
        )
    return legacy, inline, None
