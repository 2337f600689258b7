"""One sync run: fetch, parse, validate, plan, record, apply, prune, record, report.

Only this module moves values from one stage to the next. A run whose remote
revision has not moved since the last run reuses the parsed manifests: it
fetches, renders and parses nothing and only compares the live objects (one
LIST per managed type) with the last applied state, re-applying what drifted.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.api.duration import parse_duration
from syncd.api.models import RootSync, parse_root_sync
from syncd.apply.applier import Applier
from syncd.apply.live import LiveReader
from syncd.apply.pruner import Pruner
from syncd.apply.waiter import Waiter
from syncd.core.errors import ClusterError, SourceFetchError, SyncSpecError
from syncd.core.inventory import InventorySet
from syncd.core.limits import DecodeLimits
from syncd.core.ordering import apply_waves
from syncd.core.plan import PruneGuard as PlanPruneGuard
from syncd.core.ports import Clock, Cluster, JsonObject, Source
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId
from syncd.inventory.store import InventoryStore
from syncd.logging import get_logger
from syncd.parse.decode import decode_directory
from syncd.parse.validate import ScopeRules, validate
from syncd.plan.plan import build_plan
from syncd.reconcile.events import announce, announce_drift
from syncd.reconcile.finalizer import (
    delete_managed,
    has_finalizer,
    set_finalizer,
    wants_foreground,
)
from syncd.reconcile.reporting import (
    Parsed,
    drift_messages,
    object_statuses,
    progress_report,
    run_report,
)
from syncd.reconcile.sources import SourceFactory, spec_source
from syncd.reconcile.worker import TriggerReason
from syncd.status.events import EventRecorder
from syncd.status.report import RunReport, StageReport, SyncCounts
from syncd.status.writer import StatusWriter

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
        self._inventory = InventoryStore(cluster, sync=sync)
        waiter = Waiter(cluster, clock=ports.clock, executor=ports.executor, stop=ports.stop)
        self._applier = Applier(cluster, executor=ports.executor, waiter=waiter, stop=ports.stop)
        self._pruner = Pruner(cluster, executor=ports.executor)
        self._reader = LiveReader(cluster, executor=ports.executor)
        self._status = StatusWriter(cluster, clock=ports.clock)
        self._events = EventRecorder(cluster, clock=ports.clock)
        self._source: Source | None = None
        self._source_key: tuple[Any, ...] = ()
        self._parsed: Parsed | None = None
        self._counts: tuple[str, SyncCounts] | None = None

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
            sync = parse_root_sync(obj)
        except SyncSpecError as exc:
            self._report(
                obj,
                RunReport(
                    generation=generation,
                    source=StageReport(errors=(exc,)),
                    stalled_reason="InvalidSpec",
                ),
            )
            return True
        if sync.spec.suspend:
            self._report(obj, RunReport(generation=generation, suspended=True))
            return True
        try:
            report = self._sync_once(sync, generation, bound)
        except SourceFetchError as exc:
            bound.warning("reconcile.source_failed", error=str(exc))
            self._source = None  # re-read the credentials Secret next run: it may be fixed
            report = RunReport(
                generation=generation,
                source=StageReport(errors=(exc,)),
                stalled_reason="SourceError",
            )
        except SyncSpecError as exc:
            report = RunReport(
                generation=generation,
                source=StageReport(errors=(exc,)),
                stalled_reason="InvalidSpec",
            )
        except ClusterError as exc:
            bound.warning("reconcile.cluster_failed", error=str(exc))
            report = RunReport(
                generation=generation,
                commit=self._commit(),
                sync=StageReport(commit=self._commit(), errors=(exc,)),
            )
        self._report(self._latest() or obj, report)
        return not report.errors or report.stalled_reason == "InvalidSpec"

    def _finalize(self, obj: JsonObject, generation: int, bound: Any) -> bool:
        """The sync object is being deleted: delete what it manages first, if asked to."""
        if not has_finalizer(obj):
            return True
        try:
            result = delete_managed(
                self._ports.cluster,
                self._sync,
                inventory=self._inventory,
                reader=self._reader,
                pruner=self._pruner,
            )
            if result is not None and not result.failed:
                bound.info("reconcile.finalized", pruned=len(result.pruned))
                set_finalizer(self._ports.cluster, self.ref, self._latest() or obj, on=False)
                return True
        except ClusterError as exc:
            bound.warning("reconcile.finalize_failed", error=str(exc))
            result = None
        errors = result.errors if result is not None else ()
        self._report(
            self._latest() or obj,
            RunReport(
                generation=generation,
                commit=self._commit(),
                sync=StageReport(commit=self._commit(), errors=errors),
                stalled_reason="DeletingObjects",
            ),
        )
        return False

    def _commit(self) -> str:
        return self._parsed.commit if self._parsed else ""

    def _report(self, obj: JsonObject, report: RunReport) -> None:
        status, changed = self._status.write(self.ref, report, live=obj)
        if changed and status is not None:
            announce(self._events, obj, report)
        # Drift is news even when the status (same counts) does not change.
        announce_drift(self._events, obj, report)

    def _sync_once(self, sync: RootSync, generation: int, bound: Any) -> RunReport:
        source = self._source_for(sync)
        commit = source.resolve()
        parsed = self._parsed
        if parsed is None or parsed.commit != commit:
            with source.fetch(commit) as snapshot:
                parsed = self._parse(commit, snapshot.directory)
            self._parsed = parsed
            bound.info(
                "reconcile.parsed",
                commit=commit[:12],
                objects=len(parsed.validation.manifests),
                errors=len(parsed.parse_errors) + len(parsed.validation.errors),
            )
        inventory = self._inventory.load()
        declared = parsed.validation.manifests
        kinds = {(m.ref.group, m.ref.kind) for m in declared} | {
            (r.group, r.kind) for r in inventory.refs
        }
        live = self._reader.read(kinds)
        guard = sync.spec.override.prune
        plan = build_plan(
            desired=[m for m in declared if m.ref not in parsed.order.excluded],
            inventory=inventory.refs.refs,
            live=live.objects,
            sync_id=self._sync.manager,
            applyset_id=self._inventory.applyset_id,
            commit=commit,
            prune_guard=PlanPruneGuard(
                max_deletes=guard.max_deletes if guard else None,
                max_delete_percent=guard.max_delete_percent if guard else None,
            ),
            can_prune=parsed.complete and live.complete,
            retain=parsed.validation.rejected | parsed.order.excluded,
        )
        self._inventory.record(InventorySet.pre_apply(inventory.refs, plan.managed))
        if plan.to_apply or plan.to_prune:
            # Applying (and waiting for readiness) can take minutes: say so now,
            # so `kubectl get rootsync` shows Syncing the new commit meanwhile.
            self._report_progress(generation, commit, parsed)
        timeout = parse_duration(sync.spec.override.reconcile_timeout).total_seconds()
        applied = self._applier.apply(plan, parsed.order, timeout=timeout)
        pruned = self._pruner.prune(plan)
        self._inventory.record(
            InventorySet.post_prune(
                plan.managed,
                # failed releases still carry syncd's metadata (failed applies are managed anyway)
                failed_removals=pruned.failed | applied.failed,
                kept=plan.kept,
            )
        )
        self._inventory.record_statuses(object_statuses(plan, applied, live.objects))
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
            parsed=parsed,
            plan=plan,
            applied=applied,
            pruned=pruned,
            extra_errors=live.errors,
        )
        drift = drift_messages(plan, applied, inventory.refs)
        for message in drift:
            bound.warning("reconcile.drift_corrected", detail=message)
        return self._steady_counts(dataclasses.replace(report, drift=drift))

    def _report_progress(self, generation: int, commit: str, parsed: Parsed) -> None:
        obj = self._latest()
        if obj is not None:
            self._status.write(
                self.ref,
                progress_report(generation=generation, commit=commit, parsed=parsed),
                live=obj,
            )

    def _steady_counts(self, report: RunReport) -> RunReport:
        """Keep the counts of the last run that changed something for this commit.

        status.sync counts describe what syncing the commit did. A later poll
        that finds nothing to do must not rewrite them (or status would change,
        and be written, on every poll).
        """
        counts = report.counts
        idle = counts.applied == 0 and counts.pruned == 0 and counts.failed == 0
        if idle and self._counts is not None and self._counts[0] == report.commit:
            return dataclasses.replace(report, counts=self._counts[1])
        self._counts = (report.commit, counts)
        return report

    def _source_for(self, sync: RootSync) -> Source:
        key = (sync.spec.model_dump_json(include={"source_type", "git"}),)
        if self._source is None or key != self._source_key:
            timeout = parse_duration(sync.spec.override.api_server_timeout).total_seconds()
            self._source = self._ports.source_factory(
                self._ports.cluster, sync, self._ports.cache_dir, max(timeout, 30)
            )
            if key != self._source_key:
                self._source_key = key
                self._parsed = None
        return self._source

    def _parse(self, commit: str, directory: Path) -> Parsed:
        decoded = decode_directory(directory, limits=self._ports.limits)

        def is_namespaced(group: str, kind: str) -> bool | None:
            try:
                return self._ports.cluster.resource_type(group, kind).namespaced
            except ClusterError:
                return None

        validation = validate(decoded.manifests, scope=ScopeRules(is_namespaced=is_namespaced))
        order = apply_waves(validation.manifests)
        return Parsed(
            commit=commit, validation=validation, parse_errors=decoded.errors, order=order
        )
