"""The repository layout step both callers share: hierarchy (if asked), then selectors.

`read_layout` is what the controller and `syncd render`/`vet` run between
rendering and validation, so the two can never disagree on which objects a
Config Sync repository declares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from syncd.core.errors import SyncdError
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy.select import select_objects
from syncd.parse.hierarchy.tree import read_hierarchy


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """The objects the repository declares for this cluster, and the layout errors."""

    manifests: tuple[Manifest, ...]
    errors: tuple[SyncdError, ...]


def read_layout(
    manifests: Sequence[Manifest],
    *,
    hierarchy: bool,
    cluster_name: str,
    is_namespaced: Callable[[str, str], bool | None],
) -> Layout:
    """Flatten a hierarchy repository when `hierarchy`, then apply the selectors (both formats)."""
    errors: list[SyncdError] = []
    selected: Sequence[Manifest] = manifests
    if hierarchy:
        tree = read_hierarchy(manifests, is_namespaced=is_namespaced)
        errors.extend(tree.errors)
        selected = tree.for_selection
    chosen = select_objects(
        selected, cluster_name=cluster_name, hierarchy=hierarchy, is_namespaced=is_namespaced
    )
    errors.extend(chosen.errors)
    return Layout(manifests=chosen.manifests, errors=tuple(errors))
