"""Writes a sync object's status subresource, only when it changes.

The writer reads the previous status from the live object, builds the new
one from the run's report, and PUTs it to `/status` with optimistic
concurrency, retrying on a stale resourceVersion. Status never passes
`MAX_STATUS_BYTES`: error lists are cut further when needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from syncd.api.status import SyncObjectStatus
from syncd.core.errors import ConflictError
from syncd.core.ports import Clock, Cluster, JsonObject
from syncd.core.refs import ObjectRef
from syncd.status.report import RunReport, build_status, same_status

MAX_STATUS_BYTES: Final = 1024 * 1024 - 64 * 1024  # leave room under etcd's 1.5 MiB
_CONFLICT_RETRIES: Final = 5


def _wire(status: SyncObjectStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", by_alias=True, exclude_none=True)


def _shrink(status: SyncObjectStatus) -> SyncObjectStatus:
    """Keep at most one error per stage, marked truncated."""
    updates = {}
    for name in ("source", "rendering", "sync"):
        block = getattr(status, name)
        if block is not None and block.errors:
            summary = block.error_summary.model_copy(update={"truncated": True})
            updates[name] = block.model_copy(
                update={"errors": block.errors[:1], "error_summary": summary}
            )
    return status.model_copy(update=updates)


def _version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", ""))


def previous_status(obj: Mapping[str, Any]) -> SyncObjectStatus | None:
    """The status stored on a live sync object, or None if it has none (or it is invalid)."""
    raw = obj.get("status")
    if not isinstance(raw, Mapping) or not raw:
        return None
    try:
        return SyncObjectStatus.model_validate(dict(raw))
    except ValueError:
        return None


class StatusWriter:
    """Writes status for sync objects of any kind."""

    def __init__(self, cluster: Cluster, *, clock: Clock) -> None:
        """Bind to a cluster identity and a clock."""
        self._cluster = cluster
        self._clock = clock
        # Per object: the resourceVersion we wrote over, and what the server answered.
        self._written: dict[ObjectRef, tuple[str, JsonObject]] = {}

    def _newest(self, ref: ObjectRef, live: Mapping[str, Any]) -> Mapping[str, Any]:
        """`live`, or our own last write when `live` is the copy that write replaced.

        A watch delivers our status write a moment after we made it; until then
        the caller's copy is stale and writing over it would only earn a 409.
        """
        written = self._written.get(ref)
        if written is not None and written[0] == _version(live):
            return written[1]
        return live

    def write(
        self,
        ref: ObjectRef,
        report: RunReport,
        *,
        live: Mapping[str, Any] | None = None,
        fetch: Callable[[], JsonObject | None] | None = None,
    ) -> tuple[SyncObjectStatus | None, bool]:
        """Write the status for `report` unless nothing but timestamps would change.

        Returns the status (None if the object is gone) and whether it was written.

        `live` is the latest known copy of the object (saves a GET); `fetch`
        re-reads it after a conflict (defaults to a GET).
        """
        reread = fetch or (lambda: self._cluster.get(ref))
        obj = self._newest(ref, live) if live is not None else reread()
        for _ in range(_CONFLICT_RETRIES):
            if obj is None:
                return None, False
            previous = previous_status(obj)
            status = build_status(report, previous=previous, now=self._clock.now())
            if same_status(previous, status):
                return status, False
            body = dict(obj)
            body["status"] = _wire(status)
            if len(json.dumps(body)) > MAX_STATUS_BYTES:
                status = _shrink(status)
                body["status"] = _wire(status)
            try:
                written = self._cluster.replace_status(ref, body)
            except ConflictError:
                obj = reread()
                continue
            self._written[ref] = (_version(obj), written)
            return status, True
        raise ConflictError(
            f"status of {ref} kept changing under us; gave up after {_CONFLICT_RETRIES} tries",
            status=409,
            reason="Conflict",
        )
