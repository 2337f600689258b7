"""Impersonation for FakeCluster: requests made as another user, and who may do what.

`FakeCluster.impersonating(user)` returns an `ActingAs` view that sends every
call to the same fake while `user` is the acting identity. An `Authorizer`
given to `FakeCluster.authorize` decides each impersonated request (syncd's
own identity is never refused); a refusal raises the ForbiddenError a real
API server sends, with its message naming the user, verb, resource and
namespace. Verbs are the Kubernetes ones (`patch` for apply).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from syncd.core.errors import ForbiddenError
from syncd.core.ports import (
    DeletePropagation,
    DeleteResult,
    JsonObject,
    ListResult,
    ResourceType,
    WatchEvent,
)
from syncd.core.refs import ObjectRef

from .fake_failures import FakeVerb

if TYPE_CHECKING:
    from .fake_cluster import FakeCluster

_KUBE_VERBS: Mapping[FakeVerb, str] = {
    FakeVerb.APPLY: "patch",
    FakeVerb.DRY_RUN_APPLY: "patch",
    FakeVerb.GET: "get",
    FakeVerb.LIST: "list",
    FakeVerb.DELETE: "delete",
    FakeVerb.MERGE_PATCH: "patch",
    FakeVerb.REPLACE_STATUS: "update",
    FakeVerb.CREATE: "create",
    FakeVerb.WATCH: "watch",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeRequest:
    """One impersonated request, as an authorizer sees it."""

    user: str
    verb: str
    group: str
    resource: str
    namespace: str
    name: str = ""


Authorizer = Callable[[FakeRequest], bool]
"""Whether an impersonated request is allowed."""


def namespace_only(namespace: str) -> Authorizer:
    """Allow anything inside `namespace` and nothing else (a RoleBinding to `edit`)."""
    return lambda request: request.namespace == namespace


class Identities:
    """The acting user per thread, and the authorizer (owned by one FakeCluster)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self.authorizer: Authorizer | None = None

    @property
    def current(self) -> str:
        """The user acting on this thread ('' for the fake's own identity)."""
        return str(getattr(self._local, "user", ""))

    @contextmanager
    def acting(self, user: str) -> Iterator[None]:
        """Make `user` the acting identity on this thread while the block runs."""
        before = self.current
        self._local.user = user
        try:
            yield
        finally:
            self._local.user = before

    def check(self, verb: FakeVerb, rtype: ResourceType, namespace: str, name: str) -> None:
        """Raise ForbiddenError when the authorizer refuses the acting user."""
        user = self.current
        if not user or self.authorizer is None:
            return
        request = FakeRequest(
            user=user,
            verb=_KUBE_VERBS[verb],
            group=rtype.group,
            resource=rtype.resource,
            namespace=namespace if rtype.namespaced else "",
            name=name,
        )
        if self.authorizer(request):
            return
        where = (
            f' in the namespace "{request.namespace}"'
            if request.namespace
            else " at the cluster scope"
        )
        subject = f'{rtype.resource} "{name}"' if name else rtype.resource
        raise ForbiddenError(
            f'{subject} is forbidden: User "{user}" cannot {request.verb} resource '
            f'"{rtype.resource}" in API group "{rtype.group}"{where}',
            status=403,
            reason="Forbidden",
        )


class ActingAs:
    """A `Cluster` that is `fake` acting as `user`."""

    def __init__(self, fake: FakeCluster, user: str) -> None:
        self._fake = fake
        self.user = user

    def impersonating(self, user: str, groups: Sequence[str] = ()) -> ActingAs:
        """Another identity of the same fake."""
        return ActingAs(self._fake, user)

    def resource_type(self, group: str, kind: str, *, version: str = "") -> ResourceType:
        """Discovery is shared."""
        return self._fake.resource_type(group, kind, version=version)

    def refresh_discovery(self) -> None:
        """Discovery is shared."""
        self._fake.refresh_discovery()

    def resource_types(self) -> tuple[ResourceType, ...]:
        """Discovery is shared."""
        return self._fake.resource_types()

    def apply(
        self,
        ref: ObjectRef,
        body: Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = True,
        dry_run: bool = False,
    ) -> JsonObject:
        """FakeCluster.apply as `user`."""
        with self._fake.identities.acting(self.user):
            return self._fake.apply(
                ref, body, field_manager=field_manager, force=force, dry_run=dry_run
            )

    def get(self, ref: ObjectRef) -> JsonObject | None:
        """FakeCluster.get as `user`."""
        with self._fake.identities.acting(self.user):
            return self._fake.get(ref)

    def list(
        self, rtype: ResourceType, *, namespace: str = "", label_selector: str = ""
    ) -> ListResult:
        """FakeCluster.list as `user`."""
        with self._fake.identities.acting(self.user):
            return self._fake.list(rtype, namespace=namespace, label_selector=label_selector)

    def delete(
        self,
        ref: ObjectRef,
        *,
        propagation: DeletePropagation = DeletePropagation.BACKGROUND,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> DeleteResult:
        """FakeCluster.delete as `user`."""
        with self._fake.identities.acting(self.user):
            return self._fake.delete(
                ref, propagation=propagation, uid=uid, resource_version=resource_version
            )

    def merge_patch(
        self, ref: ObjectRef, patch: Mapping[str, Any], *, field_manager: str
    ) -> JsonObject:
        """FakeCluster.merge_patch as `user`."""
        with self._fake.identities.acting(self.user):
            return self._fake.merge_patch(ref, patch, field_manager=field_manager)

    def replace_status(self, ref: ObjectRef, obj: Mapping[str, Any]) -> JsonObject:
        """FakeCluster.replace_status as `user`."""
        with self._fake.identities.acting(self.user):
            return self._fake.replace_status(ref, obj)

    def create(self, ref: ObjectRef, body: Mapping[str, Any]) -> JsonObject:
        """FakeCluster.create as `user`."""
        with self._fake.identities.acting(self.user):
            return self._fake.create(ref, body)

    def watch(
        self,
        rtype: ResourceType,
        *,
        namespace: str = "",
        resource_version: str = "",
        label_selector: str = "",
        timeout_seconds: int = 300,
    ) -> Iterator[WatchEvent]:
        """FakeCluster.watch as `user` (the check runs when the watch starts)."""
        with self._fake.identities.acting(self.user):
            events = list(
                self._fake.watch(
                    rtype,
                    namespace=namespace,
                    resource_version=resource_version,
                    label_selector=label_selector,
                    timeout_seconds=timeout_seconds,
                )
            )
        yield from events
