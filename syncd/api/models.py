"""The top-level sync objects, RootSync and RepoSync, and parsing them from JSON.

`parse_root_sync` and `parse_repo_sync` are the entry points for objects read
from the API server or from files: they return validated models or raise
`SyncSpecError` (SD1061) naming every invalid field path. The blocks live in
`syncd.api.spec` and `syncd.api.status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from syncd.api.spec import RepoSyncSpec, RootSyncSpec
from syncd.api.status import SyncObjectStatus
from syncd.api.wire import KubeObject
from syncd.core.sync import SyncId, SyncKind

ROOT_DEFAULT_NAMESPACE = "default"
"""Where a RootSync puts namespaced objects that name no namespace (as Config Sync does)."""


class RootSync(KubeObject):
    """Syncs a package to the whole cluster; lives in syncd-system."""

    kind: Literal["RootSync"] = "RootSync"
    spec: RootSyncSpec
    """Where the package comes from and how to sync it."""
    status: SyncObjectStatus | None = None
    """What happened to the last commit, written by syncd."""

    @property
    def sync_id(self) -> SyncId:
        """The identity of this RootSync (kind, namespace, name)."""
        return SyncId(
            kind=SyncKind.ROOT_SYNC,
            namespace=self.metadata.namespace or "",
            name=self.metadata.name,
        )

    @property
    def default_namespace(self) -> str:
        """Where namespaced objects that name no namespace go: spec.defaultNamespace or default."""
        return self.spec.default_namespace or ROOT_DEFAULT_NAMESPACE


def default_service_account(repo_sync: str) -> str:
    """The service account a RepoSync named `repo_sync` acts as unless its spec names one."""
    return f"syncd-{repo_sync}"


class RepoSync(KubeObject):
    """Syncs a package to one namespace, acting as that namespace's service account."""

    kind: Literal["RepoSync"] = "RepoSync"
    spec: RepoSyncSpec
    """Where the package comes from and how to sync it."""
    status: SyncObjectStatus | None = None
    """What happened to the last commit, written by syncd."""

    @property
    def sync_id(self) -> SyncId:
        """The identity of this RepoSync (kind, namespace, name)."""
        return SyncId(
            kind=SyncKind.REPO_SYNC,
            namespace=self.metadata.namespace or "",
            name=self.metadata.name,
        )

    @property
    def service_account_name(self) -> str:
        """The service account this RepoSync acts as (default `syncd-<name>`)."""
        return self.spec.service_account_name or default_service_account(self.metadata.name)

    @property
    def default_namespace(self) -> str:
        """Where namespaced objects that name no namespace go: the RepoSync's own namespace."""
        return self.metadata.namespace or ""


def parse_root_sync(obj: Mapping[str, Any]) -> RootSync:
    """A validated RootSync; raises SyncSpecError (SD1061) naming each bad field."""
    return RootSync.from_object(obj)


def parse_repo_sync(obj: Mapping[str, Any]) -> RepoSync:
    """A validated RepoSync; raises SyncSpecError (SD1061) naming each bad field."""
    return RepoSync.from_object(obj)


SyncObject = RootSync | RepoSync
"""Either kind of sync object."""


def parse_sync(obj: Mapping[str, Any], kind: SyncKind) -> SyncObject:
    """A validated sync object of `kind`; raises SyncSpecError (SD1061) naming each bad field."""
    if kind is SyncKind.REPO_SYNC:
        return parse_repo_sync(obj)
    return parse_root_sync(obj)
