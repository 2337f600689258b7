"""What syncd owns on an object, and the managedFields edits that keep that honest (pure).

Drift is decided from server-side apply's own bookkeeping, not by comparing
values: syncd's `Apply` entry in `metadata.managedFields` lists exactly the
fields syncd owns. A `Baseline` is that entry as it stood right after syncd
last wrote the object; any later change to it (a field lost to another
manager or removed, the object re-created with a new uid) is drift, and an
unchanged entry means nothing syncd declared was touched, whatever values
the server canonicalised or defaulted.

Two edits of the managedFields list (a merge patch guarded by the object's
resourceVersion, which the server stores as sent):

- taking over from `LEGACY_MANAGERS` (kubectl and its client-side and create
  managers): their entries are dropped once syncd applied, so a field later
  removed from the source is removed from the object instead of staying
  co-owned by an entry nobody will ever update;
- releasing `syncd.dev/ignore-fields`: the pointed fields leave syncd's own
  entry, so an apply that no longer sends them cannot reset them.

A copy of an object kept only to write it again (a sync object's status) does
not need its managedFields, which are often most of its memory: a non-apply
write that sends none leaves the stored ones as they are (`without_managed_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from syncd.core.fields import (
    entry_fields,
    managed_fields_patch,
    syncd_entry,
    with_fields,
    without_managers,
)
from syncd.core.pointers import JsonPointer, remove_pointed

LEGACY_MANAGERS: Final = (
    "kubectl-client-side-apply",
    "kubectl-create",
    "before-first-apply",
    "kubectl",
)
"""Managers whose entries syncd removes from the objects it manages (Flux does the same)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """syncd's Apply entry on one object right after syncd last wrote it (or checked it)."""

    uid: str
    api_version: str
    fields: Mapping[str, Any]

    def matches(self, live: Mapping[str, Any]) -> bool:
        """Whether `live` is the same object with syncd's entry exactly as recorded."""
        entry = syncd_entry(live)
        return (
            entry is not None
            and _uid(live) == self.uid
            and entry.get("apiVersion") == self.api_version
            and entry_fields(entry) == self.fields
        )


def baseline_of(obj: Mapping[str, Any]) -> Baseline | None:
    """The baseline `obj` gives (None when syncd owns nothing on it)."""
    entry = syncd_entry(obj)
    if entry is None:
        return None
    return Baseline(
        uid=_uid(obj), api_version=str(entry.get("apiVersion") or ""), fields=entry_fields(entry)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldRelease:
    """The managedFields edits the applier makes around one apply.

    `pointers` are ignore-fields syncd must not own, indexed into `declared`
    (the full declared body, whose list elements resolve pointer indices);
    `before` says to release them before the apply (syncd owns them on the
    live object now: an apply without them would reset them). `managers` are
    legacy managers to drop after the apply; `reclaim` is the fallback of a
    drift repair the API server rejects.
    """

    pointers: tuple[JsonPointer, ...] = ()
    declared: Mapping[str, Any] = field(default_factory=dict)
    before: bool = False
    managers: tuple[str, ...] = ()
    reclaim: Mapping[str, Any] = field(default_factory=dict)
    """Other managers' fields next to lost ones (`syncd.core.reclaim`), taken over only
    when the plain repair is rejected as invalid."""


def releasable(obj: Mapping[str, Any], release: FieldRelease) -> bool:
    """Whether `ownership_patch` would change anything on `obj`."""
    return ownership_patch(obj, release) is not None


def ownership_patch(obj: Mapping[str, Any], release: FieldRelease) -> dict[str, Any] | None:
    """The merge patch that makes `obj`'s managedFields honour `release`; None if nothing to do."""
    current = list((obj.get("metadata") or {}).get("managedFields") or [])
    wanted = without_managers(current, release.managers) if release.managers else current
    if release.pointers:
        fields = entry_fields(syncd_entry(obj))
        kept = remove_pointed(fields, release.declared, release.pointers)
        if kept != fields:
            wanted = with_fields(wanted, kept)
    if wanted == current:
        return None
    return managed_fields_patch(obj, wanted)


def legacy_managers(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The LEGACY_MANAGERS that own something on `obj`, in list order."""
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    present = {e.get("manager") for e in entries if isinstance(e, Mapping)}
    return tuple(m for m in LEGACY_MANAGERS if m in present)


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with a copy of its metadata that leaves `managedFields` out (the rest is shared).

    A PUT or patch built on it sends no managedFields, and the API server then
    keeps the stored ones (only `[{}]` clears them).
    """
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping) or "managedFields" not in meta:
        return obj
    kept = dict(obj)
    kept["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return kept
