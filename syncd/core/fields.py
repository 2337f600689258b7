"""What server-side apply says a field manager owns, read from `fieldsV1` tries (pure).

`metadata.managedFields` holds one entry per manager and operation; its
`fieldsV1` is a trie (see `syncd.core.fieldpaths` for its keys). A leaf `{}`
is owned whole: a scalar, an empty map, or an atomic list or struct
(`spec.selector`, `nodeSelector`, `tolerations`, lists of CRDs without
`x-kubernetes-list-type`).

This module answers the questions drift detection asks, with no requests:
which declared fields syncd's Apply entry does not own (`missing_paths`),
which fields an entry lost between two readings (`lost_paths`, `losses`) and
who owns them now (`owner_of`), and how to edit the managedFields list
(`without_managers`, `with_fields`, `managed_fields_patch`). Paths are shown
in the API server's field-path syntax (`fieldpaths.format_path`). The JSON
pointers of `syncd.dev/ignore-fields` live in `syncd.core.pointers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from syncd.core.fieldpaths import (
    SELF,
    FieldPath,
    FieldsV1,
    ListIndex,
    canonical,
    direct_key,
    format_path,
    key_names,
)
from syncd.core.metadata import FIELD_MANAGER

__all__ = [
    "APPLY",
    "UNTRACKED_METADATA",
    "UNTRACKED_TOP",
    "FieldPath",
    "FieldsV1",
    "Loss",
    "entry_fields",
    "format_path",
    "losses",
    "lost_fields",
    "lost_paths",
    "managed_fields_patch",
    "missing_fields",
    "missing_paths",
    "owner_of",
    "syncd_entry",
    "with_fields",
    "without_managers",
]

APPLY: Final = "Apply"

_SCALARS: Final = frozenset({str, int, float, bool})

UNTRACKED_TOP: Final = frozenset({"apiVersion", "kind", "status"})
"""Top-level fields that carry no ownership (status belongs to its subresource)."""

UNTRACKED_METADATA: Final = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "selfLink",
    }
)
"""Identity and server fields of `metadata` that the server strips from ownership."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Loss:
    """A field a manager owned before and does not own now, and who owns it now."""

    path: str
    owner: str | None
    """The other manager whose entry owns the field now; None when nobody does (removed)."""


# -- entries ---------------------------------------------------------------


def syncd_entry(
    obj: Mapping[str, Any], *, manager: str = FIELD_MANAGER
) -> Mapping[str, Any] | None:
    """`manager`'s `Apply` entry for the main resource (no subresource) in `obj`, or None."""
    for entry in _entries(obj):
        if (
            entry.get("manager") == manager
            and entry.get("operation") == APPLY
            and not entry.get("subresource")
        ):
            return entry
    return None


def entry_fields(entry: Mapping[str, Any] | None) -> FieldsV1:
    """The `fieldsV1` trie of a managedFields entry; empty when there is none."""
    if entry is None:
        return {}
    fields = entry.get("fieldsV1")
    return fields if isinstance(fields, Mapping) else {}


def without_managers(
    managed_fields: Iterable[Mapping[str, Any]], managers: Iterable[str]
) -> list[Mapping[str, Any]]:
    """The managedFields list without the entries of `managers` (the others unchanged).

    Used to take over fields from `kubectl-client-side-apply`, `kubectl-create`,
    `before-first-apply` and `kubectl`: once their entries are gone, a field
    syncd stops declaring is removed instead of staying co-owned.
    """
    drop = frozenset(managers)
    return [e for e in managed_fields if e.get("manager") not in drop]


def with_fields(
    managed_fields: Iterable[Mapping[str, Any]],
    fields: FieldsV1,
    *,
    manager: str = FIELD_MANAGER,
) -> list[Mapping[str, Any]]:
    """The list with `manager`'s main-resource Apply entry holding `fields` instead.

    An entry left with an empty trie is dropped. Entries are shallow-copied
    only where they change; the input is not mutated.
    """
    result: list[Mapping[str, Any]] = []
    for entry in managed_fields:
        if (
            entry.get("manager") == manager
            and entry.get("operation") == APPLY
            and not entry.get("subresource")
        ):
            if fields:
                result.append({**entry, "fieldsV1": fields})
            continue
        result.append(entry)
    return result


