"""What one run found, per stage, and the status it turns into.

`RunReport` is what the pipeline hands to the status writer. `build_status`
turns it into the wire status (conditions, printer-column summary, error
blocks truncated so the object stays far below etcd's limit). Timestamps of a
block move only when the block's content changes, so a steady sync writes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

from syncd.api.status import (
    Condition,
    ConditionStatus,
    ConditionType,
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

MAX_ERRORS_PER_STAGE: Final = 50
MAX_MESSAGE_CHARS: Final = 2048
MAX_RESOURCES_PER_ERROR: Final = 20
SHORT_COMMIT: Final = 7

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
    """Set when the sync cannot progress without a change (bad spec, fetch failing)."""
    drift: tuple[str, ...] = ()
    """One message per object whose drift this run corrected (who changed what)."""

    @property
    def errors(self) -> tuple[SyncdError, ...]:
        """Errors of every stage."""
        return self.source.errors + self.rendering.errors + self.sync.errors


def _truncate(text: str) -> str:
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[: MAX_MESSAGE_CHARS - 14] + "... (truncated)"


def _status_errors(errors: Sequence[SyncdError]) -> tuple[list[StatusError], ErrorSummary]:
    shown = []
    for error in errors[:MAX_ERRORS_PER_STAGE]:
        wire = StatusError.from_error(error)
        wire = wire.model_copy(
            update={
                "message": _truncate(wire.message),
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
    """The one-word state for `kubectl get`."""
    if report.suspended:
        return SyncState.SUSPENDED
    if report.stalled_reason:
        return SyncState.STALLED
    if report.errors:
        return SyncState.ERROR
    if report.synced:
        return SyncState.SYNCED
    return SyncState.SYNCING


def _conditions(
    report: RunReport, state: SyncState, previous: Sequence[Condition], now: str
) -> list[Condition]:
    errors = report.errors
    first_error = f"{errors[0].code.value}: {errors[0].message}" if errors else ""
    wanted: dict[ConditionType, tuple[ConditionStatus, str, str]] = {
        SyncState.SYNCED: {
            ConditionType.READY: (ConditionStatus.TRUE, "Synced", f"Synced {report.commit}"),
            ConditionType.RECONCILING: (ConditionStatus.FALSE, "Synced", ""),
            ConditionType.STALLED: (ConditionStatus.FALSE, "Synced", ""),
            ConditionType.SYNCING: (ConditionStatus.FALSE, "Synced", ""),
        },
        SyncState.SYNCING: {
            ConditionType.READY: (ConditionStatus.FALSE, "Syncing", "Objects are not ready yet"),
            ConditionType.RECONCILING: (
                ConditionStatus.TRUE,
                "Syncing",
                f"Syncing {report.commit}",
            ),
            ConditionType.STALLED: (ConditionStatus.FALSE, "Syncing", ""),
            ConditionType.SYNCING: (ConditionStatus.TRUE, "Syncing", f"Syncing {report.commit}"),
        },
        SyncState.ERROR: {
            ConditionType.READY: (ConditionStatus.FALSE, "SyncErrors", first_error),
            ConditionType.RECONCILING: (ConditionStatus.FALSE, "SyncErrors", ""),
            ConditionType.STALLED: (ConditionStatus.FALSE, "SyncErrors", ""),
            ConditionType.SYNCING: (ConditionStatus.FALSE, "SyncErrors", first_error),
        },
        SyncState.STALLED: {
            ConditionType.READY: (ConditionStatus.FALSE, report.stalled_reason, first_error),
            ConditionType.RECONCILING: (ConditionStatus.FALSE, report.stalled_reason, ""),
            ConditionType.STALLED: (ConditionStatus.TRUE, report.stalled_reason, first_error),
            ConditionType.SYNCING: (ConditionStatus.FALSE, report.stalled_reason, ""),
        },
        SyncState.SUSPENDED: {
            ConditionType.READY: (ConditionStatus.FALSE, "Suspended", "spec.suspend is true"),
            ConditionType.RECONCILING: (ConditionStatus.FALSE, "Suspended", ""),
            ConditionType.STALLED: (ConditionStatus.FALSE, "Suspended", ""),
            ConditionType.SYNCING: (ConditionStatus.FALSE, "Suspended", ""),
        },
    }[state]
    by_type = {c.type: c for c in previous}
    result = []
    for cond_type in (
        ConditionType.RECONCILING,
        ConditionType.STALLED,
        ConditionType.SYNCING,
        ConditionType.READY,
    ):
        status, reason, message = wanted[cond_type]
        old = by_type.get(cond_type)
        changed = old is None or old.status != status
        result.append(
            Condition(
                type=cond_type,
                status=status,
                reason=reason,
                message=_truncate(message) or None,
                last_transition_time=now if changed or old is None else old.last_transition_time,
                observed_generation=report.generation,
            )
        )
    return result


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
        conditions=_conditions(report, state, previous.conditions, stamp),
        summary=Summary(
            state=state,
            error_count=len(report.errors),
            short_commit=shown_commit[:SHORT_COMMIT] or None,
        ),
    )


def same_status(a: SyncObjectStatus | None, b: SyncObjectStatus) -> bool:
    """Whether writing `b` over `a` would change anything but timestamps."""
    if a is None:
        return False

    def strip(s: SyncObjectStatus) -> SyncObjectStatus:
        return s.model_copy(
            update={
                "conditions": [
                    c.model_copy(update={"last_transition_time": None}) for c in s.conditions
                ]
            }
        )

    return strip(a) == strip(b)
