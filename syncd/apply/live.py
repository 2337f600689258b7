"""Reading live state: one LIST per type, then a lookup of declared objects it did not return.

The LIST selects this sync's own objects (its ApplySet `part-of` label), so
it costs one request per managed type whatever else the cluster holds. Not
being in that LIST does not mean not being in the cluster: a declared object
may exist without the label (created by hand, re-created after a deletion,
managed by another sync, or from before syncd). Such objects are looked up
before anyone decides to create them: a GET each when few are missing, else
one LIST without the selector (per namespace when they sit in a few).

A kind whose LIST fails is *unknown*: the planner neither applies nor prunes
anything of it in this run (SD2002; SD2013 when the sync's identity may not
list it), because it cannot tell what exists or who owns it. A failed lookup
makes just the objects it was for unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Final

from syncd.core.errors import (
    ClusterError,
    ErrorCode,
    ForbiddenError,
    NotFoundError,
    ResourceRef,
    SyncdError,
    UnknownKindError,
)
from syncd.core.ports import Cluster, JsonObject
from syncd.core.refs import ObjectRef

GroupKind = tuple[str, str]

GET_LOOKUP_MAX: Final = 8
"""Up to this many missing objects of one kind are looked up with a GET each."""
NAMESPACE_LIST_MAX: Final = 4
"""Beyond GET_LOOKUP_MAX, a kind's missing objects spread over at most this many
namespaces are looked up with one LIST per namespace, else with one LIST in all."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveState:
    """What the cluster holds of the listed types, by identity.

    `objects` has this sync's objects (by label) and every declared object
    that exists without the label. `failed_kinds` could not be listed and
    `unresolved` are declared objects whose lookup failed: the live state of
    both is unknown. `unknown_kinds` are kinds the cluster does not serve.
    """

    objects: Mapping[ObjectRef, JsonObject]
    unknown_kinds: frozenset[GroupKind] = frozenset()
    failed_kinds: frozenset[GroupKind] = frozenset()
    unresolved: frozenset[ObjectRef] = frozenset()
    errors: tuple[SyncdError, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every type could be listed and every lookup answered."""
        return not self.failed_kinds and not self.unresolved

    def known(self, ref: ObjectRef) -> bool:
        """Whether the live state of `ref` is known (absent from `objects` means absent)."""
        return (ref.group, ref.kind) not in self.failed_kinds and ref not in self.unresolved


@dataclass(frozen=True, slots=True, kw_only=True)
class _Listing:
    """One kind's LIST: the items, and the namespaces the identity may not LIST (if any)."""

    items: tuple[JsonObject, ...]
    refused: ForbiddenError | None = None
    hidden: Collection[str] = ()


class LiveReader:
    """Lists one sync's objects by label, one LIST per (group, kind), and looks up the rest."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        executor: Executor,
        selector: str,
        namespace: str = "",
    ) -> None:
        """`selector` picks the sync's objects; `namespace` limits namespaced LISTs (RepoSync)."""
        self._cluster = cluster
        self._executor = executor
        self._selector = selector
        self._namespace = namespace

    def read(
        self,
        group_kinds: Iterable[GroupKind],
        *,
        declared: Collection[ObjectRef] = (),
        managed: Collection[ObjectRef] = (),
        sources: Mapping[ObjectRef, str] | None = None,
    ) -> LiveState:
        """LIST every kind in parallel, then look up `declared` objects the LISTs missed.

        `managed` (the inventory) names the namespaces to LIST one by one when
        the identity may not LIST a namespaced kind cluster-wide (a RootSync
        limited by roleRefs): a namespace it may not LIST either leaves its
        objects of that kind unknown (SD2013). `sources` gives the errors the
        source path of each declared object they name.
        """
        kinds = sorted(set(group_kinds) | {(ref.group, ref.kind) for ref in declared})
        places: dict[GroupKind, set[str]] = defaultdict(set)
        for ref in (*declared, *managed):
            places[(ref.group, ref.kind)].add(ref.namespace)
        futures = {gk: self._executor.submit(self._list, gk, sorted(places[gk])) for gk in kinds}
        objects: dict[ObjectRef, JsonObject] = {}
        unknown: set[GroupKind] = set()
        failed: set[GroupKind] = set()
        errors: list[SyncdError] = []
        unresolved: set[ObjectRef] = set()
        for gk, future in futures.items():
            try:
                listing = future.result()
            except UnknownKindError:
                unknown.add(gk)
                continue
            except ClusterError as exc:
                failed.add(gk)
                errors.append(_unreadable(gk, exc, declared))
                continue
            for item in listing.items:
                objects[ObjectRef.from_object(item)] = item
            if listing.refused is not None:
                hidden = {
                    ref
                    for ref in (*declared, *managed)
                    if (ref.group, ref.kind) == gk and ref.namespace in listing.hidden
                }
                unresolved |= hidden
                errors.append(_unreadable(gk, listing.refused, hidden, namespaces=listing.hidden))
        missing: dict[GroupKind, list[ObjectRef]] = defaultdict(list)
        for ref in sorted(r for r in declared if r not in objects and r not in unresolved):
            gk = (ref.group, ref.kind)
            if gk not in failed and gk not in unknown:
                missing[gk].append(ref)
        found, lost, lookup_errors = self._look_up(missing)
        unresolved |= lost
        objects.update(found)
        for error in (*errors, *lookup_errors):  # made in this call: located before handing on
            error.resources = tuple(
                ResourceRef(ref=r.ref, source_path=(sources or {}).get(r.ref, r.source_path))
                for r in error.resources
            )
        return LiveState(
            objects=objects,
            unknown_kinds=frozenset(unknown),
            failed_kinds=frozenset(failed),
            unresolved=frozenset(unresolved),
            errors=tuple(errors + lookup_errors),
        )

    def _list(self, gk: GroupKind, namespaces: Collection[str]) -> _Listing:
        """One LIST by label; per namespace in `namespaces` when a cluster-wide one is forbidden."""
        try:
            return _Listing(items=self._list_served(gk, self._namespace, self._selector))
        except ForbiddenError as exc:
            if self._namespace or not self._cluster.resource_type(*gk).namespaced:
                raise
            refused = exc
        items: list[JsonObject] = []
        hidden: set[str] = set()
        for namespace in namespaces:
            if not namespace:
                continue
            try:
                items.extend(self._list_served(gk, namespace, self._selector))
            except ForbiddenError as exc:
                refused = exc
                hidden.add(namespace)
        return _Listing(items=tuple(items), refused=refused if hidden else None, hidden=hidden)

    def _list_served(self, gk: GroupKind, namespace: str, selector: str) -> tuple[JsonObject, ...]:
        """One LIST; a 404 (the type went away since discovery) refreshes discovery once.

        A type still unknown after the refresh raises UnknownKindError: nothing of it exists.
        """
        rtype = self._cluster.resource_type(*gk)
        try:
            return self._cluster.list(rtype, namespace=namespace, label_selector=selector).items
        except NotFoundError:
            self._cluster.refresh_discovery()
        rtype = self._cluster.resource_type(*gk)
        try:
            return self._cluster.list(rtype, namespace=namespace, label_selector=selector).items
        except NotFoundError:
            raise UnknownKindError(f"the cluster no longer serves {rtype.kind}") from None

    def _look_up(
        self, missing: Mapping[GroupKind, list[ObjectRef]]
    ) -> tuple[dict[ObjectRef, JsonObject], set[ObjectRef], list[SyncdError]]:
        """Find missing declared objects without the label: GETs or unselected LISTs."""
        lookups: list[tuple[GroupKind, frozenset[ObjectRef], Future[tuple[JsonObject, ...]]]] = []
        for gk, refs in missing.items():
            if len(refs) <= GET_LOOKUP_MAX:
                for ref in refs:
                    lookups.append((gk, frozenset([ref]), self._executor.submit(self._get, ref)))
                continue
            namespaces = sorted({ref.namespace for ref in refs})
            scopes = namespaces if len(namespaces) <= NAMESPACE_LIST_MAX else [""]
            for namespace in scopes:
                wanted = frozenset(r for r in refs if not namespace or r.namespace == namespace)
                lookups.append((gk, wanted, self._executor.submit(self._list_in, gk, namespace)))
        found: dict[ObjectRef, JsonObject] = {}
        failures: dict[GroupKind, tuple[ClusterError, set[ObjectRef]]] = {}
        for gk, wanted, future in lookups:
            try:
                items = future.result()
            except UnknownKindError:
                continue
            except ClusterError as exc:
                failures.setdefault(gk, (exc, set()))[1].update(wanted)
                continue
            for item in items:
                ref = ObjectRef.from_object(item)
                if ref in wanted:
                    found[ref] = item
        unresolved: set[ObjectRef] = set()
        errors: list[SyncdError] = []
        for gk in sorted(failures):
            failure, lost = failures[gk]
            unresolved |= lost
            errors.append(_unreadable(gk, failure, lost, looking_up=True))
        return found, unresolved, errors

    def _get(self, ref: ObjectRef) -> tuple[JsonObject, ...]:
        obj = self._cluster.get(ref)
        return () if obj is None else (obj,)

    def _list_in(self, gk: GroupKind, namespace: str) -> tuple[JsonObject, ...]:
        return self._list_served(gk, namespace or self._namespace, "")


def _unreadable(
    gk: GroupKind,
    exc: ClusterError,
    refs: Iterable[ObjectRef],
    *,
    looking_up: bool = False,
    namespaces: Collection[str] = (),
) -> SyncdError:
    group, kind = gk
    name = f"{kind}.{group}" if group else kind
    affected = sorted(ref for ref in refs if (ref.group, ref.kind) == gk)
    what = "looking up declared objects of" if looking_up else "listing"
    where = f" in namespace {', '.join(sorted(namespaces))}" if namespaces else ""
    scope = "none of those objects" if namespaces else "nothing of that kind"
    forbidden = isinstance(exc, ForbiddenError)
    hint = (
        "grant the sync's identity get and list on that resource" if forbidden else "syncd retries"
    )
    return SyncdError(
        f"{what} {name}{where} failed, so {scope} was applied or pruned in this run "
        f"({hint}): {exc.message}",
        code=ErrorCode.FORBIDDEN if forbidden else ErrorCode.LIVE_STATE_UNKNOWN,
        resources=[ResourceRef(ref=ref) for ref in affected[:20]],
        transient=not forbidden,
    )
