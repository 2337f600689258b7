"""Inventory set algebra and the ApplySet values derived from it (pure).

The inventory is the set of objects a sync manages. It is written twice per
run: before applying, as the union of the old and new sets (an interrupted
run then leaks nothing), and after pruning, as the new set plus whatever
could not be removed and whatever the plan kept. The ApplySet parent's
`contains-group-kinds` and `additional-namespaces` annotations and its id
label (KEP-3659, as kubectl ships it) are computed here too.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from syncd.core.refs import ObjectRef


def applyset_id(name: str, *, namespace: str, kind: str, group: str) -> str:
    """The ApplySet id of a parent: `applyset-<base64url(sha256(name.ns.Kind.group))>-v1`.

    `namespace` is empty for a cluster-scoped parent and `group` empty for
    the core group (a Secret parent).
    """
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    encoded = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return f"applyset-{encoded}-v1"


def parse_group_kinds(value: str) -> frozenset[tuple[str, str]]:
    """`(group, kind)` pairs from a `contains-group-kinds` value (`ConfigMap,Deployment.apps`)."""
    pairs: set[tuple[str, str]] = set()
    for raw in value.split(","):
        entry = raw.strip()
        if entry:
            kind, _, group = entry.partition(".")
            pairs.add((group, kind))
    return frozenset(pairs)


@dataclass(frozen=True, slots=True)
class InventorySet:
    """An immutable set of object identities with the inventory's operations."""

    refs: frozenset[ObjectRef] = field(default_factory=frozenset)

    @classmethod
    def of(cls, refs: Iterable[ObjectRef]) -> InventorySet:
        """A set holding `refs`."""
        return cls(frozenset(refs))

    @classmethod
    def pre_apply(cls, old: Iterable[ObjectRef], new: Iterable[ObjectRef]) -> InventorySet:
        """The record written before applying: the union of old and new."""
        return cls(frozenset(old) | frozenset(new))

    @classmethod
    def post_prune(
        cls,
        new: Iterable[ObjectRef],
        *,
        failed_removals: Iterable[ObjectRef] = (),
        kept: Iterable[ObjectRef] = (),
    ) -> InventorySet:
        """The record written after pruning.

        `new` is what the sync now manages (`Plan.managed`), `failed_removals`
        the prunes, detaches and releases that failed, `kept` the plan's kept
        objects (prune refused or not allowed, declarations rejected).
        """
        return cls(frozenset(new) | frozenset(failed_removals) | frozenset(kept))

    def union(self, other: Iterable[ObjectRef]) -> InventorySet:
        """The union of this set and `other`."""
        return InventorySet(self.refs | frozenset(other))

    def difference(self, other: Iterable[ObjectRef]) -> InventorySet:
        """The members not in `other`."""
        return InventorySet(self.refs - frozenset(other))

    def __contains__(self, ref: object) -> bool:
        """Whether `ref` is in the set."""
        return ref in self.refs

    def __iter__(self) -> Iterator[ObjectRef]:
        """The identities in sorted order (deterministic records)."""
        return iter(sorted(self.refs))

    def __len__(self) -> int:
        """How many objects the set holds."""
        return len(self.refs)

    def group_kinds(self) -> str:
        """`contains-group-kinds`: sorted, comma-separated, `Kind` (core) or `Kind.group`."""
        return ",".join(sorted({ref.group_kind for ref in self.refs}))

    def namespaces(self) -> tuple[str, ...]:
        """The sorted namespaces of the namespaced members."""
        return tuple(sorted({ref.namespace for ref in self.refs if ref.namespace}))

    def additional_namespaces(self, *, parent_namespace: str) -> str:
        """`additional-namespaces`: the members' namespaces other than the parent's, or ""."""
        return ",".join(ns for ns in self.namespaces() if ns != parent_namespace)
