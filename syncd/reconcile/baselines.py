"""The baselines of one sync: syncd's own managedFields entry on each object, after each run.

`syncd.plan.changes` decides drift by comparing an object's current syncd
entry with the one recorded here. After a run, an applied object's baseline
is taken from the server's answer to the apply (or to the managedFields edit
that followed it), and an unchanged object's from its live copy; objects the
sync no longer manages are forgotten. Memory stays proportional to the
managed objects: only each entry's fieldsV1 trie is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.apply.applier import ApplyResult
from syncd.core.ownership import Baseline, baseline_of
from syncd.core.plan import Action, Plan
from syncd.core.refs import ObjectRef


class Baselines:
    """One sync's baselines (owned by its pipeline, so by one thread)."""

    def __init__(self) -> None:
        """Start knowing nothing (every object is then checked field by field once)."""
        self._by_ref: dict[ObjectRef, Baseline] = {}

    @property
    def current(self) -> Mapping[ObjectRef, Baseline]:
        """The recorded baselines, by object."""
        return self._by_ref

    def update(self, plan: Plan, applied: ApplyResult) -> None:
        """Record what the run left on each managed object; forget the rest."""
        for obj in plan.objects:
            body: Mapping[str, Any] | None = None
            if obj.action is Action.APPLY:
                body = applied.applied.get(obj.ref)
            elif obj.action is Action.UNCHANGED and obj.ref not in self._by_ref:
                body = obj.live
            if body is None:
                continue
            baseline = baseline_of(body)
            if baseline is None:
                self._by_ref.pop(obj.ref, None)
            else:
                self._by_ref[obj.ref] = baseline
        managed = plan.managed
        for ref in [ref for ref in self._by_ref if ref not in managed]:
            del self._by_ref[ref]
