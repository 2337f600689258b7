"""The fair executor: one bounded set of request threads for the process, one lane per sync.

Every request a sync's pipeline hands to its executor (applies, readiness
polls, LISTs, deletes) is a task in that sync's `Lane`. A free thread takes
the next task from the lane with the fewest tasks running, ties broken in
turn (round-robin), so a sync with thousands of queued requests gets the same
share of the threads as a sync with five, and a sync alone may use them all.
Within a lane tasks run in the order they were submitted.

Closing a lane (its sync went away) or the executor (the process stops)
cancels the tasks still queued: their futures raise CancelledError, and a
closed lane refuses new tasks (RuntimeError, as `ThreadPoolExecutor` does).
Threads are started on demand, up to the bound, and are daemons: a request
stuck past the shutdown deadline never keeps the process alive.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from syncd.logging import get_logger

log = get_logger("reconcile.lanes")

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Task:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            result = self.fn(*self.args, **self.kwargs)
        # Handed to whoever waits on the future, exactly as ThreadPoolExecutor does.
        except BaseException as exc:  # noqa: BLE001
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)


class LaneClosedError(RuntimeError):
    """A task was submitted to a closed lane (its sync went away, or the process stops)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneStats:
    """One lane's queue at one moment."""

    queued: int
    running: int


class Lane(Executor):
    """One sync's share of a `FairExecutor` (the `Executor` its pipeline uses)."""

    def __init__(self, pool: FairExecutor, name: str) -> None:
        """Use `FairExecutor.lane` to create one."""
        self.name = name
        self._pool = pool
        # Guarded by the pool's lock.
        self._queue: deque[_Task] = deque()
        self._running = 0
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue `fn(*args, **kwargs)` in this lane."""
        future: Future[T] = Future()
        self._pool._enqueue(self, _Task(future=future, fn=fn, args=args, kwargs=kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Close the lane: no new tasks; `cancel_futures` cancels those queued.

        With `wait`, returns once the lane's remaining tasks have finished.
        """
        self._pool._close_lane(self, wait=wait, cancel=cancel_futures)

    def stats(self) -> LaneStats:
        """How many tasks are queued and running."""
        return self._pool._stats(self)


class FairExecutor:
    """A bounded set of daemon threads serving lanes fairly."""

    def __init__(
        self,
        *,
        workers: int,
        name: str = "request",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """At most `workers` tasks run at once, in all lanes together."""
        if workers < 1:
            raise ValueError("a FairExecutor needs at least one worker")
        self._max = workers
        self._name = name
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._lane_done = threading.Condition(self._lock)
        self._lanes: list[Lane] = []
        self._cursor = 0
        self._queued = 0
        self._idle = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False

    @property
    def workers(self) -> int:
        """The most tasks that run at once."""
        return self._max

    def lane(self, name: str) -> Lane:
        """A new open lane named `name` (a sync)."""
        lane = Lane(self, name)
        with self._lock:
            if self._stopping:
                raise LaneClosedError("the executor is shut down")
            self._lanes.append(lane)
        return lane

    def _enqueue(self, lane: Lane, task: _Task) -> None:
        """Queue `task` in `lane` and make sure a thread will take it."""
        with self._lock:
            if lane._closed or self._stopping:
                raise LaneClosedError(f"lane {lane.name} is closed: no new tasks")
            lane._queue.append(task)
            self._queued += 1
            if self._idle < self._queued and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._serve, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._work.notify()

    def _close_lane(self, lane: Lane, *, wait: bool, cancel: bool) -> None:
        """Refuse new tasks in `lane`; cancel its queue if asked; wait for the rest if asked."""
        with self._lock:
            lane._closed = True
            if cancel:
                self._cancel_queued(lane)
            if wait:
                self._lane_done.wait_for(lambda: not lane._queue and not lane._running)
            self._forget_if_idle(lane)

    def _stats(self, lane: Lane) -> LaneStats:
        """`lane`'s queued and running tasks."""
        with self._lock:
            return LaneStats(queued=len(lane._queue), running=lane._running)

    def request_stop(self) -> None:
        """Close every lane, cancel every queued task and let idle threads end."""
        with self._lock:
            self._stopping = True
            for lane in self._lanes:
                lane._closed = True
                self._cancel_queued(lane)
            self._work.notify_all()
            self._lane_done.notify_all()
        log.info("reconcile.requests_stopping", threads=len(self._threads))

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds in all for the threads; True once none is running."""
        end = self._monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(end - self._monotonic(), 0.0))
        return not any(thread.is_alive() for thread in threads)

    def shutdown(self, *, timeout: float) -> bool:
        """`request_stop`, then `join(timeout)`."""
        self.request_stop()
        return self.join(timeout)

    def _cancel_queued(self, lane: Lane) -> None:
        while lane._queue:
            lane._queue.popleft().future.cancel()
            self._queued -= 1
        self._lane_done.notify_all()

    def _forget_if_idle(self, lane: Lane) -> None:
        if lane._closed and not lane._queue and not lane._running and lane in self._lanes:
            index = self._lanes.index(lane)
            del self._lanes[index]
            if index < self._cursor:
                self._cursor -= 1
            if self._cursor >= len(self._lanes):
                self._cursor = 0

    def _take(self) -> tuple[Lane, _Task] | None:
        """The next task: from the lane with the fewest running, ties in turn."""
        count = len(self._lanes)
        best: Lane | None = None
        best_index = 0
        for offset in range(count):
            index = (self._cursor + offset) % count
            lane = self._lanes[index]
            if lane._queue and (best is None or lane._running < best._running):
                best, best_index = lane, index
                if lane._running == 0:
                    break
        if best is None:
            return None
        self._cursor = (best_index + 1) % count
        best._running += 1
        self._queued -= 1
        return best, best._queue.popleft()

    def _serve(self) -> None:
        while True:
            with self._lock:
                picked = self._take()
                while picked is None:
                    if self._stopping:
                        return
                    self._idle += 1
                    self._work.wait()
                    self._idle -= 1
                    picked = self._take()
            lane, task = picked
            task.run()
            with self._lock:
                lane._running -= 1
                if not lane._running and not lane._queue:
                    self._lane_done.notify_all()
                    self._forget_if_idle(lane)
