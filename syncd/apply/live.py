"""Reading live state: one LIST per managed type, in parallel, never a GET per object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass

from syncd.core.errors import ClusterError, SyncdError, UnknownKindError
from syncd.core.metadata import MANAGED_BY_LABEL, MANAGED_BY_VALUE
from syncd.core.ports import Cluster, JsonObject
from syncd.core.refs import ObjectRef

SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveState:
    """Live copies of syncd-managed objects of the listed types, by identity."""

    objects: Mapping[ObjectRef, JsonObject]
    unknown_kinds: frozenset[tuple[str, str]]
    errors: tuple[SyncdError, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every type could be listed (unknown kinds count as empty)."""
        return not self.errors


class LiveReader:
    """Lists objects that carry syncd's managed-by label, one LIST per (group, kind)."""

    def __init__(self, cluster: Cluster, *, executor: Executor, namespace: str = "") -> None:
        """`namespace` limits LISTs of namespaced types (RepoSync); empty = all namespaces."""
        self._cluster = cluster
        self._executor = executor
        self._namespace = namespace

    def read(self, group_kinds: Iterable[tuple[str, str]]) -> LiveState:
        """LIST every (group, kind) in parallel."""
        kinds = sorted(set(group_kinds))
        futures = {gk: self._executor.submit(self._list, *gk) for gk in kinds}
        objects: dict[ObjectRef, JsonObject] = {}
        unknown: set[tuple[str, str]] = set()
        errors: list[SyncdError] = []
        for gk, future in futures.items():
            try:
                items = future.result()
            except UnknownKindError:
                unknown.add(gk)
                continue
            except ClusterError as exc:
                errors.append(exc)
                continue
            for item in items:
                objects[ObjectRef.from_object(item)] = item
        return LiveState(objects=objects, unknown_kinds=frozenset(unknown), errors=tuple(errors))

    def _list(self, group: str, kind: str) -> tuple[JsonObject, ...]:
        rtype = self._cluster.resource_type(group, kind)
        result = self._cluster.list(rtype, namespace=self._namespace, label_selector=SELECTOR)
        return result.items
