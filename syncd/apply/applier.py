"""Applying a plan: staged waves, bounded parallel server-side apply, readiness waits.

Waves come from `core.ordering.apply_waves` over every declared object, so a
dependency on an unchanged object is still honoured. Within a wave, objects
planned APPLY are sent in parallel (bounded by the executor); RELEASE objects
lose syncd's metadata through a merge patch; UNCHANGED and SKIP_MUTATION
objects cost nothing. After a wave holding CRDs or depended-on objects, the
applier waits until they are ready (CRDs Established, others kstatus
Current), refreshes discovery after CRDs, and skips dependents of objects
that failed or never became ready. One failing object never stops the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Final

from syncd.apply.errors import object_error
from syncd.apply.release import release_patch
from syncd.apply.waiter import Waiter
from syncd.core.errors import (
    ClusterError,
    ConflictError,
    ErrorCode,
    InvalidError,
    ResourceRef,
    SyncdError,
)
from syncd.core.kstatus import KStatus, StatusResult
from syncd.core.metadata import (
    DEPENDS_ON_ANNOTATION,
    FIELD_MANAGER,
)
from syncd.core.ordering import InvalidDependsOnError, OrderResult, is_crd, parse_depends_on
from syncd.core.ownership import FieldRelease, ownership_patch
from syncd.core.plan import Action, Plan, PlannedObject
from syncd.core.ports import Cluster, JsonObject
from syncd.core.reclaim import reclaim_patch
from syncd.core.refs import ObjectRef
from syncd.logging import get_logger

EDIT_ATTEMPTS: Final = 3
"""How often a managedFields edit is tried against a freshly read object."""

log = get_logger("apply.applier")


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyResult:
    """What applying did: live bodies after apply, failures, and readiness."""

    applied: Mapping[ObjectRef, JsonObject]
    failed: frozenset[ObjectRef]
    errors: tuple[SyncdError, ...]
    statuses: Mapping[ObjectRef, StatusResult] = field(default_factory=dict)
    """kstatus of every applied object after the readiness wait."""
    released: frozenset[ObjectRef] = frozenset()
    waited_out: bool = False
    """Whether a readiness wait ran until `timeout` (rather than all objects settling)."""
    stopped: bool = False
    """Whether shutdown stopped the run before every wave was applied."""

    @property
    def all_ready(self) -> bool:
        """Whether every applied object is Current."""
        return all(st.status is KStatus.CURRENT for st in self.statuses.values())


class Applier:
    """Applies plans for one cluster identity."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        executor: Executor,
        waiter: Waiter,
        field_manager: str = FIELD_MANAGER,
        stop: threading.Event | None = None,
    ) -> None:
        """`executor` bounds parallelism; `stop` (shutdown) ends a run between waves."""
        self._cluster = cluster
        self._executor = executor
        self._waiter = waiter
        self._field_manager = field_manager
        self._stop = stop or threading.Event()

    def apply(self, plan: Plan, order: OrderResult, *, timeout: float) -> ApplyResult:
        """Apply `plan` wave by wave; `timeout` bounds each readiness wait."""
        planned = {obj.ref: obj for obj in plan.objects}
        applied: dict[ObjectRef, JsonObject] = {}
        failed: set[ObjectRef] = set()
        not_ready: set[ObjectRef] = set()
        waited: dict[ObjectRef, StatusResult] = {}
        released: set[ObjectRef] = set()
        errors: list[SyncdError] = []
        stopped = False
        for index, wave in enumerate(order.waves):
            if self._stop.is_set():
                log.info("apply.stopped", waves_left=len(order.waves) - index)
                stopped = True
                break
            runnable: list[PlannedObject] = []
            for manifest in wave:
                obj = planned.get(manifest.ref)
                if obj is None:
                    continue
                blocker = self._blocked_by(obj, failed | not_ready)
                if blocker is not None:
                    failed.add(obj.ref)
                    errors.append(
                        SyncdError(
                            f"{obj.ref} not applied: it depends on {blocker}, which failed or "
                            "is not ready",
                            code=ErrorCode.APPLY_FAILURE,
                            resources=(ResourceRef(ref=obj.ref, source_path=manifest.source_path),),
                            transient=True,  # applied once what it depends on is ready
                        )
                    )
                    continue
                runnable.append(obj)
            self._run_wave(runnable, applied, failed, released, errors)
            wait_for = order.wait_for[index] if index < len(order.wait_for) else frozenset()
            if wait_for:
                waited.update(self._wait_wave(wait_for, planned, applied, failed, timeout=timeout))
                not_ready = {ref for ref, st in waited.items() if st.status is not KStatus.CURRENT}
        # Objects a wave already waited for keep that answer: their apply
        # response predates readiness and would cost another poll.
        began = self._waiter.monotonic()
        statuses = self._waiter.wait(
            {ref: body for ref, body in applied.items() if ref not in waited}, timeout=timeout
        )
        statuses.update({ref: st for ref, st in waited.items() if ref in applied})
        pending = [ref for ref, st in statuses.items() if st.status is not KStatus.CURRENT]
        return ApplyResult(
            applied=applied,
            failed=frozenset(failed),
            errors=tuple(errors),
            statuses=statuses,
            released=frozenset(released),
            waited_out=bool(pending) and self._waiter.monotonic() - began >= timeout,
            stopped=stopped or self._stop.is_set(),
        )

    def _blocked_by(self, obj: PlannedObject, bad: set[ObjectRef]) -> ObjectRef | None:
        if not bad or obj.manifest is None:
            return None
        value = obj.manifest.annotation(DEPENDS_ON_ANNOTATION)
        if not value:
            return None
        try:
            deps = parse_depends_on(value)
        except InvalidDependsOnError:
            return None
        return next((dep for dep in deps if dep in bad), None)

    def _run_wave(
        self,
        objects: list[PlannedObject],
        applied: dict[ObjectRef, JsonObject],
        failed: set[ObjectRef],
        released: set[ObjectRef],
        errors: list[SyncdError],
    ) -> None:
        futures: list[tuple[PlannedObject, str, Future[JsonObject]]] = []
        for obj in objects:
            if obj.action is Action.APPLY and obj.manifest is not None:
                future = self._executor.submit(self._apply_one, obj, obj.manifest.body)
                futures.append((obj, "apply", future))
            elif obj.action is Action.RELEASE:
                future = self._executor.submit(
                    self._cluster.merge_patch,
                    obj.ref,
                    release_patch(),
                    field_manager=self._field_manager,
                )
                futures.append((obj, "release", future))
        for obj, verb, future in futures:
            source_path = obj.manifest.source_path if obj.manifest else ""
            try:
                body = future.result()
            except ClusterError as exc:
                failed.add(obj.ref)
                errors.append(object_error(verb, obj.ref, source_path, exc))
                log.warning("apply.object_failed", object=str(obj.ref), verb=verb, error=str(exc))
                continue
            if verb == "apply":
                applied[obj.ref] = body
            else:
                released.add(obj.ref)

    def _apply_one(self, obj: PlannedObject, body: Mapping[str, Any]) -> JsonObject:
        """Apply one object, with the managedFields edits its plan asks for around it.

        Ignored fields syncd owns on the live object are released first (an
        apply without them would otherwise reset them); after the apply,
        ignored fields it just set (a create) are released and legacy
        managers' entries dropped. Each edit is guarded by the resourceVersion
        it was computed from.
        """
        release = obj.release
        if release is not None and release.before and obj.live is not None:
            only_fields = FieldRelease(pointers=release.pointers, declared=release.declared)
            self._edit_ownership(obj.ref, obj.live, only_fields)
        try:
            answer = self._cluster.apply(
                obj.ref, body, field_manager=self._field_manager, force=True
            )
        except InvalidError:
            reclaimed = self._reclaim_and_apply(obj, body, release.reclaim) if release else None
            if reclaimed is None:
                raise
            answer = reclaimed
        if release is None:
            return answer
        return self._edit_ownership(obj.ref, answer, release)

    def _edit_ownership(
        self, ref: ObjectRef, seen: Mapping[str, Any], release: FieldRelease
    ) -> JsonObject:
        """Make `ref`'s managedFields honour `release`, starting from the copy `seen`.

        The edit is guarded by the copy's resourceVersion. Controllers write an
        object right after it is created (a Deployment's status), so a conflict
        reads the object again and recomputes the edit, `EDIT_ATTEMPTS` times.
        Returns the object as the last write (or read) left it.
        """
        current: Mapping[str, Any] = seen
        for attempt in range(1, EDIT_ATTEMPTS + 1):
            patch = ownership_patch(current, release)
            if patch is None:
                return dict(current)
            try:
                return self._cluster.merge_patch(ref, patch, field_manager=self._field_manager)
            except ConflictError:
                fresh = self._cluster.get(ref) if attempt < EDIT_ATTEMPTS else None
                if fresh is None:
                    raise
                current = fresh
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _reclaim_and_apply(
        self, obj: PlannedObject, body: Mapping[str, Any], trie: Mapping[str, Any]
    ) -> JsonObject | None:
        """A rejected drift repair: take over the lost field's neighbours, then apply again.

        None when there is nothing to take over (the rejection stands).
        """
        if not trie:
            return None
        live = self._cluster.get(obj.ref)
        patch = reclaim_patch(live, trie) if live is not None else None
        if patch is None:
            return None
        log.info("apply.reclaiming", object=str(obj.ref))
        self._cluster.merge_patch(obj.ref, patch, field_manager=self._field_manager)
        return self._cluster.apply(obj.ref, body, field_manager=self._field_manager, force=True)

    def _wait_wave(
        self,
        wait_for: frozenset[ObjectRef],
        planned: Mapping[ObjectRef, PlannedObject],
        applied: Mapping[ObjectRef, JsonObject],
        failed: set[ObjectRef],
        *,
        timeout: float,
    ) -> dict[ObjectRef, StatusResult]:
        """Wait for the wave's gating objects; return their statuses."""
        known: dict[ObjectRef, JsonObject] = {}
        for ref in wait_for:
            if ref in failed:
                continue
            body = applied.get(ref)
            if body is None:
                obj = planned.get(ref)
                body = dict(obj.live) if obj is not None and obj.live is not None else None
            if body is not None:
                known[ref] = body
        statuses = self._waiter.wait(known, timeout=timeout)
        # Only a CRD applied in this run can have changed what the cluster serves; an
        # unchanged one must not cost every sync a rediscovery on every poll.
        if any(is_crd(ref) and ref in applied for ref in wait_for):
            self._cluster.refresh_discovery()
        return statuses
