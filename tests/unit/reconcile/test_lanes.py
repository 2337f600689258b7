"""The fair executor shares its threads between lanes (syncs), never lets one starve another,
and cancels what is queued when a lane or the whole executor closes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import pytest

from syncd.devenv.proc import wait_until
from syncd.reconcile.lanes import FairExecutor, Lane, LaneClosedError

WAIT = 10.0


class Gate:
    """A task that holds its thread until opened, and says when it has started."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.opened = threading.Event()

    def __call__(self) -> str:
        self.started.set()
        assert self.opened.wait(WAIT), "gate never opened"
        return "gate"

    def open(self) -> None:
        self.opened.set()


class Recorder:
    """Tasks that append their label to one shared list when they run."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.lock = threading.Lock()

    def task(self, label: str) -> Callable[[], str]:
        def run() -> str:
            with self.lock:
                self.order.append(label)
            return label

        return run

    def snapshot(self) -> list[str]:
        with self.lock:
            return list(self.order)


@pytest.fixture
def one_worker() -> Iterator[FairExecutor]:
    pool = FairExecutor(workers=1, name="test")
    yield pool
    pool.shutdown(timeout=WAIT)


def hold(pool: FairExecutor, lane: Lane) -> Gate:
    """Occupy the one thread of `pool` with a gate in `lane`."""
    assert pool.workers == 1
    gate = Gate()
    lane.submit(gate)
    assert gate.started.wait(WAIT)
    return gate


def test_one_thread_alternates_between_a_busy_lane_and_a_small_one(
    one_worker: FairExecutor,
) -> None:
    busy, small, gate_lane = (one_worker.lane(n) for n in ("busy", "small", "gate"))
    gate = hold(one_worker, gate_lane)
    recorder = Recorder()
    futures = [busy.submit(recorder.task(f"busy-{i}")) for i in range(20)]
    futures += [small.submit(recorder.task(f"small-{i}")) for i in range(5)]
    gate.open()
    for future in futures:
        future.result(WAIT)
    order = recorder.snapshot()
    lanes = [label.split("-")[0] for label in order]
    # Round-robin while both lanes have work: the lane with five queued
    # requests gets every other turn, not a place behind the twenty.
    assert lanes == ["busy", "small"] * 5 + ["busy"] * 15
    # Within a lane, requests run in the order they were submitted.
    assert [label for label in order if label.startswith("busy")] == [
        f"busy-{i}" for i in range(20)
    ]
    assert [label for label in order if label.startswith("small")] == [
        f"small-{i}" for i in range(5)
    ]


def test_a_thread_freed_by_a_busy_lane_goes_to_the_lane_with_fewer_running() -> None:
    pool = FairExecutor(workers=4, name="test")
    busy, small = pool.lane("busy"), pool.lane("small")
    releases = [threading.Event() for _ in range(100)]
    starts = Recorder()

    def blocking(i: int) -> Callable[[], None]:
        def run() -> None:
            starts.task(f"busy-{i}")()
            assert releases[i].wait(WAIT)

        return run

    try:
        busy_futures: list[Future[None]] = [busy.submit(blocking(i)) for i in range(100)]
        wait_until(lambda: len(starts.snapshot()) == 4, timeout=WAIT, what="four busy tasks")
        small_futures = [small.submit(starts.task(f"small-{i}")) for i in range(5)]
        assert small.stats().queued == 5  # every thread is held by the busy lane
        releases[0].set()
        for future in small_futures:
            future.result(WAIT)
        busy_futures[0].result(WAIT)
        # The one thread the busy lane let go served the small lane (0 running
        # against 3) until its queue was empty; 95 busy requests waited.
        wait_until(lambda: len(starts.snapshot()) >= 10, timeout=WAIT, what="next busy task")
        assert starts.snapshot()[:10] == [f"busy-{i}" for i in range(4)] + [
            f"small-{i}" for i in range(5)
        ] + ["busy-4"]
    finally:
        for release in releases:
            release.set()
        pool.shutdown(timeout=WAIT)


def test_no_more_tasks_run_at_once_than_the_executor_has_threads() -> None:
    pool = FairExecutor(workers=3, name="test")
    lanes = [pool.lane(f"sync-{i}") for i in range(4)]
    lock = threading.Lock()
    running = [0]
    peak = [0]
    release = threading.Event()

    def task() -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        release.wait(WAIT)
        with lock:
            running[0] -= 1

    try:
        futures = [lane.submit(task) for lane in lanes for _ in range(5)]
        wait_until(lambda: running[0] == 3, timeout=WAIT, what="three running")
        assert sum(lane.stats().queued for lane in lanes) == 17
        release.set()
        for future in futures:
            future.result(WAIT)
    finally:
        release.set()
        pool.shutdown(timeout=WAIT)
    assert peak[0] == 3
    assert len([t for t in threading.enumerate() if t.name.startswith("test-")]) <= 3


def test_closing_a_lane_cancels_its_queued_tasks_and_leaves_other_lanes_alone(
    one_worker: FairExecutor,
) -> None:
    gone, other = one_worker.lane("gone"), one_worker.lane("other")
    gate = hold(one_worker, other)
    queued = [gone.submit(lambda: "never") for _ in range(3)]
    kept = other.submit(lambda: "kept")
    gone.shutdown(wait=False, cancel_futures=True)
    assert all(future.cancelled() for future in queued)
    with pytest.raises(LaneClosedError):
        gone.submit(lambda: "late")
    gate.open()
    assert kept.result(WAIT) == "kept"
    assert other.submit(lambda: "still open").result(WAIT) == "still open"


def test_shutting_down_cancels_every_queued_task_and_refuses_new_ones() -> None:
    pool = FairExecutor(workers=1, name="test")
    first, second = pool.lane("first"), pool.lane("second")
    gate = hold(pool, first)
    queued = [lane.submit(lambda: "never") for lane in (first, second) for _ in range(4)]
    pool.request_stop()
    assert all(future.cancelled() for future in queued)
    with pytest.raises(LaneClosedError):
        second.submit(lambda: "late")
    with pytest.raises(LaneClosedError):
        pool.lane("new")
    assert not pool.join(0)  # the gate still holds the one thread
    gate.open()
    assert pool.join(WAIT)


def test_a_task_that_raises_hands_the_exception_to_its_future(one_worker: FairExecutor) -> None:
    lane = one_worker.lane("sync")

    def boom() -> None:
        raise ValueError("bad request")

    with pytest.raises(ValueError, match="bad request"):
        lane.submit(boom).result(WAIT)
    assert lane.submit(lambda: 42).result(WAIT) == 42


def test_a_lane_is_an_executor_with_map(one_worker: FairExecutor) -> None:
    lane = one_worker.lane("sync")
    assert list(lane.map(lambda x: x * 2, range(5), timeout=WAIT)) == [0, 2, 4, 6, 8]


def test_an_executor_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        FairExecutor(workers=0)
