"""Which Events a run result deserves: one for the result, one per error (bounded).

The recorder aggregates repeats (same object, type, reason and message raise
the Event's count), so the messages here carry no timestamps or attempt
numbers: a failure that persists is one Event whose count grows.
"""

from __future__ import annotations

from typing import Final

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.ports import JsonObject
from syncd.status.conditions import retryable
from syncd.status.events import EventReason, EventRecorder, EventType
from syncd.status.report import RunReport, state_of

MAX_ERROR_EVENTS: Final = 10

_REASONS: Final = {
    ErrorCode.PRUNE_REFUSED: EventReason.PRUNE_REFUSED,
    ErrorCode.SOURCE_FETCH: EventReason.SOURCE_ERROR,
    ErrorCode.NAMESPACE_IN_USE: EventReason.NAMESPACE_KEPT,
    ErrorCode.NOT_READY: EventReason.NOT_READY,
}


def error_reason(error: SyncdError) -> EventReason:
    """The Event reason for one error."""
    return _REASONS.get(error.code, EventReason.OBJECT_ERROR)


def announce(events: EventRecorder, involved: JsonObject, report: RunReport) -> None:
    """Record the run's result, and each of its first errors, as Events on the sync."""
    state = state_of(report)
    counts = report.counts
    commit = report.commit[:12] or "unknown"
    if report.errors:
        retry = "; syncd retries" if retryable(report.errors) else ""
        events.emit(
            involved,
            type_=EventType.WARNING,
            reason=EventReason.SYNC_ERROR,
            message=(
                f"{state.value}: commit {commit}: {len(report.errors)} error(s); "
                f"applied {counts.applied}, pruned {counts.pruned}, failed {counts.failed}"
                f"{retry}"
            ),
        )
    else:
        events.emit(
            involved,
            type_=EventType.NORMAL,
            reason=EventReason.SYNCED,
            message=(
                f"{state.value}: commit {commit}: applied {counts.applied}, unchanged "
                f"{counts.unchanged}, pruned {counts.pruned}"
            ),
        )
    for error in report.errors[:MAX_ERROR_EVENTS]:
        events.emit(
            involved, type_=EventType.WARNING, reason=error_reason(error), message=str(error)
        )


def announce_drift(events: EventRecorder, involved: JsonObject, report: RunReport) -> None:
    """One Warning Event per corrected drift (the first MAX_ERROR_EVENTS of them)."""
    for message in report.drift[:MAX_ERROR_EVENTS]:
        events.emit(
            involved, type_=EventType.WARNING, reason=EventReason.DRIFT_CORRECTED, message=message
        )
