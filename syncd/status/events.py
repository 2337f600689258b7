"""Kubernetes Events on sync objects, aggregated: a repeated Event raises its count.

Events are best effort: a failure to record one is logged, never raised.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from syncd.api.wire import format_timestamp
from syncd.core.errors import ClusterError, NotFoundError
from syncd.core.ports import Clock, Cluster
from syncd.core.refs import ObjectRef
from syncd.logging import get_logger

log = get_logger("status.events")
MAX_EVENT_MESSAGE: Final = 1024
MAX_REMEMBERED_EVENTS: Final = 256
"""Recent Events per recorder whose count a repeat raises (older repeats create anew)."""
COMPONENT: Final = "syncd"


class EventType(StrEnum):
    """Event types Kubernetes defines."""

    NORMAL = "Normal"
    WARNING = "Warning"


class EventReason(StrEnum):
    """Reasons syncd records (API: users filter on them)."""

    SYNCED = "Synced"
    SYNC_ERROR = "SyncError"
    SOURCE_ERROR = "SourceError"
    PRUNE_REFUSED = "PruneRefused"
    DRIFT_CORRECTED = "DriftCorrected"
    OBJECT_ERROR = "ObjectError"
    NAMESPACE_KEPT = "NamespaceKept"
    NOT_READY = "NotReady"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Key:
    """What makes two Events the same: the involved object, type, reason and message."""

    involved: str
    type_: EventType
    reason: EventReason
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _Recorded:
    ref: ObjectRef
    count: int


def _involved_key(involved: Mapping[str, Any]) -> str:
    meta = involved.get("metadata") or {}
    identity = meta.get("uid") or f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    return f"{involved.get('kind', '')}:{identity}"


class EventRecorder:
    """Records Events whose involvedObject is a sync object, aggregated like client-go's.

    The same type, reason and message about the same object (by uid) raise
    the existing Event's `count` and `lastTimestamp` with a merge patch
    instead of creating another Event each poll. The recorder remembers the
    MAX_REMEMBERED_EVENTS most recently recorded Events; one that has expired
    meanwhile (the patch answers NotFound) is created anew.
    """

    def __init__(self, cluster: Cluster, *, clock: Clock) -> None:
        """Bind to a cluster identity and a clock."""
        self._cluster = cluster
        self._clock = clock
        self._instance = socket.gethostname()
        self._lock = threading.Lock()
        self._recent: OrderedDict[_Key, _Recorded] = OrderedDict()

    def emit(
        self,
        involved: Mapping[str, Any],
        *,
        type_: EventType,
        reason: EventReason,
        message: str,
    ) -> None:
        """Record one occurrence of an Event about `involved` (a live object with metadata)."""
        message = message[:MAX_EVENT_MESSAGE]
        key = _Key(involved=_involved_key(involved), type_=type_, reason=reason, message=message)
        stamp = format_timestamp(self._clock.now())
        with self._lock:
            recorded = self._recent.get(key)
        if recorded is not None and self._bump(key, recorded, stamp):
            return
        self._create(key, involved, stamp)

    def _remember(self, key: _Key, recorded: _Recorded) -> None:
        with self._lock:
            self._recent[key] = recorded
            self._recent.move_to_end(key)
            while len(self._recent) > MAX_REMEMBERED_EVENTS:
                self._recent.popitem(last=False)

    def _forget(self, key: _Key) -> None:
        with self._lock:
            self._recent.pop(key, None)

    def _bump(self, key: _Key, recorded: _Recorded, stamp: str) -> bool:
        """Count one more occurrence on the existing Event; False when it is gone."""
        count = recorded.count + 1
        try:
            answer = self._cluster.merge_patch(
                recorded.ref, {"count": count, "lastTimestamp": stamp}, field_manager=COMPONENT
            )
        except NotFoundError:
            self._forget(key)
            return False
        except ClusterError as exc:
            log.warning("status.event_failed", reason=key.reason.value, error=str(exc))
            return True
        stored = answer.get("count")
        count = stored if isinstance(stored, int) and stored >= count else count
        self._remember(key, _Recorded(ref=recorded.ref, count=count))
        return True

    def _create(self, key: _Key, involved: Mapping[str, Any], stamp: str) -> None:
        meta = involved.get("metadata", {})
        namespace = meta.get("namespace") or "default"
        name = f"{meta.get('name', 'unknown')}.{uuid.uuid4().hex[:16]}"
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {
                "apiVersion": involved.get("apiVersion"),
                "kind": involved.get("kind"),
                "name": meta.get("name"),
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": key.reason.value,
            "message": key.message,
            "type": key.type_.value,
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self._instance,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        ref = ObjectRef(group="", version="v1", kind="Event", namespace=namespace, name=name)
        try:
            self._cluster.create(ref, event)
        except ClusterError as exc:
            log.warning("status.event_failed", reason=key.reason.value, error=str(exc))
            return
        self._remember(key, _Recorded(ref=ref, count=1))
