"""One sync run: fetch, parse, validate, plan, record, apply, prune, record, report.

The same run serves both kinds of sync: the kind, scope and identity come
from the `SyncId` and the sync object as values (`syncd.reconcile.identity`).
Requests to managed objects go out as the sync's identity (`Acting`); the
inventory, the status and Events are written with syncd's own.

Only this module moves values from one stage to the next. A run whose remote
revision has not moved since the last run reuses the parsed manifests: it
fetches, renders and parses nothing and only compares the live objects (one
LIST per managed type) with the last applied state, re-applying what drifted.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.api.models import RepoSync, SyncObject, parse_sync
from syncd.api.spec import StatusMode
from syncd.api.status import ConditionReason
from syncd.apply.applier import ApplyResult
from syncd.apply.live import LiveState
from syncd.apply.pruner import PruneResult
from syncd.core.errors import ClusterError, SourceFetchError, SyncdError, SyncSpecError
from syncd.core.inventory import InventorySet
from syncd.core.limits import DecodeLimits
from syncd.core.plan import Plan
from syncd.core.plan import PruneGuard as PlanPruneGuard
from syncd.core.ports import Clock, Cluster, JsonObject
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId
from syncd.inventory.store import InventoryStore
from syncd.logging import get_logger
from syncd.plan.plan import build_plan
from syncd.reconcile.acting import Acting, SyncHands
from syncd.reconcile.baselines import Baselines
from syncd.reconcile.commits import CommitReader
from syncd.reconcile.events import announce, announce_drift
from syncd.reconcile.finalizer import (
    delete_managed,
    has_finalizer,
    namespace_terminating,
    set_finalizer,
    wants_foreground,
)
from syncd.reconcile.readiness import Readiness
from syncd.reconcile.rejections import Rejections
from syncd.reconcile.reporting import (
    Parsed,
    SteadyCounts,
    drift_messages,
    object_statuses,
    progress_report,
    render_failed_report,
    run_report,
    stalled_report,
)
from syncd.reconcile.sources import SourceFactory, spec_source
from syncd.reconcile.worker import TriggerReason
from syncd.render.stage import PackageRenderer
from syncd.render.tools import Tools
from syncd.status.events import EventRecorder
from syncd.status.report import RunReport, StageReport
from syncd.status.writer import StatusWriter, previous_status

log = get_logger("reconcile.pipeline")


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelinePorts:
    """What a pipeline talks to."""

    cluster: Cluster
    clock: Clock
    executor: Executor
    cache_dir: Path
    stop: threading.Event
    source_factory: SourceFactory = spec_source
    """Builds the sync's Source from its spec (the composition root passes it)."""
    limits: DecodeLimits = field(default_factory=DecodeLimits)
    """How much one package may hold (SYNCD_MAX_*)."""
    renderer: PackageRenderer | None = None
    """The render stage (shared by the process's syncs); None builds one with the tools on PATH."""
    system_namespace: str = "syncd-system"
    """syncd's own namespace: never pruned."""
    cluster_name: str = ""
    """This cluster's name, for ClusterSelectors (SYNCD_CLUSTER_NAME)."""
    observer: RunObserver | None = None
    """Told every run's report and duration (the metrics; `syncd.server.metrics`)."""


RunObserver = Callable[[SyncId, RunReport, float], None]
"""`observer(sync, report, seconds)`, after each run's report is written."""


