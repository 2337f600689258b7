"""FakeCluster's watch: replaying its event log from a resourceVersion, as the watch cache does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from syncd.core.errors import ResourceExpiredError
from syncd.core.ports import JsonObject, ResourceType, WatchEvent, WatchEventType
from syncd.core.refs import ObjectRef

from .fake_objects import selected
from .fake_selectors import LabelSelector
from .fake_ssa import deep


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchHistory:
    """What a watch can see: the stored objects and the event log since the last compaction."""

    objects: Sequence[tuple[ObjectRef, JsonObject]]
    events: Sequence[tuple[int, WatchEvent]]
    compacted: int
    latest: int

    def replay(
        self,
        rtype: ResourceType,
        *,
        namespace: str,
        selector: LabelSelector,
        resource_version: str,
    ) -> list[WatchEvent]:
        """Events after `resource_version`: every object as ADDED when it is empty or "0".

        A resourceVersion older than the last compaction raises ResourceExpiredError.
        """
        if resource_version in ("", "0"):
            return [
                WatchEvent(type=WatchEventType.ADDED, object=deep(obj))
                for key, obj in self.objects
                if selected(obj, key, rtype, namespace, selector)
            ]
        since = int(resource_version)
        if since < self.compacted:
            raise ResourceExpiredError(
                f"too old resource version: {since} ({self.compacted})",
                status=410,
                reason="Expired",
            )
        return [
            WatchEvent(type=event.type, object=deep(event.object))
            for rv, event in self.events
            if rv > since
            and selected(
                event.object, ObjectRef.from_object(event.object), rtype, namespace, selector
            )
        ]

    def bookmark(self, rtype: ResourceType) -> JsonObject:
        """The BOOKMARK object at the latest resourceVersion."""
        return {
            "apiVersion": rtype.api_version,
            "kind": rtype.kind,
            "metadata": {"resourceVersion": str(self.latest)},
        }
