"""NamespaceSelectors in the unstructured format: one object copied into many namespaces.

As Config Sync does it (static mode): a namespaced object that carries the
namespace-selector annotation and no `metadata.namespace` is copied into
every Namespace declared in the repository (after cluster selection) whose
labels the selector matches, and into none when it matches none. The
annotation together with `metadata.namespace` is SD1053; on a Namespace or
another cluster-scoped kind, SD1101 (a Namespace is still returned, since
dropping it would drop everything in it); naming no declared selector, SD1103.
(In the hierarchy format `read_hierarchy` applies NamespaceSelectors.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy.names import NAMESPACE_SELECTOR_ANNOTATIONS, is_namespace
from syncd.parse.hierarchy.problems import object_error
from syncd.parse.hierarchy.selectors import DeclaredSelector, single_annotation


def spread_to_namespaces(
    manifests: Sequence[Manifest],
    *,
    selectors: Mapping[str, DeclaredSelector],
    is_namespaced: Callable[[str, str], bool | None] | None,
) -> tuple[list[Manifest], list[SyncdError]]:
    """The objects with every namespace-selected one replaced by its copies."""
    namespaces = [m for m in manifests if is_namespace(m.ref)]
    out: list[Manifest] = []
    errors: list[SyncdError] = []
    for manifest in manifests:
        name, error = single_annotation(manifest, NAMESPACE_SELECTOR_ANNOTATIONS)
        if error is not None:
            errors.append(error)
            continue
        if name is None:
            out.append(manifest)
            continue
        error = _annotation_error(manifest, name, selectors, is_namespaced)
        if error is not None:
            errors.append(error)
            if is_namespace(manifest.ref):
                out.append(manifest)  # the annotation has no effect; the Namespace stays
            continue
        selector = selectors[name].selector
        if selector is None:
            continue
        chosen = sorted({ns.ref.name for ns in namespaces if selector.matches(ns.labels)})
        out.extend(manifest.placed_in(namespace) for namespace in chosen)
    return out, errors


def _annotation_error(
    manifest: Manifest,
    name: str,
    selectors: Mapping[str, DeclaredSelector],
    is_namespaced: Callable[[str, str], bool | None] | None,
) -> SyncdError | None:
    cluster_scoped = is_namespace(manifest.ref) or (
        is_namespaced is not None and is_namespaced(manifest.ref.group, manifest.ref.kind) is False
    )
    if cluster_scoped:
        return object_error(
            ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
            manifest,
            "Namespaces and cluster-scoped objects cannot be namespace-selected; "
            "remove the namespace-selector annotation",
        )
    if manifest.metadata.get("namespace"):
        return object_error(
            ErrorCode.ILLEGAL_NAMESPACE,
            manifest,
            "an object may not set both metadata.namespace and the namespace-selector "
            "annotation; remove one",
        )
    if name not in selectors:
        return object_error(
            ErrorCode.UNKNOWN_SELECTOR,
            manifest,
            f"the namespace-selector annotation names {name!r}, but no NamespaceSelector of that "
            "name is declared",
        )
    return None
