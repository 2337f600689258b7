"""Pruning: deleting what left the source, in dependency waves, never what is not ours.

Waves come from `core.prune_order.prune_waves` (custom resources and their
dependents first, then namespaced, cluster-scoped, Namespaces, CRDs;
depends-on edges inside). For each wave, just before deleting:

1. every object is read again (a GET each, or one LIST per kind by the
   sync's ApplySet label) when the plan is older than `FRESH_SECONDS`: a
   plan can be minutes old by now (readiness waits, earlier waves). A
   younger plan's copies are used as they are; either way the delete
   carries their UID and resourceVersion, so the server refuses to delete
   an object that changed since it was read;
2. an object that is gone, or no longer carries this sync's manager
   annotation and ApplySet label, is dropped from the inventory untouched;
3. one that another sync now declares (a *claim* in that sync's inventory)
   is handed over: syncd's metadata is removed and the other sync adopts it,
   so a move between syncs never passes through a delete;
4. one annotated `deletion: detach` (or `syncd.dev/managed: disabled`), and
   a system Namespace, is detached: kept, with syncd's metadata removed;
5. a Namespace that still holds objects not pruned with it is kept (SD2010);
6. everything else is deleted with UID and resourceVersion preconditions, so
   an object changed since step 1 is not deleted (it is retried next run).

Deletions that leave an object terminating are waited for, until the shared
deadline (`reconcileTimeout`): a wave that is not gone stops the later waves
(SD2012), so an operator is never deleted before its resources are.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from syncd.apply.errors import object_error
from syncd.apply.namespaces import NamespaceGuard
from syncd.apply.release import release_patch
from syncd.core.errors import ClusterError, ConflictError, ErrorCode, ResourceRef, SyncdError
from syncd.core.metadata import (
    APPLYSET_PART_OF_LABEL,
    DELETION_ANNOTATION,
    DELETION_DETACH,
    FIELD_MANAGER,
    MANAGED_ANNOTATION,
    MANAGED_DISABLED,
    MANAGER_ANNOTATION,
)
from syncd.core.plan import Action, Plan, PlannedObject
from syncd.core.ports import Clock, Cluster, DeleteResult, JsonObject
from syncd.core.prune_order import prune_waves
from syncd.core.refs import ObjectRef
from syncd.logging import get_logger

log = get_logger("apply.pruner")

FRESH_SECONDS: Final = 10.0
"""Live copies read this recently are decided on as they are: the delete's UID and
resourceVersion preconditions make the server refuse it if the object changed since."""
REREAD_GET_MAX: Final = 8
"""Up to this many objects of a kind in one wave are re-read with a GET each."""
POLL_INTERVAL: Final = 0.5
_SHOWN: Final = 10


class Outcome(StrEnum):
    """What happened to one object the plan wanted removed (appears in logs)."""

    PRUNED = "pruned"  # deleted and gone
    DETACHED = "detached"  # kept, syncd's metadata removed
    HANDED_OVER = "handed-over"  # released to the sync that now declares it
    DROPPED = "dropped"  # already gone, or no longer this sync's: left untouched
    FAILED = "failed"  # still there: it stays in the inventory


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneResult:
    """Per object, what pruning did; `errors` say why objects stayed."""

    outcomes: Mapping[ObjectRef, Outcome] = field(default_factory=dict)
    errors: tuple[SyncdError, ...] = ()
    handed_over: Mapping[ObjectRef, str] = field(default_factory=dict)
    """Objects released to another sync, with that sync's manager value."""

    def having(self, outcome: Outcome) -> frozenset[ObjectRef]:
        """The objects with `outcome`."""
        return frozenset(ref for ref, got in self.outcomes.items() if got is outcome)

    @property
    def pruned(self) -> frozenset[ObjectRef]:
        """Objects this run deleted."""
        return self.having(Outcome.PRUNED)

    @property
    def detached(self) -> frozenset[ObjectRef]:
        """Objects kept without syncd's metadata (detach, system Namespace, handover)."""
        return self.having(Outcome.DETACHED) | self.having(Outcome.HANDED_OVER)

    @property
    def failed(self) -> frozenset[ObjectRef]:
        """Objects still there and still this sync's: they stay in the inventory."""
        return self.having(Outcome.FAILED)


Claims = Callable[[], Mapping[ObjectRef, str]]
"""Objects other syncs declare (their inventories' claims) -> the claiming sync."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneIdentity:
    """Who prunes: the sync's manager value and ApplySet id."""

    sync_id: str
    applyset_id: str


