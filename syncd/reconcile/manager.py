"""Watches sync objects of one kind and keeps one worker (and one poll job) per sync.

One manager watches RootSyncs in syncd's namespace, another RepoSyncs in
every namespace; both build workers with the same runner factory, so both
kinds run the same pipeline. A new sync gets a worker and an immediate run; a spec change (a new
metadata.generation) triggers a run at once; a deleted one stops its worker
(its objects are orphaned: they stay). Status writes change no generation, so
they trigger nothing.

Shutdown tells every worker to stop at once (a run in progress ends between
waves, a readiness wait returns) and then joins them against one shared
deadline, so ten stuck syncs cost the deadline once. The watch thread is not
waited for: it may sit in a watch for a minute, it is a daemon, and once the
manager is shut down it starts nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from syncd.api.duration import parse_duration
from syncd.core.errors import (
    ClusterError,
    ForbiddenError,
    ResourceExpiredError,
    UnknownKindError,
)
from syncd.core.ownership import without_managed_fields
from syncd.core.ports import Cluster, JsonObject, WatchEventType
from syncd.core.sync import SYNCD_GROUP, SyncId, SyncKind
from syncd.logging import get_logger
from syncd.reconcile.shutdown import Deadline, stop_all
from syncd.reconcile.worker import SyncRun, SyncWorker, TriggerReason

log = get_logger("reconcile.manager")
DEFAULT_PERIOD = dt.timedelta(seconds=15)
WATCH_RETRY_SECONDS = 1.0
CRD_RETRY_SECONDS = 30.0
"""How often to look again for a sync kind the cluster does not serve or syncd may not list."""
WORKER_JOIN_SECONDS = 30.0


class Scheduler(Protocol):
    """What the manager needs from the poll scheduler (schedule/ provides it)."""

    def schedule(self, sync: SyncId, *, period: dt.timedelta, trigger: Callable[[], None]) -> None:
        """Poll `sync` every `period`."""
        ...

    def unschedule(self, sync: SyncId) -> None:
        """Stop polling `sync`."""
        ...


@dataclass(kw_only=True)
class _Entry:
    worker: SyncWorker
    obj: JsonObject
    generation: int


RunnerFactory = Callable[[SyncId, Callable[[], JsonObject | None]], SyncRun]
"""`factory(sync, latest)`: what the sync's worker runs (`latest` is its newest sync object)."""


def _period_of(obj: JsonObject) -> dt.timedelta:
    git = (obj.get("spec") or {}).get("git") or {}
    try:
        return parse_duration(str(git.get("period") or "15s"))
    except ValueError:
        return DEFAULT_PERIOD


