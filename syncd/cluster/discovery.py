"""REST mapping from API discovery: which resource serves a group and kind.

Aggregated discovery (`GET /api` and `GET /apis` answered as
`apidiscovery.k8s.io/v2` APIGroupDiscoveryList) costs two requests for the
whole cluster; servers that do not answer in that form are read per group
version (`/api/v1`, `/apis/<group>/<version>`). Versions are kept in the
server's order of preference, so the preferred version of a kind is the
first that serves it. The index is cached until `invalidate()`; a miss
reloads it at most once per second, then raises UnknownKindError (SD1021).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from syncd.core.errors import ApiError, UnknownKindError
from syncd.core.ports import JsonObject, ResourceType
from syncd.logging import get_logger

AGGREGATED_ACCEPT: Final = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
)
PLAIN_ACCEPT: Final = "application/json"

GetJson = Callable[[str, str], JsonObject]
"""`get_json(path, accept)`: one discovery GET, decoded; raises ApiError on failure."""

_log = get_logger("cluster.discovery")


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryIndex:
    """Resource types by (group, kind), each tuple in the server's order of preference."""

    types: Mapping[tuple[str, str], tuple[ResourceType, ...]]

    @classmethod
    def from_types(cls, types: Iterable[ResourceType]) -> DiscoveryIndex:
        """Index `types`, keeping the first resource per (group, version, kind)."""
        index: dict[tuple[str, str], list[ResourceType]] = {}
        for rtype in types:
            versions = index.setdefault((rtype.group, rtype.kind), [])
            if all(seen.version != rtype.version for seen in versions):
                versions.append(rtype)
        return cls(types={key: tuple(value) for key, value in index.items()})

    def lookup(self, group: str, kind: str, version: str = "") -> ResourceType | None:
        """The preferred type, or exactly `version` when given; None if not served."""
        served = self.types.get((group, kind), ())
        if not version:
            return served[0] if served else None
        return next((t for t in served if t.version == version), None)

    def preferred(self) -> tuple[ResourceType, ...]:
        """The preferred type of every (group, kind), sorted by group and kind."""
        return tuple(served[0] for _, served in sorted(self.types.items()) if served)

    def served_versions(self, group: str, kind: str) -> tuple[str, ...]:
        """The versions that serve a kind, preferred first."""
        return tuple(t.version for t in self.types.get((group, kind), ()))

    def __len__(self) -> int:
        """The number of (group, kind) pairs."""
        return len(self.types)


def is_aggregated(doc: Mapping[str, Any]) -> bool:
    """Whether a discovery answer is an aggregated APIGroupDiscoveryList."""
    return doc.get("kind") == "APIGroupDiscoveryList"


def parse_aggregated(doc: Mapping[str, Any]) -> list[ResourceType]:
    """The resource types of an APIGroupDiscoveryList, groups and versions in order.

    Subresources (nested under their resource in this form) are skipped.
    """
    found: list[ResourceType] = []
    for group_doc in _dicts(doc.get("items")):
        group = str((group_doc.get("metadata") or {}).get("name") or "")
        for version_doc in _dicts(group_doc.get("versions")):
            version = str(version_doc.get("version") or "")
            for res in _dicts(version_doc.get("resources")):
                kind = str((res.get("responseKind") or {}).get("kind") or "")
                resource = str(res.get("resource") or "")
                if not (version and kind and resource) or "/" in resource:
                    continue
                found.append(
                    ResourceType(
                        group=group,
                        version=version,
                        kind=kind,
                        resource=resource,
                        namespaced=res.get("scope") == "Namespaced",
                        verbs=_verbs(res),
                    )
                )
    return found


def parse_core_versions(doc: Mapping[str, Any]) -> list[str]:
    """The versions of an APIVersions answer (`GET /api`)."""
    return [str(v) for v in doc.get("versions") or [] if v]


