"""`FakeCluster`: an in-memory `syncd.core.ports.Cluster` for unit tests.

It keeps objects by identity, assigns uids, resourceVersions (one counter,
like etcd's revision), generations and creation timestamps, and performs a
simplified server-side apply (see `fake_ssa`): managers own leaf paths,
conflicts and forced takeovers carry the real Status causes, fields a
manager stops declaring are removed, and an apply that changes nothing keeps
the resourceVersion. Deletes honour uid preconditions and finalizers (no
garbage collection: propagation is ignored). Watches replay a per-type event
log and end with a BOOKMARK instead of blocking.

Tests steer it with `fail_next` / `fail_always` (raise a given error for a
verb, optionally only for one object or type), `register_type` (a CRD's
kind, visible after `refresh_discovery()`), `compact()` (older watch
resourceVersions expire) and `peek()`; `requests` lists every call as
(verb, object or type) so tests can count them, and `requested_by` who made
it ('' for the fake's own identity). Verbs are `FakeVerb` values.
`impersonating(user)` acts as another user, whom `authorize` may limit (see
`fake_rbac`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from syncd.core.errors import (
    ClusterError,
    ConflictError,
    InvalidError,
    NotFoundError,
)
from syncd.core.ports import (
    Clock,
    DeletePropagation,
    DeleteResult,
    JsonObject,
    ListResult,
    ResourceType,
    WatchEvent,
    WatchEventType,
)
from syncd.core.refs import ObjectRef

from .fake_controls import FakeControls
from .fake_failures import Failures, FakeVerb
from .fake_fields import json_merge_patch
from .fake_objects import (
    FakeDiscovery,
    SystemClock,
    check_body,
    check_resource_version,
    compile_selector,
    content,
    group_kind,
    selected,
    skeleton,
)
from .fake_rbac import ActingAs, Identities
from .fake_ssa import Ownership, apply_fields, deep, patch_fields
from .fake_watch import WatchHistory

__all__ = ["FakeCluster", "FakeVerb"]


@dataclass(kw_only=True)
class _Stored:
    obj: JsonObject
    ownership: Ownership


class FakeCluster(FakeControls):
    """An in-memory cluster serving `types` (the first type per group and kind is preferred)."""

    def __init__(self, types: Iterable[ResourceType], *, clock: Clock | None = None) -> None:
        self._lock = threading.RLock()
        self._clock: Clock = clock or SystemClock()
        self._discovery = FakeDiscovery(types)
        self._objects: dict[ObjectRef, _Stored] = {}
        self._events: list[tuple[int, WatchEvent]] = []
        self._rv = 1
        self._compacted_rv = 0
        self._uids = 0
        self._failures = Failures()
        self.requests: list[tuple[str, str]] = []
        self.requested_by: list[str] = []
        self.identities = Identities()

    def impersonating(self, user: str, groups: Sequence[str] = ()) -> ActingAs:
        """The same fake acting as `user` (see `fake_rbac`)."""
        del groups
        return ActingAs(self, user)

    def peek(self, ref: ObjectRef) -> JsonObject | None:
        """The stored object without recording a request (a copy), or None."""
        with self._lock:
            stored = self._objects.get(self._key(ref)[0])
            return deep(stored.obj) if stored else None

    # -- discovery -------------------------------------------------------

    def resource_type(self, group: str, kind: str, *, version: str = "") -> ResourceType:
        """The served type (exactly `version` when given); UnknownKindError otherwise."""
        with self._lock:
            return self._discovery.resource_type(group, kind, version=version)

    def refresh_discovery(self) -> None:
        """Make registered types visible."""
        with self._lock:
            self._discovery.refresh()

    def resource_types(self) -> tuple[ResourceType, ...]:
        """The preferred served type of every group and kind."""
        with self._lock:
            return self._discovery.preferred()

    # -- the Cluster verbs -----------------------------------------------

    def apply(
        self,
        ref: ObjectRef,
        body: Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = True,
        dry_run: bool = False,
    ) -> JsonObject:
        """Simplified server-side apply (see the module docstring)."""
        with self._lock:
            self._record(FakeVerb.DRY_RUN_APPLY if dry_run else FakeVerb.APPLY, ref)
            key, rtype = self._key(ref)
            stored = self._objects.get(key)
            check_body(key, rtype, body, stored.obj if stored else None)
            live = deep(stored.obj) if stored else skeleton(key, rtype)
            ownership = stored.ownership.copy() if stored else Ownership()
            apply_fields(live, body, ownership, manager=field_manager, force=force)
            return self._commit(key, rtype, live, ownership, dry_run=dry_run)

    def get(self, ref: ObjectRef) -> JsonObject | None:
        """A copy of the stored object, or None."""
        with self._lock:
            self._record(FakeVerb.GET, ref)
            stored = self._objects.get(self._key(ref)[0])
            return deep(stored.obj) if stored else None

    def list(
        self, rtype: ResourceType, *, namespace: str = "", label_selector: str = ""
    ) -> ListResult:
        """Matching objects of one type, sorted by namespace and name."""
        with self._lock:
            self._record(FakeVerb.LIST, rtype, namespace=namespace)
            selector = compile_selector(label_selector)
            items = tuple(
                deep(stored.obj)
                for key, stored in sorted(self._objects.items())
                if selected(stored.obj, key, rtype, namespace, selector)
            )
            return ListResult(items=items, resource_version=str(self._rv))

    def delete(
        self,
        ref: ObjectRef,
        *,
        propagation: DeletePropagation = DeletePropagation.BACKGROUND,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> DeleteResult:
        """Delete, or mark terminating when finalizers remain (PENDING); ABSENT when missing."""
        del propagation  # no garbage collector in the fake
        with self._lock:
            self._record(FakeVerb.DELETE, ref)
            key, rtype = self._key(ref)
            stored = self._objects.get(key)
            if stored is None:
                return DeleteResult.ABSENT
            if resource_version:
                check_resource_version(
                    key, {"metadata": {"resourceVersion": resource_version}}, stored.obj
                )
            actual = stored.obj["metadata"].get("uid", "")
            if uid and uid != actual:
                raise ConflictError(
                    f'Operation cannot be fulfilled on {key.kind} "{key.name}": the UID in the '
                    f"precondition ({uid}) does not match the UID in record ({actual}). The "
                    "object might have been deleted and then recreated",
                    status=409,
                    reason="Conflict",
                )
            if stored.obj["metadata"].get("finalizers"):
                live = deep(stored.obj)
                live["metadata"].setdefault("deletionTimestamp", self._timestamp())
                self._commit(key, rtype, live, stored.ownership, dry_run=False)
                return DeleteResult.PENDING
            self._remove(key)
            return DeleteResult.DELETED

    def merge_patch(
        self, ref: ObjectRef, patch: Mapping[str, Any], *, field_manager: str
    ) -> JsonObject:
        """RFC 7386 merge patch of the main resource (status is ignored), as `field_manager`.

        A `metadata.resourceVersion` in the patch is a precondition (a stale
        one raises ConflictError, 409). A non-empty `metadata.managedFields`
        replaces the ownership with the given entries (`[{}]` clears it), and
        a patch that changes nothing else adds no entry for `field_manager`.
        """
        with self._lock:
            self._record(FakeVerb.MERGE_PATCH, ref)
            key, rtype = self._key(ref)
            stored = self._require(key, rtype)
            check_resource_version(key, patch, stored.obj)
            main = {k: v for k, v in patch.items() if k != "status"}
            live = json_merge_patch(stored.obj, main)
            entries = (patch.get("metadata") or {}).get("managedFields")
            if isinstance(entries, list) and entries:
                ownership = Ownership.from_entries(entries)
            else:
                ownership = stored.ownership.copy()
            patch_fields(main, ownership, manager=field_manager, live=stored.obj)
            return self._commit(key, rtype, live, ownership, dry_run=False)

    def replace_status(self, ref: ObjectRef, obj: Mapping[str, Any]) -> JsonObject:
        """Replace the status; a stale metadata.resourceVersion raises ConflictError."""
        with self._lock:
            self._record(FakeVerb.REPLACE_STATUS, ref)
            key, rtype = self._key(ref)
            stored = self._require(key, rtype)
            check_resource_version(key, obj, stored.obj)
            live = deep(stored.obj)
            if "status" in obj:
                live["status"] = deep(obj)["status"]
            else:
                live.pop("status", None)
            return self._commit(key, rtype, live, stored.ownership, dry_run=False)

    def create(self, ref: ObjectRef, body: Mapping[str, Any]) -> JsonObject:
        """Create a new object (generateName supported); AlreadyExists is a ConflictError."""
        with self._lock:
            self._record(FakeVerb.CREATE, ref)
            metadata = deep(body.get("metadata") or {})
            name = str(metadata.get("name") or ref.name or "")
            if not name and metadata.get("generateName"):
                self._uids += 1
                name = f"{metadata['generateName']}{self._uids:05x}"
            if not name:
                raise InvalidError(
                    f"{ref.kind} is invalid: metadata.name: name or generateName is required",
                    status=422,
                    reason="Invalid",
                )
            key, rtype = self._key(
                ObjectRef(
                    group=ref.group,
                    kind=ref.kind,
                    namespace=ref.namespace,
                    name=name,
                    version=ref.version,
                )
            )
            if key in self._objects:
                raise ConflictError(
                    f'{rtype.resource} "{name}" already exists', status=409, reason="AlreadyExists"
                )
            base = skeleton(key, rtype)
            live = deep({k: v for k, v in body.items() if k not in ("status", "metadata")})
            live.update(apiVersion=base["apiVersion"], kind=base["kind"])
            live["metadata"] = {**metadata, **base["metadata"]}
            return self._commit(key, rtype, live, Ownership(), dry_run=False)

    def watch(
        self,
        rtype: ResourceType,
        *,
        namespace: str = "",
        resource_version: str = "",
        label_selector: str = "",
        timeout_seconds: int = 300,
    ) -> Iterator[WatchEvent]:
        """Replay events after `resource_version` (all objects as ADDED when empty or "0").

        Ends with a BOOKMARK at the latest resourceVersion instead of
        blocking. A resourceVersion older than the last `compact()` raises
        ResourceExpiredError on the first `next()`, like the real watch.
        """
        del timeout_seconds
        with self._lock:
            self._record(FakeVerb.WATCH, rtype, namespace=namespace)
            history = WatchHistory(
                objects=[(key, stored.obj) for key, stored in sorted(self._objects.items())],
                events=self._events,
                compacted=self._compacted_rv,
                latest=self._rv,
            )
            backlog = history.replay(
                rtype,
                namespace=namespace,
                selector=compile_selector(label_selector),
                resource_version=resource_version,
            )
            bookmark = history.bookmark(rtype)
        yield from backlog
        yield WatchEvent(type=WatchEventType.BOOKMARK, object=bookmark)

    # -- internals -------------------------------------------------------

    def _record(
        self, verb: FakeVerb, subject: ObjectRef | ResourceType, *, namespace: str = ""
    ) -> None:
        label = str(subject) if isinstance(subject, ObjectRef) else group_kind(subject)
        self.requests.append((verb.value, label))
        self.requested_by.append(self.identities.current)
        if self.identities.current and isinstance(subject, ObjectRef):
            rtype = self.resource_type(subject.group, subject.kind, version=subject.version)
            self.identities.check(verb, rtype, subject.namespace, subject.name)
        elif self.identities.current and isinstance(subject, ResourceType):
            self.identities.check(verb, subject, namespace, "")
        self._failures.raise_if_due(verb, subject)

    def _key(self, ref: ObjectRef) -> tuple[ObjectRef, ResourceType]:
        rtype = self.resource_type(ref.group, ref.kind, version=ref.version)
        if rtype.namespaced and not ref.namespace:
            raise ClusterError(f"{ref}: {ref.group_kind} is namespaced but no namespace was given")
        key = ObjectRef(
            group=ref.group,
            kind=ref.kind,
            namespace=ref.namespace if rtype.namespaced else "",
            name=ref.name,
            version=rtype.version,
        )
        return key, rtype

    def _require(self, key: ObjectRef, rtype: ResourceType) -> _Stored:
        stored = self._objects.get(key)
        if stored is None:
            raise NotFoundError(
                f'{rtype.resource} "{key.name}" not found', status=404, reason="NotFound"
            )
        return stored

    def _commit(
        self,
        key: ObjectRef,
        rtype: ResourceType,
        live: JsonObject,
        ownership: Ownership,
        *,
        dry_run: bool,
    ) -> JsonObject:
        previous = self._objects.get(key)
        metadata = live.setdefault("metadata", {})
        managed = ownership.managed_fields(rtype.api_version, now=self._timestamp())
        if managed:
            metadata["managedFields"] = managed
        else:
            metadata.pop("managedFields", None)
        if previous is not None and live == previous.obj:
            return deep(previous.obj)  # a no-op write keeps the resourceVersion
        if previous is None:
            metadata["creationTimestamp"] = self._timestamp()
            metadata["generation"] = 1
            self._uids += 1
            metadata["uid"] = f"00000000-fake-{self._uids:012d}"
            if dry_run:
                return deep(live)  # like the real server: a uid, but no resourceVersion
        elif content(live) != content(previous.obj):
            metadata["generation"] = int(previous.obj["metadata"].get("generation") or 0) + 1
        if dry_run:
            return deep(live)
        self._rv += 1
        metadata["resourceVersion"] = str(self._rv)
        if metadata.get("deletionTimestamp") and not metadata.get("finalizers"):
            self._objects.pop(key, None)
            self._events.append((self._rv, WatchEvent(type=WatchEventType.DELETED, object=live)))
            return deep(live)
        self._objects[key] = _Stored(obj=live, ownership=ownership)
        kind = WatchEventType.ADDED if previous is None else WatchEventType.MODIFIED
        self._events.append((self._rv, WatchEvent(type=kind, object=deep(live))))
        return deep(live)

    def _remove(self, key: ObjectRef) -> None:
        stored = self._objects.pop(key)
        self._rv += 1
        gone = deep(stored.obj)
        gone["metadata"]["resourceVersion"] = str(self._rv)
        self._events.append((self._rv, WatchEvent(type=WatchEventType.DELETED, object=gone)))

    def _timestamp(self) -> str:
        return self._clock.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
