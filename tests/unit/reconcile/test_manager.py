"""The manager keeps one worker and one poll job per RootSync, driven by the watch,
and stops them all at once against one deadline."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from syncd.core.ports import JsonObject, ResourceType, WatchEvent
from syncd.core.sync import SyncId, SyncKind
from syncd.devenv.proc import wait_until
from syncd.reconcile.manager import SyncManager
from syncd.reconcile.worker import SyncRun, TriggerReason
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from tests.unit.kube import BUILTIN_TYPES, REPO_SYNC, ROOT_SYNC, TENANCY_TYPES, ref_of, root_sync

NAMESPACE = "syncd-system"
ROOT = SyncId(kind=SyncKind.ROOT_SYNC, namespace=NAMESPACE, name="root")
OTHER = SyncId(kind=SyncKind.ROOT_SYNC, namespace=NAMESPACE, name="other")


class PacedCluster(FakeCluster):
    """FakeCluster whose watches pause briefly before replaying, like a server holding a watch.

    FakeCluster's watch ends right after its BOOKMARK; without the pause the
    manager would re-watch in a tight loop for the whole test.
    """

    def watch(self, rtype: ResourceType, **options: Any) -> Iterator[WatchEvent]:
        time.sleep(0.005)
        return super().watch(rtype, **options)


@dataclass
class RecordingScheduler:
    """Remembers the latest period and trigger per sync, and every unschedule."""

    periods: dict[SyncId, dt.timedelta] = field(default_factory=dict)
    triggers: dict[SyncId, Callable[[], None]] = field(default_factory=dict)
    unscheduled: list[SyncId] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def schedule(self, sync: SyncId, *, period: dt.timedelta, trigger: Callable[[], None]) -> None:
        with self.lock:
            self.periods[sync] = period
            self.triggers[sync] = trigger

    def unschedule(self, sync: SyncId) -> None:
        with self.lock:
            self.unscheduled.append(sync)


@dataclass
class Runs:
    """What each sync's run function was called with, and the sync object it saw."""

    calls: list[tuple[SyncId, frozenset[TriggerReason], JsonObject | None]] = field(
        default_factory=list
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def factory(self, sync: SyncId, latest: Callable[[], JsonObject | None]) -> SyncRun:
        def run(reasons: frozenset[TriggerReason]) -> bool:
            with self.lock:
                self.calls.append((sync, reasons, latest()))
            return True

        return SyncRun(run=run)

    def of(self, sync: SyncId) -> list[frozenset[TriggerReason]]:
        with self.lock:
            return [reasons for s, reasons, _ in self.calls if s == sync]

    def last_object(self, sync: SyncId) -> JsonObject | None:
        with self.lock:
            return [obj for s, _, obj in self.calls if s == sync][-1]


def put_root_sync(cluster: FakeCluster, name: str, period: str = "15s", **extra: Any) -> None:
    spec = {"git": {"repo": "https://git.example/repo.git", "period": period}, **extra}
    cluster.apply(
        ref_of(ROOT_SYNC, name, NAMESPACE),
        root_sync(spec, name=name, namespace=NAMESPACE),
        field_manager="kubectl",
    )


@dataclass
class Harness:
    cluster: PacedCluster
    scheduler: RecordingScheduler
    runs: Runs
    manager: SyncManager
    started: bool = False

    def start(self) -> None:
        self.manager.start()
        self.started = True

    def put(self, name: str, period: str = "15s", **extra: Any) -> None:
        put_root_sync(self.cluster, name, period, **extra)

    def wait_runs(self, sync: SyncId, count: int) -> list[frozenset[TriggerReason]]:
        wait_until(lambda: len(self.runs.of(sync)) >= count, timeout=10, what=f"{count} runs")
        return self.runs.of(sync)


@pytest.fixture
def harness() -> Iterator[Harness]:
    cluster = PacedCluster(BUILTIN_TYPES, clock=FakeClock())
    scheduler = RecordingScheduler()
    runs = Runs()
    manager = SyncManager(
        cluster,
        namespace=NAMESPACE,
        scheduler=scheduler,
        runner_factory=runs.factory,
        stop=threading.Event(),
    )
    h = Harness(cluster=cluster, scheduler=scheduler, runs=runs, manager=manager)
    yield h
    if h.started:
        manager.shutdown(timeout=5)


def test_an_existing_root_sync_gets_a_worker_a_startup_run_and_its_poll_period(
    harness: Harness,
) -> None:
    harness.put("root", period="42s")
    harness.start()
    assert harness.wait_runs(ROOT, 1) == [frozenset({TriggerReason.STARTUP})]
    assert harness.manager.syncs() == [ROOT]
    assert harness.scheduler.periods[ROOT] == dt.timedelta(seconds=42)
    seen = harness.runs.last_object(ROOT)
    assert seen is not None
    assert seen["metadata"]["name"] == "root"


def test_a_root_sync_created_later_is_picked_up_by_the_watch(harness: Harness) -> None:
    harness.start()
    harness.put("other", period="1m30s")
    assert harness.wait_runs(OTHER, 1) == [frozenset({TriggerReason.STARTUP})]
    assert harness.scheduler.periods[OTHER] == dt.timedelta(seconds=90)


def test_a_spec_change_triggers_a_spec_change_run_and_reschedules(harness: Harness) -> None:
    harness.put("root", period="42s")
    harness.start()
    harness.wait_runs(ROOT, 1)
    harness.put("root", period="2m")
    runs = harness.wait_runs(ROOT, 2)
    assert runs[1] == frozenset({TriggerReason.SPEC_CHANGE})
    wait_until(
        lambda: harness.scheduler.periods[ROOT] == dt.timedelta(minutes=2),
        timeout=10,
        what="new period",
    )
    seen = harness.runs.last_object(ROOT)
    assert seen is not None
    assert seen["metadata"]["generation"] == 2


def test_a_status_write_triggers_no_run(harness: Harness) -> None:
    harness.put("root")
    harness.start()
    harness.wait_runs(ROOT, 1)
    ref = ref_of(ROOT_SYNC, "root", NAMESPACE)
    live = harness.cluster.peek(ref)
    assert live is not None
    harness.cluster.replace_status(ref, {**live, "status": {"observedGeneration": 1}})
    # The watch handles events in order: once `other` has run, root's status event was seen.
    harness.put("other")
    harness.wait_runs(OTHER, 1)
    latest = harness.manager.latest(ROOT)
    assert latest is not None
    assert latest.get("status") == {"observedGeneration": 1}
    # Triggers coalesce: had the status event triggered root, that reason would
    # show up in the run a poll now causes (or in a run before it).
    harness.scheduler.triggers[ROOT]()
    harness.wait_runs(ROOT, 2)
    assert harness.runs.of(ROOT) == [
        frozenset({TriggerReason.STARTUP}),
        frozenset({TriggerReason.POLL}),
    ]


def test_the_poll_job_triggers_a_poll_run(harness: Harness) -> None:
    harness.put("root")
    harness.start()
    harness.wait_runs(ROOT, 1)
    harness.scheduler.triggers[ROOT]()
    assert harness.wait_runs(ROOT, 2)[1] == frozenset({TriggerReason.POLL})


def test_deleting_a_root_sync_stops_its_worker_and_its_poll_job(harness: Harness) -> None:
    harness.put("root")
    harness.put("other")
    harness.start()
    harness.wait_runs(ROOT, 1)
    harness.wait_runs(OTHER, 1)
    poll = harness.scheduler.triggers[ROOT]
    harness.cluster.delete(ref_of(ROOT_SYNC, "root", NAMESPACE))
    # The worker is stopped (its thread joined) before the poll job is removed.
    wait_until(lambda: ROOT in harness.scheduler.unscheduled, timeout=10, what="root removed")
    assert harness.manager.syncs() == [OTHER]
    assert harness.manager.latest(ROOT) is None
    poll()  # a poll job firing late reaches a stopped worker: no thread is left to run it
    assert len(harness.runs.of(ROOT)) == 1


def test_shutdown_stops_every_worker_and_poll_job(harness: Harness) -> None:
    harness.put("root")
    harness.put("other")
    harness.start()
    harness.wait_runs(ROOT, 1)
    harness.wait_runs(OTHER, 1)
    harness.manager.shutdown(timeout=5)
    harness.started = False
    assert sorted(harness.scheduler.unscheduled) == [OTHER, ROOT]
    assert harness.manager.syncs() == []
    # shutdown() joined every worker thread: nothing is left to run a trigger.
    harness.scheduler.triggers[ROOT]()
    assert len(harness.runs.of(ROOT)) == 1


@dataclass
class Interruptible:
    """Runs that block until interrupted, recording interrupts and releases per sync."""

    interrupted: dict[SyncId, threading.Event] = field(default_factory=dict)
    released: list[SyncId] = field(default_factory=list)
    started: list[SyncId] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    all_interrupted: threading.Barrier | None = None
    ignore_interrupt: threading.Event | None = None
    barrier_broken: list[SyncId] = field(default_factory=list)

    def factory(self, sync: SyncId, latest: Callable[[], JsonObject | None]) -> SyncRun:
        event = self.interrupted.setdefault(sync, threading.Event())

        def run(reasons: frozenset[TriggerReason]) -> bool:
            with self.lock:
                self.started.append(sync)
            if self.ignore_interrupt is not None:  # stuck in a request: deaf to interrupts
                self.ignore_interrupt.wait(30)
                return True
            event.wait(30)
            if self.all_interrupted is not None:
                try:
                    # Ends only once every other run was interrupted too: a
                    # manager that waited for this run before telling the
                    # others would break the barrier.
                    self.all_interrupted.wait(10)
                except threading.BrokenBarrierError:
                    with self.lock:
                        self.barrier_broken.append(sync)
            return True

        def release() -> None:
            with self.lock:
                self.released.append(sync)

        return SyncRun(run=run, interrupt=event.set, release=release)

    def wait_started(self, count: int) -> None:
        wait_until(lambda: len(self.started) >= count, timeout=10, what=f"{count} runs started")


def interruptible_manager(runs: Interruptible, *names: str) -> tuple[SyncManager, FakeCluster]:
    cluster = PacedCluster(BUILTIN_TYPES, clock=FakeClock())
    for name in names:
        put_root_sync(cluster, name)
    manager = SyncManager(
        cluster,
        namespace=NAMESPACE,
        scheduler=RecordingScheduler(),
        runner_factory=runs.factory,
        stop=threading.Event(),
    )
    return manager, cluster


NAMES = ("one", "two", "three")
SYNCS = tuple(SyncId(kind=SyncKind.ROOT_SYNC, namespace=NAMESPACE, name=n) for n in NAMES)


def test_shutdown_interrupts_every_run_before_waiting_for_any() -> None:
    runs = Interruptible(all_interrupted=threading.Barrier(len(NAMES)))
    manager, _ = interruptible_manager(runs, *NAMES)
    manager.start()
    runs.wait_started(len(NAMES))
    left = manager.shutdown(timeout=20)
    assert left == ()
    assert runs.barrier_broken == []
    assert sorted(runs.released) == sorted(SYNCS)


def test_shutdown_gives_up_on_stuck_runs_at_one_deadline_and_releases_them() -> None:
    stuck = threading.Event()
    runs = Interruptible(ignore_interrupt=stuck)
    manager, _ = interruptible_manager(runs, *NAMES)
    manager.start()
    try:
        runs.wait_started(len(NAMES))
        left = manager.shutdown(timeout=0.2)
        # Every stuck sync is named, and each was released (its queued
        # requests cancelled) even though its run had not ended.
        assert sorted(left) == sorted(SYNCS)
        assert sorted(runs.released) == sorted(SYNCS)
        assert all(event.is_set() for event in runs.interrupted.values())
    finally:
        stuck.set()


def test_deleting_a_root_sync_interrupts_its_run_and_releases_it() -> None:
    runs = Interruptible()
    manager, cluster = interruptible_manager(runs, "one", "two")
    manager.start()
    try:
        runs.wait_started(2)
        cluster.delete(ref_of(ROOT_SYNC, "one", NAMESPACE))
        wait_until(lambda: runs.released == [SYNCS[0]], timeout=10, what="one released")
        assert runs.interrupted[SYNCS[0]].is_set()
        assert not runs.interrupted[SYNCS[1]].is_set()
        assert manager.syncs() == [SYNCS[1]]
    finally:
        manager.shutdown(timeout=10)


def test_a_repo_sync_manager_runs_every_namespaces_repo_syncs_as_repo_syncs() -> None:

    cluster = PacedCluster(TENANCY_TYPES, clock=FakeClock())
    for ns in ("team-a", "team-b"):
        cluster.apply(
            ref_of(REPO_SYNC, "repo", ns),
            {
                "apiVersion": "syncd.dev/v1beta1",
                "kind": "RepoSync",
                "metadata": {"name": "repo", "namespace": ns},
                "spec": {"git": {"repo": "https://git.example/t.git", "period": "30s"}},
            },
            field_manager="kubectl",
        )
    put_root_sync(cluster, "root")  # a RootSync is not this manager's
    runs, scheduler, stop = Runs(), RecordingScheduler(), threading.Event()
    manager = SyncManager(
        cluster,
        namespace="",
        kind=SyncKind.REPO_SYNC,
        scheduler=scheduler,
        runner_factory=runs.factory,
        stop=stop,
    )
    manager.start()
    try:
        expected = [
            SyncId(kind=SyncKind.REPO_SYNC, namespace=ns, name="repo")
            for ns in ("team-a", "team-b")
        ]
        wait_until(lambda: manager.syncs() == expected, timeout=10, what="both RepoSyncs")
        wait_until(lambda: all(runs.of(s) for s in expected), timeout=10, what="a run each")
        assert scheduler.periods[expected[0]] == dt.timedelta(seconds=30)
    finally:
        manager.shutdown(timeout=5)
