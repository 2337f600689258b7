"""Field-level helpers behind FakeCluster: leaf paths, ownership, merge patches, fieldsV1.

A field path is a tuple of map keys from the object's root. Lists are
atomic (one leaf for the whole list), which is how server-side apply
treats lists without `x-kubernetes-list-type` in custom resources; close
enough for unit tests of the stages that sit above the cluster.
`fields_v1` writes owned paths as a real-looking `fieldsV1` trie (`f:` keys,
a list as the leaf `f:list: {}`) and `trie_paths` reads one back.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Final

FieldPath = tuple[str, ...]

UNOWNED_PATHS: Final[frozenset[FieldPath]] = frozenset(
    {
        ("apiVersion",),
        ("kind",),
        ("metadata", "name"),
        ("metadata", "namespace"),
        ("metadata", "generateName"),
        ("metadata", "uid"),
        ("metadata", "resourceVersion"),
        ("metadata", "generation"),
        ("metadata", "creationTimestamp"),
        ("metadata", "deletionTimestamp"),
        ("metadata", "managedFields"),
        ("metadata", "selfLink"),
    }
)
"""Paths that take no part in field ownership (as in the real server's stripmeta)."""


def leaf_paths(obj: Mapping[str, Any]) -> dict[FieldPath, Any]:
    """Every leaf of `obj` (scalars, lists, empty maps) by path; status and identity skipped."""
    leaves: dict[FieldPath, Any] = {}

    def walk(node: Mapping[str, Any], prefix: FieldPath) -> None:
        for key, value in node.items():
            path = (*prefix, str(key))
            if path in UNOWNED_PATHS or path == ("status",):
                continue
            if isinstance(value, Mapping) and value:
                walk(value, path)
            else:
                leaves[path] = value

    walk(obj, ())
    return leaves


def overlaps(a: FieldPath, b: FieldPath) -> bool:
    """Whether one path is the other or an ancestor of it."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def owned_overlap(path: FieldPath, owned: Iterable[FieldPath]) -> bool:
    """Whether `path` overlaps any path of `owned`."""
    return any(overlaps(path, other) for other in owned)


def get_path(obj: Mapping[str, Any], path: FieldPath) -> tuple[bool, Any]:
    """(found, value) at `path`."""
    node: Any = obj
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def set_path(obj: dict[str, Any], path: FieldPath, value: Any) -> None:
    """Set `path` to a deep copy of `value`, creating (or replacing non-map) parents."""
    node = obj
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = copy.deepcopy(value)


def delete_path(obj: dict[str, Any], path: FieldPath) -> None:
    """Remove `path`, then every parent map it leaves empty (except `metadata`)."""
    parents: list[tuple[dict[str, Any], str]] = []
    node: Any = obj
    for key in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return
        parents.append((node, key))
        node = node[key]
    if not isinstance(node, dict):
        return
    node.pop(path[-1], None)
    for parent, key in reversed(parents):
        if parent[key] or (parent is obj and key == "metadata"):
            break
        del parent[key]


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: `patch` applied to `target`, returning a new value (inputs untouched)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result: dict[str, Any] = copy.deepcopy(dict(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


def patch_paths(patch: Mapping[str, Any]) -> tuple[dict[FieldPath, Any], set[FieldPath]]:
    """(set leaves, removed paths) of a merge patch: null values remove."""
    removed: set[FieldPath] = set()
    leaves: dict[FieldPath, Any] = {}
    for path, value in leaf_paths(patch).items():
        if value is None:
            removed.add(path)
        else:
            leaves[path] = value
    return leaves, removed


def format_path(path: FieldPath) -> str:
    """Server-side apply's field-path form: `.data.key`."""
    return "".join(f".{key}" for key in path)


def fields_v1(paths: Iterable[FieldPath]) -> dict[str, Any]:
    """The `fieldsV1` trie of owned leaf paths: `f:<key>` nodes, `{}` at each leaf."""
    trie: dict[str, Any] = {}
    leaves: list[dict[str, Any]] = []
    for path in sorted(paths):
        node = trie
        for key in path:
            node = node.setdefault(f"f:{key}", {})
        leaves.append(node)
    for node in leaves:
        if node:
            node["."] = {}  # owned itself as well as some children
    return trie


def trie_paths(trie: Mapping[str, Any]) -> set[FieldPath]:
    """The owned leaf paths of a `fieldsV1` trie, in FakeCluster's model.

    `f:` keys nest; a node with list children (`k:`, `v:`, `i:`) is the
    atomic list itself, and a node owning only itself (`.`) is a leaf.
    """
    paths: set[FieldPath] = set()

    def walk(node: Mapping[str, Any], prefix: FieldPath) -> None:
        fields = {k: v for k, v in node.items() if k.startswith("f:")}
        listed = any(k[:2] in ("k:", "v:", "i:") for k in node)
        if prefix and (listed or not fields):
            paths.add(prefix)
            return
        for key, child in fields.items():
            walk(child if isinstance(child, Mapping) else {}, (*prefix, key[2:]))

    walk(trie, ())
    return paths
