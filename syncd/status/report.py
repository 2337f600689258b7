"""What one run found, per stage, and the status it turns into.

`RunReport` is what the pipeline hands to the status writer. `build_status`
turns it into the wire status (kstatus conditions from `conditions.py`,
printer-column summary, error blocks truncated so the object stays far below
etcd's limit). It is a function of the report and the previous status only:
timestamps of a block or condition move only when its content changes, so the
same report builds the same status on every poll and a steady sync writes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

from syncd.api.status import (
    ErrorSummary,
    RenderingStatus,
    SourceStatus,
    StageStatus,
    StatusError,
    Summary,
    SyncObjectStatus,
    SyncState,
    SyncStatus,
)
from syncd.api.wire import format_timestamp
from syncd.core.errors import SyncdError
from syncd.status.conditions import sync_conditions, truncate

MAX_ERRORS_PER_STAGE: Final = 50
MAX_RESOURCES_PER_ERROR: Final = 20
SHORT_COMMIT: Final = 7
STAGES: Final = ("source", "rendering", "sync")
"""The stage blocks of the status, in pipeline order."""

S = TypeVar("S", bound=StageStatus)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncCounts:
    """Objects by outcome in the apply and prune stages."""

    applied: int = 0
    unchanged: int = 0
    pruned: int = 0
    failed: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class StageReport:
    """One stage's commit and errors; `reached` is False when the run stopped earlier."""

    commit: str = ""
    errors: tuple[SyncdError, ...] = ()
    reached: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RunReport:
    """Everything status needs from one run."""

    generation: int
    commit: str = ""
    source: StageReport = field(default_factory=StageReport)
    rendering: StageReport = field(default_factory=lambda: StageReport(reached=False))
    rendering_message: str = ""
    sync: StageReport = field(default_factory=lambda: StageReport(reached=False))
    counts: SyncCounts = field(default_factory=SyncCounts)
    synced: bool = False
    """Every declared object was applied and is ready; nothing failed."""
    in_progress: bool = False
    """Objects were applied but are not ready yet (or a run is under way)."""
    suspended: bool = False
    stalled_reason: str = ""
    """Set when the sync cannot go on until someone changes it (a `ConditionReason`
    such as InvalidSpec). Never for transient errors: those keep it Reconciling."""
    drift: tuple[str, ...] = ()
    """One message per object whose drift this run corrected (who changed what)."""

    @property
    def errors(self) -> tuple[SyncdError, ...]:
        """Errors of every stage."""
        return self.source.errors + self.rendering.errors + self.sync.errors


def _status_errors(errors: Sequence[SyncdError]) -> tuple[list[StatusError], ErrorSummary]:
    shown = []
    for error in errors[:MAX_ERRORS_PER_STAGE]:
        wire = StatusError.from_error(error)
        wire = wire.model_copy(
            update={
                "message": truncate(wire.message),
                "resources": wire.resources[:MAX_RESOURCES_PER_ERROR],
            }
        )
        shown.append(wire)
    return shown, ErrorSummary(
        total_count=len(errors), truncated=len(errors) > MAX_ERRORS_PER_STAGE
    )


def _block(
    cls: type[S], stage: StageReport, previous: S | None, now: str, **extra: object
) -> S | None:
    if not stage.reached:
        return previous
    errors, summary = _status_errors(stage.errors)
    block = cls.model_validate(
        {
            "commit": stage.commit or None,
            "errors": errors,
            "errorSummary": summary,
            **{k: v for k, v in extra.items() if v is not None},
        }
    )
    if previous is not None and previous.model_copy(update={"last_update": None}) == block:
        return previous
    return block.model_copy(update={"last_update": now})


def state_of(report: RunReport) -> SyncState:
    """The one-word state for `kubectl get`.

    Stalled only when the report says why the sync cannot go on
    (`stalled_reason`); errors of either kind are Error (the conditions tell
    a retry from a dead end).
    """
    if report.suspended:
        return SyncState.SUSPENDED
    if report.stalled_reason:
        return SyncState.STALLED
    if report.errors:
        return SyncState.ERROR
    if report.synced:
        return SyncState.SYNCED
    return SyncState.SYNCING


def build_status(
    report: RunReport, *, previous: SyncObjectStatus | None, now: dt.datetime
) -> SyncObjectStatus:
    """The status to write for `report`, reusing `previous` blocks that did not change."""
    previous = previous or SyncObjectStatus()
    stamp = format_timestamp(now)
    state = state_of(report)
    source = _block(SourceStatus, report.source, previous.source, stamp)
    rendering = _block(
        RenderingStatus,
        report.rendering,
        previous.rendering,
        stamp,
        message=report.rendering_message or None,
    )
    counts = report.counts
    sync = _block(
        SyncStatus,
        report.sync,
        previous.sync,
        stamp,
        applied=counts.applied,
        unchanged=counts.unchanged,
        pruned=counts.pruned,
        failed=counts.failed,
        total=counts.total,
    )
    last_synced = report.commit if state is SyncState.SYNCED else previous.last_synced_commit
    shown_commit = report.commit or previous.last_synced_commit or ""
    return SyncObjectStatus(
        observed_generation=report.generation,
        last_synced_commit=last_synced,
        source=source,
        rendering=rendering,
        sync=sync,
        conditions=sync_conditions(
            state,
            errors=report.errors,
            commit=report.commit,
            stalled_reason=report.stalled_reason,
            generation=report.generation,
            previous=previous.conditions,
            now=stamp,
        ),
        summary=Summary(
            state=state,
            error_count=len(report.errors),
            short_commit=shown_commit[:SHORT_COMMIT] or None,
        ),
    )


def without_timestamps(status: SyncObjectStatus) -> SyncObjectStatus:
    """`status` with every timestamp (block lastUpdate, condition transition time) cleared."""
    updates: dict[str, object] = {
        "conditions": [
            c.model_copy(update={"last_transition_time": None}) for c in status.conditions
        ]
    }
    for name in STAGES:
        block = getattr(status, name)
        if block is not None:
            updates[name] = block.model_copy(update={"last_update": None})
    return status.model_copy(update=updates)


def same_status(a: SyncObjectStatus | None, b: SyncObjectStatus) -> bool:
    """Whether `a` and `b` differ in nothing but timestamps (so writing `b` is pointless)."""
    if a is None:
        return False
    return without_timestamps(a) == without_timestamps(b)
