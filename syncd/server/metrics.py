"""The Prometheus metrics of `syncd run`, fed by every sync's run report.

One `SyncMetrics` per process owns its own registry (no module-level
state). After each run the pipeline hands it the sync and its `RunReport`
(`observe`), and it updates, for that sync:

- `syncd_run_duration_seconds` (histogram by sync kind): how long runs take;
- `syncd_runs_total` (counter by kind and result: synced, in_progress,
  error, stalled, suspended);
- `syncd_last_synced_timestamp_seconds`: when the sync last reached Synced;
- `syncd_objects`: objects by action in the last run (applied, unchanged,
  pruned, failed) and `syncd_declared_objects`: objects its commit declares;
- `syncd_errors`: errors of the last run by code (label sets of codes that
  went away are removed, so a fixed error drops to no series).

Labels are the sync's kind, namespace and name, and bounded values (an
action, a result, an error code): never an object's name. A deleted sync's
series are removed (`forget`). docs/metrics.md documents every metric.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client import Counter as PromCounter

from syncd.core.sync import SyncId
from syncd.status.report import RunReport

_SYNC_LABELS = ("kind", "namespace", "name")
_ACTIONS = ("applied", "unchanged", "pruned", "failed")
_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def result_of(report: RunReport) -> str:
    """The run's result as a bounded label value."""
    if report.suspended:
        return "suspended"
    if report.stalled_reason:
        return "stalled"
    if report.errors:
        return "error"
    if report.in_progress:
        return "in_progress"
    return "synced"


class SyncMetrics:
    """Every sync's metrics in one registry; thread-safe (workers observe concurrently)."""

    def __init__(self, *, wall_clock: Callable[[], float]) -> None:
        """`wall_clock()` is seconds since the epoch (for the last-synced timestamps)."""
        self.registry = CollectorRegistry(auto_describe=True)
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._codes: dict[SyncId, set[str]] = {}
        self._duration = Histogram(
            "syncd_run_duration_seconds",
            "How long one sync run took, from trigger to report.",
            ["kind"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._runs = PromCounter(
            "syncd_runs",
            "Sync runs by their result.",
            ["kind", "result"],
            registry=self.registry,
        )
        self._last_synced = Gauge(
            "syncd_last_synced_timestamp_seconds",
            "When the sync last reached Synced (Unix time).",
            _SYNC_LABELS,
            registry=self.registry,
        )
        self._objects = Gauge(
            "syncd_objects",
            "Objects by what the sync's last run did with them.",
            [*_SYNC_LABELS, "action"],
            registry=self.registry,
        )
        self._managed = Gauge(
            "syncd_declared_objects",
            "Objects the commit the sync last read declares.",
            _SYNC_LABELS,
            registry=self.registry,
        )
        self._errors = Gauge(
            "syncd_errors",
            "Errors of the sync's last run, by code.",
            [*_SYNC_LABELS, "code"],
            registry=self.registry,
        )

    def observe(self, sync: SyncId, report: RunReport, seconds: float) -> None:
        """Record one finished run of `sync` that took `seconds` (a `RunObserver`)."""
        labels = (sync.kind.value, sync.namespace, sync.name)
        result = result_of(report)
        codes = Counter(str(error.code) for error in report.errors)
        with self._lock:
            self._duration.labels(sync.kind.value).observe(seconds)
            self._runs.labels(sync.kind.value, result).inc()
            if result == "synced":
                self._last_synced.labels(*labels).set(self._wall_clock())
            counts = report.counts
            if report.sync.reached:
                for action in _ACTIONS:
                    self._objects.labels(*labels, action).set(getattr(counts, action))
                self._managed.labels(*labels).set(counts.total)
            for gone in self._codes.get(sync, set()) - set(codes):
                self._errors.remove(*labels, gone)
            for code, count in codes.items():
                self._errors.labels(*labels, code).set(count)
            self._codes[sync] = set(codes)

    def forget(self, sync: SyncId) -> None:
        """Remove every series of a sync that no longer exists."""
        labels = (sync.kind.value, sync.namespace, sync.name)
        with self._lock:
            for gauge in (self._last_synced, self._managed):
                _remove(gauge, labels)
            for action in _ACTIONS:
                _remove(self._objects, (*labels, action))
            for code in self._codes.pop(sync, set()):
                _remove(self._errors, (*labels, code))

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


def _remove(gauge: Gauge, labels: tuple[str, ...]) -> None:
    with contextlib.suppress(KeyError):  # never set for this sync
        gauge.remove(*labels)
