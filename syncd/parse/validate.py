"""Validating decoded manifests before planning (pure).

Owns the rules a declared object must meet regardless of the cluster's
state:

- SD1053: a namespaced object must carry `metadata.namespace` (unless the
  sync supplies a default: a RepoSync places such objects in its own
  namespace) and a cluster-scoped object must not; a namespace must be a
  DNS-1123 label. Scope comes from `ScopeRules.is_namespaced` (discovery),
  falling back to CustomResourceDefinitions declared in the same set. When
  neither knows the kind, the namespace is left alone: the applier reports
  SD1021 for it.
- SD1036: the name must suit the kind (DNS-1123 subdomain for most kinds,
  DNS-1123 label for Namespaces, DNS-1035 label for Services, a path segment
  for RBAC roles and bindings).
- SD1029: two or more declarations of the same object (group, kind, namespace,
  name) are all dropped, with one error listing every source path: syncd
  cannot know which one is meant.
- SD1070: a `config.kubernetes.io/depends-on` annotation whose value is not a
  string (a YAML list, a number, null): annotations are strings, and reading
  it as "no dependencies" would apply the object out of order. The syntax of
  string values is checked later, with the dependency graph.
- SD1073: a `syncd.dev/ignore-fields` annotation that is not comma-separated
  JSON pointers, or that names a field syncd may not let go of (identity,
  syncd's own labels and annotations).

Fields the API server owns (`status`, `metadata.managedFields`,
`metadata.resourceVersion`, `metadata.uid`, ...) are not errors: the planner
strips them. Dropped objects are still *declared*: their identities are
returned in `ValidationResult.rejected` so that they are never pruned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from syncd.core.errors import ErrorCode, ResourceRef, SourceContentError, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.metadata import DEPENDS_ON_ANNOTATION, IGNORE_FIELDS_ANNOTATION
from syncd.core.pointers import InvalidIgnoreFieldsError, parse_ignore_fields
from syncd.core.refs import ObjectRef
from syncd.core.results import ValidationResult

IsNamespaced = Callable[[str, str], bool | None]
"""`(group, kind) -> True | False | None`; None when the kind is unknown."""

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL: Final = re.compile(_LABEL)
DNS1123_SUBDOMAIN: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
DNS1035_LABEL: Final = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
LABEL_MAX: Final = 63
SUBDOMAIN_MAX: Final = 253

_RBAC_GROUP: Final = "rbac.authorization.k8s.io"
_PATH_SEGMENT_KINDS: Final = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
_CRD_GROUP: Final = "apiextensions.k8s.io"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeRules:
    """How to tell namespaced kinds from cluster-scoped ones, and what to do without a namespace.

    `default_namespace` is empty for a RootSync (a namespaced object without
    a namespace is SD1053) and the RepoSync's namespace for a RepoSync.
    """

    is_namespaced: IsNamespaced
    default_namespace: str = ""


def validate(manifests: Iterable[Manifest], *, scope: ScopeRules) -> ValidationResult:
    """Check scope, names and uniqueness; return the valid manifests and the errors."""
    manifests = tuple(manifests)
    declared_scopes = _crd_scopes(manifests)
    errors: list[SyncdError] = []
    rejected: set[ObjectRef] = set()
    checked: list[Manifest] = []
    for manifest in manifests:
        namespaced = scope.is_namespaced(manifest.ref.group, manifest.ref.kind)
        if namespaced is None:
            namespaced = declared_scopes.get((manifest.ref.group, manifest.ref.kind))
        placed = _place(manifest, namespaced=namespaced, scope=scope)
        if isinstance(placed, SyncdError):
            errors.append(placed)
            rejected.add(manifest.ref)
            if namespaced is False:
                rejected.add(manifest.ref.with_namespace(""))
            continue
        name_error = (
            _name_error(placed) or _depends_on_error(placed) or _ignore_fields_error(placed)
        )
        if name_error is not None:
            errors.append(name_error)
            rejected.add(placed.ref)
            continue
        checked.append(placed)
    unique, duplicate_errors = drop_duplicates(checked)
    errors.extend(duplicate_errors)
    rejected.update(err.resources[0].ref for err in duplicate_errors)
    return ValidationResult(manifests=unique, errors=tuple(errors), rejected=frozenset(rejected))


def _crd_scopes(manifests: Iterable[Manifest]) -> dict[tuple[str, str], bool]:
    """`(group, kind) -> namespaced` for every CustomResourceDefinition in the set."""
    scopes: dict[tuple[str, str], bool] = {}
    for manifest in manifests:
        if manifest.ref.group != _CRD_GROUP or manifest.ref.kind != "CustomResourceDefinition":
            continue
        spec = manifest.body.get("spec")
        if not isinstance(spec, Mapping):
            continue
        names = spec.get("names")
        group, kind, crd_scope = (
            spec.get("group"),
            names.get("kind") if isinstance(names, Mapping) else None,
            spec.get("scope"),
        )
        if (
            isinstance(group, str)
            and isinstance(kind, str)
            and crd_scope in {"Namespaced", "Cluster"}
        ):
            scopes[(group, kind)] = crd_scope == "Namespaced"
    return scopes


def _place(
    manifest: Manifest, *, namespaced: bool | None, scope: ScopeRules
) -> Manifest | SyncdError:
    """The manifest with its namespace checked (and defaulted for a RepoSync), or the error."""
    namespace = manifest.ref.namespace
    if namespace and not _is_label(namespace):
        return _error(
            ErrorCode.ILLEGAL_NAMESPACE,
            f"{manifest.ref}: namespace {namespace!r} is not a valid DNS-1123 label",
            manifest,
        )
    if namespaced is True and not namespace:
        default = manifest.default_namespace or scope.default_namespace
        if not default:
            return _error(
                ErrorCode.ILLEGAL_NAMESPACE,
                f"{manifest.ref}: {manifest.ref.group_kind} is namespaced; set metadata.namespace",
                manifest,
            )
        return manifest.placed_in(default)
    if namespaced is False and namespace:
        return _error(
            ErrorCode.ILLEGAL_NAMESPACE,
            f"{manifest.ref}: {manifest.ref.group_kind} is cluster-scoped; "
            "remove metadata.namespace",
            manifest,
        )
    return manifest


def _name_error(manifest: Manifest) -> SyncdError | None:
    ref = manifest.ref
    name = ref.name
    if ref.group == _RBAC_GROUP and ref.kind in _PATH_SEGMENT_KINDS:
        if name in {".", ".."} or "/" in name or "%" in name:
            return _error(
                ErrorCode.INVALID_NAME,
                f"{ref}: name {name!r} may not be '.' or '..' nor contain '/' or '%'",
                manifest,
            )
        return None
    if ref.group == "" and ref.kind == "Namespace":
        valid, rule = _is_label(name), "a DNS-1123 label"
    elif ref.group == "" and ref.kind == "Service":
        valid = len(name) <= LABEL_MAX and DNS1035_LABEL.fullmatch(name) is not None
        rule = "a DNS-1035 label (lowercase letters, digits and '-', starting with a letter)"
    else:
        valid = len(name) <= SUBDOMAIN_MAX and DNS1123_SUBDOMAIN.fullmatch(name) is not None
        rule = "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')"
    if valid:
        return None
    return _error(ErrorCode.INVALID_NAME, f"{ref}: name {name!r} is not {rule}", manifest)


def _depends_on_error(manifest: Manifest) -> SyncdError | None:
    annotations = manifest.metadata.get("annotations")
    if not isinstance(annotations, Mapping) or DEPENDS_ON_ANNOTATION not in annotations:
        return None
    value = annotations[DEPENDS_ON_ANNOTATION]
    if isinstance(value, str):
        return None
    found = "a list" if isinstance(value, list) else type(value).__name__
    return _error(
        ErrorCode.INVALID_DEPENDENCY,
        f"{manifest.ref}: annotation {DEPENDS_ON_ANNOTATION} must be a string of "
        f"comma-separated references (found {found}); the object is not applied",
        manifest,
    )


def _ignore_fields_error(manifest: Manifest) -> SyncdError | None:
    annotations = manifest.metadata.get("annotations")
    if not isinstance(annotations, Mapping) or IGNORE_FIELDS_ANNOTATION not in annotations:
        return None
    value = annotations[IGNORE_FIELDS_ANNOTATION]
    if not isinstance(value, str):
        problem = f"{IGNORE_FIELDS_ANNOTATION} must be a string of comma-separated JSON pointers"
    else:
        try:
            parse_ignore_fields(value)
        except InvalidIgnoreFieldsError as exc:
            problem = str(exc)
        else:
            return None
    return _error(
        ErrorCode.INVALID_IGNORE_FIELDS,
        f"{manifest.ref}: {problem}; the object is not applied",
        manifest,
    )


def _is_label(value: str) -> bool:
    return len(value) <= LABEL_MAX and DNS1123_LABEL.fullmatch(value) is not None


def drop_duplicates(
    manifests: Sequence[Manifest],
) -> tuple[tuple[Manifest, ...], list[SyncdError]]:
    """The manifests declared once, and one SD1029 per object declared more than once.

    The error names every file; no copy is kept, as syncd cannot know which is meant.
    """
    by_ref: dict[ObjectRef, list[Manifest]] = {}
    for manifest in manifests:
        by_ref.setdefault(manifest.ref, []).append(manifest)
    errors: list[SyncdError] = []
    for ref, copies in by_ref.items():
        if len(copies) > 1:
            paths = ", ".join(copy.source_path for copy in copies)
            errors.append(
                SourceContentError(
                    f"{ref} is declared {len(copies)} times ({paths}); none is applied",
                    code=ErrorCode.DUPLICATE_OBJECT,
                    resources=[ResourceRef(ref=c.ref, source_path=c.source_path) for c in copies],
                )
            )
    unique = tuple(m for m in manifests if len(by_ref[m.ref]) == 1)
    return unique, errors


def _error(code: ErrorCode, message: str, manifest: Manifest) -> SyncdError:
    return SourceContentError(
        f"{manifest.source_path}: {message}",
        code=code,
        resources=[ResourceRef(ref=manifest.ref, source_path=manifest.source_path)],
    )
