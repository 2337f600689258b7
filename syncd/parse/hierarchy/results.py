"""What `read_hierarchy` and `select_objects` return."""

from __future__ import annotations

from dataclasses import dataclass

from syncd.core.errors import SyncdError
from syncd.core.manifest import Manifest


@dataclass(frozen=True, slots=True, kw_only=True)
class HierarchyResult:
    """A hierarchy repository flattened into the objects it declares.

    `manifests` are the objects to apply (cluster/ objects, Namespaces,
    namespaced objects placed in their namespace, inherited copies); no
    configuration object is among them. `cluster_registry` holds the Cluster
    and ClusterSelector objects of clusterregistry/, which `select_objects`
    needs: pass `for_selection` to it. `ignored_paths` are files Config Sync
    does not read (outside the four top-level directories).
    """

    manifests: tuple[Manifest, ...]
    errors: tuple[SyncdError, ...] = ()
    cluster_registry: tuple[Manifest, ...] = ()
    ignored_paths: tuple[str, ...] = ()

    @property
    def for_selection(self) -> tuple[Manifest, ...]:
        """The input `select_objects(..., hierarchy=True)` expects."""
        return self.manifests + self.cluster_registry

    @property
    def complete(self) -> bool:
        """Whether nothing was dropped for an error (only then is pruning safe)."""
        return not self.errors


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionResult:
    """The objects selected for this cluster, and the errors of those that were dropped.

    Objects that a selector does not select are dropped silently; errors
    are only about invalid content.
    """

    manifests: tuple[Manifest, ...]
    errors: tuple[SyncdError, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether nothing was dropped for an error (only then is pruning safe)."""
        return not self.errors
