"""The stages that touch a sync's managed objects, bound to the identity the sync acts as.

The applier (and its readiness waiter), the pruner (and its Namespace guard)
and the live-state reader send every request as the sync's identity
(`syncd.reconcile.identity`): syncd itself for a RootSync, the tenant's
service account for a RepoSync. A RepoSync's LISTs are made in its own
namespace. The inventory, the status and Events are not here: syncd writes
them with its own identity.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor
from dataclasses import dataclass

from syncd.api.models import (
    RepoSync,
    RootSync,
    SyncObject,
    default_service_account,
    parse_sync,
)
from syncd.apply.applier import Applier
from syncd.apply.live import LiveReader
from syncd.apply.namespaces import NamespaceGuard
from syncd.apply.pruner import PruneIdentity, Pruner
from syncd.apply.waiter import Waiter
from syncd.core.errors import SyncSpecError
from syncd.core.metadata import APPLYSET_PART_OF_LABEL
from syncd.core.ports import Clock, Cluster, JsonObject
from syncd.core.sync import Identity, SyncId, SyncKind
from syncd.reconcile.identity import RoleBindings, acting_as, identity_of


@dataclass(frozen=True, slots=True, kw_only=True)
class Acting:
    """One sync's hands on its managed objects, as one identity."""

    identity: Identity
    cluster: Cluster
    applier: Applier
    pruner: Pruner
    reader: LiveReader


def acting(
    cluster: Cluster,
    *,
    sync: SyncId,
    identity: Identity,
    applyset_id: str,
    clock: Clock,
    executor: Executor,
    stop: threading.Event,
    protected: tuple[str, ...],
) -> Acting:
    """The stages for `sync` acting as `identity` (`cluster` is syncd's own identity)."""
    hands = acting_as(cluster, identity)
    waiter = Waiter(hands, clock=clock, executor=executor, stop=stop)
    return Acting(
        identity=identity,
        cluster=hands,
        applier=Applier(hands, executor=executor, waiter=waiter, stop=stop),
        pruner=Pruner(
            hands,
            executor=executor,
            clock=clock,
            identity=PruneIdentity(sync_id=sync.manager, applyset_id=applyset_id),
            namespaces=NamespaceGuard(hands, executor=executor, protected=protected),
            stop=stop,
        ),
        reader=LiveReader(
            hands,
            executor=executor,
            selector=f"{APPLYSET_PART_OF_LABEL}={applyset_id}",
            namespace=sync.scope,
        ),
    )


class SyncHands:
    """One sync's `Acting`, built again when the identity its spec names changes."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        sync: SyncId,
        applyset_id: str,
        clock: Clock,
        executor: Executor,
        stop: threading.Event,
        system_namespace: str,
    ) -> None:
        """`cluster` is syncd's own identity; nothing is sent yet."""
        self._cluster = cluster
        self._sync = sync
        self._applyset_id = applyset_id
        self._clock = clock
        self._executor = executor
        self._stop = stop
        self._system_namespace = system_namespace
        self._bindings = RoleBindings(cluster, clock=clock)
        self._acting: Acting | None = None

    def parse(self, obj: JsonObject) -> SyncObject:
        """The sync object, validated; SyncSpecError (SD1061) for what no spec may say."""
        sync = parse_sync(obj, self._sync.kind)
        if isinstance(sync, RepoSync) and self._sync.namespace == self._system_namespace:
            raise SyncSpecError(
                f"a RepoSync may not live in syncd's own namespace {self._sync.namespace!r}; "
                "create it in the tenant's namespace (RootSyncs live here)"
            )
        return sync

    def of(self, sync: SyncObject) -> Acting:
        """The stages acting as `sync`'s identity (a RootSync's roleRefs account made first)."""
        if isinstance(sync, RootSync):
            self._bindings.ensure(sync)
        return self._as(identity_of(sync))

    def for_deletion(self, obj: JsonObject) -> Acting:
        """The identity to prune a deleted sync's objects with, even when its spec is invalid.

        A RepoSync never falls back to syncd's identity: its default account is used.
        """
        try:
            return self._as(identity_of(self.parse(obj)))
        except SyncSpecError:
            if self._sync.kind is SyncKind.ROOT_SYNC:
                return self._as(Identity())
            account = default_service_account(self._sync.name)
            return self._as(Identity(namespace=self._sync.namespace, service_account=account))

    def _as(self, identity: Identity) -> Acting:
        if self._acting is None or self._acting.identity != identity:
            self._acting = acting(
                self._cluster,
                sync=self._sync,
                identity=identity,
                applyset_id=self._applyset_id,
                clock=self._clock,
                executor=self._executor,
                stop=self._stop,
                protected=(self._system_namespace, self._sync.namespace),
            )
        return self._acting
