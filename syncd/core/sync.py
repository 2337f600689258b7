"""Which sync object a run belongs to, the names derived from it, and who it acts as.

A RootSync may manage any object; a RepoSync only namespaced objects in its
own namespace (its `scope`). An object belongs to exactly one sync (its
`syncd.dev/manager`); the one exception is that a RootSync takes over an
object a RepoSync holds (the platform team outranks a tenant), never the
other way round.

`Identity` is who a sync's requests to the objects it manages are made as:
syncd's own identity, or a service account impersonated (a RepoSync's
`spec.serviceAccountName`, a RootSync's roleRefs account).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SYNCD_GROUP = "syncd.dev"
SYNCD_VERSION = "v1beta1"
INVENTORY_KIND = "ResourceGroup"


class SyncKind(StrEnum):
    """The two kinds of sync object."""

    ROOT_SYNC = "RootSync"
    REPO_SYNC = "RepoSync"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class SyncId:
    """One RootSync or RepoSync, by kind, namespace and name."""

    kind: SyncKind
    namespace: str
    name: str

    @property
    def manager(self) -> str:
        """The value of `syncd.dev/manager` on objects this sync manages."""
        return f"{self.kind.value}/{self.namespace}/{self.name}"

    def __str__(self) -> str:
        """`RootSync/syncd-system/root`."""
        return self.manager

    @classmethod
    def parse(cls, manager: str) -> SyncId | None:
        """The sync a `syncd.dev/manager` value names, or None when it names none."""
        kind, _, rest = manager.partition("/")
        namespace, _, name = rest.partition("/")
        if kind not in SyncKind.__members__.values() or not namespace or not name or "/" in name:
            return None
        return cls(kind=SyncKind(kind), namespace=namespace, name=name)

    @property
    def scope(self) -> str:
        """The only namespace this sync may touch ('' for a RootSync: the whole cluster)."""
        return self.namespace if self.kind is SyncKind.REPO_SYNC else ""

    def may_take_over(self, owner: str) -> bool:
        """Whether this sync takes an object whose `syncd.dev/manager` is `owner` (not itself).

        Only a RootSync does, and only from a RepoSync.
        """
        return self.kind is SyncKind.ROOT_SYNC and owner.startswith(f"{SyncKind.REPO_SYNC}/")


SERVICE_ACCOUNT_USER_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Identity:
    """Who a sync's requests to managed objects are made as.

    The default is syncd's own identity; otherwise a service account,
    impersonated (the API server then adds its groups itself).
    """

    namespace: str = ""
    service_account: str = ""

    @property
    def own(self) -> bool:
        """Whether this is syncd's own identity (no impersonation)."""
        return not self.service_account

    @property
    def user(self) -> str:
        """The user name to impersonate ('' for syncd's own identity)."""
        if self.own:
            return ""
        return f"{SERVICE_ACCOUNT_USER_PREFIX}{self.namespace}:{self.service_account}"

    def __str__(self) -> str:
        """`syncd` or `system:serviceaccount:team-a:syncd-repo-sync`."""
        return self.user or "syncd"
