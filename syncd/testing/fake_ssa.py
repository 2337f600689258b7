"""Simplified server-side apply and merge-patch ownership for FakeCluster.

Each object keeps, per field manager, the set of leaf paths it owns, its
operation (`Apply` or `Update`), and the apiVersion and time of its last
change. Applying replaces the manager's fields with the body's, removes
fields it applied before and no longer declares (unless another manager owns
them too), and reports or forces conflicts with other managers, with the same
Status causes as the real server. A non-apply write takes the fields it
changes and removes the ones it deletes from every manager; one that sets
`metadata.managedFields` replaces the ownership first (`from_entries`), as
the real server does.

`managed_fields` emits real-looking entries (manager, operation, apiVersion,
time, fieldsType FieldsV1, fieldsV1 with lists atomic) in the server's
order: Apply before Update, then oldest first, then by manager. A manager's
time and apiVersion move only when its own fields change.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.core.errors import ConflictError
from syncd.core.ports import JsonObject

from .fake_fields import (
    FieldPath,
    delete_path,
    fields_v1,
    format_path,
    get_path,
    leaf_paths,
    overlaps,
    owned_overlap,
    patch_paths,
    set_path,
    trie_paths,
)

APPLY = "Apply"
UPDATE = "Update"


@dataclass(kw_only=True)
class Ownership:
    """Which manager owns which leaf paths of one object, and how and when it wrote them."""

    fields: dict[str, set[FieldPath]] = field(default_factory=dict)
    operations: dict[str, str] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)
    api_versions: dict[str, str] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    """Managers whose fields changed since the last `managed_fields` (their time moves)."""

    @classmethod
    def from_entries(cls, entries: Iterable[Any]) -> Ownership:
        """Ownership as a managedFields list states it (entries without a manager are dropped).

        Subresource entries are skipped: the fake tracks the main resource only.
        """
        ownership = cls()
        for entry in entries:
            if not isinstance(entry, Mapping) or not entry.get("manager"):
                continue
            if entry.get("subresource"):
                continue
            manager = str(entry["manager"])
            trie = entry.get("fieldsV1")
            paths = trie_paths(trie) if isinstance(trie, Mapping) else set()
            ownership.fields.setdefault(manager, set()).update(paths)
            ownership.operations.setdefault(manager, str(entry.get("operation") or UPDATE))
            ownership.times.setdefault(manager, str(entry.get("time") or ""))
            ownership.api_versions.setdefault(manager, str(entry.get("apiVersion") or ""))
        ownership.release(set())
        return ownership

    def copy(self) -> Ownership:
        """An independent copy (for dry runs)."""
        return Ownership(
            fields={m: set(p) for m, p in self.fields.items()},
            operations=dict(self.operations),
            times=dict(self.times),
            api_versions=dict(self.api_versions),
            touched=set(self.touched),
        )

    def managed_fields(self, api_version: str, *, now: str = "") -> list[JsonObject]:
        """`metadata.managedFields` entries; managers touched since the last call get `now`."""
        for manager in self.touched:
            if manager in self.fields:
                self.api_versions[manager] = api_version
                if now:
                    self.times[manager] = now
        self.touched.clear()
        entries: list[JsonObject] = []
        for manager, paths in self.fields.items():
            if not paths:
                continue
            entry: JsonObject = {
                "manager": manager,
                "operation": self.operations[manager],
                "apiVersion": self.api_versions.get(manager) or api_version,
            }
            if self.times.get(manager):
                entry["time"] = self.times[manager]
            entry["fieldsType"] = "FieldsV1"
            entry["fieldsV1"] = fields_v1(paths)
            entries.append(entry)
        entries.sort(key=lambda e: (e["operation"], e.get("time", ""), e["manager"]))
        return entries

    def others(self, manager: str) -> dict[str, set[FieldPath]]:
        """Every other manager's fields."""
        return {m: p for m, p in self.fields.items() if m != manager}

    def take(self, manager: str, paths: set[FieldPath], operation: str) -> None:
        """Record `manager` as the owner of `paths` (in addition to what it has)."""
        self.fields.setdefault(manager, set()).update(paths)
        self.operations[manager] = operation
        self.touched.add(manager)

    def release(self, paths: set[FieldPath], *, keep: str = "") -> None:
        """Remove `paths` (and overlapping paths) from every manager but `keep`."""
        for manager, owned in self.fields.items():
            if manager != keep:
                owned.difference_update({o for o in owned if owned_overlap(o, paths)})
        for manager in [m for m, owned in self.fields.items() if not owned]:
            del self.fields[manager]
            for table in (self.operations, self.times, self.api_versions):
                table.pop(manager, None)


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
    changed = (
        set(declared) != previously
        or ownership.operations.get(manager) != APPLY
        or any(get_path(live, path) != (True, value) for path, value in declared.items())
    )
    still_owned = {p for owned in ownership.others(manager).values() for p in owned}
    for path in sorted(dropped, key=len, reverse=True):
        if not owned_overlap(path, still_owned):
            delete_path(live, path)
    for path, value in declared.items():
        set_path(live, path, value)
    ownership.fields[manager] = set(declared)
    ownership.operations[manager] = APPLY
    if changed:
        ownership.touched.add(manager)
    ownership.release(set(), keep=manager)


def patch_fields(
    patch: Mapping[str, Any],
    ownership: Ownership,
    *,
    manager: str,
    live: Mapping[str, Any] | None = None,
) -> None:
    """Record a merge patch's ownership: changed leaves go to `manager` (Update).

    Non-apply writes never conflict: they take the fields they change (compared
    with `live`, the object before the patch; every written leaf when None)
    from the other managers, and fields they remove leave every manager.
    """
    written, removed = patch_paths(patch)
    if live is not None:
        written = {p: v for p, v in written.items() if get_path(live, p) != (True, v)}
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
    """(other manager, its path) for each owned path the body sets to another value."""
    found: list[tuple[str, FieldPath]] = []
    for manager in sorted(others):
        for owned in sorted(others[manager]):
            for path, value in declared.items():
                if overlaps(path, owned) and get_path(live, path) != (True, value):
                    found.append((manager, owned))
                    break
    return found


def _conflict_error(conflicts: list[tuple[str, FieldPath]]) -> ConflictError:
    """The 409 a conflicting apply gets, with the real server's causes and message."""
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
