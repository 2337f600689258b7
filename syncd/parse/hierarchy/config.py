"""The hierarchy format's system/ objects: HierarchyConfig (inheritance) and Repo.

A HierarchyConfig sets, per group and kind, whether objects of that kind in
an abstract namespace directory are inherited (`hierarchyMode: inherit`,
also the default when a kind is not listed or the mode is left out) or not
allowed there at all (`none`: such an object is SD1102, as in Config Sync,
not silently skipped). Namespaces, cluster-scoped kinds and the
configuration kinds of Config Sync and syncd cannot be configured (SD1114);
an unknown mode is SD1115, and the entry is then ignored.

A hierarchy repository declares exactly one Repo (SD1106 when none, SD1108
when more) whose `spec.version` Config Sync supports (SD1107).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef
from syncd.parse.hierarchy.names import REPO_VERSIONS, SYSTEM_DIR, UNCONFIGURABLE_GROUPS
from syncd.parse.hierarchy.problems import object_error, objects_error, path_error

_INHERIT = "inherit"
_NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class InheritanceRules:
    """Which kinds may not appear in abstract namespace directories."""

    not_inherited: frozenset[tuple[str, str]] = frozenset()

    def inherits(self, ref: ObjectRef) -> bool:
        """Whether an object of `ref`'s kind in an abstract directory is inherited."""
        return (ref.group, ref.kind) not in self.not_inherited


def read_hierarchy_configs(
    configs: Iterable[Manifest],
    *,
    cluster_kinds: frozenset[tuple[str, str]],
    is_namespaced: Callable[[str, str], bool | None],
) -> tuple[InheritanceRules, list[SyncdError]]:
    """The inheritance rules the HierarchyConfigs declare, and their errors.

    `cluster_kinds` are the (group, kind) pairs declared in cluster/; they
    and the kinds discovery calls cluster-scoped cannot be configured.
    """
    modes: dict[tuple[str, str], str] = {}
    errors: list[SyncdError] = []
    for config in configs:
        spec = config.body.get("spec")
        resources = spec.get("resources") if isinstance(spec, Mapping) else None
        if not isinstance(resources, list):
            errors.append(
                object_error(
                    ErrorCode.UNSUPPORTED_HIERARCHY_KIND,
                    config,
                    "spec.resources must be a list of {group, kinds, hierarchyMode}",
                )
            )
            continue
        for entry in resources:
            errors.extend(_read_entry(config, entry, modes, cluster_kinds, is_namespaced))
    not_inherited = frozenset(gk for gk, mode in modes.items() if mode == _NONE)
    return InheritanceRules(not_inherited=not_inherited), errors


def _read_entry(
    config: Manifest,
    entry: object,
    modes: dict[tuple[str, str], str],
    cluster_kinds: frozenset[tuple[str, str]],
    is_namespaced: Callable[[str, str], bool | None],
) -> list[SyncdError]:
    if not isinstance(entry, Mapping):
        return [
            object_error(
                ErrorCode.UNSUPPORTED_HIERARCHY_KIND, config, "a resource entry must be a mapping"
            )
        ]
    group = entry.get("group") or ""
    kinds = entry.get("kinds") or []
    mode = entry.get("hierarchyMode") or _INHERIT
    if not isinstance(group, str) or not isinstance(kinds, list):
        return [
            object_error(
                ErrorCode.UNSUPPORTED_HIERARCHY_KIND,
                config,
                "group must be a string and kinds a list of kinds",
            )
        ]
    errors: list[SyncdError] = []
    if mode not in (_INHERIT, _NONE):
        errors.append(
            object_error(
                ErrorCode.ILLEGAL_HIERARCHY_MODE,
                config,
                f"hierarchyMode {mode!r} for group {group!r} is not inherit or none",
            )
        )
    if not kinds:
        errors.append(
            object_error(
                ErrorCode.UNSUPPORTED_HIERARCHY_KIND,
                config,
                f"the entry for group {group!r} names no kinds",
            )
        )
    for kind in kinds:
        reason = _unconfigurable(group, kind, cluster_kinds, is_namespaced)
        if reason:
            errors.append(object_error(ErrorCode.UNSUPPORTED_HIERARCHY_KIND, config, reason))
        elif mode in (_INHERIT, _NONE):
            modes[(group, kind)] = str(mode)
    return errors


def _unconfigurable(
    group: str,
    kind: object,
    cluster_kinds: frozenset[tuple[str, str]],
    is_namespaced: Callable[[str, str], bool | None],
) -> str:
    """Why `group`/`kind` cannot be configured, or ''."""
    shown = f"{kind}.{group}" if group else str(kind)
    if not isinstance(kind, str) or not kind:
        return f"kind {kind!r} is not a kind name"
    if (group, kind) == ("", "Namespace") or group in UNCONFIGURABLE_GROUPS:
        return f"{shown} cannot be declared in a HierarchyConfig"
    if (group, kind) in cluster_kinds or is_namespaced(group, kind) is False:
        return f"{shown} is cluster-scoped; only namespaced kinds can be inherited"
    return ""


def check_repos(repos: Sequence[Manifest]) -> list[SyncdError]:
    """Exactly one Repo, with a supported spec.version."""
    if not repos:
        return [
            path_error(
                ErrorCode.MISSING_REPO,
                f"{SYSTEM_DIR}/",
                "a hierarchy repository must declare a Repo in system/",
            )
        ]
    if len(repos) > 1:
        return [objects_error(ErrorCode.MULTIPLE_REPOS, repos, "more than one Repo is declared")]
    spec = repos[0].body.get("spec")
    version = spec.get("version") if isinstance(spec, Mapping) else None
    if version not in REPO_VERSIONS:
        return [
            object_error(
                ErrorCode.UNSUPPORTED_REPO_VERSION,
                repos[0],
                f"spec.version {version!r} is not supported; use 1.0.0",
            )
        ]
    return []