def managed_fields_patch(
    obj: Mapping[str, Any], managed_fields: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The JSON merge patch that replaces `obj`'s managedFields, guarded by its resourceVersion.

    Sent as a merge patch (with any fieldManager), the server stores the list
    exactly as given and adds no entry of its own; a stale resourceVersion
    answers 409. An empty list would be ignored by the server, so it is
    sent as `[{}]`, which clears every entry.
    """
    metadata = obj.get("metadata") or {}
    entries = [dict(e) for e in managed_fields] or [{}]
    return {
        "metadata": {
            "managedFields": entries,
            "resourceVersion": str(metadata.get("resourceVersion") or ""),
        }
    }


# -- missing ---------------------------------------------------------------


def missing_paths(declared: Mapping[str, Any], fields: FieldsV1) -> tuple[str, ...]:
    """The declared leaf paths that `fields` does not own, in declaration order.

    `declared` is an apply body; `fields` the trie of the manager's Apply
    entry. Identity and server fields (apiVersion, kind, metadata.name,
    namespace, uid, resourceVersion, generation, creationTimestamp,
    managedFields) and `status` are skipped, `null` declares nothing, and so
    does an empty list (the server owns nothing for an empty associative
    list). Maps recurse through `f:` keys; a leaf `{}` owns its whole
    subtree (atomic lists and structs); an empty declared map needs its node.
    A declared element of an associative list matches the `k:` child whose
    key fields all equal the element's, tolerating key fields the element
    omits (the server defaulted them, like a port's protocol); scalar
    elements match `v:<json>`; otherwise `i:<n>` by index. An element that
    matches nothing is one path (`containers[name="sidecar"]`).
    """
    return tuple(format_path(path) for path in missing_fields(declared, fields))


def missing_fields(declared: Mapping[str, Any], fields: FieldsV1) -> tuple[FieldPath, ...]:
    """`missing_paths` as trie paths (for `owner_of`); unmatched elements keyed as declared."""
    out: list[FieldPath] = []
    stack: list[str] = []
    for key, value in declared.items():
        if key in UNTRACKED_TOP or value is None:
            continue
        node = _child(fields, key)
        stack.append("f:" + key)
        if key == "metadata" and isinstance(value, Mapping):
            for meta_key, meta_value in value.items():
                if meta_key in UNTRACKED_METADATA or meta_value is None:
                    continue
                stack.append("f:" + meta_key)
                _check(meta_value, None if node is None else _child(node, meta_key), stack, out)
                stack.pop()
        else:
            _check(value, node, stack, out)
        stack.pop()
    return tuple(out)


def _check(value: Any, node: FieldsV1 | None, stack: list[str], out: list[FieldPath]) -> None:
    """Append to `out` the declared leaves under `value` that `node` does not own."""
    if node is None:
        _all_leaves(value, stack, out)
    elif not node:
        return  # a leaf owns its whole subtree
    elif isinstance(value, dict | Mapping):
        for key, item in value.items():
            if item is None:
                continue
            child = node.get("f:" + key)
            if type(item) in _SCALARS and isinstance(child, dict | Mapping):
                continue  # an owned scalar: the common case, kept cheap
            stack.append("f:" + key)
            _check(item, child if isinstance(child, dict | Mapping) else None, stack, out)
            stack.pop()
    elif isinstance(value, list):
        _check_list(value, node, stack, out)


def _all_leaves(value: Any, stack: list[str], out: list[FieldPath]) -> None:
    """Append every declared leaf under `value` (its node is missing altogether)."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            if item is not None:
                stack.append("f:" + key)
                _all_leaves(item, stack, out)
                stack.pop()
    elif not (isinstance(value, list) and not value):
        out.append(tuple(stack))


def _check_list(items: list[Any], node: FieldsV1, stack: list[str], out: list[FieldPath]) -> None:
    """Match each declared element to its child of the list `node` and check it."""
    names = key_names(node)
    index: ListIndex | None = None
    for position, item in enumerate(items):
        if item is None:
            continue
        key = direct_key(node, item, position, names)
        if key is not None:
            stack.append(key)
            _check(item, node[key], stack, out)
            stack.pop()
            continue
        index = ListIndex(node) if index is None else index
        if isinstance(item, Mapping) and index.keyed:
            _check_keyed(item, index, stack, out)
        elif index.values and canonical(item) in index.values:
            continue
        elif index.values:
            out.append((*stack, "v:" + canonical(item)))
        else:
            out.append((*stack, f"i:{position}"))


def _check_keyed(
    item: Mapping[str, Any], index: ListIndex, stack: list[str], out: list[FieldPath]
) -> None:
    """Check a map element against every `k:` child it may match; the best match counts."""
    best: list[FieldPath] | None = None
    for raw, _, child in index.matches(item):
        found: list[FieldPath] = []
        stack.append(raw)
        _check(item, child, stack, found)
        stack.pop()
        if not found:
            return
        if best is None or len(found) < len(best):
            best = found
    if best is None:
        declared = {name: item[name] for name in sorted(index.key_names) if name in item}
        out.append((*stack, "k:" + canonical(declared)))
    else:
        out.extend(best)


# -- lost ------------------------------------------------------------------


def lost_fields(before: FieldsV1, after: FieldsV1) -> tuple[FieldPath, ...]:
    """Paths (trie keys) owned in `before` and not in `after`, in `before`'s order.

    A leaf `{}` and a node's `.` are owned paths. A node owned as a whole
    (one with `.`, like a list element) that is missing from `after` is one
    path: a removed port is `ports[containerPort=53,protocol="UDP"]`, not
    each of its fields. Maps missing from `after` count leaf by leaf (the
    server drops a map node once its last owned field is gone).
    """
    out: list[FieldPath] = []
    _lost(before, after, (), out)
    return tuple(out)


def lost_paths(before: FieldsV1, after: FieldsV1) -> tuple[str, ...]:
    """`lost_fields` in the human-readable field-path syntax."""
    return tuple(format_path(path) for path in lost_fields(before, after))


def owner_of(
    obj: Mapping[str, Any], path: FieldPath, *, manager: str = FIELD_MANAGER
) -> str | None:
    """The manager whose entry owns `path` in `obj`, other than `manager`'s Apply entry.

    An entry owns the path itself, anything beneath it, or a leaf above it
    (an atomic list or struct). With several owners, the entry written last
    (by `time`) wins. None when no other entry owns it.
    """
    mine = syncd_entry(obj, manager=manager)
    owners = [
        entry for entry in _entries(obj) if entry is not mine and _owns(entry_fields(entry), path)
    ]
    if not owners:
        return None
    newest = max(owners, key=lambda e: str(e.get("time") or ""))
    return str(newest.get("manager") or "")


def losses(
    before: FieldsV1, obj: Mapping[str, Any], *, manager: str = FIELD_MANAGER
) -> tuple[Loss, ...]:
    """What `manager`'s Apply entry lost since `before`, with who owns each field now.

    `obj` is the live object; its `manager` Apply entry is the `after`
    trie (empty when the entry is gone). A None owner means the field was
    removed (a non-apply write that only removes leaves no entry of its own).
    """
    after = entry_fields(syncd_entry(obj, manager=manager))
    return tuple(
        Loss(path=format_path(path), owner=owner_of(obj, path, manager=manager))
        for path in lost_fields(before, after)
    )


def _lost(before: FieldsV1, after: FieldsV1, prefix: FieldPath, out: list[FieldPath]) -> None:
    """Append the paths owned under `before` that `after` does not own."""
    for key, child in before.items():
        if key == SELF:
            if SELF not in after:
                out.append(prefix)
            continue
        other = after.get(key)
        if not isinstance(other, Mapping):
            _owned(child, (*prefix, key), out)
        elif isinstance(child, Mapping) and child:
            _lost(child, other, (*prefix, key), out)


def _owned(node: Any, prefix: FieldPath, out: list[FieldPath]) -> None:
    """Append the owned paths of a subtree missing from `after` (an element as one path)."""
    if not isinstance(node, Mapping) or not node or SELF in node:
        out.append(prefix)
        return
    for key, child in node.items():
        _owned(child, (*prefix, key), out)


def _owns(fields: FieldsV1, path: FieldPath) -> bool:
    """Whether the trie owns `path`, a node below it, or a leaf above it."""
    node: Any = fields
    for key in path:
        if not isinstance(node, Mapping):
            return False
        if not node and node is not fields:
            return True  # an owned leaf above the path: atomic
        node = node.get(key)
        if node is None:
            return False
    return True


# -- helpers ---------------------------------------------------------------


def _entries(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The object's managedFields entries that are JSON objects."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return []
    entries = metadata.get("managedFields")
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, Mapping)]


def _child(node: FieldsV1, name: str) -> FieldsV1 | None:
    """The `f:<name>` child of a trie node, or None."""
    child = node.get("f:" + name)
    return child if isinstance(child, Mapping) else None
