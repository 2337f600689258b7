"""Which sync object a run belongs to, and the names derived from it."""

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
