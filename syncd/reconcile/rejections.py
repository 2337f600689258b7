"""Declarations the API server rejected for good are not re-sent on every poll.

An apply refused with an error a retry cannot fix (422 Invalid, a body the
schema cannot type, 400, 403) is remembered with the object's declared hash
and the commit. Later runs of the same commit do not send the same body
again: the object is held (no request) and the same error is reported, so a
broken object costs one request per commit, not one per poll, and the
status holds still. A new commit, a changed declaration of the object, or
`RETRY_AFTER_SECONDS` sends it again: a CRD or an admission policy may have
changed meanwhile. Transient failures are never held back: they are retried.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from syncd.apply.applier import ApplyResult
from syncd.core.errors import SyncdError
from syncd.core.metadata import HASH_ANNOTATION
from syncd.core.plan import Action, Plan, PlannedObject
from syncd.core.ports import Clock
from syncd.core.refs import ObjectRef

RETRY_AFTER_SECONDS: Final = 300.0
REJECTED: Final = "rejected by the API server; not sent again this commit"
"""The reason of a held-back object (its inventory status stays Failed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rejected:
    commit: str
    declared_hash: str
    error: SyncdError
    at: float


class Rejections:
    """One sync's rejected declarations (owned by its pipeline)."""

    def __init__(self, *, clock: Clock) -> None:
        """Remember nothing yet."""
        self._clock = clock
        self._by_ref: dict[ObjectRef, _Rejected] = {}

    def hold_back(self, plan: Plan, *, commit: str, inventory: Collection[ObjectRef]) -> Plan:
        """`plan` with APPLY objects that would repeat a remembered rejection turned into HOLD.

        Their errors are reported again; those in `inventory` stay in it.
        """
        now = self._clock.monotonic()
        objects: list[PlannedObject] = []
        errors: list[SyncdError] = []
        held: set[ObjectRef] = set()
        for obj in plan.objects:
            rejected = self._by_ref.get(obj.ref)
            if (
                obj.action is Action.APPLY
                and rejected is not None
                and rejected.commit == commit
                and rejected.declared_hash == _hash(obj)
                and now - rejected.at < RETRY_AFTER_SECONDS
            ):
                objects.append(dataclasses.replace(obj, action=Action.HOLD, reason=REJECTED))
                errors.append(rejected.error)
                held.add(obj.ref)
            else:
                objects.append(obj)
        if not held:
            return plan
        return dataclasses.replace(
            plan,
            objects=tuple(objects),
            errors=plan.errors + tuple(errors),
            kept=plan.kept | (held & frozenset(inventory)),
        )

    def record(self, plan: Plan, applied: ApplyResult, *, commit: str) -> None:
        """Remember this run's permanent rejections; forget objects applied or gone since."""
        now = self._clock.monotonic()
        by_ref = {err.resources[0].ref: err for err in applied.errors if err.resources}
        planned = {obj.ref: obj for obj in plan.objects}
        for ref in list(self._by_ref):
            obj = planned.get(ref)
            if obj is None or ref in applied.applied or obj.action is not Action.HOLD:
                del self._by_ref[ref]
        for ref in applied.failed:
            error, obj = by_ref.get(ref), planned.get(ref)
            if error is None or obj is None or error.transient or obj.action is not Action.APPLY:
                continue
            self._by_ref[ref] = _Rejected(
                commit=commit, declared_hash=_hash(obj), error=error, at=now
            )


def _hash(obj: PlannedObject) -> str:
    return (obj.manifest.annotation(HASH_ANNOTATION) or "") if obj.manifest is not None else ""
