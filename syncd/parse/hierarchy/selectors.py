"""Reading NamespaceSelector and ClusterSelector objects into label selectors.

Shared by both formats. A selector that is invalid, duplicated by name, or
(NamespaceSelector) in a mode syncd cannot evaluate is reported once and
kept with `selector=None`: objects that name it are then dropped without a
second error, never applied as if unselected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy.labels import LabelSelector, SelectorSyntaxError, parse_selector
from syncd.parse.hierarchy.names import ConfigKind, annotation_values
from syncd.parse.hierarchy.problems import object_error, objects_error

STATIC_MODE = "static"
DYNAMIC_MODE = "dynamic"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredSelector:
    """One selector object; `selector` is None when it cannot be evaluated."""

    manifest: Manifest
    selector: LabelSelector | None

    @property
    def directory(self) -> str:
        """The directory of the declaring file (`namespaces/eng`)."""
        return self.manifest.source_path.rpartition("/")[0]


def read_selectors(
    manifests: Iterable[Manifest], *, kind: ConfigKind, hierarchy: bool
) -> tuple[dict[str, DeclaredSelector], list[SyncdError]]:
    """`name -> DeclaredSelector` for every selector of `kind`, and the errors."""
    by_name: dict[str, list[Manifest]] = {}
    for manifest in manifests:
        by_name.setdefault(manifest.ref.name, []).append(manifest)
    errors: list[SyncdError] = []
    found: dict[str, DeclaredSelector] = {}
    for name, declared in by_name.items():
        if len(declared) > 1:
            errors.append(
                objects_error(
                    ErrorCode.DUPLICATE_OBJECT,
                    declared,
                    f"{kind}s must have unique names; {len(declared)} are named {name!r}",
                )
            )
            found[name] = DeclaredSelector(manifest=declared[0], selector=None)
            continue
        selector, error = _evaluate(declared[0], kind=kind, hierarchy=hierarchy)
        if error is not None:
            errors.append(error)
        found[name] = DeclaredSelector(manifest=declared[0], selector=selector)
    return found, errors


def _evaluate(
    manifest: Manifest, *, kind: ConfigKind, hierarchy: bool
) -> tuple[LabelSelector | None, SyncdError | None]:
    spec = manifest.body.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    if kind is ConfigKind.NAMESPACE_SELECTOR:
        mode = spec.get("mode") or STATIC_MODE
        if mode == DYNAMIC_MODE and hierarchy:
            return None, object_error(
                ErrorCode.INVALID_SELECTOR,
                manifest,
                "spec.mode dynamic cannot be used with the hierarchy format; remove spec.mode",
            )
        if mode == DYNAMIC_MODE:
            return None, object_error(
                ErrorCode.DYNAMIC_SELECTOR_UNSUPPORTED,
                manifest,
                "spec.mode dynamic (Namespaces on the cluster) is not supported yet; "
                "objects naming this selector are not applied",
            )
        if mode != STATIC_MODE:
            return None, object_error(
                ErrorCode.INVALID_SELECTOR,
                manifest,
                f"spec.mode {mode!r} is not static or dynamic",
            )
    try:
        return parse_selector(spec.get("selector")), None
    except SelectorSyntaxError as exc:
        return None, object_error(ErrorCode.INVALID_SELECTOR, manifest, str(exc))


def single_annotation(
    manifest: Manifest, keys: tuple[str, ...]
) -> tuple[str | None, SyncdError | None]:
    """The value of one annotation given under any of its names, or a conflict error."""
    values = annotation_values(manifest, keys)
    if len(set(values.values())) > 1:
        listed = ", ".join(f"{k}={v!r}" for k, v in sorted(values.items()))
        return None, object_error(
            ErrorCode.SELECTOR_ANNOTATION_CONFLICT,
            manifest,
            f"annotations {listed} are one annotation with two values; keep one",
        )
    return (next(iter(values.values())) if values else None), None
