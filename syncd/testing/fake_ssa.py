"""Simplified server-side apply and merge-patch ownership for FakeCluster.

Each object keeps, per field manager, the set of leaf paths it owns and its
operation (`Apply` or `Update`). Applying replaces the manager's fields with
the body's, removes fields it applied before and no longer declares (unless
another manager owns them too), and reports or forces conflicts with other
managers, with the same Status causes as the real server.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.core.errors import ConflictError
from syncd.core.ports import JsonObject

from .fake_fields import (
    FieldPath,
    delete_path,
    format_path,
    get_path,
    leaf_paths,
    overlaps,
    owned_overlap,
    patch_paths,
    set_path,
)

APPLY = "Apply"
UPDATE = "Update"


@dataclass(kw_only=True)
class Ownership:
    """Which manager owns which leaf paths of one object, and how it wrote them."""

    fields: dict[str, set[FieldPath]] = field(default_factory=dict)
    operations: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Ownership:
        """An independent copy (for dry runs)."""
        return Ownership(
            fields={m: set(p) for m, p in self.fields.items()}, operations=dict(self.operations)
        )

    def managed_fields(self, api_version: str) -> list[JsonObject]:
        """The minimal `metadata.managedFields` entries, in first-write order."""
        return [
            {"manager": m, "operation": self.operations[m], "apiVersion": api_version}
            for m in self.fields
            if self.fields[m]
        ]

    def others(self, manager: str) -> dict[str, set[FieldPath]]:
        """Every other manager's fields."""
        return {m: p for m, p in self.fields.items() if m != manager}

    def take(self, manager: str, paths: set[FieldPath], operation: str) -> None:
        """Record `manager` as the owner of `paths` (in addition to what it has)."""
        self.fields.setdefault(manager, set()).update(paths)
        self.operations[manager] = operation

    def release(self, paths: set[FieldPath], *, keep: str = "") -> None:
        """Remove `paths` (and overlapping paths) from every manager but `keep`."""
        for manager, owned in self.fields.items():
            if manager != keep:
                owned.difference_update({o for o in owned if owned_overlap(o, paths)})
        for manager in [m for m, owned in self.fields.items() if not owned]:
            del self.fields[manager]
            self.operations.pop(manager, None)


def apply_fields(
    live: JsonObject,
    body: Mapping[str, Any],
    ownership: Ownership,
    *,
    manager: str,
    force: bool,
) -> None:
    """Apply `body` onto `live` in place as `manager`, updating `ownership`.

    Raises ConflictError (with FieldManagerConflict causes) when another
    manager owns a field the body sets to a different value and `force` is
    False; with `force`, those fields change hands.
    """
    declared = leaf_paths(body)
    conflicts = _conflicts(live, declared, ownership.others(manager))
    if conflicts and not force:
        raise _conflict_error(conflicts)
    if conflicts:
        ownership.release({path for _, path in conflicts}, keep=manager)
    previously = ownership.fields.get(manager, set())
    dropped = {p for p in previously if p not in declared}
    still_owned = {p for owned in ownership.others(manager).values() for p in owned}
    for path in sorted(dropped, key=len, reverse=True):
        if not owned_overlap(path, still_owned):
            delete_path(live, path)
    for path, value in declared.items():
        set_path(live, path, value)
    ownership.fields[manager] = set(declared)
    ownership.operations[manager] = APPLY
    ownership.release(set(), keep=manager)


def patch_fields(patch: Mapping[str, Any], ownership: Ownership, *, manager: str) -> None:
    """Record a merge patch's ownership: written leaves go to `manager` (Update).

    Non-apply writes never conflict: they take the fields from other managers.
    """
    written, removed = patch_paths(patch)
    ownership.release(set(written) | removed, keep=manager)
    if manager in ownership.fields:
        ownership.fields[manager].difference_update(
            {o for o in ownership.fields[manager] if owned_overlap(o, removed)}
        )
    if written:
        ownership.take(manager, set(written), UPDATE)
    ownership.release(set(), keep="")


def deep(obj: Mapping[str, Any]) -> JsonObject:
    """A deep, independent copy."""
    return copy.deepcopy(dict(obj))


def _conflicts(
    live: JsonObject, declared: dict[FieldPath, Any], others: dict[str, set[FieldPath]]
) -> list[tuple[str, FieldPath]]:
    found: list[tuple[str, FieldPath]] = []
    for manager in sorted(others):
        for owned in sorted(others[manager]):
            for path, value in declared.items():
                if overlaps(path, owned) and get_path(live, path) != (True, value):
                    found.append((manager, owned))
                    break
    return found


def _conflict_error(conflicts: list[tuple[str, FieldPath]]) -> ConflictError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{manager}"',
            "field": format_path(path),
        }
        for manager, path in conflicts
    ]
    if len(conflicts) == 1:
        manager, path = conflicts[0]
        message = f'Apply failed with 1 conflict: conflict with "{manager}": {format_path(path)}'
    else:
        listed = "\n".join(f'- conflict with "{m}": {format_path(p)}' for m, p in conflicts)
        message = f"Apply failed with {len(conflicts)} conflicts:\n{listed}"
    return ConflictError(message, status=409, reason="Conflict", causes=causes)
