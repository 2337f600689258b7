"""The per-sync worker coalesces triggers, runs one at a time, retries with backoff,
and stops in two steps (told, then joined) so that many workers stop in parallel."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from syncd.core.sync import SyncId, SyncKind
from syncd.devenv.proc import wait_until
from syncd.reconcile.worker import Backoff, SyncRun, SyncWorker, TriggerReason

SYNC = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="root")


def test_triggers_arriving_during_a_run_are_merged_into_the_next_run() -> None:
    release = threading.Event()
    started = threading.Event()
    batches: list[frozenset[TriggerReason]] = []

    def run(batch: frozenset[TriggerReason]) -> bool:
        batches.append(batch)
        started.set()
        release.wait(10)
        return True

    worker = SyncWorker(SYNC, run=run)
    worker.start()
    try:
        worker.trigger(TriggerReason.STARTUP)
        assert started.wait(10)
        for _ in range(5):
            worker.trigger(TriggerReason.POLL)
        worker.trigger(TriggerReason.DRIFT)
        release.set()
        wait_until(lambda: worker.runs >= 2, timeout=10, what="second run")
    finally:
        worker.stop()
    assert batches == [
        frozenset({TriggerReason.STARTUP}),
        frozenset({TriggerReason.POLL, TriggerReason.DRIFT}),
    ]


def test_a_failed_run_is_retried_after_backoff_without_a_new_trigger() -> None:
    outcomes = iter([False, False, True])
    batches: list[frozenset[TriggerReason]] = []

    def run(batch: frozenset[TriggerReason]) -> bool:
        batches.append(batch)
        return next(outcomes)

    worker = SyncWorker(SYNC, run=run, backoff=Backoff(initial=0.01, maximum=0.05))
    worker.start()
    try:
        worker.trigger(TriggerReason.MANUAL)
        wait_until(lambda: worker.runs >= 3, timeout=10, what="three runs")
    finally:
        worker.stop()
    assert batches[0] == frozenset({TriggerReason.MANUAL})
    assert batches[1:] == [frozenset({TriggerReason.RETRY})] * 2


def test_a_crashing_run_counts_as_a_failure_and_the_worker_survives() -> None:
    calls: list[int] = []

    def run(batch: frozenset[TriggerReason]) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return True

    worker = SyncWorker(SYNC, run=run, backoff=Backoff(initial=0.01))
    worker.start()
    try:
        worker.trigger(TriggerReason.MANUAL)
        wait_until(lambda: worker.runs >= 2, timeout=10, what="retry after crash")
    finally:
        worker.stop()
    assert len(calls) == 2


def test_stop_ends_the_thread_without_running_pending_triggers() -> None:
    calls: list[frozenset[TriggerReason]] = []
    worker = SyncWorker(SYNC, run=lambda b: calls.append(b) is None)
    worker.stop()  # before start: nothing to join
    assert calls == []


@pytest.mark.parametrize(
    ("failures", "expected"), [(1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (30, 60.0)]
)
def test_backoff_doubles_and_caps(failures: int, expected: float) -> None:
    assert Backoff().delay(failures) == expected


def test_request_stop_interrupts_a_run_in_progress_and_join_sees_it_end() -> None:
    interrupted = threading.Event()
    started = threading.Event()
    released: list[int] = []

    def run(batch: frozenset[TriggerReason]) -> bool:
        started.set()
        return interrupted.wait(10)  # a readiness wait that returns when interrupted

    worker = SyncWorker(
        SYNC,
        run=SyncRun(run=run, interrupt=interrupted.set, release=lambda: released.append(1)),
    )
    worker.start()
    worker.trigger(TriggerReason.STARTUP)
    assert started.wait(10)
    worker.request_stop()  # never blocks: the run may still be ending
    worker.request_stop()  # a second request interrupts nothing more
    assert worker.join(10)
    assert worker.runs == 1
    worker.release()
    worker.release()
    assert released == [1]


def test_join_reports_a_run_that_does_not_end_in_time_and_release_cuts_it_short() -> None:
    started = threading.Event()
    cancelled = threading.Event()
    queued: Future[None] = Future()

    def run(batch: frozenset[TriggerReason]) -> bool:
        started.set()
        queued.result(10)  # a request stuck in its lane's queue; interrupt does not reach it
        return True

    def release() -> None:
        queued.cancel()
        cancelled.set()

    worker = SyncWorker(SYNC, run=SyncRun(run=run, release=release))
    worker.start()
    worker.trigger(TriggerReason.STARTUP)
    assert started.wait(10)
    worker.request_stop()
    assert not worker.join(0)
    worker.release()
    assert cancelled.is_set()
    assert worker.join(10)  # the cancelled request ended the run: CancelledError is no crash
    assert worker.runs == 1


def test_stop_before_start_still_releases_once() -> None:
    released: list[int] = []
    worker = SyncWorker(SYNC, run=SyncRun(run=lambda b: True, release=lambda: released.append(1)))
    assert worker.stop(timeout=1)
    assert released == [1]
