"""One worker thread per sync: coalesced triggers, one run at a time, backoff.

Watchers, the scheduler and the webhook server only call `trigger`; the
worker merges every trigger that arrives while a run is in progress into the
next run. A failed run is retried after an exponential backoff unless another
trigger comes first.

Stopping has two steps so that many workers stop in parallel:
`request_stop` tells the worker (and, through `interrupt`, a run in
progress: it ends between waves) and never blocks; `join` waits. `release`
hands back what the run holds (its sync's request lane: queued requests are
cancelled) once the worker has stopped or been given up on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from enum import StrEnum

from syncd.core.sync import SyncId
from syncd.logging import get_logger

log = get_logger("reconcile.worker")


class TriggerReason(StrEnum):
    """Why a run was requested (appears in logs)."""

    STARTUP = "startup"
    POLL = "poll"
    SPEC_CHANGE = "spec-change"
    DRIFT = "drift"
    MANUAL = "manual"
    RETRY = "retry"


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Exponential retry delays: initial * factor**n, capped at maximum."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0

    def delay(self, failures: int) -> float:
        """The delay before retrying after `failures` consecutive failures (>= 1)."""
        exponent = max(failures - 1, 0)
        return float(min(self.initial * self.factor**exponent, self.maximum))


RunFunction = Callable[[frozenset[TriggerReason]], bool]


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRun:
    """What a worker runs for its sync, and how to cut a run short."""

    run: RunFunction
    """One run; True when it succeeded."""
    interrupt: Callable[[], None] = _nothing
    """Asks a run in progress to end early (between waves); called from another thread."""
    release: Callable[[], None] = _nothing
    """Gives back what runs hold (cancels queued requests); called once, when stopping."""


class SyncWorker:
    """Runs `run` for one sync on its own thread whenever triggered."""

    def __init__(
        self,
        sync: SyncId,
        *,
        run: RunFunction | SyncRun,
        backoff: Backoff | None = None,
    ) -> None:
        """Create a stopped worker; `run` returns True when the run succeeded."""
        self.sync = sync
        self._job = run if isinstance(run, SyncRun) else SyncRun(run=run)
        self._released = False
        self._backoff = backoff or Backoff()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: set[TriggerReason] = set()
        self._stopping = False
        self._failures = 0
        self._runs = 0
        self._thread = threading.Thread(target=self._loop, name=f"sync-{sync.name}", daemon=True)

    @property
    def runs(self) -> int:
        """How many runs have finished."""
        with self._lock:
            return self._runs

    def start(self) -> None:
        """Start the worker thread."""
        self._thread.start()

    def trigger(self, reason: TriggerReason) -> None:
        """Request a run; merged with any other pending request."""
        with self._wake:
            self._pending.add(reason)
            self._wake.notify()

    def request_stop(self) -> None:
        """Tell the worker to stop and a run in progress to end early; never blocks."""
        with self._wake:
            first = not self._stopping
            self._stopping = True
            self._wake.notify()
        if first:
            self._job.interrupt()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the thread; True once it has ended (or never ran)."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def release(self) -> None:
        """Give back what runs hold (once): queued requests are cancelled."""
        with self._lock:
            if self._released:
                return
            self._released = True
        self._job.release()

    def stop(self, *, timeout: float = 30.0) -> bool:
        """`request_stop`, `join(timeout)`, then `release`; True when the thread ended in time."""
        self.request_stop()
        stopped = self.join(timeout)
        self.release()
        return stopped

    def _next_batch(self) -> frozenset[TriggerReason] | None:
        with self._wake:
            retry_in = self._backoff.delay(self._failures) if self._failures else None
            if not self._pending and not self._stopping:
                notified = self._wake.wait_for(
                    lambda: bool(self._pending) or self._stopping, timeout=retry_in
                )
                if not notified and retry_in is not None:
                    self._pending.add(TriggerReason.RETRY)
            if self._stopping:
                return None
            batch = frozenset(self._pending)
            self._pending.clear()
            return batch

    def _loop(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                ok = self._job.run(batch)
            except CancelledError:
                # Its queued requests were cancelled: the worker was given up on.
                log.info("reconcile.run_cancelled", sync=str(self.sync))
                ok = False
            except Exception:  # a bug in a stage must not kill the worker; it is logged
                if self._stopping_now():
                    # A closed lane refuses requests: the run was cut short, not broken.
                    log.info("reconcile.run_cut_short", sync=str(self.sync), exc_info=True)
                else:
                    log.exception("reconcile.run_crashed", sync=str(self.sync))
                ok = False
            with self._lock:
                self._runs += 1
                self._failures = 0 if ok else self._failures + 1

    def _stopping_now(self) -> bool:
        with self._lock:
            return self._stopping
