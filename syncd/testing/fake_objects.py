"""Object-level rules behind FakeCluster: discovery, request checks, skeletons, selection.

Each function mirrors one check or answer of the real API server closely
enough for unit tests: BadRequest for bodies that disagree with the request,
Conflict for stale resourceVersions, label-selected LIST and WATCH.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from typing import Any

from syncd.core.errors import ApiError, ConflictError, UnknownKindError
from syncd.core.ports import JsonObject, ResourceType
from syncd.core.refs import ObjectRef

from .fake_selectors import LabelSelector, SelectorError, parse_selector


class SystemClock:
    """The real UTC time (the default when a test injects no clock)."""

    def now(self) -> dt.datetime:
        """The current UTC time."""
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()


class FakeDiscovery:
    """Served types by (group, kind), first preferred; registered types wait for refresh()."""

    def __init__(self, types: Iterable[ResourceType]) -> None:
        self._types: dict[tuple[str, str], list[ResourceType]] = {}
        self._pending: list[ResourceType] = []
        for rtype in types:
            self._types.setdefault((rtype.group, rtype.kind), []).append(rtype)

    def register(self, rtype: ResourceType) -> None:
        """Serve `rtype` after the next refresh()."""
        self._pending.append(rtype)

    def refresh(self) -> None:
        """Make registered types visible."""
        for rtype in self._pending:
            self._types.setdefault((rtype.group, rtype.kind), []).append(rtype)
        self._pending.clear()

    def preferred(self) -> tuple[ResourceType, ...]:
        """The first (preferred) type of every group and kind, sorted."""
        return tuple(served[0] for _, served in sorted(self._types.items()) if served)

    def resource_type(self, group: str, kind: str, *, version: str = "") -> ResourceType:
        """The preferred served type, or exactly `version`; UnknownKindError (SD1021) if none."""
        served = self._types.get((group, kind), [])
        if not version and served:
            return served[0]
        found = next((t for t in served if t.version == version), None) if version else None
        if found is None:
            group_kind = f"{kind}.{group}" if group else kind
            wanted = f" version {version} of" if version else ""
            raise UnknownKindError(f"the cluster serves no{wanted} kind {group_kind}")
        return found


def group_kind(rtype: ResourceType) -> str:
    """`Kind` for the core group, `Kind.group` otherwise."""
    return f"{rtype.kind}.{rtype.group}" if rtype.group else rtype.kind


def skeleton(key: ObjectRef, rtype: ResourceType) -> JsonObject:
    """apiVersion, kind, name and namespace of a new object."""
    metadata: JsonObject = {"name": key.name}
    if key.namespace:
        metadata["namespace"] = key.namespace
    return {"apiVersion": rtype.api_version, "kind": rtype.kind, "metadata": metadata}


def content(obj: Mapping[str, Any]) -> JsonObject:
    """Everything but metadata and status: what bumps metadata.generation."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def compile_selector(text: str) -> LabelSelector:
    """A parsed selector; a malformed one is the server's 400 BadRequest."""
    try:
        return parse_selector(text)
    except SelectorError as exc:
        raise ApiError(str(exc), status=400, reason="BadRequest") from None


def selected(
    obj: Mapping[str, Any],
    key: ObjectRef,
    rtype: ResourceType,
    namespace: str,
    selector: LabelSelector,
) -> bool:
    """Whether an object of `key` belongs to a LIST/WATCH of `rtype` in `namespace`."""
    if (key.group, key.kind) != (rtype.group, rtype.kind):
        return False
    if namespace and rtype.namespaced and key.namespace != namespace:
        return False
    return selector.matches((obj.get("metadata") or {}).get("labels") or {})


def check_body(
    key: ObjectRef, rtype: ResourceType, body: Mapping[str, Any], live: JsonObject | None
) -> None:
    """Reject what the real server rejects: managedFields, a mismatched kind or name."""
    metadata = body.get("metadata") or {}
    if "managedFields" in metadata:
        raise ApiError("metadata.managedFields must be nil", status=400, reason="BadRequest")
    if body.get("kind") != rtype.kind or body.get("apiVersion") != rtype.api_version:
        raise ApiError(
            f"the body's apiVersion/kind ({body.get('apiVersion')}/{body.get('kind')}) does "
            f"not match the request ({rtype.api_version}/{rtype.kind})",
            status=400,
            reason="BadRequest",
        )
    if metadata.get("name") != key.name:
        raise ApiError(
            f"the name of the object ({metadata.get('name')}) does not match the name on "
            f"the URL ({key.name})",
            status=400,
            reason="BadRequest",
        )
    if live is not None:
        check_resource_version(key, body, live)


def check_resource_version(key: ObjectRef, obj: Mapping[str, Any], live: JsonObject) -> None:
    """A stale metadata.resourceVersion is the optimistic-lock 409."""
    wanted = (obj.get("metadata") or {}).get("resourceVersion")
    if wanted and wanted != live["metadata"].get("resourceVersion"):
        raise ConflictError(
            f'Operation cannot be fulfilled on {key.kind} "{key.name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            status=409,
            reason="Conflict",
        )
