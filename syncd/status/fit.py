"""Fitting a status under the size limit: fewer errors per stage, then a minimal status.

`fit` keeps as many errors per stage as fit under `MAX_STATUS_BYTES` (the
whole object, as the API server stores it); when even one error per stage is
too much, or the server refused the write as too large, `minimal` keeps only
what `kubectl get` and kstatus need: observedGeneration, the commits, the
conditions, the summary, and each stage's commit, lastUpdate, object counts
and error counts (marked truncated), with no error lists. A status is never
left stale for lack of room.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from syncd.api.status import ErrorSummary, StageStatus, SyncObjectStatus
from syncd.core.errors import ApiError
from syncd.status.report import STAGES

MAX_STATUS_BYTES: Final = 1024 * 1024 - 64 * 1024  # leave room under etcd's 1.5 MiB
SHRINK_STEPS: Final = (10, 1)
"""Errors per stage tried, in turn, when the full lists do not fit."""
TOO_LARGE_STATUS: Final = 413
ETCD_TOO_LARGE: Final = "etcdserver: request is too large"


def wire(status: SyncObjectStatus) -> dict[str, Any]:
    """The JSON form of a status."""
    return status.model_dump(mode="json", by_alias=True, exclude_none=True)


def size_of(obj: Mapping[str, Any], status: SyncObjectStatus) -> int:
    """Bytes of `obj` carrying `status`, as sent."""
    return len(json.dumps({**obj, "status": wire(status)}))


def is_too_large(exc: ApiError) -> bool:
    """Whether the API server refused a write for its size (413, or etcd's own limit)."""
    return exc.status == TOO_LARGE_STATUS or ETCD_TOO_LARGE in exc.message


def _summary(block: StageStatus, *, kept: int) -> ErrorSummary:
    summary = block.error_summary or ErrorSummary(total_count=len(block.errors))
    truncated = summary.truncated or summary.total_count > kept
    return summary.model_copy(update={"truncated": truncated})


def shrink(status: SyncObjectStatus, *, per_stage: int) -> SyncObjectStatus:
    """At most `per_stage` errors in each stage, the summaries marked truncated."""
    updates = {}
    for name in STAGES:
        block: StageStatus | None = getattr(status, name)
        if block is not None and len(block.errors) > per_stage:
            updates[name] = block.model_copy(
                update={
                    "errors": block.errors[:per_stage],
                    "error_summary": _summary(block, kept=per_stage),
                }
            )
    return status.model_copy(update=updates)


def minimal(status: SyncObjectStatus) -> SyncObjectStatus:
    """No error lists and no free text but the conditions' (bounded) messages."""
    updates = {}
    for name in STAGES:
        block: StageStatus | None = getattr(status, name)
        if block is None:
            continue
        update: dict[str, object] = {"errors": [], "error_summary": _summary(block, kept=0)}
        if "message" in type(block).model_fields:
            update["message"] = None
        updates[name] = block.model_copy(update=update)
    return status.model_copy(update=updates)


def restamp(status: SyncObjectStatus, previous: SyncObjectStatus | None) -> SyncObjectStatus:
    """`status` with each stage block that equals the previous one but for lastUpdate reused.

    `build_status` does this for full blocks; a shrunk or minimal block is
    compared again here, so the same oversized report does not move
    lastUpdate (and cause a write) on every poll.
    """
    if previous is None:
        return status
    updates = {}
    for name in STAGES:
        block: StageStatus | None = getattr(status, name)
        old: StageStatus | None = getattr(previous, name)
        if block is None or old is None or block == old:
            continue
        if block.model_copy(update={"last_update": old.last_update}) == old:
            updates[name] = old
    return status.model_copy(update=updates) if updates else status


def fit(obj: Mapping[str, Any], status: SyncObjectStatus) -> SyncObjectStatus:
    """The fullest form of `status` that keeps `obj` under MAX_STATUS_BYTES (else minimal)."""
    if size_of(obj, status) <= MAX_STATUS_BYTES:
        return status
    for per_stage in SHRINK_STEPS:
        candidate = shrink(status, per_stage=per_stage)
        if size_of(obj, candidate) <= MAX_STATUS_BYTES:
            return candidate
    return minimal(status)
