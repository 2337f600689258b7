"""Object identity: which Kubernetes object a manifest or inventory entry names.

An object's identity is its group, kind, namespace and name (GKNN). The API
version is carried along for requests but is not part of identity: the same
Deployment served as apps/v1 or a future apps/v2 is one object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class InvalidObjectRefError(ValueError):
    """A manifest lacks the fields that identify an object."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ObjectRef:
    """The identity of one Kubernetes object (group, kind, namespace, name).

    `namespace` is empty for cluster-scoped objects; `group` is empty for the
    core group. `version` rides along for building request paths and takes
    no part in equality, hashing or ordering. References are dictionary keys
    and sorted all the time (thousands per run), so the identity tuple and its
    hash are computed once.
    """

    group: str
    kind: str
    namespace: str = ""
    name: str
    version: str = field(default="", compare=False)
    _key: tuple[str, str, str, str] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compute the identity tuple and its hash once."""
        key = (self.group, self.kind, self.namespace, self.name)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        """The hash of the identity (group, kind, namespace, name)."""
        return self._hash

    def __eq__(self, other: object) -> bool:
        """Same group, kind, namespace and name (the version does not count)."""
        if other.__class__ is ObjectRef:
            return self._key == other._key
        return NotImplemented

    def __lt__(self, other: ObjectRef) -> bool:
        """Ordered by group, kind, namespace, name."""
        return self._key < other._key

    def __le__(self, other: ObjectRef) -> bool:
        """Ordered by group, kind, namespace, name."""
        return self._key <= other._key

    def __gt__(self, other: ObjectRef) -> bool:
        """Ordered by group, kind, namespace, name."""
        return self._key > other._key

    def __ge__(self, other: ObjectRef) -> bool:
        """Ordered by group, kind, namespace, name."""
        return self._key >= other._key

    @property
    def api_version(self) -> str:
        """The `apiVersion` string: `v1` for the core group, else `group/version`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> str:
        """Go's GroupKind.String() form: `Kind` for core, `Kind.group` otherwise."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def cluster_scoped(self) -> bool:
        """Whether the reference carries no namespace."""
        return not self.namespace

    def with_namespace(self, namespace: str) -> ObjectRef:
        """A copy of this reference placed in `namespace`."""
        return ObjectRef(
            group=self.group,
            kind=self.kind,
            namespace=namespace,
            name=self.name,
            version=self.version,
        )

    def __str__(self) -> str:
        """Human form used in messages: `Kind.group namespace/name`."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.group_kind} {where}"

    @property
    def short(self) -> str:
        """Compact form, one string per object: `Kind[.group]/[namespace/]name`.

        `ConfigMap/web/settings`, `Deployment.apps/web/frontend`, `Namespace/web`.
        No part of an identity can hold a `/` and kinds hold no `.`, so
        `parse_short` reads it back unambiguously.
        """
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.group_kind}/{where}"

    @classmethod
    def parse_short(cls, text: str) -> ObjectRef:
        """The reference `short` wrote; InvalidObjectRefError for anything else."""
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidObjectRefError(f"{text!r} is not Kind[.group]/[namespace/]name")
        kind, _, group = parts[0].partition(".")
        namespace = parts[1] if len(parts) == 3 else ""
        return cls(group=group, kind=kind, namespace=namespace, name=parts[-1])

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> ObjectRef:
        """The identity of a decoded manifest or live object.

        Raises InvalidObjectRefError when apiVersion, kind or metadata.name is
        missing or not a string.
        """
        api_version = obj.get("apiVersion")
        kind = obj.get("kind")
        metadata = obj.get("metadata")
        if not isinstance(api_version, str) or not api_version:
            raise InvalidObjectRefError("apiVersion is missing or not a string")
        if not isinstance(kind, str) or not kind:
            raise InvalidObjectRefError("kind is missing or not a string")
        if not isinstance(metadata, Mapping):
            raise InvalidObjectRefError("metadata is missing or not a mapping")
        name = metadata.get("name")
        namespace = metadata.get("namespace", "") or ""
        if not isinstance(name, str) or not name:
            raise InvalidObjectRefError("metadata.name is missing or not a string")
        if not isinstance(namespace, str):
            raise InvalidObjectRefError("metadata.namespace is not a string")
        group, _, version = api_version.rpartition("/")
        return cls(group=group, kind=kind, namespace=namespace, name=name, version=version)
