"""Which Events a run result deserves: one for the result, one per error (bounded)."""

from __future__ import annotations

from typing import Final

from syncd.core.errors import ErrorCode
from syncd.core.ports import JsonObject
from syncd.status.events import EventReason, EventRecorder, EventType
from syncd.status.report import RunReport, state_of

MAX_ERROR_EVENTS: Final = 10


def announce(events: EventRecorder, involved: JsonObject, report: RunReport) -> None:
    """Record the run's result, and each of its first errors, as Events on the sync."""
    state = state_of(report)
    counts = report.counts
    commit = report.commit[:12] or "unknown"
    if report.errors:
        events.emit(
            involved,
            type_=EventType.WARNING,
            reason=EventReason.SYNC_ERROR,
            message=(
                f"{state.value}: commit {commit}: {len(report.errors)} error(s); "
                f"applied {counts.applied}, pruned {counts.pruned}, failed {counts.failed}"
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
        if error.code is ErrorCode.PRUNE_REFUSED:
            reason = EventReason.PRUNE_REFUSED
        elif error.code is ErrorCode.SOURCE_FETCH:
            reason = EventReason.SOURCE_ERROR
        else:
            reason = EventReason.OBJECT_ERROR
        events.emit(involved, type_=EventType.WARNING, reason=reason, message=str(error))


def announce_drift(events: EventRecorder, involved: JsonObject, report: RunReport) -> None:
    """One Warning Event per corrected drift (the first MAX_ERROR_EVENTS of them)."""
    for message in report.drift[:MAX_ERROR_EVENTS]:
        events.emit(
            involved, type_=EventType.WARNING, reason=EventReason.DRIFT_CORRECTED, message=message
        )
