"""Kubernetes Events on sync objects: one per run result and one per error.

Events are best effort: a failure to record one is logged, never raised.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from syncd.api.wire import format_timestamp
from syncd.core.errors import ClusterError
from syncd.core.ports import Clock, Cluster
from syncd.core.refs import ObjectRef
from syncd.logging import get_logger

log = get_logger("status.events")
MAX_EVENT_MESSAGE: Final = 1024
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


class EventRecorder:
    """Creates Events whose involvedObject is a sync object."""

    def __init__(self, cluster: Cluster, *, clock: Clock) -> None:
        """Bind to a cluster identity and a clock."""
        self._cluster = cluster
        self._clock = clock
        self._instance = socket.gethostname()

    def emit(
        self,
        involved: Mapping[str, Any],
        *,
        type_: EventType,
        reason: EventReason,
        message: str,
    ) -> None:
        """Record one Event about `involved` (a live object with metadata)."""
        meta = involved.get("metadata", {})
        namespace = meta.get("namespace") or "default"
        name = f"{meta.get('name', 'unknown')}.{uuid.uuid4().hex[:16]}"
        stamp = format_timestamp(self._clock.now())
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
            "reason": reason.value,
            "message": message[:MAX_EVENT_MESSAGE],
            "type": type_.value,
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
            log.warning("status.event_failed", reason=reason.value, error=str(exc))
