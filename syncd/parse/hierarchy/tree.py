"""`read_hierarchy`: a Config Sync hierarchy repository flattened into objects.

Who does what: `read_hierarchy` places objects (`placement`), reads the
system/ objects (`config`), builds the namespace tree, applies inheritance
*and NamespaceSelectors* (in the hierarchy format they only limit
inheritance, so they are evaluated here, against the labels of the
Namespaces declared in the repository) and returns the objects with their
namespace set. It does not evaluate ClusterSelectors or the
cluster-name-selector annotation, and does not report duplicates: two
declarations of one object may be told apart by cluster selectors. Both are
`select_objects(result.for_selection, cluster_name=..., hierarchy=True)`'s
job, which the caller runs next. Selector annotations stay on the bodies, as
on the objects Config Sync applies.

The tree, as in Config Sync: under namespaces/, a directory holding a
Namespace is a namespace directory and a leaf (objects in directories below
it are SD1100); every other directory is abstract. Objects in an abstract
directory (namespaces/ itself included) are copied into every namespace
directory below it, unless their kind's hierarchyMode is none (SD1102); an
abstract directory with objects but no namespace directory below is SD1116.
A NamespaceSelector applies to objects in its own directory and below
(elsewhere SD1103) and may not sit in a namespace directory (SD1112).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef
from syncd.parse.hierarchy.config import check_repos, read_hierarchy_configs
from syncd.parse.hierarchy.names import NAMESPACE_SELECTOR_ANNOTATIONS, ConfigKind
from syncd.parse.hierarchy.placement import base_name, directory_of, place
from syncd.parse.hierarchy.problems import object_error, objects_error
from syncd.parse.hierarchy.results import HierarchyResult
from syncd.parse.hierarchy.selectors import DeclaredSelector, read_selectors, single_annotation


def read_hierarchy(
    manifests: Sequence[Manifest], *, is_namespaced: Callable[[str, str], bool | None]
) -> HierarchyResult:
    """Flatten a hierarchy repository; see the module docstring for who does what.

    `is_namespaced(group, kind)` answers from discovery and returns None for
    kinds it does not know, which then take the scope of their directory.
    Invalid objects are dropped and reported; the others are returned.
    """
    placed = place(manifests, is_namespaced=is_namespaced)
    errors: list[SyncdError] = list(placed.errors)
    errors.extend(check_repos(placed.repos))
    cluster_kinds = frozenset((m.ref.group, m.ref.kind) for m in placed.cluster)
    rules, config_errors = read_hierarchy_configs(
        placed.hierarchy_configs, cluster_kinds=cluster_kinds, is_namespaced=is_namespaced
    )
    errors.extend(config_errors)
    ns_dirs: dict[str, list[Manifest]] = {}
    for namespace in placed.namespaces:
        ns_dirs.setdefault(directory_of(namespace), []).append(namespace)
    leaves = {d for d in ns_dirs if _enclosing(d, ns_dirs.keys()) is None}
    selectors, selector_errors = _selectors(placed.namespace_selectors, ns_dirs.keys())
    errors.extend(selector_errors)

    out: list[Manifest] = list(placed.cluster)
    direct: dict[str, list[Manifest]] = {d: [] for d in leaves}
    inherited: dict[str, list[Manifest]] = {d: [] for d in leaves}
    for namespace in placed.namespaces:
        enclosing = _enclosing(directory_of(namespace), ns_dirs.keys())
        if enclosing is None:
            out.append(namespace)
        else:
            errors.append(_subdirectory_error(namespace, enclosing))
    for manifest in placed.namespaced:
        directory = directory_of(manifest)
        enclosing = _enclosing(directory, ns_dirs.keys())
        if enclosing is not None:
            errors.append(_subdirectory_error(manifest, enclosing))
        elif directory in leaves:
            direct[directory].append(manifest)
        elif directory not in placed.broken_dirs:
            errors.extend(_inherit(manifest, rules.inherits, leaves, placed.broken_dirs, inherited))
    for directory in sorted(leaves):
        for manifest in (*direct[directory], *inherited[directory]):
            kept, error = _select(manifest, directory, ns_dirs[directory], selectors)
            if error is not None:
                errors.append(error)
            if kept:
                out.append(manifest.placed_in(base_name(directory)))
    return HierarchyResult(
        manifests=tuple(out),
        errors=tuple(_unique(errors)),
        cluster_registry=placed.cluster_registry,
        ignored_paths=placed.ignored_paths,
    )


def _within(directory: str, ancestor: str) -> bool:
    """Whether `directory` is `ancestor` or below it."""
    return directory == ancestor or directory.startswith(ancestor + "/")


def _enclosing(directory: str, ns_dirs: Collection[str]) -> str | None:
    """The namespace directory strictly above `directory`, if any."""
    for candidate in ns_dirs:
        if directory != candidate and _within(directory, candidate):
            return candidate
    return None


def _subdirectory_error(manifest: Manifest, namespace_dir: str) -> SyncdError:
    return object_error(
        ErrorCode.NAMESPACE_SUBDIRECTORY,
        manifest,
        f"{namespace_dir}/ declares a Namespace, so it may not have subdirectories "
        f"({directory_of(manifest)}/)",
    )


def _inherit(
    manifest: Manifest,
    inherits: Callable[[ObjectRef], bool],
    leaves: set[str],
    broken: frozenset[str],
    inherited: dict[str, list[Manifest]],
) -> list[SyncdError]:
    """Queue an abstract directory's object for every namespace directory below it."""
    directory = directory_of(manifest)
    if not inherits(manifest.ref):
        return [
            object_error(
                ErrorCode.ILLEGAL_ABSTRACT_OBJECT,
                manifest,
                f"{manifest.ref.group_kind} has hierarchyMode none, so it may not be declared "
                f"in the abstract namespace directory {directory}/",
            )
        ]
    targets = [leaf for leaf in leaves if leaf != directory and _within(leaf, directory)]
    for target in targets:
        inherited[target].append(manifest)
    if targets or any(_within(b, directory) for b in broken):
        return []
    return [
        object_error(
            ErrorCode.UNSYNCABLE_ABSTRACT_OBJECT,
            manifest,
            f"{directory}/ is an abstract namespace directory with no namespace directory "
            "below it, so nothing inherits this object",
        )
    ]


