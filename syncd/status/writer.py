"""Writes a sync object's status subresource, only when it changes.

The writer builds the new status from the run's report and the status stored
on the object, fits it under `MAX_STATUS_BYTES` (see `fit.py`), and PUTs it
to `/status` with optimistic concurrency only when something but timestamps
changed, retrying on a stale resourceVersion. A write the API server refuses
as too large is retried once as the minimal status, never left stale.

The caller's copy of the object usually comes from a watch, which lags
behind the writer's own writes: right after a write (the pipeline writes a
progress status and then a final one in the same run), the watch may still
hold the copy the write replaced, or deliver an older one later. Comparing
with such a copy would find a difference that is not there and send a PUT
the server can only answer with 409. So the writer remembers its last write
per object and every resourceVersion it has seen superseded (by its own
writes, or written over), and builds on its own write whenever the caller's
copy is one of those or of an older generation. An idle poll therefore makes
no write attempt at all.

The remembered write is kept without `metadata.managedFields`, which are
more than half of a sync object in memory (a status entry's fieldsV1 names
every status field) and which nothing here reads. A PUT built on it sends
no managedFields, and the API server then keeps the stored ones (only
`[{}]` clears them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from syncd.api.status import SyncObjectStatus
from syncd.core.errors import ApiError, ConflictError
from syncd.core.ownership import without_managed_fields
from syncd.core.ports import Clock, Cluster, JsonObject
from syncd.core.refs import ObjectRef
from syncd.logging import get_logger
from syncd.status.fit import MAX_STATUS_BYTES, fit, is_too_large, minimal, restamp, wire
from syncd.status.report import RunReport, build_status, same_status

__all__ = ["MAX_STATUS_BYTES", "StatusWriter", "previous_status"]

log = get_logger("status.writer")
_CONFLICT_RETRIES: Final = 5
_REMEMBERED_VERSIONS: Final = 32


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _version(obj: Mapping[str, Any]) -> str:
    return str(_metadata(obj).get("resourceVersion", ""))


def _uid(obj: Mapping[str, Any]) -> str:
    return str(_metadata(obj).get("uid", ""))


def _generation(obj: Mapping[str, Any]) -> int:
    value = _metadata(obj).get("generation")
    return value if isinstance(value, int) else 0


def previous_status(obj: Mapping[str, Any]) -> SyncObjectStatus | None:
    """The status stored on a live sync object, or None if it has none (or it is invalid)."""
    raw = obj.get("status")
    if not isinstance(raw, Mapping) or not raw:
        return None
    try:
        return SyncObjectStatus.model_validate(dict(raw))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Written:
    """The writer's last successful write to one object."""

    obj: JsonObject
    """What the server answered (the object as stored after the write)."""
    superseded: tuple[str, ...]
    """resourceVersions of copies older than `obj`: written over, or our own earlier writes."""

    def supersedes(self, live: Mapping[str, Any]) -> bool:
        """Whether `live` is an older copy of the same object than `obj`."""
        if _uid(live) != _uid(self.obj):
            return False
        return _version(live) in self.superseded or _generation(live) < _generation(self.obj)


class StatusWriter:
    """Writes status for sync objects of any kind."""

    def __init__(self, cluster: Cluster, *, clock: Clock) -> None:
        """Bind to a cluster identity and a clock."""
        self._cluster = cluster
        self._clock = clock
        self._written: dict[ObjectRef, _Written] = {}
        # Per object: a full status (timestamps aside) the server refused as too large.
        self._refused: dict[ObjectRef, SyncObjectStatus] = {}

    def _newest(self, ref: ObjectRef, live: Mapping[str, Any]) -> Mapping[str, Any]:
        """`live`, or our own last write when `live` is older than it."""
        written = self._written.get(ref)
        if written is not None and written.supersedes(live):
            return written.obj
        return live

    def _remember(self, ref: ObjectRef, over: Mapping[str, Any], answer: JsonObject) -> None:
        earlier = self._written.get(ref)
        versions = []
        if earlier is not None and _uid(earlier.obj) == _uid(answer):
            versions = [*earlier.superseded, _version(earlier.obj)]
        versions.append(_version(over))
        current = _version(answer)
        unique = [v for v in dict.fromkeys(versions) if v and v != current]
        self._written[ref] = _Written(
            obj=without_managed_fields(answer), superseded=tuple(unique[-_REMEMBERED_VERSIONS:])
        )

    def _to_write(
        self,
        ref: ObjectRef,
        obj: Mapping[str, Any],
        full: SyncObjectStatus,
        previous: SyncObjectStatus | None,
    ) -> SyncObjectStatus:
        """The form of `full` to store: fitted, minimal if the server refused it before."""
        refused = self._refused.get(ref)
        if refused is not None and same_status(refused, full):
            return restamp(minimal(full), previous)
        return restamp(fit(obj, full), previous)

    def write(
        self,
        ref: ObjectRef,
        report: RunReport,
        *,
        live: Mapping[str, Any] | None = None,
        fetch: Callable[[], JsonObject | None] | None = None,
    ) -> tuple[SyncObjectStatus | None, bool]:
        """Write the status for `report` unless nothing but timestamps would change.

        Returns the status now stored (None if the object is gone) and
        whether it was written.

        `live` is the latest known copy of the object (saves a GET); `fetch`
        re-reads it after a conflict (defaults to a GET).
        """
        reread = fetch or (lambda: self._cluster.get(ref))
        obj = self._newest(ref, live) if live is not None else reread()
        now = self._clock.now()
        for _ in range(_CONFLICT_RETRIES):
            if obj is None:
                return None, False
            previous = previous_status(obj)
            full = build_status(report, previous=previous, now=now)
            status = self._to_write(ref, obj, full, previous)
            if previous is not None and same_status(previous, status):
                return previous, False
            body = dict(obj)
            body["status"] = wire(status)
            try:
                answer = self._cluster.replace_status(ref, body)
            except ConflictError:
                obj = reread()
                continue
            except ApiError as exc:
                refused = self._refused.get(ref)
                already_minimal = refused is not None and same_status(refused, full)
                if not is_too_large(exc) or already_minimal:
                    raise
                log.warning("status.too_large", object=str(ref), error=exc.message)
                self._refused[ref] = full  # the next try (and poll) writes it minimal
                continue
            self._remember(ref, obj, answer)
            return status, True
        raise ConflictError(
            f"status of {ref} kept changing under us; gave up after {_CONFLICT_RETRIES} tries",
            status=409,
            reason="Conflict",
        )