def parse_group_list(doc: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """(group, versions) of an APIGroupList (`GET /apis`), the preferred version first."""
    groups: list[tuple[str, list[str]]] = []
    for group_doc in _dicts(doc.get("groups")):
        name = str(group_doc.get("name") or "")
        preferred = str((group_doc.get("preferredVersion") or {}).get("version") or "")
        versions = [str(v.get("version") or "") for v in _dicts(group_doc.get("versions"))]
        ordered = [preferred] if preferred else []
        ordered += [v for v in versions if v and v != preferred]
        if name and ordered:
            groups.append((name, ordered))
    return groups


def parse_resource_list(doc: Mapping[str, Any], *, group: str, version: str) -> list[ResourceType]:
    """The resource types of an APIResourceList, subresources skipped."""
    found: list[ResourceType] = []
    for res in _dicts(doc.get("resources")):
        name = str(res.get("name") or "")
        kind = str(res.get("kind") or "")
        if not name or not kind or "/" in name:
            continue
        found.append(
            ResourceType(
                group=group,
                version=version,
                kind=kind,
                resource=name,
                namespaced=bool(res.get("namespaced")),
                verbs=_verbs(res),
            )
        )
    return found


class Discovery:
    """A thread-safe, cached REST mapping for one API server."""

    def __init__(
        self,
        get_json: GetJson,
        *,
        min_refresh_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._get_json = get_json
        self._min_interval = min_refresh_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._index: DiscoveryIndex | None = None
        self._loaded_at: float | None = None

    def resource_type(self, group: str, kind: str, *, version: str = "") -> ResourceType:
        """The mapping of a group and kind (exactly `version` when given).

        A miss reloads discovery once (at most once per second across
        callers), then raises UnknownKindError naming `Kind.group`.
        """
        index = self._current()
        found = index.lookup(group, kind, version)
        if found is None:
            index = self._reload_after_miss(index)
            found = index.lookup(group, kind, version)
        if found is not None:
            return found
        group_kind = f"{kind}.{group}" if group else kind
        served = index.served_versions(group, kind)
        if version and served:
            raise UnknownKindError(
                f"the cluster does not serve version {version} of {group_kind} "
                f"(served: {', '.join(served)})"
            )
        raise UnknownKindError(f"the cluster serves no kind {group_kind}")

    def invalidate(self) -> None:
        """Forget the cached index; the next lookup reloads it."""
        with self._lock:
            self._index = None

    def index(self) -> DiscoveryIndex:
        """The current index, loading it if needed."""
        return self._current()

    def _current(self) -> DiscoveryIndex:
        index = self._index
        if index is not None:
            return index
        with self._lock:
            if self._index is None:
                self._index = self._load()
                self._loaded_at = self._clock()
            return self._index

    def _reload_after_miss(self, seen: DiscoveryIndex) -> DiscoveryIndex:
        with self._lock:
            if self._index is not None and self._index is not seen:
                return self._index  # another caller reloaded meanwhile
            recent = (
                self._loaded_at is not None and self._clock() - self._loaded_at < self._min_interval
            )
            if self._index is not None and recent:
                return self._index
            self._index = self._load()
            self._loaded_at = self._clock()
            return self._index

    def _load(self) -> DiscoveryIndex:
        core = self._get_json("/api", AGGREGATED_ACCEPT)
        groups = self._get_json("/apis", AGGREGATED_ACCEPT)
        if is_aggregated(core) and is_aggregated(groups):
            types = parse_aggregated(core) + parse_aggregated(groups)
            mode = "aggregated"
        else:
            types = self._load_per_group_version(core, groups)
            mode = "per-group-version"
        index = DiscoveryIndex.from_types(types)
        _log.info("cluster.discovery_loaded", mode=mode, kinds=len(index))
        return index

    def _load_per_group_version(
        self, core: Mapping[str, Any], groups: Mapping[str, Any]
    ) -> list[ResourceType]:
        if is_aggregated(core):
            types = parse_aggregated(core)
        else:
            types = []
            for version in parse_core_versions(core):
                doc = self._get_json(f"/api/{version}", PLAIN_ACCEPT)
                types += parse_resource_list(doc, group="", version=version)
        if is_aggregated(groups):
            return types + parse_aggregated(groups)
        for group, versions in parse_group_list(groups):
            for version in versions:
                try:
                    doc = self._get_json(f"/apis/{group}/{version}", PLAIN_ACCEPT)
                except ApiError as exc:  # an unavailable aggregated API: skip its kinds
                    _log.warning(
                        "cluster.discovery_group_failed",
                        group=group,
                        version=version,
                        status=exc.status,
                    )
                    continue
                types += parse_resource_list(doc, group=group, version=version)
        return types


def _verbs(res: Mapping[str, Any]) -> frozenset[str]:
    verbs = res.get("verbs")
    return frozenset(str(v) for v in verbs) if isinstance(verbs, list) else frozenset()


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