class Pipeline:
    """Runs one sync; owned by that sync's worker thread."""

    def __init__(
        self, sync: SyncId, *, ports: PipelinePorts, latest: Callable[[], JsonObject | None]
    ) -> None:
        """`latest` returns the newest known copy of the sync object (None once deleted)."""
        self._sync = sync
        self._ports = ports
        self._latest = latest
        cluster = ports.cluster
        self._inventory = InventoryStore(cluster, sync=sync, clock=ports.clock)
        self._hands = SyncHands(
            cluster,
            sync=sync,
            applyset_id=self._inventory.applyset_id,
            clock=ports.clock,
            executor=ports.executor,
            stop=ports.stop,
            system_namespace=ports.system_namespace,
        )
        self._status = StatusWriter(cluster, clock=ports.clock)
        self._events = EventRecorder(cluster, clock=ports.clock)
        self._readiness = Readiness(clock=ports.clock)
        self._baselines = Baselines()
        self._rejections = Rejections(clock=ports.clock)
        self._commits = CommitReader(
            renderer=ports.renderer or PackageRenderer(tools=Tools(), decode_limits=ports.limits),
            source_factory=ports.source_factory,
            cache_dir=ports.cache_dir,
            cluster_name=ports.cluster_name,
        )
        self._counts = SteadyCounts()
        self._started = 0.0
        self._announced: tuple[str, int] | None = None

    @property
    def ref(self) -> ObjectRef:
        """The sync object's identity."""
        return ObjectRef(
            group="syncd.dev",
            version="v1beta1",
            kind=self._sync.kind.value,
            namespace=self._sync.namespace,
            name=self._sync.name,
        )

    def run(self, reasons: frozenset[TriggerReason]) -> bool:
        """One run; True when it finished without errors worth retrying."""
        self._started = self._ports.clock.monotonic()
        obj = self._latest()
        if obj is None:
            return True
        generation = int(obj.get("metadata", {}).get("generation") or 0)
        bound = log.bind(sync=str(self._sync), reasons=sorted(reasons))
        if obj.get("metadata", {}).get("deletionTimestamp"):
            return self._finalize(obj, generation, bound)
        try:
            set_finalizer(self._ports.cluster, self.ref, obj, on=wants_foreground(obj))
        except ClusterError as exc:
            bound.warning("reconcile.finalizer_failed", error=str(exc))
            return False
        try:
            sync = self._hands.parse(obj)
        except SyncSpecError as exc:
            self._report(obj, stalled_report(generation, exc))
            return True
        if sync.spec.suspend:
            self._report(obj, RunReport(generation=generation, suspended=True))
            return True
        try:
            report = self._sync_once(sync, self._hands.of(sync), generation, bound)
        except SourceFetchError as exc:
            bound.warning("reconcile.source_failed", error=str(exc))
            self._commits.forget_source()  # re-read the credentials Secret next run
            report = RunReport(
                generation=generation,
                commit=self._commit(),
                source=StageReport(commit=self._commit(), errors=(exc,)),
            )
        except SyncSpecError as exc:
            report = stalled_report(generation, exc)
        except ClusterError as exc:
            bound.warning("reconcile.cluster_failed", error=str(exc))
            report = RunReport(
                generation=generation,
                commit=self._commit(),
                sync=StageReport(commit=self._commit(), errors=(exc,)),
            )
        self._report(self._latest() or obj, report)
        return not report.errors or report.stalled_reason == ConditionReason.INVALID_SPEC

    def _finalize(self, obj: JsonObject, generation: int, bound: Any) -> bool:
        """The sync object is being deleted: delete what it manages first, if asked to."""
        if not has_finalizer(obj):
            return True
        errors: tuple[SyncdError, ...]
        try:
            if namespace_terminating(self._ports.cluster, self._sync):
                bound.info("reconcile.finalized", pruned=0, namespace_terminating=True)
                set_finalizer(self._ports.cluster, self.ref, self._latest() or obj, on=False)
                return True
            hands = self._hands.for_deletion(obj)
            result = delete_managed(
                self._ports.cluster,  # the ResourceGroup is syncd's: the sync's identity prunes
                self._sync,
                inventory=self._inventory,
                reader=hands.reader,
                pruner=hands.pruner,
                timeout=self._timeout(obj),
            )
            if not result.failed:
                bound.info("reconcile.finalized", pruned=len(result.pruned))
                set_finalizer(self._ports.cluster, self.ref, self._latest() or obj, on=False)
                return True
            errors = result.errors
        except ClusterError as exc:
            bound.warning("reconcile.finalize_failed", error=str(exc))
            errors = (exc,)
        # Waiting for finalizers or a flaky API server is progress; anything else needs someone.
        stuck = any(not error.transient for error in errors)
        self._report(
            self._latest() or obj,
            RunReport(
                generation=generation,
                commit=self._commit(),
                sync=StageReport(commit=self._commit(), errors=errors),
                in_progress=True,
                stalled_reason=ConditionReason.DELETING_OBJECTS if stuck else "",
            ),
        )
        return False

    def _commit(self) -> str:
        return self._commits.commit

    def _timeout(self, obj: JsonObject) -> float:
        try:
            return parse_sync(obj, self._sync.kind).spec.override.reconcile_timeout_seconds
        except (SyncSpecError, ValueError):
            return 300.0

    def _report(self, obj: JsonObject, report: RunReport) -> None:
        if self._ports.observer is not None:
            seconds = self._ports.clock.monotonic() - self._started
            self._ports.observer(self._sync, report, seconds)
        status, changed = self._status.write(self.ref, report, live=obj)
        if changed and status is not None:
            announce(self._events, obj, report)
        # Drift is news even when the status (same counts) does not change.
        announce_drift(self._events, obj, report)

    def _sync_once(self, sync: SyncObject, hands: Acting, generation: int, bound: Any) -> RunReport:
        # A RootSync's Secrets are the platform's, in syncd's namespace: read as syncd.
        secrets = hands.cluster if isinstance(sync, RepoSync) else self._ports.cluster
        source = self._commits.source(sync, cluster=secrets, identity=str(hands.identity))
        commit = source.resolve()
        # The inventory is read while the commit is parsed: neither needs the other.
        loading = self._ports.executor.submit(self._inventory.load)
        try:
            parsed = self._commits.read(source, commit, sync, bound, cluster=secrets)
        except BaseException:
            # The store is not shared between threads: the read ends before the next run.
            concurrent.futures.wait([loading])
            raise
        inventory = loading.result()
        if parsed.render_errors:
            bound.warning("reconcile.render_failed", commit=commit[:12])
            return render_failed_report(generation=generation, commit=commit, parsed=parsed)
        declared = [m for m in parsed.validation.manifests if m.ref not in parsed.order.excluded]
        kinds = {(m.ref.group, m.ref.kind) for m in parsed.validation.manifests} | {
            (r.group, r.kind) for r in inventory.refs
        }
        live = hands.reader.read(
            kinds,
            declared=[m.ref for m in declared],
            managed=inventory.refs.refs,
            sources={m.ref: m.source_path for m in declared},
        )
        planned_at = self._ports.clock.monotonic()
        guard = sync.spec.override.prune
        plan = build_plan(
            desired=declared,
            inventory=inventory.refs.refs,
            live=live.objects,
            sync_id=self._sync.manager,
            applyset_id=self._inventory.applyset_id,
            commit=commit,
            prune_guard=PlanPruneGuard(
                max_deletes=guard.max_deletes if guard else None,
                max_delete_percent=guard.max_delete_percent if guard else None,
            ),
            can_prune=parsed.complete,
            retain=parsed.validation.rejected | parsed.order.excluded,
            known=live.known,
            baselines=self._baselines.current,
        )
        plan = self._rejections.hold_back(plan, commit=commit, inventory=inventory.refs.refs)
        self._inventory.record(
            InventorySet.pre_apply(inventory.refs, plan.managed), claims=plan.conflicts
        )
        if (plan.to_apply or plan.to_prune) and self._announced != (commit, generation):
            # Applying (and waiting for readiness) can take minutes: say so now, so
            # `kubectl get rootsync` shows Syncing the new commit meanwhile. Only once
            # per commit: retrying a failing object must not flip Error -> Syncing.
            self._report_progress(generation, commit, parsed)
        timeout = sync.spec.override.reconcile_timeout_seconds
        applied = hands.applier.apply(plan, parsed.order, timeout=timeout)
        self._baselines.update(plan, applied)
        self._rejections.record(plan, applied, commit=commit)
        if applied.stopped:
            bound.info("reconcile.interrupted", commit=commit[:12])
            return progress_report(generation=generation, commit=commit, parsed=parsed)
        pruned = hands.pruner.prune(
            plan,
            timeout=timeout,
            claims=self._inventory.claims_elsewhere,
            planned_at=planned_at,
        )
        return self._finish(
            _Outcome(
                sync=sync,
                generation=generation,
                parsed=parsed,
                plan=plan,
                live=live,
                applied=applied,
                pruned=pruned,
            ),
            bound,
        )

    def _finish(self, run: _Outcome, bound: Any) -> RunReport:
        """Readiness of every managed object, the per-object inventory status and the report."""
        sync, plan, live, applied, pruned = run.sync, run.plan, run.live, run.applied, run.pruned
        commit, generation = run.parsed.commit, run.generation
        readiness = self._readiness.assess(
            plan, applied, live.objects, timeout=sync.spec.override.reconcile_timeout_seconds
        )
        enabled = sync.spec.override.status_mode is StatusMode.ENABLED
        self._inventory.record(
            InventorySet.post_prune(
                plan.managed,
                # failed releases still carry syncd's metadata (failed applies are managed anyway)
                failed_removals=pruned.failed | applied.failed,
                kept=plan.kept,
            ),
            claims=plan.conflicts,
        )
        self._inventory.record_statuses(
            object_statuses(plan, applied, readiness) if enabled else {}
        )
        bound.info(
            "reconcile.synced",
            commit=commit[:12],
            applied=len(applied.applied),
            unchanged=len(plan.unchanged),
            pruned=len(pruned.pruned),
            failed=len(applied.failed) + len(pruned.failed),
        )
        report = run_report(
            generation=generation,
            commit=commit,
            parsed=run.parsed,
            plan=plan,
            applied=applied,
            pruned=pruned,
            readiness=readiness,
            extra_errors=live.errors,
        )
        self._announced = (commit, generation)
        drift = drift_messages(plan, applied)
        for message in drift:
            bound.warning("reconcile.drift_corrected", detail=message)
        stored = previous_status(self._latest() or {})
        return self._counts.settle(dataclasses.replace(report, drift=drift), stored=stored)

    def _report_progress(self, generation: int, commit: str, parsed: Parsed) -> None:
        obj = self._latest()
        if obj is not None:
            self._status.write(
                self.ref,
                progress_report(generation=generation, commit=commit, parsed=parsed),
                live=obj,
            )
        self._announced = (commit, generation)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    """What the stages of one run returned, for the report."""

    sync: SyncObject
    generation: int
    parsed: Parsed
    plan: Plan
    live: LiveState
    applied: ApplyResult
    pruned: PruneResult
