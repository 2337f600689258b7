"""Taking back the place of a lost field: other managers' fields in the same list element (pure).

A forced apply takes back fields another manager changed, but it cannot
remove fields only others own. Usually that is right (an env var someone
added is theirs), but when a field syncd declares was replaced by a sibling
the API server allows only one of (a volume's `emptyDir` swapped for a
`hostPath`), re-applying syncd's field is rejected as invalid, and the
drift could never be repaired. So when a repair is rejected, syncd takes
over the fields other managers own inside the same list element as the
lost field (the volume named `scratch`): it moves them into its own Apply
entry (a managedFields edit guarded by resourceVersion) and applies again,
and server-side apply removes what syncd owns but does not declare. Fields
outside that element are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from syncd.core.fieldpaths import FieldPath, FieldsV1
from syncd.core.fields import entry_fields, managed_fields_patch, syncd_entry

_ELEMENT_KEYS = ("k:", "v:", "i:")


def element_of(path: FieldPath) -> FieldPath | None:
    """The trie path of the innermost list element holding `path` (None outside lists)."""
    for index in range(len(path) - 1, -1, -1):
        if path[index][:2] in _ELEMENT_KEYS:
            return path[: index + 1]
    return None


def reclaimable(obj: Mapping[str, Any], lost: Iterable[FieldPath]) -> FieldsV1:
    """Other managers' fields inside the list elements that hold the `lost` paths (a trie)."""
    mine = syncd_entry(obj)
    trie: dict[str, Any] = {}
    for path in lost:
        element = element_of(path)
        if element is None:
            continue
        for entry in _entries(obj):
            if entry is mine:
                continue
            below = _at(entry_fields(entry), element)
            if below:
                trie = merge(trie, _nested(element, below))
    return trie


def reclaim_patch(obj: Mapping[str, Any], trie: FieldsV1) -> dict[str, Any] | None:
    """The managedFields edit moving `trie` from other entries into syncd's; None if no change."""
    if not trie:
        return None
    mine = syncd_entry(obj)
    if mine is None:
        return None
    current = _entries(obj)
    wanted: list[Mapping[str, Any]] = []
    for entry in current:
        fields = entry_fields(entry)
        if entry is mine:
            wanted.append({**entry, "fieldsV1": merge(fields, trie)})
            continue
        left = subtract(fields, trie)
        if left != fields and not left:
            continue  # the entry owned nothing else: it goes
        wanted.append(entry if left == fields else {**entry, "fieldsV1": left})
    if wanted == current:
        return None
    return managed_fields_patch(obj, wanted)


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """The union of two tries."""
    result = dict(a)
    for key, value in b.items():
        mine = result.get(key)
        result[key] = merge(mine, value) if isinstance(mine, Mapping) else dict(value)
    return result


def subtract(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """`a` without the paths `b` owns (a leaf in `b` removes the whole node from `a`)."""
    result: dict[str, Any] = {}
    for key, value in a.items():
        if key not in b:
            result[key] = value
            continue
        other = b[key]
        if not other or not value:
            continue
        left = subtract(value, other)
        if left:
            result[key] = left
    return result


def _at(fields: FieldsV1, path: FieldPath) -> FieldsV1 | None:
    node: Any = fields
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
        if node is None:
            return None
    return node if isinstance(node, Mapping) else None


def _nested(path: FieldPath, leaf: FieldsV1) -> dict[str, Any]:
    trie: dict[str, Any] = dict(leaf)
    for key in reversed(path):
        trie = {key: trie}
    return trie


def _entries(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    metadata = obj.get("metadata")
    entries = metadata.get("managedFields") if isinstance(metadata, Mapping) else None
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []
