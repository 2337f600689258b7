"""Whether an existing object must be applied, decided by what server-side apply says syncd owns.

Values are never compared: the API server canonicalises quantities, converts
versions, moves `stringData` into `data` and prunes fields, so a value
comparison both invents drift and misses it. Instead, for an object whose
declared content has not changed (same `syncd.dev/declared-hash`):

- with a `Baseline` (syncd's Apply entry right after syncd last wrote it),
  any change to that entry is drift: a field lost to another manager or
  removed, or a new uid (re-created). An identical entry is settled, at no
  cost: no request, no value walk;
- without one (syncd just started), every declared field must be in
  syncd's entry (`missing_paths`): a field someone else took or removed is
  missing. A false alarm (a field the server never keeps) costs one apply,
  after which the baseline settles it for good.

Fields only other managers own (an env var `kubectl set env` added, an
annotation a controller writes) are in no one's way: syncd never declared
them, so they are never drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from syncd.core.fieldpaths import FieldPath
from syncd.core.fields import (
    Loss,
    entry_fields,
    losses,
    lost_fields,
    missing_fields,
    missing_paths,
    syncd_entry,
)
from syncd.core.manifest import Manifest
from syncd.core.metadata import HASH_ANNOTATION
from syncd.core.ownership import Baseline, FieldRelease
from syncd.plan.removals import annotations_of

PATHS_SHOWN: Final = 5
TAKEN_BY: Final = "taken by "
REMOVED: Final = "removed"


def names_who(reason: str) -> bool:
    """Whether a drift reason already says who took or removed each field."""
    return f"({TAKEN_BY}" in reason or f"({REMOVED})" in reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """Why an object must be applied."""

    reason: str
    drift: bool = False
    """Someone outside syncd changed, deleted or re-created the object."""
    lost: tuple[FieldPath, ...] = ()
    """The fields syncd lost (trie paths), when the drift is in its managedFields entry."""


Why = Change


def why_apply(
    decorated: Manifest,
    live: Mapping[str, Any] | None,
    *,
    adopted: bool,
    managed: bool,
    baseline: Baseline | None,
    release: FieldRelease | None,
) -> Why | None:
    """Why `decorated` (the body to apply) must be applied over `live`; None when settled.

    `adopted`: the live object carries no syncd manager annotation;
    `managed`: it is in the sync's inventory (so its loss is drift).
    """
    if live is None:
        if managed:
            return Change(reason="deleted outside syncd", drift=True)
        return Change(reason="not in the cluster")
    if adopted:
        if managed:
            return Change(reason="re-created outside syncd", drift=True)
        return Change(reason="exists without syncd's metadata; adopted")
    return _intent(decorated, live, release) or _ownership(decorated, live, baseline)


def _intent(
    decorated: Manifest, live: Mapping[str, Any], release: FieldRelease | None
) -> Why | None:
    """A new declaration, or managedFields edits to make: not drift."""
    if annotations_of(live).get(HASH_ANNOTATION) != decorated.annotation(HASH_ANNOTATION):
        return Change(reason="declared content changed")
    if release is not None and release.managers:
        return Change(reason=f"taking over fields from {', '.join(release.managers)}")
    if release is not None and release.before:
        return Change(reason="releasing fields listed in syncd.dev/ignore-fields")
    return None


def _ownership(
    decorated: Manifest, live: Mapping[str, Any], baseline: Baseline | None
) -> Why | None:
    """Drift read from syncd's Apply entry (see the module docstring)."""
    entry = syncd_entry(live)
    if entry is None:
        return Change(reason="syncd's field ownership was removed", drift=True)
    if baseline is not None:
        return _against_baseline(live, baseline)
    fields = entry_fields(entry)
    missing = missing_fields(decorated.body, fields)
    if missing:
        shown = _shown(missing_paths(decorated.body, fields))
        return Change(reason=f"drifted: {shown}", drift=True, lost=missing)
    return None


def _against_baseline(live: Mapping[str, Any], baseline: Baseline) -> Why | None:
    uid = str((live.get("metadata") or {}).get("uid") or "")
    if uid != baseline.uid:
        return Change(reason="re-created outside syncd", drift=True)
    if baseline.matches(live):
        return None
    lost = losses(baseline.fields, live)
    if lost:
        paths = lost_fields(baseline.fields, entry_fields(syncd_entry(live)))
        reason = f"drifted: {_shown([_loss(loss) for loss in lost])}"
        return Change(reason=reason, drift=True, lost=paths)
    return Change(reason="syncd's field ownership changed outside syncd", drift=True)


def _loss(loss: Loss) -> str:
    return f"{loss.path} ({TAKEN_BY}{loss.owner})" if loss.owner else f"{loss.path} ({REMOVED})"


def _shown(items: Sequence[str]) -> str:
    hidden = len(items) - PATHS_SHOWN
    more = f" and {hidden} more" if hidden > 0 else ""
    return ", ".join(items[:PATHS_SHOWN]) + more