def _selectors(
    declared: Sequence[Manifest], ns_dirs: Collection[str]
) -> tuple[dict[str, DeclaredSelector], list[SyncdError]]:
    selectors, errors = read_selectors(declared, kind=ConfigKind.NAMESPACE_SELECTOR, hierarchy=True)
    for name, found in list(selectors.items()):
        if found.directory in ns_dirs:
            errors.append(
                object_error(
                    ErrorCode.SELECTOR_IN_NAMESPACE_DIRECTORY,
                    found.manifest,
                    f"NamespaceSelectors may not be declared in the namespace directory "
                    f"{found.directory}/",
                )
            )
            selectors[name] = DeclaredSelector(manifest=found.manifest, selector=None)
    return selectors, errors


def _select(
    manifest: Manifest,
    namespace_dir: str,
    declarations: list[Manifest],
    selectors: dict[str, DeclaredSelector],
) -> tuple[bool, SyncdError | None]:
    """Whether `manifest` goes into the namespace of `namespace_dir`, or why not."""
    name, error = single_annotation(manifest, NAMESPACE_SELECTOR_ANNOTATIONS)
    if error is not None or name is None:
        return error is None, error
    found = selectors.get(name)
    if found is None or not _within(directory_of(manifest), found.directory):
        where = "declared" if found is None else f"declared in {directory_of(manifest)}/ or above"
        return False, object_error(
            ErrorCode.UNKNOWN_SELECTOR,
            manifest,
            f"the namespace-selector annotation names {name!r}, but no NamespaceSelector of that "
            f"name is {where}",
        )
    if found.selector is None:
        return False, None
    answers = {found.selector.matches(ns.labels) for ns in declarations}
    if len(answers) > 1:
        return False, objects_error(
            ErrorCode.NAMESPACE_DECLARATIONS_DISAGREE,
            [manifest, *declarations],
            f"NamespaceSelector {name!r} selects some declarations of Namespace "
            f"{base_name(namespace_dir)!r} and not others",
        )
    return answers == {True}, None


def _unique(errors: list[SyncdError]) -> list[SyncdError]:
    """The errors with repeats (one object checked once per namespace) removed."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for error in errors:
        key = (error.code.value, error.message)
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept
