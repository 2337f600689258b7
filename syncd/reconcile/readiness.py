"""Readiness of everything a sync manages, not only what one run applied.

After each run the pipeline asks `Readiness.assess` for the kstatus of every
managed object: applied objects take the applier's wait result, the others
their live copy from the run's LIST (no extra request). An object that is
not Current is "not ready yet" until it has been so for `reconcileTimeout`
(counted from when syncd first saw it not ready, across runs), and SD2011
after that, naming the object and its kstatus message; a Failed object is
SD2011 at once. So a later poll never shows Synced while something is still
not ready, and a slow rollout shows Syncing, not Error, until its time is up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from syncd.apply.applier import ApplyResult
from syncd.core.errors import ErrorCode, ResourceRef, SyncdError
from syncd.core.kstatus import KStatus, StatusResult, compute
from syncd.core.plan import MANAGED_ACTIONS, Action, Plan
from syncd.core.ports import Clock, JsonObject
from syncd.core.refs import ObjectRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadinessReport:
    """kstatus of every managed object and the errors of those not ready in time."""

    statuses: Mapping[ObjectRef, StatusResult] = field(default_factory=dict)
    errors: tuple[SyncdError, ...] = ()

    @property
    def all_current(self) -> bool:
        """Whether every managed object is Current."""
        return all(st.status is KStatus.CURRENT for st in self.statuses.values())


class Readiness:
    """Remembers, per object, since when it is not ready (one per sync)."""

    def __init__(self, *, clock: Clock) -> None:
        """Start with nothing seen."""
        self._clock = clock
        self._since: dict[ObjectRef, float] = {}

    def assess(
        self,
        plan: Plan,
        applied: ApplyResult,
        live: Mapping[ObjectRef, JsonObject],
        *,
        timeout: float,
    ) -> ReadinessReport:
        """The status of every object the plan leaves managed, with SD2011 where it is due."""
        now = self._clock.monotonic()
        statuses: dict[ObjectRef, StatusResult] = {}
        errors: list[SyncdError] = []
        source_paths: dict[ObjectRef, str] = {}
        for obj in plan.objects:
            if obj.action not in MANAGED_ACTIONS or obj.ref in applied.failed:
                continue
            if obj.action is Action.APPLY and obj.ref not in applied.applied:
                continue  # not applied (shutdown, a failed dependency): nothing to judge yet
            result = applied.statuses.get(obj.ref)
            if result is None:
                body = applied.applied.get(obj.ref) or live.get(obj.ref) or obj.live
                if body is None:
                    continue
                result = compute(body, now=self._clock.now())
            statuses[obj.ref] = result
            source_paths[obj.ref] = obj.manifest.source_path if obj.manifest else ""
        for ref in list(self._since):
            current = statuses.get(ref)
            if current is None or current.status is KStatus.CURRENT:
                del self._since[ref]
        for ref, result in statuses.items():
            if result.status is KStatus.CURRENT:
                continue
            waited = applied.waited_out and ref in applied.statuses
            since = self._since.setdefault(ref, now - (timeout if waited else 0.0))
            if result.status is KStatus.FAILED or now - since >= timeout:
                errors.append(_not_ready(ref, result, source_paths.get(ref, ""), timeout))
        errors.sort(key=lambda error: error.resources[0].ref)
        return ReadinessReport(statuses=statuses, errors=tuple(errors))


def _not_ready(
    ref: ObjectRef, result: StatusResult, source_path: str, timeout: float
) -> SyncdError:
    failed = result.status is KStatus.FAILED
    why = "failed" if failed else f"is not ready after {_seconds(timeout)}"
    return SyncdError(
        f"{ref} {why} ({result.status.value}): {result.message or 'no status message'}",
        code=ErrorCode.NOT_READY,
        resources=[ResourceRef(ref=ref, source_path=source_path)],
        transient=not failed,
    )


def _seconds(timeout: float) -> str:
    return f"{timeout:g}s" if timeout < 120 else f"{timeout / 60:g}m"
