"""The side-effect boundaries: Protocols with one real and one fake implementation.

Stages depend on these Protocols only; `cli` is the composition root that
names the concrete classes (real ones in `cluster`, `source`, ...; fakes in
`syncd.testing`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Protocol

from syncd.core.refs import ObjectRef

JsonObject = dict[str, Any]


class Clock(Protocol):
    """Time, injected so that tests control it."""

    def now(self) -> dt.datetime:
        """The current UTC time (timezone-aware)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic clock, for durations and deadlines."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceType:
    """The REST mapping of one group and kind, from discovery."""

    group: str
    version: str
    kind: str
    resource: str
    namespaced: bool
    verbs: frozenset[str] = field(default=frozenset(), compare=False)
    """The verbs discovery lists for the resource (empty when discovery did not say)."""

    @property
    def listable(self) -> bool:
        """Whether the resource can be listed (assumed when discovery named no verbs)."""
        return not self.verbs or "list" in self.verbs

    @property
    def api_version(self) -> str:
        """`v1` or `group/version`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def collection_path(self, namespace: str = "") -> str:
        """URL path of the collection, across all namespaces when `namespace` is empty."""
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{prefix}/namespaces/{namespace}/{self.resource}"
        return f"{prefix}/{self.resource}"

    def object_path(self, name: str, namespace: str = "") -> str:
        """URL path of one object."""
        return f"{self.collection_path(namespace)}/{name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListResult:
    """The items of one LIST and the collection's resourceVersion."""

    items: tuple[JsonObject, ...]
    resource_version: str


class WatchEventType(StrEnum):
    """Watch event types as the API server sends them."""

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    BOOKMARK = "BOOKMARK"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchEvent:
    """One event of a watch stream."""

    type: WatchEventType
    object: JsonObject


class DeleteResult(StrEnum):
    """What a DELETE did."""

    DELETED = "deleted"  # the object is gone (200)
    PENDING = "pending"  # accepted, the object is terminating: finalizers or a grace period (202)
    ABSENT = "absent"  # it was already gone (404)


class DeletePropagation(StrEnum):
    """DeleteOptions.propagationPolicy."""

    BACKGROUND = "Background"
    FOREGROUND = "Foreground"
    ORPHAN = "Orphan"


class Cluster(Protocol):
    """One identity's conversation with the API server, in raw JSON.

    Errors are raised as `syncd.core.errors.ApiError` subclasses
    (NotFoundError, ConflictError, InvalidError, ForbiddenError),
    `UnknownKindError` for kinds discovery does not know, and `ClusterError`
    for transport failures. Responses are plain dicts decoded from JSON.
    """

    def impersonating(self, user: str, groups: Sequence[str] = ()) -> Cluster:
        """The same conversation acting as `user` (Impersonate-User), sharing discovery.

        Every request of the returned cluster is authorized as `user`; the
        caller's identity needs the `impersonate` verb on it (for a service
        account user, on `serviceaccounts` in its namespace).
        """
        ...

    def resource_type(self, group: str, kind: str, *, version: str = "") -> ResourceType:
        """The REST mapping of a group and kind (cached discovery).

        Without `version`, the preferred served version that has the kind;
        with it, exactly that version (UnknownKindError when not served).
        """
        ...

    def refresh_discovery(self) -> None:
        """Forget cached discovery, e.g. after CRDs became Established."""
        ...

    def resource_types(self) -> tuple[ResourceType, ...]:
        """Every served resource type at its preferred version (cached discovery)."""
        ...

    def apply(
        self,
        ref: ObjectRef,
        body: Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = True,
        dry_run: bool = False,
    ) -> JsonObject:
        """Server-side apply `body` and return the object the server answered with."""
        ...

    def get(self, ref: ObjectRef) -> JsonObject | None:
        """The live object, or None when it does not exist."""
        ...

    def list(
        self, rtype: ResourceType, *, namespace: str = "", label_selector: str = ""
    ) -> ListResult:
        """One LIST of a type (all pages), optionally in a namespace and by label."""
        ...

    def delete(
        self,
        ref: ObjectRef,
        *,
        propagation: DeletePropagation = DeletePropagation.BACKGROUND,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> DeleteResult:
        """Delete an object and say whether it is gone, terminating or was absent.

        With `uid` (and `resource_version`), the delete carries preconditions:
        a recreated (or, with a resourceVersion, a changed) object of the same
        name is never deleted by mistake; a mismatch raises ConflictError.
        """
        ...

    def merge_patch(
        self, ref: ObjectRef, patch: Mapping[str, Any], *, field_manager: str
    ) -> JsonObject:
        """A JSON merge patch (for releasing metadata, never for declared content)."""
        ...

    def replace_status(self, ref: ObjectRef, obj: Mapping[str, Any]) -> JsonObject:
        """PUT the status subresource of `obj` (optimistic concurrency by resourceVersion)."""
        ...

    def create(self, ref: ObjectRef, body: Mapping[str, Any]) -> JsonObject:
        """POST a new object (Events and other append-only records)."""
        ...

    def watch(
        self,
        rtype: ResourceType,
        *,
        namespace: str = "",
        resource_version: str = "",
        label_selector: str = "",
        timeout_seconds: int = 300,
    ) -> Iterator[WatchEvent]:
        """Stream events from `resource_version` until the server closes the watch."""
        ...


OUTSIDE_TREE_LINK: Final = "/dev/null/syncd-link-left-the-source-tree"
"""What a Source writes a symbolic link as when the link leaves its tree.

`/dev/null` is a file, so nothing below it exists and the link can never
resolve to anything: readers never follow it, and the parse stage reports
it (SD1006) instead of the file silently disappearing from the package,
which would make pruning its objects look right.
"""


def _nothing_to_release() -> None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSnapshot:
    """Fetched source content: the commit and the directory holding it.

    The directory stays in place until `release()`: a source may share its
    cache between syncs and must not evict a tree someone is still reading.
    Use it as a context manager (`with source.fetch(commit) as snapshot:`).
    """

    commit: str
    directory: Path
    release: Callable[[], None] = field(default=_nothing_to_release, compare=False, repr=False)
    checkout: Path | None = None
    """The whole fetched tree `directory` lies in (None: `directory` itself); renderers
    may read it (an overlay's `../base`)."""

    @property
    def root(self) -> Path:
        """The fetched tree: `checkout`, else `directory`."""
        return self.checkout if self.checkout is not None else self.directory

    def __enter__(self) -> SourceSnapshot:
        """The snapshot itself; `release()` runs on exit."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Release the directory."""
        self.release()


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """Credentials for a source, read from a Secret; never printed."""

    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    ca_cert_pem: bytes = field(default=b"", repr=False)

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, for redaction."""
        return tuple(s for s in (self.password, self.token) if s)


class Source(Protocol):
    """A source of manifests for one sync (Git, OCI, Helm, local)."""

    def resolve(self) -> str:
        """The commit (or digest) the configured revision points at now; cheap."""
        ...

    def fetch(self, commit: str) -> SourceSnapshot:
        """Content at `commit`, fetched or from the cache, held until the snapshot is released."""
        ...