class Pruner:
    """Deletes and detaches for one sync."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        executor: Executor,
        clock: Clock,
        identity: PruneIdentity,
        namespaces: NamespaceGuard,
        stop: threading.Event | None = None,
        field_manager: str = FIELD_MANAGER,
    ) -> None:
        """`executor` bounds parallelism within a wave; `stop` ends pruning between waves."""
        self._cluster = cluster
        self._executor = executor
        self._clock = clock
        self._identity = identity
        self._namespaces = namespaces
        self._stop = stop or threading.Event()
        self._field_manager = field_manager

    def prune(
        self,
        plan: Plan,
        *,
        timeout: float,
        claims: Claims | None = None,
        planned_at: float | None = None,
    ) -> PruneResult:
        """Remove the plan's PRUNE and DETACH objects, wave by wave (see the module docstring).

        `planned_at` (the pruner's monotonic clock) is when the plan's live copies
        were read; without it they are always read again.
        """
        targets = {
            obj.ref: obj for obj in plan.objects if obj.action in (Action.PRUNE, Action.DETACH)
        }
        if not targets:
            return PruneResult()
        claimed = claims() if claims is not None else {}
        deadline = self._clock.monotonic() + timeout
        run = _Run(targets=targets, claimed=claimed, planned_at=planned_at)
        waves = prune_waves({ref: obj.live or {} for ref, obj in targets.items()})
        for index, wave in enumerate(waves):
            if self._stop.is_set():
                run.defer(waves[index:], "syncd is shutting down")
                break
            pending = self._wave(wave, run)
            stuck = self._wait_gone(pending, deadline)
            for ref in pending.keys() - stuck.keys():
                run.outcomes[ref] = Outcome.PRUNED
            if stuck:
                run.stuck(stuck, waves[index + 1 :])
                break
        return PruneResult(
            outcomes=dict(run.outcomes), errors=tuple(run.errors), handed_over=dict(run.handover)
        )

    # -- one wave ----------------------------------------------------------------------------

    def _wave(self, wave: tuple[ObjectRef, ...], run: _Run) -> dict[ObjectRef, str]:
        """Decide and act on one wave; return the objects left terminating (ref -> uid)."""
        fresh = self._reread(wave, run) if self._stale(run) else _planned_copies(wave, run)
        jobs: list[tuple[ObjectRef, str, Future[Any]]] = []
        for ref in wave:
            if ref in run.outcomes:
                continue
            live = fresh.get(ref)
            verb = self._decide(ref, live, run)
            if verb == "delete" and live is not None:
                meta = live.get("metadata") or {}
                future: Future[Any] = self._executor.submit(
                    self._cluster.delete,
                    ref,
                    uid=meta.get("uid"),
                    resource_version=meta.get("resourceVersion"),
                )
                jobs.append((ref, verb, future))
            elif verb == "release":
                future = self._executor.submit(
                    self._cluster.merge_patch,
                    ref,
                    release_patch(),
                    field_manager=self._field_manager,
                )
                jobs.append((ref, verb, future))
        pending: dict[ObjectRef, str] = {}
        for ref, verb, future in jobs:
            try:
                answer = future.result()
            except ConflictError:
                run.fail(ref, _changed_error(ref))
                continue
            except ClusterError as exc:
                run.fail(
                    ref, object_error("delete" if verb == "delete" else "detach", ref, "", exc)
                )
                log.warning("apply.prune_failed", object=str(ref), error=str(exc))
                continue
            if verb == "release":
                run.outcomes.setdefault(ref, Outcome.DETACHED)
            elif answer is DeleteResult.PENDING:
                pending[ref] = str(((fresh.get(ref) or {}).get("metadata") or {}).get("uid", ""))
            else:
                run.outcomes[ref] = (
                    Outcome.PRUNED if answer is DeleteResult.DELETED else Outcome.DROPPED
                )
        return pending

    def _decide(self, ref: ObjectRef, live: JsonObject | None, run: _Run) -> str:
        """`delete`, `release`, or "" when the outcome is already recorded."""
        if live is None or not self._ours(live):
            run.outcomes[ref] = Outcome.DROPPED
            return ""
        claimant = run.claimed.get(ref)
        if claimant is not None and claimant != self._identity.sync_id:
            run.handover[ref] = claimant
            run.outcomes[ref] = Outcome.HANDED_OVER
            log.info("apply.handed_over", object=str(ref), to=claimant)
            return "release"
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        detach = (
            run.targets[ref].action is Action.DETACH
            or annotations.get(DELETION_ANNOTATION) == DELETION_DETACH
            or annotations.get(MANAGED_ANNOTATION) == MANAGED_DISABLED
        )
        if ref.group == "" and ref.kind == "Namespace":
            if self._namespaces.is_protected(ref.name):
                log.info("apply.system_namespace_kept", namespace=ref.name)
                detach = True
            elif not detach:
                verdict = self._namespaces.check(ref, leaving=run.targets)
                if not verdict.deletable:
                    run.fail(ref, verdict.error)
                    return ""
        return "release" if detach else "delete"

    def _stale(self, run: _Run) -> bool:
        """Whether the plan's live copies are too old to decide on (then they are read again)."""
        if run.planned_at is None:
            return True
        return self._clock.monotonic() - run.planned_at > FRESH_SECONDS

    def _ours(self, live: JsonObject) -> bool:
        metadata = live.get("metadata") or {}
        annotations = metadata.get("annotations") or {}
        labels = metadata.get("labels") or {}
        return (
            annotations.get(MANAGER_ANNOTATION) == self._identity.sync_id
            and labels.get(APPLYSET_PART_OF_LABEL) == self._identity.applyset_id
        )

    def _reread(self, wave: tuple[ObjectRef, ...], run: _Run) -> dict[ObjectRef, JsonObject]:
        """The wave's objects as they are now (absent: gone or unlabelled); failures recorded."""
        by_kind: dict[tuple[str, str], list[ObjectRef]] = defaultdict(list)
        for ref in wave:
            by_kind[(ref.group, ref.kind)].append(ref)
        gets: dict[ObjectRef, Future[JsonObject | None]] = {}
        lists: dict[tuple[str, str], Future[tuple[JsonObject, ...]]] = {}
        for gk, refs in by_kind.items():
            if len(refs) <= REREAD_GET_MAX:
                gets.update({ref: self._executor.submit(self._cluster.get, ref) for ref in refs})
            else:
                lists[gk] = self._executor.submit(self._list_ours, gk)
        fresh: dict[ObjectRef, JsonObject] = {}
        for ref, get in gets.items():
            try:
                obj = get.result()
            except ClusterError as exc:
                run.fail(ref, object_error("read before deleting", ref, "", exc))
                continue
            if obj is not None:
                fresh[ref] = obj
        for gk, listed in lists.items():
            try:
                items = listed.result()
            except ClusterError as exc:
                for ref in by_kind[gk]:
                    run.fail(ref, object_error("read before deleting", ref, "", exc))
                continue
            wanted = set(by_kind[gk])
            for item in items:
                ref = ObjectRef.from_object(item)
                if ref in wanted:
                    fresh[ref] = item
        return fresh

    def _list_ours(self, gk: tuple[str, str]) -> tuple[JsonObject, ...]:
        rtype = self._cluster.resource_type(*gk)
        selector = f"{APPLYSET_PART_OF_LABEL}={self._identity.applyset_id}"
        return self._cluster.list(rtype, label_selector=selector).items

    # -- waiting -----------------------------------------------------------------------------

    def _wait_gone(self, pending: dict[ObjectRef, str], deadline: float) -> dict[ObjectRef, str]:
        """Poll terminating objects until gone (or re-created: another UID); return the rest."""
        left = dict(pending)
        while left and not self._stop.is_set():
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                break
            self._stop.wait(min(POLL_INTERVAL, remaining))
            futures = {ref: self._executor.submit(self._cluster.get, ref) for ref in left}
            for ref, future in futures.items():
                try:
                    obj = future.result()
                except ClusterError:
                    continue  # ask again next round
                uid = ((obj or {}).get("metadata") or {}).get("uid")
                if obj is None or uid != left[ref]:
                    del left[ref]
        return left


@dataclass(kw_only=True)
class _Run:
    """The mutable state of one prune run (private to `Pruner.prune`)."""

    targets: Mapping[ObjectRef, PlannedObject]
    claimed: Mapping[ObjectRef, str]
    planned_at: float | None = None
    outcomes: dict[ObjectRef, Outcome] = field(default_factory=dict)
    errors: list[SyncdError] = field(default_factory=list)
    handover: dict[ObjectRef, str] = field(default_factory=dict)

    def fail(self, ref: ObjectRef, error: SyncdError | None) -> None:
        self.outcomes[ref] = Outcome.FAILED
        self.handover.pop(ref, None)
        if error is not None:
            self.errors.append(error)

    def stuck(
        self, left: Mapping[ObjectRef, str], later: Collection[tuple[ObjectRef, ...]]
    ) -> None:
        """Objects still terminating at the deadline; later waves wait for them."""
        refs = sorted(left)
        for ref in refs:
            self.outcomes[ref] = Outcome.FAILED
        waiting = [ref for wave in later for ref in wave]
        for ref in waiting:
            self.outcomes.setdefault(ref, Outcome.FAILED)
        shown = ", ".join(str(ref) for ref in refs[:_SHOWN])
        then = f"; {len(waiting)} later deletion(s) wait for them" if waiting else ""
        self.errors.append(
            SyncdError(
                f"deleted but not gone within reconcileTimeout (a finalizer holds them): "
                f"{shown}{then}",
                code=ErrorCode.PRUNE_INCOMPLETE,
                resources=[ResourceRef(ref=ref) for ref in refs[:_SHOWN]],
                transient=True,
            )
        )

    def defer(self, waves: Collection[tuple[ObjectRef, ...]], why: str) -> None:
        for wave in waves:
            for ref in wave:
                self.outcomes.setdefault(ref, Outcome.FAILED)
        log.info("apply.prune_deferred", why=why)


def _planned_copies(wave: tuple[ObjectRef, ...], run: _Run) -> dict[ObjectRef, JsonObject]:
    """The plan's own live copies of a wave (read moments ago)."""
    copies: dict[ObjectRef, JsonObject] = {}
    for ref in wave:
        live = run.targets[ref].live
        if live is not None:
            copies[ref] = dict(live)
    return copies


def _changed_error(ref: ObjectRef) -> SyncdError:
    return SyncdError(
        f"{ref} changed while it was being pruned, so it was not deleted; syncd looks again "
        "next run",
        code=ErrorCode.PRUNE_INCOMPLETE,
        resources=[ResourceRef(ref=ref)],
        transient=True,
    )
