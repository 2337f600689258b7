"""Waiting for objects to become ready, by kstatus rules, within a deadline."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor

from syncd.core.errors import ClusterError
from syncd.core.kstatus import KStatus, StatusResult, compute
from syncd.core.ports import Clock, Cluster, JsonObject
from syncd.core.refs import ObjectRef

POLL_INTERVAL = 0.5
_SETTLED = (KStatus.CURRENT, KStatus.FAILED)


class Waiter:
    """Polls objects until kstatus says Current (or Failed), or time runs out."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        clock: Clock,
        executor: Executor,
        stop: threading.Event | None = None,
    ) -> None:
        """`stop` ends a wait early (shutdown)."""
        self._cluster = cluster
        self._clock = clock
        self._executor = executor
        self._stop = stop or threading.Event()

    def monotonic(self) -> float:
        """The waiter's clock, for callers measuring how long a wait took."""
        return self._clock.monotonic()

    def status_of(self, obj: Mapping[str, object]) -> StatusResult:
        """The kstatus (and its message) of one live object."""
        return compute(obj, now=self._clock.now())

    def wait(
        self, known: Mapping[ObjectRef, JsonObject], *, timeout: float
    ) -> dict[ObjectRef, StatusResult]:
        """Statuses of `known` objects, polling those not yet Current until `timeout`.

        `known` maps each object to its latest body (an apply response), so
        objects already Current cost no request. Objects still pending when
        the time is up (or on shutdown) keep their last status.
        """
        statuses = {ref: self.status_of(obj) for ref, obj in known.items()}
        deadline = self._clock.monotonic() + timeout
        pending = [ref for ref, st in statuses.items() if st.status is not KStatus.CURRENT]
        while pending and not self._stop.is_set():
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                break
            self._stop.wait(min(POLL_INTERVAL, remaining))
            statuses.update(self._poll(pending))
            pending = [ref for ref in pending if statuses[ref].status not in _SETTLED]
        return statuses

    def _poll(self, refs: Iterable[ObjectRef]) -> dict[ObjectRef, StatusResult]:
        futures = {ref: self._executor.submit(self._cluster.get, ref) for ref in refs}
        result: dict[ObjectRef, StatusResult] = {}
        for ref, future in futures.items():
            try:
                obj = future.result()
            except ClusterError as exc:
                result[ref] = StatusResult(status=KStatus.UNKNOWN, message=exc.message)
                continue
            if obj is None:
                result[ref] = StatusResult(status=KStatus.NOT_FOUND, message="not found")
            else:
                result[ref] = self.status_of(obj)
        return result