class SyncManager:
    """Owns the workers of every sync of one kind in one namespace ('' for all)."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        namespace: str,
        kind: SyncKind = SyncKind.ROOT_SYNC,
        scheduler: Scheduler,
        runner_factory: RunnerFactory,
        stop: threading.Event,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`runner_factory(sync, latest)` builds what one sync's worker runs."""
        self._cluster = cluster
        self._namespace = namespace
        self._kind = kind
        self._scheduler = scheduler
        self._factory = runner_factory
        self._stop = stop
        self._monotonic = monotonic
        self._closed = False
        self._lock = threading.Lock()
        self._entries: dict[SyncId, _Entry] = {}
        self._listed = threading.Event()
        self._thread = threading.Thread(
            target=self._watch_loop, name=f"sync-manager-{kind.value}", daemon=True
        )

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def shutdown(self, *, timeout: float = 30.0) -> tuple[SyncId, ...]:
        """Stop every worker at once and wait `timeout` seconds in all.

        Returns the syncs whose run had not ended by then; their queued
        requests are cancelled all the same (every worker is released).
        """
        self._stop.set()
        with self._lock:
            self._closed = True
            entries = sorted(self._entries.items())
            self._entries.clear()
        for sync, _ in entries:
            self._scheduler.unschedule(sync)
        workers = [entry.worker for _, entry in entries]
        left = stop_all(workers, deadline=Deadline.after(timeout, monotonic=self._monotonic))
        for worker in workers:
            worker.release()
        if left:
            log.warning("reconcile.workers_abandoned", syncs=[str(w.sync) for w in left])
        return tuple(worker.sync for worker in left)

    @property
    def listed(self) -> bool:
        """Whether the sync objects have been listed once (the manager knows its syncs)."""
        return self._listed.is_set()

    @property
    def kind(self) -> SyncKind:
        """The kind of sync this manager runs."""
        return self._kind

    def syncs(self) -> list[SyncId]:
        """The syncs being managed."""
        with self._lock:
            return sorted(self._entries)

    def latest(self, sync: SyncId) -> JsonObject | None:
        """The newest copy of a sync object seen by the watch."""
        with self._lock:
            entry = self._entries.get(sync)
            return entry.obj if entry else None

    def _watch_loop(self) -> None:
        rtype = None
        resource_version = ""
        while not self._stop.is_set():
            try:
                if rtype is None:
                    rtype = self._cluster.resource_type(SYNCD_GROUP, self._kind.value)
                if not resource_version:
                    listed = self._cluster.list(rtype, namespace=self._namespace)
                    self._resync({self._id(o): o for o in listed.items})
                    resource_version = listed.resource_version
                    self._listed.set()
                events = 0
                for event in self._cluster.watch(
                    rtype,
                    namespace=self._namespace,
                    resource_version=resource_version,
                    timeout_seconds=60,
                ):
                    events += 1
                    if self._stop.is_set():
                        return
                    meta = event.object.get("metadata") or {}
                    resource_version = meta.get("resourceVersion", resource_version)
                    if event.type is WatchEventType.BOOKMARK:
                        continue
                    if event.type is WatchEventType.DELETED:
                        self._remove(self._id(event.object))
                    elif event.type in (WatchEventType.ADDED, WatchEventType.MODIFIED):
                        self._upsert(event.object)
                if events == 0:
                    # A watch that ends at once (a proxy, an overloaded server)
                    # must not turn into a busy loop of requests.
                    self._stop.wait(WATCH_RETRY_SECONDS)
            except ResourceExpiredError:
                resource_version = ""
            except (UnknownKindError, ForbiddenError) as exc:
                # The CRD is not installed (yet), or syncd may not list this kind (see
                # manifests/rbac/): nothing of it is reconciled; look again now and then.
                log.warning("reconcile.watch_failed", kind=self._kind.value, error=str(exc))
                self._cluster.refresh_discovery()
                rtype, resource_version = None, ""
                self._stop.wait(CRD_RETRY_SECONDS)
            except ClusterError as exc:
                log.warning("reconcile.watch_failed", kind=self._kind.value, error=str(exc))
                resource_version = ""
                self._stop.wait(WATCH_RETRY_SECONDS)

    def _id(self, obj: JsonObject) -> SyncId:
        meta = obj.get("metadata") or {}
        return SyncId(
            kind=self._kind,
            namespace=str(meta.get("namespace", self._namespace)),
            name=str(meta.get("name")),
        )

    def _resync(self, current: dict[SyncId, JsonObject]) -> None:
        with self._lock:
            gone = [sync for sync in self._entries if sync not in current]
        for sync in gone:
            self._remove(sync)
        for obj in current.values():
            self._upsert(obj)

    def _upsert(self, obj: JsonObject) -> None:
        # Kept for as long as the sync exists: without its managedFields (more than half of a
        # sync object in memory, read by nobody; a status PUT without them keeps the stored ones).
        obj = without_managed_fields(obj)
        sync = self._id(obj)
        generation = int((obj.get("metadata") or {}).get("generation") or 0)
        with self._lock:
            if self._closed:
                return
            entry = self._entries.get(sync)
            if entry is None:
                worker = SyncWorker(sync, run=self._factory(sync, lambda: self.latest(sync)))
                entry = _Entry(worker=worker, obj=obj, generation=generation)
                self._entries[sync] = entry
                created = True
            else:
                created = False
                deleting = bool((obj.get("metadata") or {}).get("deletionTimestamp"))
                changed = generation != entry.generation or deleting
                entry.obj, entry.generation = obj, generation
        if created:
            log.info("reconcile.sync_added", sync=str(sync))
            entry.worker.start()
            entry.worker.trigger(TriggerReason.STARTUP)
        elif changed:
            log.info("reconcile.spec_changed", sync=str(sync), generation=generation)
            entry.worker.trigger(TriggerReason.SPEC_CHANGE)
        self._scheduler.schedule(
            sync, period=_period_of(obj), trigger=lambda: entry.worker.trigger(TriggerReason.POLL)
        )

    def _remove(self, sync: SyncId) -> None:
        with self._lock:
            entry = self._entries.pop(sync, None)
        if entry is None:
            return
        log.info("reconcile.sync_removed", sync=str(sync))
        # The sync is gone: cut its run short and cancel its queued requests at
        # once. A poll firing meanwhile reaches a stopped worker: a no-op.
        entry.worker.request_stop()
        entry.worker.release()
        entry.worker.join(WORKER_JOIN_SECONDS)
        self._scheduler.unschedule(sync)
